using IsmsServerless.Changes;
using IsmsServerless.Engine;
using IsmsServerless.Ledger;
using IsmsServerless.Model;
using IsmsServerless.Pipeline;
using IsmsServerless.Settings;
using IsmsServerless.Tests.Support;

namespace IsmsServerless.Tests.Changes;

/// <summary>The store-backed ingest path (as the Lambda runs it) registering changes and counting failed sign-ins.</summary>
[Collection(DynamoDbCollection.Name)]
public sealed class IngestPipelineChangeTests(DynamoDbLocalFixture dynamo)
{
    private async Task<(IngestPipeline Pipeline, string Table)> NewPipelineAsync()
    {
        var table = await dynamo.NewTableAsync("ingest");
        var pipeline = new IngestPipeline(RuleEngine.CreateDefault(), InputEnrichers.Default(dynamo.Client, table),
            new DynamoDbFindingLedger(dynamo.Client, table, IsmsSettings.Default));
        return (pipeline, table);
    }

    [Fact]
    public async Task Ingesting_a_console_session_twice_and_out_of_order_registers_one_change_of_five_calls()
    {
        var (pipeline, table) = await NewPipelineAsync();
        var context = TestContexts.At("2023-05-31T06:00:00Z");
        foreach (var file in ChangeDetectionTests.ThienSession.Reverse().Concat(ChangeDetectionTests.ThienSession))
            Assert.False((await pipeline.ProcessAsync(Fixtures.Local(file), context)).Engine.Rejected);
        var register = new DynamoChangeRegister(dynamo.Client, table, IsmsSettings.Default);
        var change = Assert.Single((await register.QueryPendingAsync(10)).Items);
        Assert.Equal(5, change.CallCount);
        Assert.Equal(ChangeTestData.ThienFirstCall, change.FirstCallAt);

        // The ledger holds the change as one open item without a deadline of its own; the review resolves it.
        var ledgerItemId = FindingIdentity.Compute("change.manual-console-change", change.AccountId, change.Region, change.ChangeId, "");
        var item = (await pipeline.Ledger.GetAsync(ledgerItemId))!;
        Assert.Equal(FindingStatus.Open, item.Status);
        Assert.Null(item.DueAt);
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(ChangeTestData.ThienFirstCall.AddHours(2));
        var service = new ChangeReviewService(register, pipeline.Ledger, RuleRegistry.CreateDefault(), IsmsSettings.Default, clock);
        var reviewed = await service.ReviewAsync(new ReviewRequest(change.ChangeId, "alice", "approved", "https://jira.example/browse/OPS-3"));
        Assert.True(reviewed.FindingResolved);
        Assert.Equal(FindingStatus.Resolved, (await pipeline.Ledger.GetAsync(ledgerItemId))!.Status);
    }

    /// <summary>The AWS docs' failed IAM-user sign-in, with eventID/eventTime varied per attempt (EDITED in memory only).</summary>
    private static byte[] Failure(int attempt, DateTimeOffset at, string ip = "192.0.2.0")
    {
        var raw = System.Text.Encoding.UTF8.GetString(Fixtures.Shared("cloudtrail/raw-consolelogin-iamuser-failure.json"))
            .Replace("d38ce1b3-4575-4cb8-a632-611b8243bfc3", $"d38ce1b3-4575-4cb8-a632-{attempt:D12}", StringComparison.Ordinal)
            .Replace("2022-11-10T16:24:34Z", Timestamps.ToWire(at), StringComparison.Ordinal)
            .Replace("\"192.0.2.0\"", $"\"{ip}\"", StringComparison.Ordinal);
        return EventBridgeEnvelope.Wrap(raw);
    }

    [Fact]
    public async Task Five_failed_sign_ins_within_the_window_are_a_high_burst_finding_redeliveries_do_not_count()
    {
        var (pipeline, _) = await NewPipelineAsync();
        var start = DateTimeOffset.Parse("2022-11-10T16:00:00Z", System.Globalization.CultureInfo.InvariantCulture);
        var context = TestContexts.At("2022-11-10T17:00:00Z");
        for (var i = 0; i < 4; i++)
        {
            var result = await pipeline.ProcessAsync(Failure(i, start.AddMinutes(i)), context);
            var failure = Assert.Single(result.Engine.Evaluations, e => e.Rule.Id == "monitoring.console-sign-in-failure-burst");
            Assert.Equal(Severity.Informational, failure.Severity);
            // Redelivery of the same failure: same item, same count.
            await pipeline.ProcessAsync(Failure(i, start.AddMinutes(i)), context);
        }
        // A failure from 20 minutes earlier (out of the 15-minute window of the next one) does not add up.
        await pipeline.ProcessAsync(Failure(99, start.AddMinutes(-20)), context);
        var fifth = await pipeline.ProcessAsync(Failure(4, start.AddMinutes(4)), context);
        var burst = Assert.Single(fifth.Engine.Evaluations, e => e.Rule.Id == "monitoring.console-sign-in-failure-burst");
        Assert.Equal((Severity.High, "burst:user"), (burst.Severity, burst.SubKey));
        Assert.Equal("5", burst.Evidence["failuresByUser"]);
        Assert.Equal(FindingStatus.Open, (await pipeline.Ledger.GetAsync(burst.FindingId))!.Status);
    }

    [Fact]
    public async Task Failures_of_many_users_from_one_address_are_a_burst_by_ip()
    {
        var (pipeline, _) = await NewPipelineAsync();
        var start = DateTimeOffset.Parse("2022-11-10T16:00:00Z", System.Globalization.CultureInfo.InvariantCulture);
        var context = TestContexts.At("2022-11-10T17:00:00Z");
        Evaluation? last = null;
        for (var i = 0; i < 5; i++)
        {
            var raw = System.Text.Encoding.UTF8.GetString(Failure(i, start.AddMinutes(i), "198.51.100.7")).Replace("\"anaya\"", $"\"user{i}\"", StringComparison.Ordinal);
            last = (await pipeline.ProcessAsync(System.Text.Encoding.UTF8.GetBytes(raw), context)).Engine.Evaluations
                .Single(e => e.Rule.Id == "monitoring.console-sign-in-failure-burst");
        }
        Assert.Equal((Severity.High, "burst:ip", "ip/198.51.100.7"), (last!.Severity, last.SubKey, last.ResourceId));
    }
}
