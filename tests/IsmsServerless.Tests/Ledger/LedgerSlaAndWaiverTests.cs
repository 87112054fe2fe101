using System.Globalization;
using IsmsServerless.Ledger;
using IsmsServerless.Model;
using IsmsServerless.Tests.Support;
using static IsmsServerless.Tests.Ledger.LedgerTestKit;

namespace IsmsServerless.Tests.Ledger;

[Collection(DynamoDbCollection.Name)]
public sealed class LedgerSlaAndWaiverTests(DynamoDbLocalFixture dynamo)
{
    // Detected at T0 with an 8-day SLA: at-risk from T0+4d (50%), breached after T0+8d.
    private static readonly DateTimeOffset T0 = DateTimeOffset.Parse("2026-03-01T00:00:00Z", CultureInfo.InvariantCulture);

    [Fact]
    public async Task Sla_escalates_open_to_at_risk_to_breached_and_each_escalation_alerts_once()
    {
        var kit = await CreateAsync(dynamo, "2026-03-01T00:00:00Z");
        var f = Finding(PatchRule, "i-sla", T0);
        await kit.Ledger.RecordAsync([f], kit.Context);

        kit.Clock.Advance(TimeSpan.FromDays(4) - TimeSpan.FromMilliseconds(1));
        Assert.Empty(await kit.Ledger.QueryDueBeforeAsync(kit.Now, 10));
        Assert.Equal(0, (await kit.Ledger.AdvanceTimersAsync(kit.Context)).Escalated);

        kit.Clock.Advance(TimeSpan.FromMilliseconds(1)); // exactly the at-risk mark
        Assert.Single(await kit.Ledger.QueryDueBeforeAsync(kit.Now, 10));
        var atRisk = await kit.Ledger.AdvanceTimersAsync(kit.Context);
        Assert.Equal(1, atRisk.Escalated);
        Assert.Single(atRisk.AlertIds);
        Assert.Equal(SlaState.AtRisk, (await kit.Ledger.GetAsync(f.FindingId))!.SlaState);
        // A second sweep at the same instant finds nothing due and alerts nothing.
        var again = await kit.Ledger.AdvanceTimersAsync(kit.Context);
        Assert.Equal(0, again.Escalated);
        Assert.Empty(again.AlertIds);

        kit.Clock.Advance(TimeSpan.FromDays(4)); // exactly dueAt: still within the SLA
        Assert.Equal(0, (await kit.Ledger.AdvanceTimersAsync(kit.Context)).Escalated);
        kit.Clock.Advance(TimeSpan.FromMilliseconds(1));
        var breached = await kit.Ledger.AdvanceTimersAsync(kit.Context);
        Assert.Equal(1, breached.Escalated);
        var stored = await kit.Ledger.GetAsync(f.FindingId);
        Assert.Equal(SlaState.Breached, stored!.SlaState);
        Assert.Null(stored.NextTimerAt);
        kit.Clock.Advance(TimeSpan.FromDays(30));
        Assert.Empty((await kit.Ledger.AdvanceTimersAsync(kit.Context)).AlertIds);

        var alerts = await kit.AlertsAsync(T0, kit.Now);
        Assert.Equal(["escalated", "escalated", "new"], alerts.Select(a => a.Kind).Order());
        Assert.Contains(alerts, a => a is { Kind: "escalated", SlaState: "at-risk" });
        Assert.Contains(alerts, a => a is { Kind: "escalated", SlaState: "breached" });
        var history = await kit.Ledger.GetHistoryAsync(f.FindingId);
        Assert.Equal([("open", "at-risk"), ("at-risk", "breached")], history.Where(h => h.Action == "escalated").Select(h => (h.FromState, h.ToState)));
        Assert.All(history.Where(h => h.Action == "escalated"), h => Assert.Equal("system:sweep", h.Actor));

        var overview = await kit.Ledger.GetOverviewAsync();
        Assert.Equal(1, overview.Total.Open);
        Assert.Equal(1, overview.Total.Breached);
        Assert.Equal(0, overview.Total.AtRisk);
        Assert.Equal(1, overview.ByControl[Controls.IsoVulnerabilities].Breached);
        Assert.Equal(1, overview.ByCategory["patch"].Open);
        Assert.Equal(1, overview.BySeverity["CRITICAL"].Open);
    }

    [Fact]
    public async Task Sweep_that_missed_the_at_risk_mark_escalates_straight_to_breached_with_one_alert()
    {
        var kit = await CreateAsync(dynamo, "2026-03-01T00:00:00Z");
        await kit.Ledger.RecordAsync([Finding(PatchRule, "i-late", T0)], kit.Context);
        kit.Clock.Advance(TimeSpan.FromDays(20));
        var result = await kit.Ledger.AdvanceTimersAsync(kit.Context);
        Assert.Equal(1, result.Escalated);
        Assert.Single(result.AlertIds);
    }

