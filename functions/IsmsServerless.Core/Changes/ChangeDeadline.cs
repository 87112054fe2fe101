using IsmsServerless.Model;
using IsmsServerless.Settings;

namespace IsmsServerless.Changes;

/// <summary>What the sweep must do for a pending change at a given instant.</summary>
public enum ChangeTimerAction
{
    None,
    Remind,
    Overdue,
}

/// <summary>
/// A change's review deadline: due <see cref="IsmsSettings.ChangeReviewHours"/> after its first call, reminders at
/// <see cref="IsmsSettings.ChangeReviewReminderShares"/> of the window, then overdue. Pure: the caller supplies "now".
/// Stage n means the first n timers (reminders, then overdue) have fired.
/// </summary>
public sealed class ChangeDeadline(IsmsSettings settings)
{
    public TimeSpan Window => TimeSpan.FromHours(settings.ChangeReviewHours);

    /// <summary>When the current review round started: the first call, or the first call after the previous review.</summary>
    public static DateTimeOffset RoundStart(ChangeRecord record) => record.RoundStartedAt ?? record.FirstCallAt;

    public DateTimeOffset DueAt(ChangeRecord record) => RoundStart(record) + Window;

    /// <summary>Reminder instants: <see cref="IsmsSettings.ChangeReviewReminderShares"/> of the window after the round's start (the first call, or the first call after the previous review).</summary>
    public IReadOnlyList<DateTimeOffset> Reminders(ChangeRecord record) =>
        [.. settings.ChangeReviewReminderShares.Select(share => RoundStart(record) + TimeSpan.FromTicks((long)(Window.Ticks * share)))];

    /// <summary>
    /// Timer instants in order: each reminder, then the instant just after the due time (overdue). The change review is
    /// an obligation (<see cref="ChangeReviewObligations"/>): this is the obligations' one schedule, not a second clock.
    /// </summary>
    public IReadOnlyList<DateTimeOffset> Timers(ChangeRecord record) => Obligations.ObligationSchedule.Timers(new Obligations.ObligationSpec
    {
        Kind = ChangeReviewObligations.Kind,
        Subject = record.ChangeId,
        Title = record.ChangeId,
        OpensAt = RoundStart(record),
        DueAt = DueAt(record),
        Reminders = Reminders(record),
    });

    public int OverdueStage => settings.ChangeReviewReminderShares.Count + 1;

    /// <summary>The next timer not yet fired, or null when reviewed or everything fired.</summary>
    public DateTimeOffset? NextTimer(ChangeRecord record)
    {
        // A reviewed record keeps one timer while its ledger items (the change, and the overdue finding if any) still
        // have to be resolved.
        if (record.Review is { } review) return record.FindingResolved ? null : review.ReviewedAt;
        var timers = Timers(record);
        return record.TimerStage < timers.Count ? timers[record.TimerStage] : null;
    }

    /// <summary>
    /// What is due at <paramref name="now"/> and the stage it leads to. When several timers passed (the sweep was
    /// down), only the latest fires: one overdue alert, not a reminder followed by it.
    /// </summary>
    public (ChangeTimerAction Action, int Stage) Due(ChangeRecord record, DateTimeOffset now)
    {
        if (record.Reviewed) return (ChangeTimerAction.None, record.TimerStage);
        var timers = Timers(record);
        var reached = timers.Count(t => t <= now);
        if (reached <= record.TimerStage) return (ChangeTimerAction.None, record.TimerStage);
        return (reached == timers.Count ? ChangeTimerAction.Overdue : ChangeTimerAction.Remind, reached);
    }

    /// <summary>The record's state as the status page and <c>evaluate</c> show it (SLA words: open, at-risk, breached).</summary>
    public SlaState StateAt(ChangeRecord record, DateTimeOffset now)
    {
        var timers = Timers(record);
        if (now >= timers[^1]) return SlaState.Breached;
        return timers.Count > 1 && now >= timers[0] ? SlaState.AtRisk : SlaState.Open;
    }

    public bool IsOverdue(ChangeRecord record, DateTimeOffset now) => !record.Reviewed && now > DueAt(record);
}
