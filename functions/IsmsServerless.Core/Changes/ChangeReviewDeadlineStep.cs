using System.Globalization;
using IsmsServerless.Alerts;
using IsmsServerless.Engine;
using IsmsServerless.Inputs;
using IsmsServerless.Model;
using IsmsServerless.Observability;
using IsmsServerless.Sweep;

namespace IsmsServerless.Changes;

/// <summary>
/// The sweep's change-review duty. Queries the register's timer partition (GSI4 <c>CHANGE#TIMER</c>, never a Scan) for
/// changes whose next timer has passed and, for each:
/// <list type="bullet">
/// <item>a reminder stage: writes one <c>review-reminder</c> alert to the outbox with the stage advance (one transaction);</item>
/// <item>the overdue stage: records the <c>change.review-overdue</c> HIGH finding in the findings ledger (which alerts),
/// then advances the stage;</item>
/// <item>a reviewed change whose finding is not yet resolved: re-sends the review's compliant evaluation.</item>
/// </list>
/// The ledger write comes before the stage advance, so a crash repeats the (idempotent) ledger write instead of losing it.
/// </summary>
public sealed class ChangeReviewDeadlineStep(RuleRegistry registry, Func<SweepContext, IChangeRegister>? registerFactory = null) : ISweepStep
{
    public const int BatchSize = 200;

    public string Name => "change-review-deadlines";

    public async Task<SweepStepResult> RunAsync(SweepContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var settings = context.Evaluation.Settings;
        var register = registerFactory?.Invoke(context) ?? new DynamoChangeRegister(context.Dynamo, context.TableName, settings);
        var deadline = new ChangeDeadline(settings);
        var now = context.Evaluation.Now;
        var due = await register.QueryTimersDueAsync(now, BatchSize, cancellationToken).ConfigureAwait(false);
        int findings = 0, resolved = 0;
        var notes = new List<string>();
        var service = new ChangeReviewService(register, context.Ledger, registry, settings, context.Evaluation.Clock);
        foreach (var record in due)
        {
            try
            {
                if (record.Reviewed)
                {
                    var after = await service.ResolveOverdueFindingAsync(record, cancellationToken).ConfigureAwait(false);
                    if (after.FindingResolved) resolved++;
                    continue;
                }
                var (action, stage) = deadline.Due(record, now);
                switch (action)
                {
                    case ChangeTimerAction.Remind:
                    {
                        var alert = Reminder(record, stage, deadline, context.Evaluation);
                        if (await register.TryUpdateAsync(record with { TimerStage = stage, Version = record.Version + 1 }, alert, cancellationToken).ConfigureAwait(false))
                            notes.Add($"reminder {stage} for {record.ChangeId} (due {Timestamps.ToWire(deadline.DueAt(record))})");
                        break;
                    }
                    case ChangeTimerAction.Overdue:
                    {
                        var evaluations = ChangeRecordInput.From(record).Dispatch(registry, context.Evaluation)
                            .Where(e => e.Rule.Id == "change.review-overdue" && e.Outcome == Outcome.Finding).ToList();
                        await context.Ledger.RecordAsync(evaluations, context.Evaluation, cancellationToken).ConfigureAwait(false);
                        findings += evaluations.Count;
                        await register.TryUpdateAsync(record with { TimerStage = stage, Version = record.Version + 1 }, null, cancellationToken).ConfigureAwait(false);
                        notes.Add($"overdue: {record.ChangeId} by {record.Principal} was due {Timestamps.ToWire(deadline.DueAt(record))}");
                        break;
                    }
                    default:
                        // The index lagged a write that already moved the timer; rewriting puts the index right.
                        await register.TryUpdateAsync(record with { Version = record.Version + 1 }, null, cancellationToken).ConfigureAwait(false);
                        break;
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // One bad record must not stop the others; it stays due and is retried next sweep.
                Log.Error("change.sweep-failed", ex, ("changeId", record.ChangeId));
                notes.Add($"failed {record.ChangeId}: {ex.GetType().Name}");
            }
        }
        return new SweepStepResult(Name, due.Count, findings, resolved, notes);
    }

    private static AlertRecord Reminder(ChangeRecord record, int stage, ChangeDeadline deadline, EvaluationContext context)
    {
        var dueAt = deadline.DueAt(record);
        var left = dueAt - context.Now;
        return new AlertRecord
        {
            // Deterministic: a retried sweep cannot send the same reminder twice (the outbox put is conditional).
            // Round 2+ has its own reminders (round 1's ids are taken in the outbox).
            AlertId = record.Round > 1
                ? $"{record.ChangeId}-r{record.Round.ToString(CultureInfo.InvariantCulture)}-reminder-{stage.ToString(CultureInfo.InvariantCulture)}"
                : $"{record.ChangeId}-reminder-{stage.ToString(CultureInfo.InvariantCulture)}",
            Kind = "review-reminder",
            FindingId = record.ChangeId,
            RuleId = record.Kind.RuleId(),
            Title = "Change awaiting review",
            Severity = record.Kind == ChangeKind.Emergency ? Severity.High.ToWire() : Severity.Medium.ToWire(),
            Category = Category.Change.ToWire(),
            ResourceId = record.ChangeId,
            ResourceType = "AWS::::Account",
            AccountId = record.AccountId,
            Region = record.Region,
            PolicyClause = "Qwestly Operations Security Policy, Emergency Changes: \"Document and review all emergency changes within 24 hours\"",
            Controls = "[\"" + Controls.IsoChangeManagement + "\",\"" + Controls.Soc2ChangeManagement + "\"]",
            DueAt = Timestamps.ToWire(dueAt),
            SlaState = deadline.StateAt(record, context.Now).ToWire(),
            Remediation = $"Review it: ./isms review {record.ChangeId} --reviewer <you> --verdict approved|rejected|needs-follow-up --ticket https://...",
            Message = $"{record.Kind.ToWire()} change {record.ChangeId} by {record.Principal} ({record.CallCount} call(s)) is due for review in {Math.Max(0, (int)left.TotalHours)}h (at {Timestamps.ToWire(dueAt)})",
            StatusUrl = context.Settings.StatusPageUrl.TrimEnd('/') + "/changes/" + record.ChangeId,
            CreatedAt = Timestamps.ToWire(context.Now),
        };
    }
}
