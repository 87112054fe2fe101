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
        if (settings.OwnRuleIds.Count == 0) return evaluations;
        IRule? incidentRule = null;
        List<Evaluation>? added = null;
        // An index loop: foreach over the interface boxed an enumerator per event.
        for (var i = 0; i < evaluations.Count; i++)
        {
            var e = evaluations[i];
            // Own findings open an incident at or above the same threshold as any other signal (default CRITICAL).
            if (e.Outcome != Outcome.Finding || !IsOwnRule(settings.OwnRuleIds, e.Rule.Id) || e.Severity < settings.MinSeverityLevel) continue;
            // The incident rule is looked up only when an evaluation escalates (most events have none to escalate).
            if ((incidentRule ??= registry.Find(IncidentRuleId)) is not { } rule) return evaluations;
            var at = e.ClockStart ?? e.ObservedAt ?? context.Now;
            var signal = new IncidentSignal(e.AccountId, e.ResourceId, at, e.FindingId);
            var evidence = new Dictionary<string, string>(e.Evidence, StringComparer.Ordinal)
            {
                ["escalatedFromRule"] = e.Rule.Id,
                ["escalatedFromFinding"] = e.FindingId,
            };
            (added ??= []).Add(IncidentPolicy.Incident(rule.Metadata, signal, settings, e.Severity, e.ResourceType, e.Region,
                $"{e.Rule.Title}: {e.Message}", e.ObservedAt, evidence));
        }
        return added is null ? evaluations : [.. evaluations, .. added];
    }

    /// <summary><c>ownRuleIds.Contains(ruleId, StringComparer.Ordinal)</c> as a loop (no enumerator per evaluation).</summary>
    private static bool IsOwnRule(IReadOnlyList<string> ownRuleIds, string ruleId)
    {
        for (var i = 0; i < ownRuleIds.Count; i++)
        {
            if (string.Equals(ownRuleIds[i], ruleId, StringComparison.Ordinal)) return true;
        }
        return false;
    }
}
