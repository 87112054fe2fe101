using IsmsServerless.Engine;
using IsmsServerless.Model;

namespace IsmsServerless.Incidents;

/// <summary>
/// This system's own critical findings open incidents too: a finding at or above <c>incidents.minSeverity</c> from a rule named in <c>incidents.ownRuleIds</c>
/// (root activity, CloudTrail logging stopped, the Config recorder stopped) adds an <c>incident.security-incident</c> evaluation,
/// correlated by the same resource and window as any other signal. Pure: evaluations in, evaluations out.
/// </summary>
public static class IncidentEscalation
{
    public const string IncidentRuleId = "incident.security-incident";

    public static IReadOnlyList<Evaluation> Escalate(IReadOnlyList<Evaluation> evaluations, RuleRegistry registry, EvaluationContext context)
    {
        var settings = context.Settings.Incidents;
        if (settings.OwnRuleIds.Count == 0 || registry.Find(IncidentRuleId) is not { } incidentRule) return evaluations;
        List<Evaluation>? added = null;
        foreach (var e in evaluations)
        {
            // Own findings open an incident at or above the same threshold as any other signal (default CRITICAL).
            if (e.Outcome != Outcome.Finding || !settings.OwnRuleIds.Contains(e.Rule.Id, StringComparer.Ordinal)
                || e.Severity < settings.MinSeverityLevel) continue;
            var at = e.ClockStart ?? e.ObservedAt ?? context.Now;
            var signal = new IncidentSignal(e.AccountId, e.ResourceId, at, e.FindingId);
            var evidence = new Dictionary<string, string>(e.Evidence, StringComparer.Ordinal)
            {
                ["escalatedFromRule"] = e.Rule.Id,
                ["escalatedFromFinding"] = e.FindingId,
            };
            (added ??= []).Add(IncidentPolicy.Incident(incidentRule.Metadata, signal, settings, e.Severity, e.ResourceType, e.Region,
                $"{e.Rule.Title}: {e.Message}", e.ObservedAt, evidence));
        }
        return added is null ? evaluations : [.. evaluations, .. added];
    }
}
