using IsmsServerless.Alerts;
using IsmsServerless.Backups;
using IsmsServerless.Engine;
using IsmsServerless.Heartbeats;
using IsmsServerless.Ledger;
using IsmsServerless.Model;
using IsmsServerless.Obligations;
using IsmsServerless.Settings;
using IsmsServerless.Sweep;
using IsmsServerless.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace IsmsServerless.Tests.Monitoring;

/// <summary>
/// The heartbeat sweep step against DynamoDB Local, end to end: real heartbeat items, the real DynamoDB ledger
/// (findings opened by silence, resolved when the source speaks again).
/// </summary>
[Collection(DynamoDbCollection.Name)]
public sealed class HeartbeatStepTests(DynamoDbLocalFixture dynamo)
{
    private const string Account = "111122223333";
    private const string Region = "eu-west-1";
    private static readonly DateTimeOffset Start = DateTimeOffset.Parse("2026-03-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture);

    private sealed record Harness(string Table, FakeTimeProvider Clock, EvaluationsRecorder Ledger, HeartbeatStep Step, HeartbeatRecorder Recorder);

    private async Task<Harness> NewAsync()
    {
        var table = await dynamo.NewTableAsync();
        var clock = new FakeTimeProvider(Start);
        var recorder = new HeartbeatRecorder(dynamo.Client, table, clock) { MinimumWriteInterval = TimeSpan.Zero };
        return new Harness(table, clock, new EvaluationsRecorder(new DynamoDbFindingLedger(dynamo.Client, table, IsmsSettings.Default)), new HeartbeatStep(RuleRegistry.CreateDefault(), Account, Region), recorder);
    }

    private async Task<(SweepStepResult Result, IReadOnlyList<Evaluation> Recorded)> RunAsync(Harness h)
    {
        var context = new SweepContext(dynamo.Client, h.Table, h.Ledger, new EvaluationContext(IsmsSettings.Default, h.Clock));
        var before = h.Ledger.Recorded.Count;
        var result = await h.Step.RunAsync(context, CancellationToken.None);
        return (result, h.Ledger.Recorded.Skip(before).ToList());
    }

    private static Evaluation Only(IReadOnlyList<Evaluation> evaluations, string ruleId) => Assert.Single(evaluations, e => e.Rule.Id == ruleId);

    [Fact]
    public async Task First_run_starts_watching_and_raises_nothing()
    {
        var h = await NewAsync();
        var (result, recorded) = await RunAsync(h);
        Assert.Equal(0, result.Findings);
        Assert.All(recorded, e => Assert.Equal(Outcome.Compliant, e.Outcome));
        // Config, CloudTrail, Inspector and AWS Backup in the home scope; no sweep gap to judge yet.
        Assert.Equal(4, recorded.Count);
        var (heartbeats, watchStarted) = await HeartbeatReader.ReadAsync(dynamo.Client, h.Table);
        Assert.Equal(Start, watchStarted);
        Assert.Contains(heartbeats, b => b is { Source: HeartbeatSources.Sweep, AccountId: Account, Region: Region });
    }

    [Fact]
    public async Task Silence_becomes_findings_and_the_source_speaking_again_resolves_them()
    {
        var h = await NewAsync();
        await RunAsync(h);
        await h.Recorder.WriteAsync(HeartbeatSources.CloudTrail, Account, Region, "AWS API Call via CloudTrail");

        // The sweep itself was down for a day: nothing ran between now and then.
        h.Clock.Advance(TimeSpan.FromHours(25));
        var (result, recorded) = await RunAsync(h);
        Assert.Equal(Outcome.Finding, Only(recorded, "monitoring.config-recorder-silent").Outcome);
        Assert.Equal(Outcome.Finding, Only(recorded, "monitoring.cloud-trail-silent").Outcome);
        Assert.Equal(Outcome.Compliant, Only(recorded, "monitoring.inspector-silent").Outcome);
        var gap = Only(recorded, "monitoring.sweep-not-run");
        Assert.Equal(Outcome.Finding, gap.Outcome);
        Assert.Equal(Start.AddMinutes(45), gap.ClockStart);
        Assert.Equal(3, result.Findings);
        var opened = await h.Ledger.GetAsync(Only(recorded, "monitoring.cloud-trail-silent").FindingId);
        Assert.Equal(FindingStatus.Open, opened!.Status);
        Assert.Equal(Category.Monitoring, opened.Category);
        Assert.Contains(result.Notes, n => n.Contains("No aws.config event from account 111122223333 in eu-west-1", StringComparison.Ordinal));

        await h.Recorder.WriteAsync(HeartbeatSources.Config, Account, Region, "Config Configuration History Delivery Status");
        await h.Recorder.WriteAsync(HeartbeatSources.CloudTrail, Account, Region, "AWS API Call via CloudTrail");
        h.Clock.Advance(TimeSpan.FromMinutes(15));
        (result, recorded) = await RunAsync(h);
        Assert.Equal(0, result.Findings);
        Assert.Equal(3, result.Resolved);
        foreach (var ruleId in new[] { "monitoring.config-recorder-silent", "monitoring.cloud-trail-silent", "monitoring.sweep-not-run" })
        {
            var compliant = Only(recorded, ruleId);
            Assert.Equal(Outcome.Compliant, compliant.Outcome);
            var finding = await h.Ledger.GetAsync(compliant.FindingId);
            Assert.Equal(FindingStatus.Resolved, finding!.Status);
        }
    }

    [Fact]
    public async Task A_member_account_that_falls_silent_is_judged_on_its_own()
    {
        var h = await NewAsync();
        await RunAsync(h);
        await h.Recorder.WriteAsync(HeartbeatSources.CloudTrail, "444455556666", Region, "AWS API Call via CloudTrail");
        h.Clock.Advance(TimeSpan.FromHours(20));
        await h.Recorder.WriteAsync(HeartbeatSources.CloudTrail, Account, Region, "AWS API Call via CloudTrail");
        h.Clock.Advance(TimeSpan.FromHours(5));
        var (_, recorded) = await RunAsync(h);
        var cloudTrail = recorded.Where(e => e.Rule.Id == "monitoring.cloud-trail-silent").ToList();
        Assert.Equal(Outcome.Finding, Assert.Single(cloudTrail, e => e.AccountId == "444455556666").Outcome);
        Assert.Equal(Outcome.Compliant, Assert.Single(cloudTrail, e => e.AccountId == Account).Outcome);
    }

    [Fact]
    public async Task Backup_silence_for_a_day_plus_grace_is_a_backup_finding_even_when_the_sweep_was_down_across_the_deadline()
    {
        var h = await NewAsync();
        await OpenDailyAsync(h, Db, Start);
        await RunAsync(h);
        await h.Recorder.WriteAsync(HeartbeatSources.Backup, Account, Region, "Backup Job State Change");

        // 25 h after the last backup event: within 24 h + 2 h grace.
        h.Clock.Advance(TimeSpan.FromHours(25));
        var (_, recorded) = await RunAsync(h);
        Assert.Equal(Outcome.Compliant, Only(recorded, "backup.no-backup-activity").Outcome);

        // The sweep then stops for three days, straight across the 26 h deadline; its first run back sees the silence,
        // dated from when the deadline passed, not from when the sweep noticed.
        h.Clock.Advance(TimeSpan.FromDays(3));
        (_, recorded) = await RunAsync(h);
        var silent = Only(recorded, "backup.no-backup-activity");
        Assert.Equal(Outcome.Finding, silent.Outcome);
        Assert.Equal(Category.Backup, silent.Rule.Category);
        Assert.Equal(Start.AddHours(26), silent.ClockStart);
        Assert.Equal(FindingStatus.Open, (await h.Ledger.GetAsync(silent.FindingId))!.Status);

        // A backup event again resolves it.
        await h.Recorder.WriteAsync(HeartbeatSources.Backup, Account, Region, "Backup Job State Change");
        h.Clock.Advance(TimeSpan.FromMinutes(15));
        (_, recorded) = await RunAsync(h);
        Assert.Equal(Outcome.Compliant, Only(recorded, "backup.no-backup-activity").Outcome);
        Assert.Equal(FindingStatus.Resolved, (await h.Ledger.GetAsync(silent.FindingId))!.Status);
    }

    private const string Db = "arn:aws:rds:eu-west-1:111122223333:db:orders";

    private Task<OpenResult> OpenDailyAsync(Harness h, string resource, DateTimeOffset at) =>
        new DynamoObligationStore(dynamo.Client, h.Table, IsmsSettings.Default)
            .OpenAsync(BackupObligations.Daily(resource, at, true, IsmsSettings.Default.Backup, Account, Region), at);

    [Fact]
    public async Task Backup_silence_is_not_judged_while_no_resource_is_in_scope()
    {
        var h = await NewAsync();
        await RunAsync(h);
        // A week with no AWS Backup event at all, and nothing in scope (no open backup.daily obligation): no finding.
        h.Clock.Advance(TimeSpan.FromDays(7));
        var (result, recorded) = await RunAsync(h);
        var backup = Only(recorded, "backup.no-backup-activity");
        Assert.Equal(Outcome.Compliant, backup.Outcome);
        Assert.Contains("No resource in backup scope", backup.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(result.Notes, n => n.Contains("aws.backup", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_resource_in_scope_with_no_backup_event_ever_is_silence_counted_from_when_it_came_into_scope_even_across_a_down_sweep()
    {
        var h = await NewAsync();
        await RunAsync(h);
        // Ten days of nothing in scope, then the database comes into scope (its Config item opens the first-seen cycle).
        h.Clock.Advance(TimeSpan.FromDays(10));
        var inScopeAt = h.Clock.GetUtcNow();
        await OpenDailyAsync(h, Db, inScopeAt);

        // Not measured from the start of watching (ten days ago): 25 h after coming into scope is within 24 h + 2 h.
        h.Clock.Advance(TimeSpan.FromHours(25));
        var (_, recorded) = await RunAsync(h);
        Assert.Equal(Outcome.Compliant, Only(recorded, "backup.no-backup-activity").Outcome);

        // The sweep is then down for two days, across the deadline; no aws.backup event was ever seen: silence, dated
        // from the deadline.
        h.Clock.Advance(TimeSpan.FromDays(2));
        (_, recorded) = await RunAsync(h);
        var silent = Only(recorded, "backup.no-backup-activity");
        Assert.Equal(Outcome.Finding, silent.Outcome);
        Assert.Equal(inScopeAt.AddHours(26), silent.ClockStart);
        Assert.Equal("never since monitoring started", silent.Evidence["lastHeard"]);
        Assert.Equal(FindingStatus.Open, (await h.Ledger.GetAsync(silent.FindingId))!.Status);

        // The resource leaves scope (Config says it is gone: its cycle is closed): nothing is expected, the finding resolves.
        var store = new DynamoObligationStore(dynamo.Client, h.Table, IsmsSettings.Default);
        var open = await store.LatestForSubjectAsync(BackupObligations.DailyKind, Db);
        await store.AttestAsync(open!.Id, new Attestation("AWS Config", "system:config", h.Clock.GetUtcNow(), "resource gone", []));
        h.Clock.Advance(TimeSpan.FromMinutes(15));
        (_, recorded) = await RunAsync(h);
        Assert.Equal(Outcome.Compliant, Only(recorded, "backup.no-backup-activity").Outcome);
        Assert.Equal(FindingStatus.Resolved, (await h.Ledger.GetAsync(silent.FindingId))!.Status);
    }

    [Fact]
    public async Task The_scope_read_is_bounded_and_reports_an_incomplete_scan_as_unknown()
    {
        var h = await NewAsync();
        var store = new DynamoObligationStore(dynamo.Client, h.Table, IsmsSettings.Default);
        for (var i = 0; i < 3; i++) await OpenDailyAsync(h, $"arn:aws:rds:eu-west-1:111122223333:db:db{i}", Start.AddMinutes(i));

        Assert.Equal(new OpenOfKind(null, false), await store.FirstOpenOfKindAsync(BackupObligations.CopyKind, maxScanned: 2));
        Assert.Equal(new OpenOfKind(null, true), await store.FirstOpenOfKindAsync(BackupObligations.CopyKind));
        var daily = await store.FirstOpenOfKindAsync(BackupObligations.DailyKind, maxScanned: 1);
        Assert.True(daily.Complete);
        Assert.Equal("arn:aws:rds:eu-west-1:111122223333:db:db0", daily.First!.Subject);
    }

    /// <summary>The real DynamoDB ledger, with the evaluations the step handed it kept for assertions.</summary>
    private sealed class EvaluationsRecorder(DynamoDbFindingLedger inner) : IFindingLedger
    {
        public List<Evaluation> Recorded { get; } = [];

        public DynamoDbFindingLedger Inner => inner;

        public Task<LedgerWriteResult> RecordAsync(IReadOnlyList<Evaluation> evaluations, EvaluationContext context, CancellationToken cancellationToken = default)
        {
            Recorded.AddRange(evaluations);
            return inner.RecordAsync(evaluations, context, cancellationToken);
        }

        public Task<int> CloseResourceFindingsAsync(string resourceId, string actor, string reason, DateTimeOffset at, CancellationToken cancellationToken = default) => inner.CloseResourceFindingsAsync(resourceId, actor, reason, at, cancellationToken);
        public Task<FindingRecord?> GetAsync(string findingId, CancellationToken cancellationToken = default) => inner.GetAsync(findingId, cancellationToken);
        public Task<IReadOnlyList<HistoryEntry>> GetHistoryAsync(string findingId, CancellationToken cancellationToken = default) => inner.GetHistoryAsync(findingId, cancellationToken);
        public Task<Page<FindingRecord>> QueryByStatusAsync(FindingStatus status, int limit, string? cursor = null, CancellationToken cancellationToken = default) => inner.QueryByStatusAsync(status, limit, cursor, cancellationToken);
        public Task<Page<FindingRecord>> QueryByControlAsync(string control, int limit, string? cursor = null, CancellationToken cancellationToken = default) => inner.QueryByControlAsync(control, limit, cursor, cancellationToken);
        public Task<Page<FindingRecord>> QueryByResourceAsync(string resourceId, int limit, string? cursor = null, CancellationToken cancellationToken = default) => inner.QueryByResourceAsync(resourceId, limit, cursor, cancellationToken);
        public Task<IReadOnlyList<FindingRecord>> QueryDueBeforeAsync(DateTimeOffset at, int limit, CancellationToken cancellationToken = default) => inner.QueryDueBeforeAsync(at, limit, cancellationToken);
        public Task<FindingRecord> AcknowledgeAsync(string findingId, string actor, string reason, DateTimeOffset at, CancellationToken cancellationToken = default) => inner.AcknowledgeAsync(findingId, actor, reason, at, cancellationToken);
        public Task<FindingRecord> GrantWaiverAsync(string findingId, Waiver waiver, CancellationToken cancellationToken = default) => inner.GrantWaiverAsync(findingId, waiver, cancellationToken);
        public Task<FindingRecord> RevokeWaiverAsync(string findingId, string actor, string reason, DateTimeOffset at, CancellationToken cancellationToken = default) => inner.RevokeWaiverAsync(findingId, actor, reason, at, cancellationToken);
        public Task<LedgerWriteResult> AdvanceTimersAsync(EvaluationContext context, CancellationToken cancellationToken = default) => inner.AdvanceTimersAsync(context, cancellationToken);
        public Task<LedgerOverview> GetOverviewAsync(CancellationToken cancellationToken = default) => inner.GetOverviewAsync(cancellationToken);
        public Task<IReadOnlyList<TrendPoint>> GetTrendAsync(DateOnly from, DateOnly to, CancellationToken cancellationToken = default) => inner.GetTrendAsync(from, to, cancellationToken);
        public Task<IReadOnlyList<AlertRecord>> QueryAlertsAsync(DateOnly day, CancellationToken cancellationToken = default) => inner.QueryAlertsAsync(day, cancellationToken);
        public Task<Page<FindingRecord>> QueryFindingsAsync(FindingQuery query, CancellationToken cancellationToken = default) => inner.QueryFindingsAsync(query, cancellationToken);
        public Task<TrendPoint> WriteTrendSnapshotAsync(DateTimeOffset at, CancellationToken cancellationToken = default) => inner.WriteTrendSnapshotAsync(at, cancellationToken);
    }
}
