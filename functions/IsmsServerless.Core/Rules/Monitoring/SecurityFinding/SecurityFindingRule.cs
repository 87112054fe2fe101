using IsmsServerless.Engine;
using IsmsServerless.Incidents;
using IsmsServerless.Inputs;
using IsmsServerless.Model;

namespace IsmsServerless.Rules.Monitoring;

/// <summary>
/// A security finding below the incident threshold is an ordinary monitoring finding, with the normal severity SLA.
/// A finding that is archived, suppressed, resolved, passed or judged elsewhere gives an <c>ignored</c> evaluation that
/// says why (and writes nothing).
/// </summary>
public sealed class SecurityFindingRule : IRule<SecurityFindingInput>
{
    public RuleMetadata Metadata { get; } = new(
        Id: "monitoring.security-finding",
        Title: "Security finding below the incident threshold",
        Category: Category.Monitoring,
        Severity: Severity.Medium,
        ResourceType: "AWS::::Account",
        PolicyClause: "PROC-002 System monitoring; " + IncidentPolicy.Clause,
        Controls: [Controls.IsoMonitoring, Controls.IsoIncidentAssessment, Controls.Soc2AnomalyMonitoring, Controls.Soc2EventEvaluation],
        Risk: "A low or medium detection can be the first sign of an attack; unreviewed, the next step goes unnoticed.",
        Remediation: "Review the finding in GuardDuty or Security Hub; archive it with a reason if benign, or raise it to an incident if not.");

    public IEnumerable<Evaluation> Evaluate(SecurityFindingInput input, EvaluationContext context)
    {
        if (input.OutOfScopeReason is { } reason)
        {
            yield return new Evaluation
            {
                Rule = Metadata,
                Outcome = Outcome.Ignored,
                ResourceId = input.Subject,
                AccountId = input.AccountId,
                Region = input.Region,
                Message = $"{input.Product} finding {input.FindingId} not evaluated: {reason}",
                ObservedAt = input.ObservedAt,
            };
            yield break;
        }
        if (IncidentPolicy.OpensIncident(input, context.Settings.Incidents)) yield break;
        yield return new Evaluation
        {
            Rule = Metadata,
            Outcome = Outcome.Finding,
            ResourceId = input.Subject,
            ResourceType = input.ResourceType,
            AccountId = input.AccountId,
            Region = input.Region,
            SubKey = input.FindingId,
            SeverityOverride = input.Severity == Severity.Informational ? Severity.Low : input.Severity,
            Message = $"{input.Product} {input.Type} (severity {input.SeverityText}) on {input.Subject}: {input.Title}",
            ClockStart = input.FirstSeenAt ?? input.EventTime,
            ObservedAt = input.ObservedAt,
            Evidence = IncidentPolicy.Evidence(input),
        };
    }
}
