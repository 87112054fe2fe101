using IsmsServerless.Model;
using IsmsServerless.Settings;
using IsmsServerless.Sla;

namespace IsmsServerless.Tests.Engine;

public sealed class SlaClockTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(0, SlaState.Open)]
    [InlineData(3.4999, SlaState.Open)]
    [InlineData(3.5, SlaState.AtRisk)] // 50% of 7 days
    [InlineData(7, SlaState.AtRisk)] // exactly on the deadline is still within SLA
    [InlineData(7.00001, SlaState.Breached)]
    [InlineData(30, SlaState.Breached)]
    public void Seven_day_window_moves_open_at_risk_breached(double days, SlaState expected)
    {
        var deadline = new SlaClock(IsmsSettings.Default).Create(Start, TimeSpan.FromDays(7));
        Assert.Equal(expected, deadline.StateAt(Start.AddDays(days)));
    }

    [Fact]
    public void At_risk_share_is_configurable()
    {
        var deadline = new SlaClock(IsmsSettings.Default with { AtRiskShare = 0.8 }).Create(Start, TimeSpan.FromDays(10));
        Assert.Equal(Start.AddDays(8), deadline.AtRiskAt);
        Assert.Equal(SlaState.Open, deadline.StateAt(Start.AddDays(7.9)));
    }

    [Fact]
    public void Next_transition_is_the_sweeps_timer()
    {
        var deadline = new SlaClock(IsmsSettings.Default).Create(Start, TimeSpan.FromDays(7));
        Assert.Equal(deadline.AtRiskAt, deadline.NextTransitionAfter(Start));
        Assert.Equal(deadline.DueAt.AddTicks(1), deadline.NextTransitionAfter(Start.AddDays(4)));
        Assert.Null(deadline.NextTransitionAfter(Start.AddDays(8)));
    }
}
