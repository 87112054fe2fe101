using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using IsmsServerless.Backups;
using IsmsServerless.Engine;
using IsmsServerless.Ledger;
using IsmsServerless.Model;
using IsmsServerless.Obligations;
using IsmsServerless.Pipeline;
using IsmsServerless.Rules.Backup;
using IsmsServerless.Settings;
using IsmsServerless.Sweep;
using IsmsServerless.Tests.Drift;
using IsmsServerless.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace IsmsServerless.Tests.Backup;

/// <summary>
/// The per-resource backup clocks on the obligation mechanism, on DynamoDB Local with a fake clock: a critical resource
/// in scope (a real Config item of a DynamoDB table) owes a successful backup within 24 h + grace, a copy in another
/// region within 24 h + grace of each backup and a restore test within the RTO every 92 days; AWS Backup's own documented
/// events (resource and times set to the table's) satisfy them; the sweep raises a backup finding for each missed clock,
/// also after being down across the deadline, and resolves it when a late event satisfies the cycle.
/// </summary>
[Collection(DynamoDbCollection.Name)]
public sealed class BackupObligationTests(DynamoDbLocalFixture dynamo)
{
    private const string Table = "arn:aws:dynamodb:us-east-2:123456789012:table/test";
    private const string Account = "123456789012";
    private static readonly DateTimeOffset T0 = DateTimeOffset.Parse("2026-03-01T00:00:00Z", CultureInfo.InvariantCulture);

    private sealed record Kit(IngestPipeline Pipeline, DynamoDbFindingLedger Ledger, DynamoObligationStore Store, FakeTimeProvider Clock, string TableName);

    private async Task<Kit> NewAsync(DateTimeOffset now)
    {
        var table = await dynamo.NewTableAsync("backup-obl");
        var settings = IsmsSettings.Default;
        var ledger = new DynamoDbFindingLedger(dynamo.Client, table, settings);
        var pipeline = new IngestPipeline(RuleEngine.CreateDefault(), [], ledger, null, RecordedHooks.Default(dynamo.Client, table, settings));
        return new Kit(pipeline, ledger, new DynamoObligationStore(dynamo.Client, table, settings), new FakeTimeProvider(now), table);
    }

    private static EvaluationContext Context(FakeTimeProvider clock) => new(IsmsSettings.Default, clock);

    private static async Task IngestAsync(Kit kit, byte[] payload)
    {
        var result = await kit.Pipeline.ProcessAsync(payload, Context(kit.Clock));
        Assert.Null(result.Engine.Error);
    }

    private Task<SweepStepResult> SweepAsync(Kit kit) =>
        new ObligationSweepStep(RuleRegistry.CreateDefault()).RunAsync(new SweepContext(dynamo.Client, kit.TableName, kit.Ledger, Context(kit.Clock)), CancellationToken.None);

    /// <summary>The real Config item of a DynamoDB table (RDK sample), captured at <paramref name="captured"/>.</summary>
    private static byte[] TableSeen(DateTimeOffset captured, string changeType = "UPDATE", string status = "OK")
    {
        var item = DriftPayloads.Item("ci-dynamodb-table-rdk.json");
        item["configurationItemCaptureTime"] = Wire(captured);
        item["configurationItemStatus"] = status;
        return DriftPayloads.ItemChange(item, changeType, Account, "us-east-2");
    }

    /// <summary>AWS Backup's documented "Backup Job State Change" with the table as its resource, completed at <paramref name="completed"/>.</summary>
    private static byte[] BackupJob(DateTimeOffset completed, string state = "COMPLETED") =>
        Backup("eb-backup-job-completed-docs.json", completed, d =>
        {
            d["resourceArn"] = Table;
            d["resourceType"] = "DynamoDB";
            d["state"] = state;
        });

