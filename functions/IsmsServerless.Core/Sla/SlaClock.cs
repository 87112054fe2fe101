using IsmsServerless.Model;
using IsmsServerless.Settings;

namespace IsmsServerless.Sla;

/// <summary>A finding's deadline, fixed at first detection, and where "now" sits against it.</summary>
public sealed record SlaDeadline(DateTimeOffset StartedAt, DateTimeOffset AtRiskAt, DateTimeOffset DueAt)
{
    /// <summary>
    /// open before <see cref="AtRiskAt"/>, at-risk from it, breached once <see cref="DueAt"/> has passed.
    /// Exactly at <see cref="DueAt"/> the finding is still within its SLA ("within 7 days" includes the 7th day's instant).
    /// </summary>
    public SlaState StateAt(DateTimeOffset now) =>
        now > DueAt ? SlaState.Breached : now >= AtRiskAt ? SlaState.AtRisk : SlaState.Open;

    /// <summary>The next instant at which the state changes, or null once breached (the sweep's timer).</summary>
    public DateTimeOffset? NextTransitionAfter(DateTimeOffset now) =>
        now < AtRiskAt ? AtRiskAt : now <= DueAt ? DueAt.AddTicks(1) : null;
}

/// <summary>Computes SLA deadlines from rule metadata and settings. Pure: the caller supplies "now".</summary>
public sealed class SlaClock(IsmsSettings settings)
{
    /// <summary>The window for an evaluation: the rule's own SLA, else the severity's, else none.</summary>
    public TimeSpan? WindowFor(Evaluation evaluation) =>
        !evaluation.Rule.HasSla ? null
        // A rule that downgrades one evaluation to informational (a lone failed sign-in) records evidence, not a duty.
        : evaluation.SeverityOverride == Severity.Informational ? null
        : evaluation.SlaDeferred ? null
        : evaluation.WindowOverride ?? evaluation.Rule.Sla ?? settings.SlaFor(evaluation.Severity);

    /// <summary>
    /// The deadline for a finding first detected at <paramref name="detectedAt"/>. The clock starts at the
    /// earliest trustworthy time the event gives (<see cref="Evaluation.ClockStart"/>), never later than detection,
    /// and never in the future (a clock-skewed source must not buy time).
    /// </summary>
    public SlaDeadline? DeadlineFor(Evaluation evaluation, DateTimeOffset detectedAt)
    {
        var window = WindowFor(evaluation);
        if (window is null) return null;
        var start = evaluation.ClockStart is { } s && s < detectedAt ? s : detectedAt;
        return Create(start, window.Value);
    }

    public SlaDeadline Create(DateTimeOffset start, TimeSpan window)
    {
        var atRisk = start + TimeSpan.FromTicks((long)(window.Ticks * settings.AtRiskShare));
        return new SlaDeadline(start, atRisk, start + window);
    }
}
