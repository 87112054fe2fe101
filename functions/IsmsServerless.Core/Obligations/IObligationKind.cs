using System.Globalization;
using System.Text.Json;
using IsmsServerless.Alerts;
using IsmsServerless.Engine;
using IsmsServerless.Inputs;
using IsmsServerless.Ledger;
using IsmsServerless.Model;
using IsmsServerless.Sweep;

namespace IsmsServerless.Obligations;

/// <summary>
/// What differs between kinds of obligation when the sweep acts on them: the reminder's wording, and which rule raises
/// and resolves the overdue finding. Kinds without a handler of their own use <see cref="GenericObligationKind"/> (the
/// <c>duty.obligation-overdue</c> rule). Register a handler in <see cref="ObligationKinds.Default"/>.
/// </summary>
public interface IObligationKind
{
    bool Handles(string kind);

    Task<AlertRecord> ReminderAsync(Obligation obligation, int stage, SweepContext context, CancellationToken cancellationToken);

    /// <summary>Records the overdue finding in the ledger; returns how many findings it recorded.</summary>
    Task<int> RaiseOverdueAsync(Obligation obligation, SweepContext context, CancellationToken cancellationToken);

    /// <summary>Resolves the overdue finding of an attested obligation; true once it is resolved.</summary>
    Task<bool> ResolveAsync(Obligation obligation, SweepContext context, CancellationToken cancellationToken);
}

/// <summary>The kind handlers, most specific first; the generic one last.</summary>
public sealed class ObligationKinds(IReadOnlyList<IObligationKind> kinds)
{
    public IObligationKind For(string kind) => kinds.FirstOrDefault(k => k.Handles(kind)) ?? kinds[^1];

    public static ObligationKinds Default(RuleRegistry registry) =>
        new([new Changes.ChangeReviewObligationKind(registry), new Incidents.IncidentObligationKind(registry), new Backups.BackupObligationKind(registry), new GenericObligationKind(registry)]);
}

/// <summary>Any kind: a <c>duty-reminder</c> alert, and the <c>duty.obligation-overdue</c> finding.</summary>
public sealed class GenericObligationKind(RuleRegistry registry) : IObligationKind
{
    public const string OverdueRuleId = "duty.obligation-overdue";

    public bool Handles(string kind) => true;

    public Task<AlertRecord> ReminderAsync(Obligation obligation, int stage, SweepContext context, CancellationToken cancellationToken) =>
        Task.FromResult(Reminder(obligation, stage, context.Evaluation));

    public static AlertRecord Reminder(Obligation obligation, int stage, EvaluationContext context)
    {
        var spec = obligation.Spec;
        var left = spec.DueAt - context.Now;
        return new AlertRecord
        {
            // Deterministic: a retried sweep cannot send the same reminder twice (the outbox put is conditional).
            AlertId = $"{obligation.Id}-reminder-{stage.ToString(CultureInfo.InvariantCulture)}",
            Kind = "duty-reminder",
            FindingId = obligation.Id,
            RuleId = OverdueRuleId,
            Title = spec.Title,
            Severity = spec.OverdueSeverity.ToWire(),
            Category = Category.Duty.ToWire(),
            ResourceId = spec.Subject,
            ResourceType = "AWS::::Account",
            AccountId = spec.AccountId,
            Region = spec.Region,
            PolicyClause = spec.PolicyClause,
            Controls = JsonSerializer.Serialize(spec.Controls.ToList(), LedgerJsonContext.Default.ListString),
            DueAt = Timestamps.ToWire(spec.DueAt),
            SlaState = ObligationSchedule.StateAt(obligation, context.Now).ToWire(),
            Remediation = $"Attest it when done: ./isms attest {obligation.Id} --by <you> --evidence https://... (evidence expected: {spec.EvidenceExpected})",
            Message = $"{spec.Title} ({spec.Period}) is due in {Math.Max(0, (int)left.TotalDays)}d {Math.Max(0, left.Hours)}h (at {Timestamps.ToWire(spec.DueAt)}); owner {spec.OwnerPerson ?? spec.OwnerRole}",
            StatusUrl = spec.Link ?? context.Settings.StatusPageUrl.TrimEnd('/') + "/#duties",
            CreatedAt = Timestamps.ToWire(context.Now),
        };
    }

    public async Task<int> RaiseOverdueAsync(Obligation obligation, SweepContext context, CancellationToken cancellationToken)
    {
        var evaluations = Evaluate(obligation, context.Evaluation).Where(e => e.Outcome == Outcome.Finding).ToList();
        if (evaluations.Count > 0) await context.RecordAsync(evaluations, "obligations", cancellationToken).ConfigureAwait(false);
        return evaluations.Count;
    }

    public async Task<bool> ResolveAsync(Obligation obligation, SweepContext context, CancellationToken cancellationToken)
    {
        var evaluations = Evaluate(obligation, context.Evaluation).Where(e => e.Outcome == Outcome.Compliant).ToList();
        if (evaluations.Count > 0) await context.RecordAsync(evaluations, "obligations", cancellationToken).ConfigureAwait(false);
        return true;
    }

    private IEnumerable<Evaluation> Evaluate(Obligation obligation, EvaluationContext context) =>
        ObligationInput.From(obligation).Dispatch(registry, context).Where(e => e.Rule.Id == OverdueRuleId);
}