    /// <summary>The documented "Copy Job State Change", the destination vault in <paramref name="destinationRegion"/>.</summary>
    private static byte[] CopyJob(DateTimeOffset completed, string destinationRegion = "us-west-2") =>
        Backup("eb-copy-job-completed-docs.json", completed, d =>
        {
            d["resourceArn"] = Table;
            d["resourceType"] = "DynamoDB";
            d["sourceBackupVaultArn"] = $"arn:aws:backup:us-east-2:{Account}:backup-vault:Default";
            d["destinationBackupVaultArn"] = $"arn:aws:backup:{destinationRegion}:{Account}:backup-vault:Default";
        });

    /// <summary>The restore testing plan's "Restore Job State Change", restoring the table's recovery point in <paramref name="took"/>.</summary>
    private static byte[] RestoreJob(DateTimeOffset completed, TimeSpan took) =>
        Backup("eb-restore-testing-job-completed-derived.json", completed, d =>
        {
            d["sourceResourceArn"] = Table;
            d["resourceType"] = "DynamoDB";
            d["creationDate"] = Wire(completed - took);
        });

    private static byte[] Backup(string fixture, DateTimeOffset completed, Action<JsonObject> edit)
    {
        var node = JsonNode.Parse(Fixtures.Local("backup/" + fixture))!.AsObject();
        node["id"] = Guid.NewGuid().ToString();
        node["account"] = Account;
        node["region"] = "us-east-2";
        node["time"] = Wire(completed.AddSeconds(10));
        var detail = node["detail"]!.AsObject();
        if (detail.ContainsKey("creationDate")) detail["creationDate"] = Wire(completed.AddMinutes(-5));
        detail["completionDate"] = Wire(completed);
        edit(detail);
        return Encoding.UTF8.GetBytes(node.ToJsonString());
    }

    private static string Wire(DateTimeOffset at) => Timestamps.ToWire(at);

    private async Task<Obligation?> LatestAsync(Kit kit, string kind) => await kit.Store.LatestForSubjectAsync(kind, Table);

    private async Task<List<FindingRecord>> OverdueAsync(Kit kit) =>
        [.. (await kit.Ledger.QueryByResourceAsync(Table, 50)).Items.Where(f => f.RuleId == ClockMissedRule.RuleId)];

    [Fact]
    public async Task A_resource_coming_into_scope_owes_a_first_backup_within_a_day_and_the_miss_is_a_backup_finding_a_late_backup_resolves()
    {
        var kit = await NewAsync(T0.AddMinutes(1));
        await IngestAsync(kit, TableSeen(T0));

        var daily = await LatestAsync(kit, BackupObligations.DailyKind);
        Assert.NotNull(daily);
        Assert.Equal((BackupObligations.FirstSeenPeriod, T0.AddHours(26)), (daily.Spec.Period, daily.DueAt)); // 24 h + 2 h grace
        Assert.Equal(T0.AddDays(92), (await LatestAsync(kit, BackupObligations.RestoreTestKind))!.DueAt);
        Assert.Null(await LatestAsync(kit, BackupObligations.CopyKind)); // a copy is owed per backup, not per resource
        Assert.Contains(Controls.IsoBackup, daily.Spec.Controls);

        // Just before the deadline: due, nothing raised. Just after: one backup finding on the table.
        kit.Clock.SetUtcNow(T0.AddHours(26));
        Assert.Equal(0, (await SweepAsync(kit)).Findings);
        Assert.Equal(ObligationState.Due, ObligationSchedule.StateAt(daily, kit.Clock.GetUtcNow()));
        kit.Clock.SetUtcNow(T0.AddHours(26).AddMinutes(1));
        Assert.Equal(1, (await SweepAsync(kit)).Findings);
        Assert.Equal(0, (await SweepAsync(kit)).Findings); // idempotent
        var finding = Assert.Single(await OverdueAsync(kit));
        Assert.Equal((Category.Backup, FindingStatus.Open, BackupObligations.DailyKind), (finding.Category, finding.Status, finding.SubKey));
        Assert.True(finding.Severity >= Severity.High);
        Assert.Equal("AWS::DynamoDB::Table", finding.ResourceType);
        Assert.Contains(Controls.IsoBackup, finding.Controls);

        // The backup finally completes (30 h after the table came into scope): the first-seen cycle is satisfied late,
        // the next cycle and the copy are due a day later, and the sweep resolves the finding.
        kit.Clock.SetUtcNow(T0.AddHours(30).AddMinutes(5));
        await IngestAsync(kit, BackupJob(T0.AddHours(30)));
        var satisfied = await kit.Store.GetAsync(daily.Id);
        Assert.Equal((BackupObligations.Attester, T0.AddHours(30)), (satisfied!.Attestation!.By, satisfied.Attestation.At));
        Assert.Equal(T0.AddHours(56), (await LatestAsync(kit, BackupObligations.DailyKind))!.DueAt);
        Assert.Equal(T0.AddHours(56), (await LatestAsync(kit, BackupObligations.CopyKind))!.DueAt);
        Assert.Equal(0, (await SweepAsync(kit)).Findings);
        Assert.Equal(FindingStatus.Resolved, Assert.Single(await OverdueAsync(kit)).Status);
    }

