namespace IsmsServerless.Obligations;

/// <summary>What the sweep must do for an obligation at a given instant.</summary>
public enum ObligationTimerAction
{
    None,
    Remind,
    Overdue,

    /// <summary>Attested after its overdue finding was raised: resolve that finding.</summary>
    Resolve,
}

/// <summary>
/// The one clock of every obligation: reminders at their instants, then overdue just after the due instant ("within 24
/// hours" includes the 24th hour's instant). Stage n means the first n timers fired. Pure: the caller supplies "now".
/// A sweep that was down across several timers fires only the latest: one overdue alert, not stale reminders first.
/// <para>
/// Opened late (replay, backlog, a delayed delivery): an obligation whose spec sets <see cref="ObligationSpec.LateOpenSettle"/>
/// and that was opened after its own due instant (<c>CreatedAt &gt; DueAt</c>) was never missed live, so it is not
/// raised at the next sweep. Every one of its timers moves to <c>max(due, CreatedAt + settle)</c>: during that window the
/// rest of the replay or backlog can still bring the evidence that satisfies it (judged by the evidence's own time, so
/// on time or late as it really was); after it, the sweep raises it once, dated by its real due instant, with no stale
/// reminders. Live-opened obligations are unaffected: a sweep down across their deadline raises them when it returns.
/// </para>
/// </summary>
public static class ObligationSchedule
{
    /// <summary>Timer instants in order: each reminder, then the instant just after the due time (overdue).</summary>
    public static IReadOnlyList<DateTimeOffset> Timers(ObligationSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var timers = spec.Reminders.Where(r => r < spec.DueAt).Distinct().Order().ToList();
        timers.Add(spec.DueAt.AddTicks(1));
        return timers;
    }

    /// <summary>
    /// The timers of a stored obligation: <see cref="Timers(ObligationSpec)"/>, except for one opened late (see the class
    /// remarks), whose timers all fall at <c>max(due, CreatedAt + settle)</c> (same count: stages keep their meaning).
    /// </summary>
    public static IReadOnlyList<DateTimeOffset> Timers(Obligation obligation)
    {
        ArgumentNullException.ThrowIfNull(obligation);
        var timers = Timers(obligation.Spec);
        if (!OpenedLate(obligation)) return timers;
        var settled = obligation.CreatedAt + obligation.Spec.LateOpenSettle!.Value;
        var at = settled > timers[^1] ? settled : timers[^1];
        return [.. timers.Select(_ => at)];
    }

    /// <summary>True when the obligation opts into late-open settling and was opened after its own due instant.</summary>
    public static bool OpenedLate(Obligation obligation)
    {
        ArgumentNullException.ThrowIfNull(obligation);
        return obligation.Spec.LateOpenSettle is { } settle && settle > TimeSpan.Zero && obligation.CreatedAt > obligation.Spec.DueAt;
    }

    public static int OverdueStage(ObligationSpec spec) => Timers(spec).Count;

    /// <summary>The start of the due window: the first reminder, else the opening.</summary>
    public static DateTimeOffset DueFrom(ObligationSpec spec)
    {
        var timers = Timers(spec);
        return timers.Count > 1 ? timers[0] : spec.OpensAt;
    }

    /// <summary>Whether the overdue escalation has fired (so a finding exists to resolve).</summary>
    public static bool OverdueRaised(Obligation obligation) => obligation.Stage >= OverdueStage(obligation.Spec);

    /// <summary>The next timer not yet fired; for an attested obligation, its attestation while its finding is unresolved.</summary>
    public static DateTimeOffset? NextTimer(Obligation obligation)
    {
        ArgumentNullException.ThrowIfNull(obligation);
        if (obligation.Attestation is { } attestation)
            return OverdueRaised(obligation) && !obligation.FindingResolved ? attestation.At : null;
        var timers = Timers(obligation);
        return obligation.Stage < timers.Count ? timers[obligation.Stage] : null;
    }

    /// <summary>What is due at <paramref name="now"/> and the stage it leads to.</summary>
    public static (ObligationTimerAction Action, int Stage) Due(Obligation obligation, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(obligation);
        if (obligation.Attestation is not null)
            return (OverdueRaised(obligation) && !obligation.FindingResolved ? ObligationTimerAction.Resolve : ObligationTimerAction.None, obligation.Stage);
        var timers = Timers(obligation);
        var reached = timers.Count(t => t <= now);
        if (reached <= obligation.Stage) return (ObligationTimerAction.None, obligation.Stage);
        return (reached == timers.Count ? ObligationTimerAction.Overdue : ObligationTimerAction.Remind, reached);
    }

    /// <summary>The state at <paramref name="now"/>, whatever the sweep has done so far (a late sweep never shows a stale state).</summary>
    public static ObligationState StateAt(Obligation obligation, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(obligation);
        if (obligation.Attestation is not null) return ObligationState.Done;
        if (now > obligation.Spec.DueAt) return ObligationState.Overdue;
        return now >= DueFrom(obligation.Spec) ? ObligationState.Due : ObligationState.Open;
    }
}
