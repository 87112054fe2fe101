using IsmsServerless.Engine;
using IsmsServerless.Model;
using IsmsServerless.Obligations;

namespace IsmsServerless.Inputs;

/// <summary>An obligation as the overdue rule sees it, built by the sweep's obligations step from the store.</summary>
public sealed record ObligationInput : RuleInput
{
    public required Obligation Obligation { get; init; }

    public static ObligationInput From(Obligation obligation) => new()
    {
        Obligation = obligation,
        AccountId = obligation.Spec.AccountId,
        Region = obligation.Spec.Region,
        ObservedAt = obligation.Attestation?.At ?? obligation.DueAt,
        SourceEventId = obligation.Id,
    };

    /// <summary>
    /// A rule's metadata as this obligation refines it: the obligation's title marked overdue, its own controls, clause
    /// and overdue SLA where it names them. One overlay for every rule that judges an obligation's deadline.
    /// </summary>
    public RuleMetadata Overdue(RuleMetadata metadata)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        var spec = Obligation.Spec;
        return metadata with
        {
            Title = spec.Title + " (overdue)",
            Controls = spec.Controls.Count > 0 ? spec.Controls : metadata.Controls,
            PolicyClause = spec.PolicyClause.Length > 0 ? spec.PolicyClause : metadata.PolicyClause,
            Sla = spec.OverdueSla ?? metadata.Sla,
        };
    }

    /// <summary>
    /// One verdict on this obligation: on its subject, its clock started at its deadline, and a finding carries the
    /// obligation's overdue severity where it differs from the rule's.
    /// </summary>
    public Evaluation Verdict(RuleMetadata rule, Outcome outcome, DateTimeOffset observedAt, string resourceType, string subKey,
        Dictionary<string, string> evidence, string message)
    {
        ArgumentNullException.ThrowIfNull(rule);
        var overdueSeverity = Obligation.Spec.OverdueSeverity;
        return new Evaluation
        {
            Rule = rule,
            Outcome = outcome,
            ResourceId = Obligation.Subject,
            ResourceType = resourceType,
            AccountId = AccountId,
            Region = Region,
            SubKey = subKey,
            Message = message,
            ClockStart = Obligation.DueAt,
            ObservedAt = observedAt,
            Evidence = evidence,
            SeverityOverride = outcome == Outcome.Finding && overdueSeverity != rule.Severity ? overdueSeverity : null,
        };
    }

    public override IEnumerable<Evaluation> Dispatch(RuleRegistry registry, EvaluationContext context) =>
        registry.Evaluate(this, context);
}
