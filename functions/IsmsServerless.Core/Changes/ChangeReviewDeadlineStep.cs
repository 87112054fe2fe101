using IsmsServerless.Engine;
using IsmsServerless.Observability;
using IsmsServerless.Sweep;

namespace IsmsServerless.Changes;

/// <summary>
/// The sweep's obligations step, with the change register's part first. Change reviews are obligations of kind
/// <c>change.review</c> (<see cref="ChangeReviewObligations"/>), so their reminders, the <c>change.review-overdue</c>
/// finding and its resolution are done by <see cref="ObligationSweepStep"/> (GSI4 <c>OBLIGATION#TIMER</c>, never a
/// Scan), with every other obligation's. Before that, records written before this change kept a timer of their own
/// (GSI4 <c>CHANGE#TIMER</c>): those are drained into obligations (one Query, empty once drained). Then the change
/// reviews opened without a timer index entry (issue 20 wave 9) whose first timer came: found from their records'
/// <c>CHANGE#PENDING</c> entries by <see cref="PendingChangeTimers"/>, fired, and indexed from then on.
/// </summary>
public sealed class ChangeReviewDeadlineStep(RuleRegistry registry) : ISweepStep
{
    public const int BatchSize = ObligationSweepStep.BatchSize;

    private readonly ObligationSweepStep _obligations = new(registry);

    public string Name => "obligations";

    public async Task<SweepStepResult> RunAsync(SweepContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var notes = new List<string>();
        try
        {
            var register = new DynamoChangeRegister(context.Dynamo, context.TableName, context.Evaluation.Settings);
            var drained = await register.DrainLegacyTimersAsync(BatchSize, cancellationToken).ConfigureAwait(false);
            if (drained > 0) notes.Add($"{drained} change timer(s) moved to change.review obligations");
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Log.Error("change.legacy-timers-failed", ex);
            notes.Add($"legacy change timers: {ex.GetType().Name}");
        }
        var pending = new SweepStepResult(Name, 0, 0, 0, []);
        try
        {
            // Change reviews whose first timer is found from their record's pending entry (issue 20 wave 9).
            var timers = new PendingChangeTimers(context.Dynamo, context.TableName, context.Evaluation.Settings);
            pending = await timers.RunAsync(context, Obligations.ObligationKinds.Default(registry), cancellationToken).ConfigureAwait(false);
            // Reviews whose attestation was lost on such an obligation (no timer entry to repair it): attested now.
            var reviewed = await timers.AttestReviewedAsync(context, cancellationToken).ConfigureAwait(false);
            pending = pending with { Examined = pending.Examined + reviewed.Examined, Notes = [.. pending.Notes, .. reviewed.Notes] };
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Log.Error("change.pending-timers-failed", ex);
            notes.Add($"pending change timers: {ex.GetType().Name}");
        }
        var result = await _obligations.RunAsync(context, cancellationToken).ConfigureAwait(false);
        return result with
        {
            Step = Name,
            Examined = result.Examined + pending.Examined,
            Findings = result.Findings + pending.Findings,
            Resolved = result.Resolved + pending.Resolved,
            Notes = [.. notes, .. pending.Notes, .. result.Notes],
        };
    }
}
