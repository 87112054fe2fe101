using IsmsServerless.Drift;
using IsmsServerless.Model;

namespace IsmsServerless.Tests.Engine.Reference;

/// <summary>
/// Main 02fcf04's <c>BaselineVerdict.JudgeOwned</c> and <c>Json.Path</c>, verbatim but for their class (helpers they call
/// that this wave left unchanged, <c>Clip</c> and <c>Json.Get</c>, are the live ones; <c>UnmetIds</c> is copied):
/// the reference for <see cref="CpuWave7RewriteTests"/>.
/// </summary>
public static class BaselineVerdict02fcf04
{
    public static Evaluation JudgeOwned(
        RuleMetadata rule,
        Baseline baseline,
        string resourceKey,
        string resourceType,
        string accountId,
        string region,
        string subject,
        IReadOnlyList<BaselineViolation> violations,
        DateTimeOffset? observedAt,
        Dictionary<string, string> evidence,
        string subKey = "",
        string? source = null)
    {
        evidence["baseline"] = $"{baseline.ResourceType}@{baseline.Version}";
        if (violations.Count == 0)
        {
            return new Evaluation
            {
                Rule = rule,
                Outcome = Outcome.Compliant,
                ResourceId = resourceKey,
                ResourceType = resourceType,
                AccountId = accountId,
                Region = region,
                SubKey = subKey,
                Message = $"{BaselineVerdict.Clip(subject)} meets the {baseline.ResourceType} baseline {baseline.Version}",
                ObservedAt = observedAt,
                Evidence = evidence,
            };
        }
        // Loops, not LINQ (Distinct's set, Max's and Select's iterators): the same ids in first-seen order, the same worst
        // severity, the same ten details and diffs.
        evidence["unmetRequirements"] = UnmetIds02fcf04(violations);
        var worst = violations[0].Requirement.Severity;
        for (var i = 1; i < violations.Count; i++)
        {
            if (violations[i].Requirement.Severity > worst) worst = violations[i].Requirement.Severity;
        }
        var details = new string[Math.Min(10, violations.Count)];
        for (var i = 0; i < details.Length; i++)
        {
            var v = violations[i];
            details[i] = BaselineVerdict.Clip(v.Detail ?? $"{v.Requirement.Id}: {(v.Path ?? v.Requirement.Path)} is {BaselineVerdict.Clip(v.Actual) ?? "not set"}, expected {v.Requirement.Expected}", BaselineVerdict.MaxDetailLength)!;
        }
        var diff = new List<FieldDiff>(Math.Min(ConfigurationDiff.MaxDiffs, violations.Count));
        for (var i = 0; i < violations.Count && diff.Count < ConfigurationDiff.MaxDiffs; i++)
        {
            var v = violations[i];
            diff.Add(new FieldDiff(BaselineVerdict.Clip(v.Path ?? v.Requirement.Path)!, v.Requirement.Expected, BaselineVerdict.Clip(v.Actual)));
        }
        return new Evaluation
        {
            Rule = rule,
            Outcome = Outcome.Finding,
            ResourceId = resourceKey,
            ResourceType = resourceType,
            AccountId = accountId,
            Region = region,
            SubKey = subKey,
            SeverityOverride = worst,
            Message = $"{BaselineVerdict.Clip(subject)} drifts from the {baseline.ResourceType} baseline {baseline.Version}{(source is null ? "" : " (" + source + ")")}: "
                + string.Join("; ", details) + (violations.Count > 10 ? $"; and {violations.Count - 10} more" : ""),
            ClockStart = observedAt,
            ObservedAt = observedAt,
            Diff = diff,
            Evidence = evidence,
        };
    }


    /// <summary>The violated requirement ids, each once, in first-seen order, comma-separated.</summary>
    private static string UnmetIds02fcf04(IReadOnlyList<BaselineViolation> violations)
    {
        if (violations.Count == 1) return violations[0].Requirement.Id;
        var ids = new List<string>(violations.Count);
        var seen = violations.Count > 16 ? new HashSet<string>(StringComparer.Ordinal) : null;
        foreach (var v in violations)
        {
            if (seen is null ? !ids.Contains(v.Requirement.Id) : seen.Add(v.Requirement.Id)) ids.Add(v.Requirement.Id);
        }
        return string.Join(",", ids);
    }

    /// <summary>Follows a dotted path (each segment case-insensitive).</summary>
    public static System.Text.Json.JsonElement Path(System.Text.Json.JsonElement element, string dottedPath)
    {
        var current = element;
        foreach (var segment in dottedPath.Split('.'))
        {
            current = Json.Get(current, segment);
            if (current.ValueKind == System.Text.Json.JsonValueKind.Undefined) return default;
        }
        return current;
    }

    /// <summary><c>Baseline[id]</c> as it was.</summary>
    public static BaselineRequirement Requirement(Baseline baseline, string id) => baseline.Requirements.First(r => r.Id == id);
}
