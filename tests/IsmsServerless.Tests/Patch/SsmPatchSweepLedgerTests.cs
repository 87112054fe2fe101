using System.Globalization;
using IsmsServerless.Engine;
using IsmsServerless.Inputs;
using IsmsServerless.Ledger;
using IsmsServerless.Model;
using IsmsServerless.Settings;
using IsmsServerless.Sweep;
using IsmsServerless.Sweep.Patch;
using IsmsServerless.Tests.Support;

namespace IsmsServerless.Tests.Patch;

/// <summary>The sweep step end to end against the DynamoDB ledger on DynamoDB Local: recording and reconciliation.</summary>
[Collection(DynamoDbCollection.Name)]
public sealed class SsmPatchSweepLedgerTests(DynamoDbLocalFixture dynamo)
{
    private const string Account = "111122223333";
    private const string Region = "eu-west-1";
    private const string Windows = "i-0a1b2c3d4e5f60718";
    private const string Linux = "i-0f1e2d3c4b5a69788";

    private static readonly DateTimeOffset ScanEnd = DateTimeOffset.Parse("2021-05-03T18:01:09Z", CultureInfo.InvariantCulture);

    private sealed class StaticInventory(PatchInventory inventory) : IPatchInventorySource
    {
        public Task<PatchInventory> ReadAsync(CancellationToken cancellationToken) => Task.FromResult(inventory);
    }

    private static Evaluation Missing(string node, string patch, EvaluationContext context) => new MissingPatchInput
    {
        AccountId = Account,
        Region = Region,
        InstanceId = node,
        PatchId = patch,
        State = "Missing",
        SeverityText = "Critical",
        ObservedMissingAt = ScanEnd.AddDays(-2),
        Origin = "ssm-sweep",
    }.Dispatch(RuleRegistry.CreateDefault(), context).Single();

    [Fact]
    public async Task A_fresh_complete_scan_resolves_what_it_no_longer_lists_and_silence_resolves_nothing()
    {
        var table = await dynamo.NewTableAsync();
        var ledger = new DynamoDbFindingLedger(dynamo.Client, table, IsmsSettings.Default);
        var earlier = TestContexts.At("2021-05-02T00:00:00Z");
        var stillMissing = Missing(Windows, "KB890830", earlier);
        var installedSince = Missing(Windows, "KB4480979", earlier);
        var onSilentNode = Missing(Linux, "openssl.x86_64:1:1.0.2k-24.amzn2", earlier);
        await ledger.RecordAsync([stillMissing, installedSince, onSilentNode], earlier);

        var inventory = new PatchInventory(
            [new ManagedNode(Windows, "Online", "Windows", "Windows Server 2016", null), new ManagedNode(Linux, "ConnectionLost", "Linux", "Amazon Linux 2", null)],
            [new NodePatchState(Windows, "pb-1", "Scan", ScanEnd, 1, 0, 0, 0, 0, 0, 1),
             new NodePatchState(Linux, "pb-2", "Scan", ScanEnd.AddDays(-30), 0, 0, 0, 0, 0, 0, 0)],
            [new NodePatch(Windows, "KB890830", "MSRT", "UpdateRollups", "Unspecified", "Missing", [], null)],
            []);
        var now = TestContexts.At("2021-05-05T00:00:00Z");
        var step = new SsmPatchSweepStep(new StaticInventory(inventory), Account, Region);

        var result = await step.RunAsync(new SweepContext(dynamo.Client, table, ledger, now), CancellationToken.None);

        Assert.Equal(FindingStatus.Open, (await ledger.GetAsync(stillMissing.FindingId))!.Status);
        Assert.Equal(FindingStatus.Resolved, (await ledger.GetAsync(installedSince.FindingId))!.Status);
        // The Linux node's last scan is 30 days old: its open finding stays open, and the silence is a finding.
        Assert.Equal(FindingStatus.Open, (await ledger.GetAsync(onSilentNode.FindingId))!.Status);
        var silence = FindingIdentity.Compute("patch.stale-patch-scan", Account, Region, Linux, "");
        var silenceRecord = await ledger.GetAsync(silence);
        Assert.NotNull(silenceRecord);
        Assert.Equal(FindingStatus.Open, silenceRecord!.Status);
        Assert.Equal("ssm-patch", result.Step);
        Assert.Equal(2, result.Examined);
        Assert.True(result.Resolved >= 1);

        // Every patch finding on the Windows node is one query by resource (the status page's per-instance view).
        var onWindows = await ledger.QueryByResourceAsync(Windows, 50);
        Assert.Contains(onWindows.Items, f => f.RuleId == "patch.missing-patch" && f.SubKey == "KB890830");
        Assert.Contains(onWindows.Items, f => f.RuleId == "patch.instance-patch-compliance");

        // A second identical sweep changes nothing: idempotent under the schedule's retries.
        await step.RunAsync(new SweepContext(dynamo.Client, table, ledger, now), CancellationToken.None);
        Assert.Equal(FindingStatus.Open, (await ledger.GetAsync(stillMissing.FindingId))!.Status);
    }

    [Fact]
    public async Task A_sweep_that_cannot_list_the_fleet_fails_instead_of_reporting_success()
    {
        var table = await dynamo.NewTableAsync();
        var ledger = new DynamoDbFindingLedger(dynamo.Client, table, IsmsSettings.Default);
        var blind = new PatchInventory([], [], [], ["DescribeInstanceInformation: AccessDeniedException (400): not authorized"]) { NodeListComplete = false };
        var step = new SsmPatchSweepStep(new StaticInventory(blind), Account, Region);
        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            step.RunAsync(new SweepContext(dynamo.Client, table, ledger, TestContexts.At("2021-05-05T00:00:00Z")), CancellationToken.None));
        Assert.Contains("AccessDeniedException", ex.Message, StringComparison.Ordinal);
    }
}
