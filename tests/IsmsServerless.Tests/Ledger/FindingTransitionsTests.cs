using System.Globalization;
using Amazon.DynamoDBv2.Model;
using IsmsServerless.Ledger;
using IsmsServerless.Model;
using IsmsServerless.Settings;
using IsmsServerless.Sla;
using static IsmsServerless.Tests.Ledger.LedgerTestKit;

namespace IsmsServerless.Tests.Ledger;

/// <summary>The lifecycle rules as pure functions (no store): edge instants and ordering.</summary>
public sealed class FindingTransitionsTests
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.Parse("2026-03-01T00:00:00Z", CultureInfo.InvariantCulture);
    private static readonly SlaClock Sla = new(IsmsSettings.Default);

    [Fact]
    public void Clock_starts_at_the_event_time_but_never_in_the_future()
    {
        var fromEvent = FindingTransitions.OnFinding(null, Finding(PatchRule, "i-1", T0.AddDays(-2)), Sla, T0)!.After;
        Assert.Equal(T0.AddDays(6), fromEvent.DueAt);
        // A clock-skewed source claiming a future time must not buy time.
        var skewed = FindingTransitions.OnFinding(null, Finding(PatchRule, "i-1", T0.AddDays(3)), Sla, T0)!.After;
        Assert.Equal(T0.AddDays(8), skewed.DueAt);
    }

    [Fact]
    public void Timers_are_rounded_up_to_the_stored_millisecond_so_they_never_fire_early()
    {
        var at = T0.AddTicks(1);
        Assert.Equal(T0.AddMilliseconds(1), LedgerKeys.CeilingToMillisecond(at));
        Assert.Equal(T0, LedgerKeys.CeilingToMillisecond(T0));
        var f = FindingTransitions.OnFinding(null, Finding(PatchRule, "i-1", T0), Sla, T0)!.After;
        // After the at-risk mark the next timer is just past dueAt (exactly at dueAt the finding is still within SLA).
        Assert.Equal(T0.AddDays(8).AddMilliseconds(1), FindingTransitions.NextTimer(f with { SlaState = SlaState.AtRisk }, T0.AddDays(5)));
    }

    [Fact]
    public void On_equal_source_times_the_violation_wins_and_older_observations_never_override_newer()
    {
        var open = FindingTransitions.OnFinding(null, Finding(PatchRule, "i-1", T0), Sla, T0)!.After;
        // A compliant observation with the same source time does not hide the finding (documented tie-break).
        // It is remembered as the newest compliant verdict (a plain update, no transition), and the finding stays open.
        var tied = FindingTransitions.OnCompliant(open, Compliant(PatchRule, "i-1", T0), T0);
        Assert.Null(tied?.Action);
        Assert.Equal((FindingStatus.Open, T0), (tied!.After.Status, tied.After.LastCompliantAt!.Value));
        Assert.Null(FindingTransitions.OnCompliant(tied.After, Compliant(PatchRule, "i-1", T0), T0));
        var resolved = FindingTransitions.OnCompliant(open, Compliant(PatchRule, "i-1", T0.AddSeconds(1)), T0)!.After;
        Assert.Equal(FindingStatus.Resolved, resolved.Status);
        // An older violation never reopens; one at the resolving observation's own instant does (the violation wins).
        Assert.Null(FindingTransitions.OnFinding(resolved, Finding(PatchRule, "i-1", T0), Sla, T0));
        Assert.Equal("reopened", FindingTransitions.OnFinding(resolved, Finding(PatchRule, "i-1", T0.AddSeconds(1)), Sla, T0)!.Action);
        // A late deletion older than the last violation does not close it.
        Assert.Null(FindingTransitions.OnResourceGone(open, "system:ingest", "deleted", T0.AddSeconds(-1)));
        Assert.Null(FindingTransitions.OnResourceGone(open, "system:ingest", "deleted", T0));
        Assert.Equal("resolved", FindingTransitions.OnResourceGone(open, "system:ingest", "deleted", T0.AddSeconds(1))!.Action);
    }

    [Fact]
    public void Ledger_time_format_is_fixed_width_and_sorts_as_time()
    {
        var times = new[] { T0, T0.AddMilliseconds(1), T0.AddYears(1), T0.AddDays(-400) };
        var keys = times.Select(LedgerKeys.Instant).ToList();
        Assert.All(keys, k => Assert.Equal(24, k.Length));
        Assert.Equal(times.Order().Select(LedgerKeys.Instant), keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Long_resource_ids_are_hashed_in_keys()
    {
        var key = LedgerKeys.ResourcePartition(new string('x', 5000));
        Assert.StartsWith("RESOURCE#sha256:", key, StringComparison.Ordinal);
        Assert.Equal("RESOURCE#i-123", LedgerKeys.ResourcePartition("i-123"));
    }

    [Fact]
    public void Page_cursor_round_trips_and_rejects_garbage()
    {
        var key = new Dictionary<string, AttributeValue> { ["PK"] = new() { S = "FINDING#f-1" }, ["SK"] = new() { S = "META" }, ["GSI1PK"] = new() { S = "STATUS#open" } };
        var decoded = PageCursor.Decode(PageCursor.Encode(key))!;
        Assert.Equal(key.ToDictionary(kv => kv.Key, kv => kv.Value.S), decoded.ToDictionary(kv => kv.Key, kv => kv.Value.S));
        Assert.Throws<ArgumentException>(() => PageCursor.Decode("%%%"));
        Assert.Throws<ArgumentException>(() => PageCursor.Decode(new string('A', 5000)));
        Assert.Null(PageCursor.Decode(null));
    }
}
