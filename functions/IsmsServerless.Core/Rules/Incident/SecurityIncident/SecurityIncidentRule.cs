using IsmsServerless.Engine;
using IsmsServerless.Incidents;
using IsmsServerless.Inputs;
using IsmsServerless.Model;

namespace IsmsServerless.Rules.Incident;

/// <summary>
/// A security finding at or above the incident threshold (<c>incidents.guardDutyMinSeverity</c>, default 7, or
/// <c>incidents.minSeverity</c>, default CRITICAL) opens an incident: one per cause (resource or actor) per correlation
/// window, due at the first clock (acknowledge, assess, notify within 1 h) and carrying all three clocks.
/// </summary>
public sealed class SecurityIncidentRule : IRule<SecurityFindingInput>
{
    public RuleMetadata Metadata { get; } = new(
        Id: "incident.security-incident",
        Title: "Security incident opened",
        Category: Category.Incident,
        Severity: Severity.High,
        ResourceType: "AWS::::Account",
        PolicyClause: IncidentPolicy.Clause,
        Controls: IncidentPolicy.Controls,
        Risk: "An attacker active in the account: every hour without containment widens the impact.",
        Remediation: "Contain now (isolate the instance, disable the key, block the IP); within 1 h assess the impact and notify the team (CTO, then CEO; after hours the Slack emergency channel); within 24 h document and fix; within 7 days hold the review.")
    {
        Sla = TimeSpan.FromHours(1),
    };

    public IEnumerable<Evaluation> Evaluate(SecurityFindingInput input, EvaluationContext context)
    {
        var settings = context.Settings.Incidents;
        if (!IncidentPolicy.OpensIncident(input, settings)) yield break;
        var at = input.ClockStart ?? context.Now;
        var signal = new IncidentSignal(input.AccountId, input.Subject, at, input.FindingId);
        yield return IncidentPolicy.Incident(Metadata, signal, settings, input.Severity, input.ResourceType, input.Region,
            $"{input.Product} {input.Type} (severity {input.SeverityText}): {input.Title}", input.ObservedAt, IncidentPolicy.Evidence(input));
    }
}
