using System.Globalization;
using IsmsServerless.Ledger;
using IsmsServerless.Model;
using IsmsServerless.Tests.Support;
using static IsmsServerless.Tests.Ledger.LedgerTestKit;

namespace IsmsServerless.Tests.Ledger;

[Collection(DynamoDbCollection.Name)]
public sealed class LedgerLifecycleTests(DynamoDbLocalFixture dynamo)
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.Parse("2026-02-28T12:00:00Z", CultureInfo.InvariantCulture);

    [Fact]
    public async Task Open_acknowledged_resolved_reopened_each_append_history_and_only_new_and_reopened_alert()
    {
        var kit = await CreateAsync(dynamo);
        var finding = Finding(PatchRule, "i-life", T0);
        await kit.Ledger.RecordAsync([finding], kit.Context);

        var acked = await kit.Ledger.AcknowledgeAsync(finding.FindingId, "cto@example.com", "patch window Saturday", kit.Now);
        Assert.Equal(FindingStatus.Acknowledged, acked.Status);
        // Acknowledging twice is a no-op, not a second history line.
        await kit.Ledger.AcknowledgeAsync(finding.FindingId, "cto@example.com", "again", kit.Now);

        kit.Clock.Advance(TimeSpan.FromHours(2));
        var resolved = await kit.Ledger.RecordAsync([Compliant(PatchRule, "i-life", T0.AddHours(1))], kit.Context);
        Assert.Equal(1, resolved.Resolved);
        var afterResolve = await kit.Ledger.GetAsync(finding.FindingId);
        Assert.Equal(FindingStatus.Resolved, afterResolve!.Status);
        Assert.Equal(kit.Now, afterResolve.ResolvedAt);
        Assert.Null(afterResolve.NextTimerAt);
        // Resolved findings expire by TTL after the documented retention; open ones never do.
        var raw = await kit.RawFindingAsync(finding.FindingId);
        Assert.Equal(kit.Now.AddDays(kit.Settings.ResolvedRetentionDays).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture), raw[LedgerSchema.TimeToLive].N);

        // The original (older) finding event redelivered does not reopen it.
        var stale = await kit.Ledger.RecordAsync([finding], kit.Context);
        Assert.Equal(1, stale.Unchanged);

        kit.Clock.Advance(TimeSpan.FromDays(1));
        var recurrence = await kit.Ledger.RecordAsync([Finding(PatchRule, "i-life", T0.AddDays(1))], kit.Context);
        Assert.Equal(1, recurrence.Reopened);
        Assert.Single(recurrence.AlertIds);
        var reopened = await kit.Ledger.GetAsync(finding.FindingId);
        Assert.Equal(FindingStatus.Open, reopened!.Status);
        Assert.Null(reopened.ResolvedAt);
        Assert.Equal(T0.AddDays(8), reopened.DueAt); // fixed at first detection
        Assert.False((await kit.RawFindingAsync(finding.FindingId)).ContainsKey(LedgerSchema.TimeToLive));

        var history = await kit.Ledger.GetHistoryAsync(finding.FindingId);
        Assert.Equal(["created", "acknowledged", "resolved", "reopened"], history.Select(h => h.Action));
        Assert.Equal([1, 2, 3, 4], history.Select(h => h.Sequence));
        Assert.Equal("cto@example.com", history[1].Actor);
        Assert.Equal("patch window Saturday", history[1].Reason);
        Assert.Equal(("acknowledged", "resolved"), (history[2].FromStatus, history[2].ToStatus));
        Assert.Equal(4, reopened.HistoryLength);
        var alerts = await kit.AlertsAsync(T0, kit.Now);
        Assert.Equal(["new", "reopened"], alerts.Select(a => a.Kind).Order());
    }

    [Fact]
    public async Task Compliant_evaluation_older_than_the_finding_does_not_resolve_it()
    {
        var kit = await CreateAsync(dynamo);
        await kit.Ledger.RecordAsync([Finding(PatchRule, "i-order", T0)], kit.Context);
        var result = await kit.Ledger.RecordAsync([Compliant(PatchRule, "i-order", T0.AddMinutes(-5))], kit.Context);
        Assert.Equal(0, result.Resolved);
        // Reported as superseded (the passing-evidence store skips it), and remembered as the newest compliant verdict.
        Assert.Equal([0], result.Superseded);
        var stored = (await kit.Ledger.GetAsync(Finding(PatchRule, "i-order", T0).FindingId))!;
        Assert.Equal((FindingStatus.Open, T0.AddMinutes(-5)), (stored.Status, stored.LastCompliantAt!.Value));
        Assert.Single(await kit.Ledger.GetHistoryAsync(stored.Id));
    }

    [Fact]
    public async Task Compliant_evaluation_for_an_unknown_finding_writes_nothing()
    {
        var kit = await CreateAsync(dynamo);
        var result = await kit.Ledger.RecordAsync([Compliant(PatchRule, "i-never", T0)], kit.Context);
        Assert.Equal(1, result.Unchanged);
        Assert.Empty((await kit.Ledger.QueryByStatusAsync(FindingStatus.Resolved, 10)).Items);
    }

    [Fact]
    public async Task Deleted_resource_closes_every_active_finding_on_it()
    {
        var kit = await CreateAsync(dynamo);
        await kit.Ledger.RecordAsync([Finding(PatchRule, "i-gone", T0, "KB1"), Finding(PatchRule, "i-gone", T0, "KB2"), Finding(PatchRule, "i-stays", T0)], kit.Context);
        await kit.Ledger.AcknowledgeAsync(Finding(PatchRule, "i-gone", T0, "KB2").FindingId, "ops", "on it", kit.Now);

        var closed = await kit.Ledger.CloseResourceFindingsAsync("i-gone", "system:ingest", "EC2 instance terminated", kit.Now);

        Assert.Equal(2, closed);
        var onResource = await kit.Ledger.QueryByResourceAsync("i-gone", 10);
        Assert.All(onResource.Items, f => Assert.Equal(FindingStatus.Resolved, f.Status));
        Assert.Equal(FindingStatus.Open, (await kit.Ledger.GetAsync(Finding(PatchRule, "i-stays", T0).FindingId))!.Status);
        var last = (await kit.Ledger.GetHistoryAsync(Finding(PatchRule, "i-gone", T0, "KB1").FindingId))[^1];
        Assert.Equal(("resolved", "system:ingest", "EC2 instance terminated"), (last.Action, last.Actor, last.Reason));
        Assert.Equal(0, await kit.Ledger.CloseResourceFindingsAsync("i-gone", "system:ingest", "again", kit.Now));
    }

    [Fact]
    public async Task Invalid_transitions_are_refused_and_change_nothing()
    {
        var kit = await CreateAsync(dynamo);
        var f = Finding(PatchRule, "i-bad", T0);
        await kit.Ledger.RecordAsync([f], kit.Context);
        await kit.Ledger.RecordAsync([Compliant(PatchRule, "i-bad", T0.AddHours(1))], kit.Context);

        await Assert.ThrowsAsync<InvalidTransitionException>(() => kit.Ledger.AcknowledgeAsync(f.FindingId, "x", "y", kit.Now));
        await Assert.ThrowsAsync<InvalidTransitionException>(() => kit.Ledger.GrantWaiverAsync(f.FindingId,
            new Waiver("owner", "reason", Controls.IsoVulnerabilities, kit.Now.AddDays(5), "cto", kit.Now)));
        await Assert.ThrowsAsync<KeyNotFoundException>(() => kit.Ledger.AcknowledgeAsync("f-doesnotexist", "x", "y", kit.Now));
        Assert.Equal(2, (await kit.Ledger.GetAsync(f.FindingId))!.HistoryLength);
    }

    [Fact]
    public async Task Finding_without_sla_has_no_deadline_no_timer_and_sorts_after_deadlines()
    {
        var kit = await CreateAsync(dynamo);
        await kit.Ledger.RecordAsync([Finding(MonitoringRule, "arn:aws:iam::123456789012:root", T0)], kit.Context);
        var f = Assert.Single((await kit.Ledger.QueryByStatusAsync(FindingStatus.Open, 10)).Items);
        Assert.Null(f.DueAt);
        Assert.Null(f.SlaState);
        Assert.Null(f.NextTimerAt);
        Assert.Empty(await kit.Ledger.QueryDueBeforeAsync(kit.Now.AddYears(10), 10));
    }

    [Fact]
    public async Task Rescored_severity_is_a_transition_that_reorders_the_finding_and_moves_the_counters_without_an_alert()
    {
        var kit = await CreateAsync(dynamo);
        var first = Finding(PatchRule, "i-rescore", T0);
        await kit.Ledger.RecordAsync([first], kit.Context);
        var rescored = Finding(PatchRule, "i-rescore", T0.AddHours(1)) with { SeverityOverride = Severity.Medium };

        var result = await kit.Ledger.RecordAsync([rescored], kit.Context);

        Assert.Empty(result.AlertIds);
        var f = await kit.Ledger.GetAsync(first.FindingId);
        Assert.Equal(Severity.Medium, f!.Severity);
        Assert.Equal(T0.AddDays(8), f.DueAt);
        Assert.Equal("severity-changed", (await kit.Ledger.GetHistoryAsync(f.Id))[^1].Action);
        Assert.Single((await kit.Ledger.QueryFindingsAsync(new FindingQuery { Severity = Severity.Medium })).Items);
        Assert.Empty((await kit.Ledger.QueryFindingsAsync(new FindingQuery { Severity = Severity.Critical })).Items);
        Assert.Single((await kit.Ledger.QueryFindingsAsync(new FindingQuery { Category = Category.Patch, Severity = Severity.Medium })).Items);
        var overview = await kit.Ledger.GetOverviewAsync();
        Assert.Equal(1, overview.BySeverity["MEDIUM"].Open);
        Assert.Equal(0, overview.BySeverity["CRITICAL"].Open);
    }
}