    [Fact]
    public async Task A_sweep_down_across_the_deadlines_raises_each_missed_clock_once_when_it_returns()
    {
        var kit = await NewAsync(T0);
        await IngestAsync(kit, TableSeen(T0));
        await IngestAsync(kit, BackupJob(T0.AddHours(1)));               // daily satisfied; next due T0+27h; copy due T0+27h
        await IngestAsync(kit, CopyJob(T0.AddHours(2)));                 // copy into us-west-2: satisfied

        // Down for 100 days: the daily clock (T0+27h) and the quarterly restore test (T0+1h+92d) were both missed.
        kit.Clock.SetUtcNow(T0.AddDays(100));
        var result = await SweepAsync(kit);
        Assert.Equal(2, result.Findings);
        Assert.Equal([BackupObligations.DailyKind, BackupObligations.RestoreTestKind], (await OverdueAsync(kit)).Select(f => f.SubKey).Order(StringComparer.Ordinal));
        Assert.Equal(0, (await SweepAsync(kit)).Findings);
        Assert.True((await LatestAsync(kit, BackupObligations.CopyKind))!.Done);
    }

    [Fact]
    public async Task A_copy_into_the_same_region_does_not_count_and_the_missed_copy_is_a_finding()
    {
        var kit = await NewAsync(T0);
        await IngestAsync(kit, BackupJob(T0.AddHours(1)));
        await IngestAsync(kit, CopyJob(T0.AddHours(2), destinationRegion: "us-east-2"));
        Assert.False((await LatestAsync(kit, BackupObligations.CopyKind))!.Done);
        kit.Clock.SetUtcNow(T0.AddHours(28));
        await SweepAsync(kit);
        Assert.Contains(await OverdueAsync(kit), f => f.SubKey == BackupObligations.CopyKind && f.Status == FindingStatus.Open);
        // A late copy into another region satisfies it and the sweep resolves the finding.
        await IngestAsync(kit, CopyJob(T0.AddHours(28)));
        await SweepAsync(kit);
        Assert.Equal(FindingStatus.Resolved, (await OverdueAsync(kit)).Single(f => f.SubKey == BackupObligations.CopyKind).Status);
    }

    [Fact]
    public async Task A_restore_test_within_the_RTO_restarts_the_quarter_and_one_slower_than_the_RTO_does_not()
    {
        var kit = await NewAsync(T0);
        await IngestAsync(kit, BackupJob(T0.AddHours(1)));
        var first = (await LatestAsync(kit, BackupObligations.RestoreTestKind))!;
        Assert.Equal(T0.AddHours(1).AddDays(92), first.DueAt);

        await IngestAsync(kit, RestoreJob(T0.AddDays(10), TimeSpan.FromHours(5))); // RTO is 4 h
        Assert.False((await kit.Store.GetAsync(first.Id))!.Done);
        await IngestAsync(kit, RestoreJob(T0.AddDays(11), TimeSpan.FromMinutes(5)));
        Assert.True((await kit.Store.GetAsync(first.Id))!.Done);
        Assert.Equal(T0.AddDays(11 + 92), (await LatestAsync(kit, BackupObligations.RestoreTestKind))!.DueAt);
    }

