using IsmsServerless.Engine;
using IsmsServerless.Model;
using IsmsServerless.Obligations;
using IsmsServerless.Observability;

namespace IsmsServerless.Sweep;

/// <summary>
/// The sweep's obligations step: Queries the obligations' timer partition (GSI4 <c>OBLIGATION#TIMER</c>, never a
/// Scan) for obligations whose next timer has passed and, for each:
/// <list type="bullet">
/// <item>a reminder: one alert in the outbox with the stage advance and state <c>due</c> (one transaction: sent once);</item>
/// <item>overdue: the kind's overdue finding in the findings ledger (which alerts), then the stage advance and state <c>overdue</c>;</item>
/// <item>attested after going overdue: the kind's compliant evaluation, which resolves the finding.</item>
/// </list>
/// The ledger write comes before the stage advance, so a crash repeats the (idempotent) ledger write instead of losing
/// it. A sweep that was down across several timers fires only the latest (no stale reminders before the overdue).
/// </summary>
public sealed class ObligationSweepStep(RuleRegistry registry, Func<SweepContext, IObligationStore>? storeFactory = null, string name = "obligations") : ISweepStep
{
    public const int BatchSize = 200;

    public string Name => name;

    public async Task<SweepStepResult> RunAsync(SweepContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var store = storeFactory?.Invoke(context) ?? new DynamoObligationStore(context.Dynamo, context.TableName, context.Evaluation.Settings);
        var kinds = ObligationKinds.Default(registry);
        var now = context.Evaluation.Now;
        var due = await store.QueryTimersDueAsync(now, BatchSize, cancellationToken).ConfigureAwait(false);
        int findings = 0, resolved = 0;
        var notes = new List<string>();
        foreach (var obligation in due)
        {
            var (f, r, _) = await FireAsync(obligation, kinds, store, context, notes, cancellationToken).ConfigureAwait(false);
            findings += f;
            resolved += r;
        }
        return new SweepStepResult(Name, due.Count, findings, resolved, notes);
    }

    /// <summary>
    /// Fires what is due of one obligation at the sweep's now (a reminder, the overdue escalation, the resolution after
    /// attestation) and writes its next stage; with nothing due, rewrites it so its timer index entry is right (the index
    /// lagged a write that moved it, or the caller is indexing its timer: <see cref="Changes.PendingChangeTimers"/>).
    /// Never throws but for cancellation: one bad obligation must not stop the others (it stays due, retried next sweep).
    /// Returns the findings raised, resolutions done, and whether the obligation's write was stored.
    /// </summary>
    internal static async Task<(int Findings, int Resolved, bool Written)> FireAsync(Obligation obligation, ObligationKinds kinds, IObligationStore store, SweepContext context,
        List<string> notes, CancellationToken cancellationToken)
    {
        int findings = 0, resolved = 0;
        var written = false;
        var now = context.Evaluation.Now;
        var kind = kinds.For(obligation.Kind);
        try
        {
            var (action, stage) = ObligationSchedule.Due(obligation, now);
            switch (action)
            {
                case ObligationTimerAction.Remind:
                {
                    var alert = await kind.ReminderAsync(obligation, stage, context, cancellationToken).ConfigureAwait(false);
                    var next = obligation with { Stage = stage, StoredState = Max(obligation.StoredState, ObligationState.Due), Version = obligation.Version + 1 };
                    written = await store.TryUpdateAsync(next, alert, cancellationToken).ConfigureAwait(false);
                    if (written)
                        notes.Add($"reminder {stage} for {obligation.Subject} ({obligation.Kind}, due {Timestamps.ToWire(obligation.DueAt)})");
                    break;
                }
                case ObligationTimerAction.Overdue:
                {
                    findings += await kind.RaiseOverdueAsync(obligation, context, cancellationToken).ConfigureAwait(false);
                    var next = obligation with { Stage = stage, StoredState = ObligationState.Overdue, Version = obligation.Version + 1 };
                    written = await store.TryUpdateAsync(next, null, cancellationToken).ConfigureAwait(false);
                    notes.Add($"overdue: {obligation.Subject} ({obligation.Kind} {obligation.Spec.Period}) was due {Timestamps.ToWire(obligation.DueAt)}");
                    break;
                }
                case ObligationTimerAction.Resolve:
                {
                    if (!await kind.ResolveAsync(obligation, context, cancellationToken).ConfigureAwait(false)) break;
                    resolved++;
                    written = true;
                    // The kind's resolution may itself have marked the obligation (a change review does): re-read on conflict.
                    if (!await store.TryUpdateAsync(obligation with { FindingResolved = true, Version = obligation.Version + 1 }, null, cancellationToken).ConfigureAwait(false)
                        && await store.GetAsync(obligation.Id, cancellationToken).ConfigureAwait(false) is { FindingResolved: false } current)
                        await store.TryUpdateAsync(current with { FindingResolved = true, Version = current.Version + 1 }, null, cancellationToken).ConfigureAwait(false);
                    break;
                }
                default:
                    // The index lagged a write that already moved the timer; rewriting puts the index right.
                    written = await store.TryUpdateAsync(obligation with { Version = obligation.Version + 1 }, null, cancellationToken).ConfigureAwait(false);
                    break;
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // One bad obligation must not stop the others; it stays due and is retried next sweep.
            Log.Error("obligation.sweep-failed", ex, ("id", obligation.Id), ("kind", obligation.Kind));
            notes.Add($"failed {obligation.Id}: {ex.GetType().Name}");
        }
        return (findings, resolved, written);
    }

    private static ObligationState Max(ObligationState a, ObligationState b) => a > b ? a : b;
}

/// <summary>Opens the recurring duties' obligations (<see cref="DutyScheduler"/>): the current period, missed ones, the next after attestation.</summary>
public sealed class DutyScheduleStep(Func<string?> homeAccountId, Func<string?> homeRegion) : ISweepStep
{
    public string Name => "duties";

    public static DutyScheduleStep FromEnvironment() =>
        new(() => System.Environment.GetEnvironmentVariable("ISMS_ACCOUNT_ID"), () => System.Environment.GetEnvironmentVariable("AWS_REGION"));

    public async Task<SweepStepResult> RunAsync(SweepContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var settings = context.Evaluation.Settings;
        var store = new DynamoObligationStore(context.Dynamo, context.TableName, settings);
        var scheduler = new DutyScheduler(store, settings, Scope(homeAccountId()), Scope(homeRegion()));
        var result = await scheduler.EnsureOpenAsync(context.Evaluation.Now, cancellationToken).ConfigureAwait(false);
        var notes = result.Opened.Select(o => $"opened {o.Subject} {o.Spec.Period} (due {Timestamps.ToWire(o.DueAt)})").ToList();
        return new SweepStepResult(Name, result.Examined, 0, 0, notes);
    }

    private static string Scope(string? value) => string.IsNullOrWhiteSpace(value) ? "unknown" : value;
}