    [Fact]
    public async Task Finding_detected_late_starts_breached_from_its_event_time_and_alerts_once_as_new()
    {
        var kit = await CreateAsync(dynamo, "2026-03-20T00:00:00Z");
        var result = await kit.Ledger.RecordAsync([Finding(PatchRule, "i-old", T0)], kit.Context);
        Assert.Single(result.AlertIds);
        var f = (await kit.Ledger.QueryByStatusAsync(FindingStatus.Open, 10)).Items.Single();
        Assert.Equal(SlaState.Breached, f.SlaState);
        Assert.Equal(T0.AddDays(8), f.DueAt);
        Assert.Empty((await kit.Ledger.AdvanceTimersAsync(kit.Context)).AlertIds);
    }

    [Fact]
    public async Task Waiver_suppresses_escalation_and_its_expiry_reopens_the_finding_through_the_sweep()
    {
        var kit = await CreateAsync(dynamo, "2026-03-01T00:00:00Z");
        var f = Finding(PatchRule, "i-waived", T0);
        await kit.Ledger.RecordAsync([f], kit.Context);
        var waiver = new Waiver("platform-team", "vendor patch not yet certified", Controls.IsoVulnerabilities, T0.AddDays(10), "cto@example.com", kit.Now);

        var suppressed = await kit.Ledger.GrantWaiverAsync(f.FindingId, waiver);
        Assert.Equal(FindingStatus.Suppressed, suppressed.Status);
        Assert.Equal(waiver, suppressed.Waiver);

        kit.Clock.Advance(TimeSpan.FromDays(9)); // past at-risk and due, but waived: no escalation
        var during = await kit.Ledger.AdvanceTimersAsync(kit.Context);
        Assert.Empty(during.AlertIds);
        Assert.Equal(FindingStatus.Suppressed, (await kit.Ledger.GetAsync(f.FindingId))!.Status);
        Assert.Equal(1, (await kit.Ledger.GetOverviewAsync()).Total.Suppressed);

        kit.Clock.Advance(TimeSpan.FromDays(1)); // the waiver's expiry instant
        var expiry = await kit.Ledger.AdvanceTimersAsync(kit.Context);
        Assert.Equal(1, expiry.Reopened);
        Assert.Single(expiry.AlertIds);
        var reopened = await kit.Ledger.GetAsync(f.FindingId);
        Assert.Equal(FindingStatus.Open, reopened!.Status);
        Assert.Null(reopened.Waiver);
        Assert.Equal(SlaState.Breached, reopened.SlaState);
        var history = await kit.Ledger.GetHistoryAsync(f.FindingId);
        Assert.Equal(["created", "waived", "waiver-expired"], history.Select(h => h.Action));
        Assert.Contains("platform-team", history[1].Reason, StringComparison.Ordinal);
        Assert.Equal("cto@example.com", history[1].Actor);
        Assert.Equal("system:sweep", history[2].Actor);
        var alerts = await kit.AlertsAsync(T0, kit.Now);
        Assert.Equal(["new", "reopened"], alerts.Select(a => a.Kind).Order());
        // The next sweep does not reopen or alert again.
        Assert.Empty((await kit.Ledger.AdvanceTimersAsync(kit.Context)).AlertIds);
    }

    [Fact]
    public async Task Revoking_a_waiver_reopens_and_bad_waivers_are_refused()
    {
        var kit = await CreateAsync(dynamo);
        var f = Finding(PatchRule, "i-revoke", kit.Now);
        await kit.Ledger.RecordAsync([f], kit.Context);
        await Assert.ThrowsAsync<ArgumentException>(() => kit.Ledger.GrantWaiverAsync(f.FindingId, new Waiver("", "r", "c", kit.Now.AddDays(1), "cto", kit.Now)));
        await Assert.ThrowsAsync<ArgumentException>(() => kit.Ledger.GrantWaiverAsync(f.FindingId, new Waiver("o", "r", "c", kit.Now, "cto", kit.Now)));
        await kit.Ledger.GrantWaiverAsync(f.FindingId, new Waiver("o", "r", Controls.IsoVulnerabilities, kit.Now.AddDays(30), "cto", kit.Now));

        var revoked = await kit.Ledger.RevokeWaiverAsync(f.FindingId, "cto", "risk no longer accepted", kit.Now.AddHours(1));

        Assert.Equal(FindingStatus.Open, revoked.Status);
        Assert.Null(revoked.Waiver);
        Assert.NotNull(revoked.NextTimerAt);
        await Assert.ThrowsAsync<InvalidTransitionException>(() => kit.Ledger.RevokeWaiverAsync(f.FindingId, "cto", "again", kit.Now));
    }
}