    public static TheoryData<int[]> Orders() => new() { new[] { 0, 1, 2 }, new[] { 2, 1, 0 }, new[] { 1, 0, 2 }, new[] { 2, 0, 1, 1, 0 } };

    [Theory]
    [MemberData(nameof(Orders))]
    public async Task Delivery_order_and_duplicates_do_not_change_what_is_owed(int[] order)
    {
        var kit = await NewAsync(T0.AddDays(2));
        // Two daily backups and the second one's copy, delivered in any order (AWS Backup events are best effort).
        byte[][] events = [BackupJob(T0.AddHours(1)), BackupJob(T0.AddHours(25)), CopyJob(T0.AddHours(26))];
        foreach (var i in order) await IngestAsync(kit, events[i]);

        var daily = (await LatestAsync(kit, BackupObligations.DailyKind))!;
        Assert.Equal((false, T0.AddHours(25 + 26)), (daily.Done, daily.DueAt));
        var copy = (await LatestAsync(kit, BackupObligations.CopyKind))!;
        Assert.True(copy.Done);
        var open = new List<Obligation>();
        foreach (var kind in BackupObligations.Kinds) open.AddRange((await kit.Store.QueryKindAsync(kind, 50)).Items.Where(o => !o.Done));
        Assert.Equal([(BackupObligations.DailyKind, T0.AddHours(51)), (BackupObligations.RestoreTestKind, T0.AddHours(1).AddDays(92))],
            open.Select(o => (o.Kind, o.DueAt)).OrderBy(x => x.Kind, StringComparer.Ordinal));
        // Nothing is overdue at T0+2d whatever the order.
        Assert.Equal(0, (await SweepAsync(kit)).Findings);
    }

    [Fact]
    public async Task A_failed_job_satisfies_nothing_and_a_deleted_resource_owes_nothing_more()
    {
        var kit = await NewAsync(T0);
        await IngestAsync(kit, TableSeen(T0));
        await IngestAsync(kit, BackupJob(T0.AddHours(1), state: "FAILED"));
        Assert.False((await LatestAsync(kit, BackupObligations.DailyKind))!.Done);

        await IngestAsync(kit, TableSeen(T0.AddHours(3), changeType: "DELETE", status: "ResourceDeleted"));
        foreach (var kind in BackupObligations.Kinds)
            Assert.True(await LatestAsync(kit, kind) is null or { Done: true });
        kit.Clock.SetUtcNow(T0.AddDays(100));
        Assert.Equal(0, (await SweepAsync(kit)).Findings);
    }

    [Fact]
    public void The_backup_overdue_rule_judges_only_backup_cycles_past_their_due_instant()
    {
        var rule = new ClockMissedRule();
        var spec = BackupObligations.Daily(Table, T0, false, new BackupSettings(), Account, "us-east-2");
        var obligation = new Obligation { Id = Obligation.IdFor(spec.Kind, spec.Subject, spec.Period), Spec = spec };
        var late = TestContexts.At("2026-03-05T00:00:00Z");
        Assert.Equal(Outcome.Finding, Assert.Single(rule.Evaluate(Inputs.ObligationInput.From(obligation), late)).Outcome);
        Assert.Empty(rule.Evaluate(Inputs.ObligationInput.From(obligation), TestContexts.At("2026-03-01T12:00:00Z")));
        var duty = obligation with { Spec = spec with { Kind = "duty.access-review" } };
        Assert.Empty(rule.Evaluate(Inputs.ObligationInput.From(duty), late));
    }
}
