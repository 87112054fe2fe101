using System.Globalization;
using IsmsServerless.Engine;
using IsmsServerless.Events;
using IsmsServerless.Ingestion;
using IsmsServerless.Inputs;
using IsmsServerless.Ledger;
using IsmsServerless.Model;
using IsmsServerless.Pipeline;
using IsmsServerless.Tests.Ledger;
using IsmsServerless.Tests.Support;

namespace IsmsServerless.Tests.Pipeline;

[Collection(DynamoDbCollection.Name)]
public sealed class IngestPipelineTests(DynamoDbLocalFixture dynamo)
{
    private const string DeleteAttachment = "cloudtrail/eb-api-call-ec2-delete-tgw-attachment.json";
    private const string AttachmentId = "tgw-attach-0814a77755bf02f0e";

    /// <summary>
    /// Stands in for the adapters that will report deletions (Config ResourceDeleted, EC2 terminations): turns the real
    /// DeleteTransitGatewayVpcAttachment CloudTrail event into a <see cref="ResourceGoneInput"/>.
    /// </summary>
    private sealed class DeletionAdapter : IEventAdapter
    {
        public string Name => "test-deletions";

        public bool CanAdapt(InboundEvent inbound) => inbound.DetailType == "AWS API Call via CloudTrail";

        public IReadOnlyList<RuleInput> Adapt(InboundEvent inbound, EvaluationContext context) =>
        [
            new ResourceGoneInput
            {
                AccountId = inbound.Account ?? "",
                Region = inbound.Region ?? "",
                ResourceId = inbound.Detail.GetProperty("requestParameters").GetProperty("DelTGwVpcAttachReq").GetProperty("TransitGatewayAttachmentId").GetString()!,
                Reason = "deleted by " + inbound.Detail.GetProperty("eventName").GetString(),
                ObservedAt = inbound.Time,
            },
        ];
    }

    private sealed class CountingEnricher : IInputEnricher
    {
        public int Calls { get; private set; }

        public ValueTask<RuleInput> EnrichAsync(RuleInput input, EvaluationContext context, CancellationToken cancellationToken)
        {
            Calls++;
            return ValueTask.FromResult(input);
        }
    }

    private sealed class FailingEnricher : IInputEnricher
    {
        public ValueTask<RuleInput> EnrichAsync(RuleInput input, EvaluationContext context, CancellationToken cancellationToken) =>
            throw new Amazon.DynamoDBv2.Model.ProvisionedThroughputExceededException("throttled");
    }

    [Fact]
    public async Task Deleted_resource_event_closes_its_findings_and_gone_inputs_skip_enrichment()
    {
        var kit = await LedgerTestKit.CreateAsync(dynamo, "2022-11-09T10:00:00Z");
        var earlier = DateTimeOffset.Parse("2022-11-01T00:00:00Z", CultureInfo.InvariantCulture);
        var finding = LedgerTestKit.Finding(LedgerTestKit.PatchRule, AttachmentId, earlier);
        await kit.Ledger.RecordAsync([finding], kit.Context);
        var enricher = new CountingEnricher();
        var pipeline = new IngestPipeline(new RuleEngine(IsmsServerless.Engine.RuleRegistry.CreateDefault(), [new DeletionAdapter()]), [enricher], kit.Ledger);

        var result = await pipeline.ProcessAsync(Fixtures.Shared(DeleteAttachment), kit.Context);

        Assert.Equal((1, 1), (result.ResourcesGone, result.FindingsClosed));
        Assert.Equal(0, enricher.Calls);
        var closed = await kit.Ledger.GetAsync(finding.FindingId);
        Assert.Equal(FindingStatus.Resolved, closed!.Status);
        Assert.Equal(DateTimeOffset.Parse("2022-11-09T09:24:20Z", CultureInfo.InvariantCulture), closed.ResolvedAt);
        var last = (await kit.Ledger.GetHistoryAsync(finding.FindingId))[^1];
        Assert.Equal((IngestPipeline.Actor, "deleted by DeleteTransitGatewayVpcAttachment"), (last.Actor, last.Reason));
    }

    [Fact]
    public async Task Enrichers_run_on_evaluable_inputs_and_store_failures_propagate_for_a_retry()
    {
        var kit = await LedgerTestKit.CreateAsync(dynamo, "2026-01-01T00:00:00Z");
        var counting = new CountingEnricher();
        var pipeline = new IngestPipeline(RuleEngine.CreateDefault(), [counting], kit.Ledger);
        var result = await pipeline.ProcessAsync(Fixtures.Shared("cloudtrail/eb-console-signin-root-success-nomfa.json"), kit.Context);
        Assert.Equal(1, counting.Calls);
        Assert.Equal(2, result.Ledger.Created);

        var failing = new IngestPipeline(RuleEngine.CreateDefault(), [new FailingEnricher()], kit.Ledger);
        await Assert.ThrowsAsync<Amazon.DynamoDBv2.Model.ProvisionedThroughputExceededException>(() =>
            failing.ProcessAsync(Fixtures.Shared("cloudtrail/eb-console-signin-root-success-nomfa.json"), kit.Context));
    }

    [Fact]
    public async Task Rejected_payload_writes_nothing()
    {
        var kit = await LedgerTestKit.CreateAsync(dynamo);
        var pipeline = new IngestPipeline(RuleEngine.CreateDefault(), [], kit.Ledger);
        var result = await pipeline.ProcessAsync("{\"detail-type\": 42"u8.ToArray(), kit.Context);
        Assert.True(result.Engine.Rejected);
        Assert.Empty((await kit.Ledger.QueryByStatusAsync(FindingStatus.Open, 10)).Items);
        Assert.Equal(0, (await kit.Ledger.GetOverviewAsync()).Total.Open);
    }
}
