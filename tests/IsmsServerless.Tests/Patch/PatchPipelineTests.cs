using System.Text;
using System.Text.Json.Nodes;
using IsmsServerless.Engine;
using IsmsServerless.Ledger;
using IsmsServerless.Model;
using IsmsServerless.Pipeline;
using IsmsServerless.Settings;
using IsmsServerless.Tests.Support;

namespace IsmsServerless.Tests.Patch;

/// <summary>
/// The event path as the ingest Lambda runs it (IngestPipeline → DynamoDB ledger on DynamoDB Local): an Inspector
/// finding opens with its deadline, its CLOSED event resolves it, and an instance termination closes everything on it.
/// </summary>
[Collection(DynamoDbCollection.Name)]
public sealed class PatchPipelineTests(DynamoDbLocalFixture dynamo)
{
    private async Task<(IngestPipeline Pipeline, IFindingLedger Ledger)> NewPipelineAsync()
    {
        var table = await dynamo.NewTableAsync();
        var ledger = new DynamoDbFindingLedger(dynamo.Client, table, IsmsSettings.Default);
        return (new IngestPipeline(RuleEngine.CreateDefault(), [], ledger), ledger);
    }

    [Fact]
    public async Task Inspector_active_then_closed_resolves_one_finding_with_the_deadline_fixed_at_first_detection()
    {
        var (pipeline, ledger) = await NewPipelineAsync();
        // The docs' CLOSED finding made ACTIVE, as Inspector reported it before closing it: updatedAt = lastObservedAt.
        var active = PatchEvents.Edited(PatchEvents.Ec2Vuln, d => { d["status"] = "ACTIVE"; d["severity"] = "CRITICAL"; d["updatedAt"] = "Wed Sep 04 16:59:44.476 UTC 2024"; });
        var opened = await pipeline.ProcessAsync(active, TestContexts.At("2024-09-04T17:00:40Z"));
        var id = Assert.Single(opened.Engine.Evaluations).FindingId;
        var record = await ledger.GetAsync(id);
        Assert.Equal(FindingStatus.Open, record!.Status);
        // CRITICAL, 7 days from firstObservedAt (Wed Sep 04 16:59:44.356 UTC 2024), the default patchClockStart: the
        // CVE's publication (vendorCreatedAt, Jul 25) no longer makes it breached on the day it is first seen.
        Assert.Equal(DateTimeOffset.Parse("2024-09-11T16:59:44.356Z", System.Globalization.CultureInfo.InvariantCulture), record.DueAt);
        Assert.Equal(SlaState.Open, record.SlaState);

        await pipeline.ProcessAsync(Fixtures.Shared(PatchEvents.Ec2Vuln), TestContexts.At("2024-09-04T17:01:00Z"));
        Assert.Equal(FindingStatus.Resolved, (await ledger.GetAsync(id))!.Status);
    }

    [Fact]
    public async Task A_terminated_instance_closes_its_patch_findings_and_only_those()
    {
        var (pipeline, ledger) = await NewPipelineAsync();
        var context = TestContexts.At("2024-09-05T00:00:00Z");
        // An Inspector finding and an SSM compliance finding on i-1234567890abcdef0 (the fixtures' instance ids edited to it).
        var inspector = PatchEvents.Edited(PatchEvents.Ec2Vuln, d => { d["status"] = "ACTIVE"; d["resources"]![0]!["id"] = "i-1234567890abcdef0"; d["resources"]![0]!["region"] = "us-east-1"; });
        var ssm = PatchEvents.Edited(PatchEvents.SsmNonCompliant, d => d["resource-id"] = "i-1234567890abcdef0");
        var other = PatchEvents.Edited(PatchEvents.Ec2Vuln, d => d["status"] = "ACTIVE"); // i-12345678901234567
        var ids = new List<string>();
        foreach (var payload in new[] { inspector, ssm, other })
            ids.Add(Assert.Single((await pipeline.ProcessAsync(payload, context)).Engine.Evaluations).FindingId);

        // The fixture's termination (2021) is older than the Inspector finding it would close (2024), and a late deletion
        // never closes a newer finding (issue 14): move it after both findings' source times.
        var terminated = JsonNode.Parse(Fixtures.Local("patch/eb-ec2-state-change-terminated.json"))!;
        terminated["time"] = "2024-09-05T12:00:00Z";
        var gone = await pipeline.ProcessAsync(Encoding.UTF8.GetBytes(terminated.ToJsonString()), TestContexts.At("2024-09-06T00:00:00Z"));

        Assert.Equal(1, gone.ResourcesGone);
        Assert.Equal(2, gone.FindingsClosed);
        Assert.Equal(FindingStatus.Resolved, (await ledger.GetAsync(ids[0]))!.Status);
        Assert.Equal(FindingStatus.Resolved, (await ledger.GetAsync(ids[1]))!.Status);
        Assert.Equal(FindingStatus.Open, (await ledger.GetAsync(ids[2]))!.Status);
    }
}
