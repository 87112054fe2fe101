namespace IsmsServerless.Sweep;

/// <summary>
/// The scheduled sweep's duties, in order (shared list: each area appends its step). The ledger's timers run first,
/// so later steps (digests, trend) see escalations made in the same sweep.
/// </summary>
public static class SweepSteps
{
    public static IReadOnlyList<ISweepStep> DefaultSteps()
    {
        // One registry for every step that evaluates (built once per process by the sweep function's host).
        var registry = Engine.RuleRegistry.CreateDefault();
        return
        [
            new LedgerTimersStep(),
            HeartbeatStep.FromEnvironment(registry),
            // Obligations: open this period's duties, then every obligation timer (duties, change reviews, ...), after
            // draining change timers written before change reviews became obligations.
            DutyScheduleStep.FromEnvironment(),
            new Changes.ChangeReviewDeadlineStep(registry),
            // Changes: the optional Jira queue (issue per emergency / manual change, review comments); no-op when off.
            new Changes.Jira.JiraSyncStep(),
            new Drift.DriftRecheckStep(registry),
            // access: revoke/reduce decisions of the access review, resolved once Config shows the access gone
            new Access.AccessReviewRecheckStep(),
            .. Patch.SsmPatchSweepStep.FromEnvironmentIfConfigured(),
            new TrendSnapshotStep(),
            // Alerts: once a day, after the timers so the digest shows today's escalations.
            new Alerts.DailyDigestStep(),
        ];
    }
}

/// <summary>SLA escalation (open → at-risk → breached) and waiver expiry, through the ledger's timer index.</summary>
public sealed class LedgerTimersStep : ISweepStep
{
    public string Name => "ledger-timers";

    public async Task<SweepStepResult> RunAsync(SweepContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var result = await context.Ledger.AdvanceTimersAsync(context.Evaluation, cancellationToken).ConfigureAwait(false);
        var notes = new List<string>();
        if (result.Escalated > 0) notes.Add($"{result.Escalated} SLA escalation(s)");
        if (result.Reopened > 0) notes.Add($"{result.Reopened} waiver expiry reopen(s)");
        if (result.AlertIds.Count > 0) notes.Add($"{result.AlertIds.Count} alert(s)");
        if (result.Malformed > 0) notes.Add($"{result.Malformed} malformed finding item(s) skipped");
        var examined = result.Escalated + result.Reopened + result.Updated + result.Unchanged + result.Malformed + result.Resolved;
        return new SweepStepResult(Name, examined, result.Escalated + result.Reopened, result.Resolved, notes) { AlertIds = result.AlertIds };
    }
}

/// <summary>Writes today's counts as the trend snapshot (the last sweep of a day wins).</summary>
public sealed class TrendSnapshotStep : ISweepStep
{
    public string Name => "trend-snapshot";

    public async Task<SweepStepResult> RunAsync(SweepContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var point = await context.Ledger.WriteTrendSnapshotAsync(context.Evaluation.Now, cancellationToken).ConfigureAwait(false);
        return new SweepStepResult(Name, 1, 0, 0, [$"{point.Day:yyyy-MM-dd}: {point.Total.Active} active, {point.Total.Breached} breached"]);
    }
}
