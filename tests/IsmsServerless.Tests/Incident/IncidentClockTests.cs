using IsmsServerless.Incidents;
using IsmsServerless.Settings;
using Microsoft.Extensions.Time.Testing;

namespace IsmsServerless.Tests.Incident;

/// <summary>The incident clocks and the correlator are pure: a fake clock drives them, no store involved.</summary>
public sealed class IncidentClockTests
{
    private static readonly DateTimeOffset Start = DateTimeOffset.Parse("2026-03-01T10:17:00Z", System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public void The_three_clocks_follow_the_policy_and_the_settings()
    {
        var clocks = IncidentClocks.For(Start, new IncidentSettings());
        Assert.Equal(["acknowledge", "document", "review"], clocks.Select(c => c.Name));
        Assert.Equal(Start.AddHours(1), clocks[0].DueAt);
        Assert.Equal(Start.AddHours(24), clocks[1].DueAt);
        Assert.Equal(Start.AddDays(7), clocks[2].DueAt);
        var custom = IncidentClocks.For(Start, new IncidentSettings { AcknowledgeHours = 2, DocumentHours = 48, ReviewDays = 14 });
        Assert.Equal([Start.AddHours(2), Start.AddHours(48), Start.AddDays(14)], custom.Select(c => c.DueAt));
    }

    [Fact]
    public void A_fake_clock_walks_through_each_deadline_inclusive_at_the_instant()
    {
        var clock = new FakeTimeProvider(Start);
        var clocks = IncidentClocks.For(Start, new IncidentSettings());
        Assert.Equal("acknowledge", IncidentClocks.NextDue(clocks, clock.GetUtcNow())!.Name);
        clock.Advance(TimeSpan.FromHours(1));
        Assert.Empty(IncidentClocks.MissedAt(clocks, clock.GetUtcNow()));
        clock.Advance(TimeSpan.FromTicks(1));
        Assert.Equal(["acknowledge"], IncidentClocks.MissedAt(clocks, clock.GetUtcNow()).Select(c => c.Name));
        Assert.Equal("document", IncidentClocks.NextDue(clocks, clock.GetUtcNow())!.Name);
    }

    [Fact]
    public void A_sweep_that_was_down_across_two_deadlines_sees_both_missed_when_it_returns()
    {
        var clock = new FakeTimeProvider(Start);
        var clocks = IncidentClocks.For(Start, new IncidentSettings());
        clock.Advance(TimeSpan.FromHours(30));
        Assert.Equal(["acknowledge", "document"], IncidentClocks.MissedAt(clocks, clock.GetUtcNow()).Select(c => c.Name));
        Assert.Equal("review", IncidentClocks.NextDue(clocks, clock.GetUtcNow())!.Name);
        clock.Advance(TimeSpan.FromDays(8));
        Assert.Equal(3, IncidentClocks.MissedAt(clocks, clock.GetUtcNow()).Count);
        Assert.Null(IncidentClocks.NextDue(clocks, clock.GetUtcNow()));
    }

    [Fact]
    public void Correlation_groups_by_cause_and_window_and_ignores_order()
    {
        var settings = new IncidentSettings { CorrelationWindowHours = 24 };
        var signals = new List<IncidentSignal>
        {
            new("111122223333", "i-0d6c314027f74dc82", Start, "gd-1"),
            new("111122223333", "i-0d6c314027f74dc82", Start.AddMinutes(25), "gd-2"),
            new("111122223333", "i-0d6c314027f74dc82", Start.AddHours(5), "gd-3"),
            new("111122223333", "i-0a1b2c3d4e5f60718", Start.AddMinutes(3), "gd-4"),
            new("111122223333", "i-0d6c314027f74dc82", Start.AddDays(2), "gd-5"),
        };
        var forward = IncidentCorrelator.Correlate(signals, settings);
        Assert.Equal(3, forward.Count);
        var first = Assert.Single(forward, i => i.Subject == "i-0d6c314027f74dc82" && i.Signals.Count == 3);
        Assert.Equal(Start, first.OpenedAt);
        Assert.Equal(["gd-1", "gd-2", "gd-3"], first.Signals.Select(s => s.SignalId));

        var random = new Random(17);
        for (var round = 0; round < 20; round++)
        {
            var shuffled = signals.OrderBy(_ => random.Next()).ToList();
            var again = IncidentCorrelator.Correlate(shuffled, settings);
            Assert.Equal(forward.Select(i => (i.IncidentId, i.Signals.Count, i.OpenedAt)), again.Select(i => (i.IncidentId, i.Signals.Count, i.OpenedAt)));
        }
        // The id is a pure function of the cause and window: each signal alone names its incident.
        Assert.All(first.Signals, s => Assert.Equal(first.IncidentId, IncidentCorrelator.IncidentId(s, settings)));
    }

    [Fact]
    public void Windows_are_aligned_and_a_narrower_window_splits_one_cause()
    {
        var one = new IncidentSettings { CorrelationWindowHours = 1 };
        Assert.Equal(DateTimeOffset.Parse("2026-03-01T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture), IncidentCorrelator.WindowStart(Start, one));
        var signals = new[] { new IncidentSignal("a", "r", Start, "1"), new IncidentSignal("a", "r", Start.AddHours(2), "2") };
        Assert.Equal(2, IncidentCorrelator.Correlate(signals, one).Count);
        Assert.Single(IncidentCorrelator.Correlate(signals, new IncidentSettings()));
    }

    [Fact]
    public void Incident_settings_are_validated()
    {
        var errors = new IsmsSettings { Incidents = new IncidentSettings { GuardDutyMinSeverity = 11, MinSeverity = "SEVERE", DocumentHours = 0, CorrelationWindowHours = 0 } }.Validate();
        Assert.Contains(errors, e => e.Contains("incidents.guardDutyMinSeverity", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("incidents.minSeverity", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("incidents.documentHours", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("incidents.correlationWindowHours", StringComparison.Ordinal));
        Assert.Empty(IsmsSettings.Default.Validate());
    }
}
