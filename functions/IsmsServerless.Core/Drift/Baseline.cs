using IsmsServerless.Inputs;
using IsmsServerless.Model;

namespace IsmsServerless.Drift;

/// <summary>
/// One required setting of a resource type's baseline: where it lives in the configuration item, what it must be, and
/// the policy clause and controls that demand it. Baselines are versioned code: a change to a requirement is a reviewed
/// commit, and the version travels with every finding as evidence.
/// </summary>
/// <param name="Id">Stable id within the baseline, e.g. <c>s3.encryption-at-rest</c>.</param>
/// <param name="Path">Where the setting lives, as the diff prints it (e.g. <c>configuration.storageEncrypted</c>).</param>
/// <param name="Expected">The required value, in words a reviewer reads in the diff's "expected" column.</param>
public sealed record BaselineRequirement(
    string Id,
    string Path,
    string Expected,
    string PolicyClause,
    IReadOnlyList<string> Controls,
    Severity Severity);

/// <summary>A resource type's baseline: its requirements and the version they were last changed in.</summary>
public sealed record Baseline(string ResourceType, string Version, IReadOnlyList<BaselineRequirement> Requirements)
{
    public BaselineRequirement this[string id] => Requirements.First(r => r.Id == id);
}

/// <summary>One unmet requirement on one resource, with what the resource actually has.</summary>
public sealed record BaselineViolation(BaselineRequirement Requirement, string? Actual, string? Path = null, string? Detail = null)
{
    public FieldDiff ToDiff() => new(Path ?? Requirement.Path, Requirement.Expected, Actual);
}

/// <summary>Turns a list of violations into the one evaluation a baseline rule reports per resource (and sub-key).</summary>
public static class BaselineVerdict
{
    /// <summary>Longest text taken from a payload into a message or diff value; the rest is cut with an ellipsis.</summary>
    public const int MaxValueLength = 256;

    /// <summary>Longest sentence about one violation in a finding message.</summary>
    public const int MaxDetailLength = 600;

    public static Evaluation Judge(
        RuleMetadata rule,
        Baseline baseline,
        string resourceKey,
        string resourceType,
        string accountId,
        string region,
        string subject,
        IReadOnlyList<BaselineViolation> violations,
        DateTimeOffset? observedAt,
        IDictionary<string, string> evidence,
        string subKey = "",
        string? source = null)
    {
        // Room for the two lines added here, so the copy is not regrown (insertion order is the same either way).
        var allEvidence = new Dictionary<string, string>(evidence.Count + 2, StringComparer.Ordinal);
        foreach (var pair in evidence) allEvidence.Add(pair.Key, pair.Value);
        allEvidence["baseline"] = $"{baseline.ResourceType}@{baseline.Version}";
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
                Message = $"{Clip(subject)} meets the {baseline.ResourceType} baseline {baseline.Version}",
                ObservedAt = observedAt,
                Evidence = allEvidence,
            };
        }
        allEvidence["unmetRequirements"] = string.Join(",", violations.Select(v => v.Requirement.Id).Distinct());
        var worst = violations.Max(v => v.Requirement.Severity);
        var details = violations.Select(v => Clip(v.Detail ?? $"{v.Requirement.Id}: {(v.Path ?? v.Requirement.Path)} is {Clip(v.Actual) ?? "not set"}, expected {v.Requirement.Expected}", MaxDetailLength));
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
            Message = $"{Clip(subject)} drifts from the {baseline.ResourceType} baseline {baseline.Version}{(source is null ? "" : " (" + source + ")")}: "
                + string.Join("; ", details.Take(10)) + (violations.Count > 10 ? $"; and {violations.Count - 10} more" : ""),
            ClockStart = observedAt,
            ObservedAt = observedAt,
            Diff = violations.Select(v => v.ToDiff() with { Path = Clip(v.Path ?? v.Requirement.Path)!, Actual = Clip(v.Actual) }).Take(ConfigurationDiff.MaxDiffs).ToList(),
            Evidence = allEvidence,
        };
    }

    /// <summary>Evidence of a configuration item, plus its subject line ("AWS::S3::Bucket my-bucket").</summary>
    public static string Subject(ConfigItemInput input) => $"{input.ResourceType} {input.ResourceName ?? input.ResourceId}";

    public static string Subject(string resourceType, string name) => $"{resourceType} {name}";

    /// <summary>Cuts attacker-controlled text to a bounded length; output encoding is the writer's job.</summary>
    public static string? Clip(string? text, int max = MaxValueLength) =>
        text is null || text.Length <= max ? text : text[..max] + "…";
}
