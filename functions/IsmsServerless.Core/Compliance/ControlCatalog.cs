using IsmsServerless.Engine;
using IsmsServerless.Policy;

namespace IsmsServerless.Compliance;

/// <summary>
/// A control with the rules that produce automated evidence for it: the rules the policy file lists, plus any rule
/// whose metadata claims the control (a rule added later is counted at once; <see cref="ControlCatalog.Check"/> warns
/// until the policy lists it).
/// </summary>
public sealed record ControlCoverage(PolicyControl Control, IReadOnlyList<string> RuleIds)
{
    /// <summary>Automated when at least one rule evaluates it.</summary>
    public bool Automated => RuleIds.Count > 0;
}

/// <summary>
/// The control catalog, which lives in the policy file (<c>policy/isms.yaml</c>, <c>controls:</c>). Prowler keeps its
/// compliance map apart from the checks; here it is also the company's own reviewed document, so each control names
/// the seed clauses it implements and how it is evidenced (rules, duties, manual, or not applicable with a reason).
/// </summary>
public static class ControlCatalog
{
    /// <summary>The duty ids the obligation mechanism (issue 16b, <c>IsmsSettings.Duties</c>) defines; the catalog may reference only these.</summary>
    public static readonly IReadOnlySet<string> KnownDutyIds = new HashSet<string>(StringComparer.Ordinal)
    {
        "access-review", "restore-test", "policy-review", "proc-002-annual-review", "security-training", "advisory-review", "fault-log-review",
    };

    public static IReadOnlyList<PolicyControl> Controls => PolicyDocument.Embedded.Controls;

    /// <summary>Finds a control by its key (<c>ISO27001:2022 A.8.8</c>) or its bare id (<c>A.8.8</c>, <c>CC8.1</c>).</summary>
    public static PolicyControl? Find(string id, IReadOnlyList<PolicyControl>? controls = null) =>
        (controls ?? Controls).FirstOrDefault(c => c.Key == id) ?? (controls ?? Controls).FirstOrDefault(c => c.Id == id);

    public static IReadOnlyList<ControlCoverage> Coverage(RuleRegistry registry, IReadOnlyList<PolicyControl>? controls = null) =>
        (controls ?? Controls).Select(c => new ControlCoverage(c, c.Evidence == EvidenceKinds.NotApplicable
                ? []
                : c.Rules.Concat(registry.Rules.Where(r => r.Metadata.Controls.Contains(c.Key)).Select(r => r.Metadata.Id))
                    .Distinct(StringComparer.Ordinal)
                    .Order(StringComparer.Ordinal)
                    .ToList()))
            .ToList();

    /// <summary>
    /// The catalog's cross-checks (beyond the JSON Schema): unique ids, rule ids the registry knows and whose metadata
    /// claims the control, duty ids the obligation mechanism knows, every control a rule claims present. Errors fail
    /// validation; warnings (a rule claims a control the file does not list it under) are printed.
    /// </summary>
    public static (IReadOnlyList<PolicyError> Errors, IReadOnlyList<PolicyError> Warnings) Check(
        PolicyDocument policy, RuleRegistry registry, IReadOnlySet<string>? knownDuties = null)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(registry);
        knownDuties ??= KnownDutyIds;
        var errors = new List<PolicyError>();
        var warnings = new List<PolicyError>();
        int LineOf(string pointer) => policy.LineOf(pointer);
        var rules = registry.Rules.ToDictionary(r => r.Metadata.Id, r => r.Metadata, StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < policy.Controls.Count; i++)
        {
            var c = policy.Controls[i];
            var at = $"/controls/{i}";
            if (!seen.Add(c.Key)) errors.Add(new PolicyError(LineOf(at + "/id"), at + "/id", $"control {c.Key} is listed twice"));
            for (var j = 0; j < c.Rules.Count; j++)
            {
                var path = $"{at}/rules/{j}";
                if (!rules.TryGetValue(c.Rules[j], out var meta))
                    errors.Add(new PolicyError(LineOf(path), path, $"unknown rule '{c.Rules[j]}' (not in the rule registry)"));
                else if (!meta.Controls.Contains(c.Key))
                    errors.Add(new PolicyError(LineOf(path), path, $"rule '{c.Rules[j]}' does not claim {c.Key} in its metadata"));
            }
            for (var j = 0; j < c.Duties.Count; j++)
            {
                var path = $"{at}/duties/{j}";
                if (!knownDuties.Contains(c.Duties[j]))
                    errors.Add(new PolicyError(LineOf(path), path, $"unknown duty '{c.Duties[j]}' (known: {string.Join(", ", knownDuties.Order(StringComparer.Ordinal))})"));
            }
            if (c.Evidence == EvidenceKinds.NotApplicable) continue;
            foreach (var claimed in registry.Rules.Where(r => r.Metadata.Controls.Contains(c.Key) && !c.Rules.Contains(r.Metadata.Id)))
                warnings.Add(new PolicyError(LineOf(at + "/id"), at + "/rules", $"rule '{claimed.Metadata.Id}' claims {c.Key} but the policy does not list it"));
        }
        foreach (var missing in registry.Rules.SelectMany(r => r.Metadata.Controls.Select(k => (Rule: r.Metadata.Id, Control: k)))
                     .Where(x => !seen.Contains(x.Control)).GroupBy(x => x.Control))
            errors.Add(new PolicyError(LineOf("/controls"), "/controls",
                $"control {missing.Key} is claimed by {string.Join(", ", missing.Select(m => m.Rule))} but is not in the catalog"));
        return (errors, warnings);
    }
}
