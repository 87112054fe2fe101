using System.Runtime.CompilerServices;
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
    /// <summary>The requirement with this id (rules look theirs up per event: a loop, not LINQ's closure and enumerator).</summary>
    public BaselineRequirement this[string id]
    {
        get
        {
            var requirements = Requirements;
            for (var i = 0; i < requirements.Count; i++)
            {
                if (requirements[i].Id == id) return requirements[i];
            }
            // What Requirements.First(r => r.Id == id) threw for an unknown id.
            throw new InvalidOperationException("Sequence contains no matching element");
        }
    }

    // Set once from the constructor's values, so two baselines equal before are equal still (records compare fields).
    private readonly string _tag = $"{ResourceType}@{Version}";
    private readonly string _tagType = ResourceType;
    private readonly string _tagVersion = Version;

    /// <summary>
    /// <c>ResourceType@Version</c>, the evidence line every verdict of this baseline carries: built once, not per
    /// verdict (built afresh for a <c>with</c> copy that changed either part).
    /// </summary>
    internal string Tag => ReferenceEquals(_tagType, ResourceType) && ReferenceEquals(_tagVersion, Version) ? _tag : $"{ResourceType}@{Version}";
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
        return JudgeOwned(rule, baseline, resourceKey, resourceType, accountId, region, subject, violations, observedAt, allEvidence, subKey, source);
    }

    /// <summary>
    /// <see cref="Judge"/> for a caller that built <paramref name="evidence"/> for this verdict alone (an ordinal dictionary
    /// with room for two more lines, e.g. <see cref="ConfigItemInput.Evidence"/>): the verdict's lines are added to it and
    /// it becomes the evaluation's evidence, instead of being copied into a second dictionary. Same lines, same order.
    /// </summary>
    internal static Evaluation JudgeOwned(
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
        evidence["baseline"] = baseline.Tag;
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
                Evidence = evidence,
            };
        }
        // Loops, not LINQ (Distinct's set, Max's and Select's iterators): the same ids in first-seen order, the same worst
        // severity, the same ten details and diffs.
        evidence["unmetRequirements"] = UnmetIds(violations);
        var worst = violations[0].Requirement.Severity;
        for (var i = 1; i < violations.Count; i++)
        {
            if (violations[i].Requirement.Severity > worst) worst = violations[i].Requirement.Severity;
        }
        // The first MaxDiffs violations' diffs, in order, in an array of exactly that many (no list around it).
        var diff = new FieldDiff[Math.Min(ConfigurationDiff.MaxDiffs, violations.Count)];
        for (var i = 0; i < diff.Length; i++)
        {
            var v = violations[i];
            diff[i] = new FieldDiff(Clip(v.Path ?? v.Requirement.Path)!, v.Requirement.Expected, Clip(v.Actual));
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
            Message = FindingMessage(baseline, subject, violations, source),
            ClockStart = observedAt,
            ObservedAt = observedAt,
            Diff = diff,
            Evidence = evidence,
        };
    }

    /// <summary>
    /// "&lt;subject&gt; drifts from the &lt;type&gt; baseline &lt;version&gt; (&lt;source&gt;): &lt;detail&gt;; …; and N more": written
    /// into one buffer (one string), not as a head, a source part, a joined detail list and their concatenation. The text is
    /// what <c>$"{Clip(subject)} drifts from … {(source is null ? "" : " (" + source + ")")}: " + string.Join("; ", details) +
    /// …</c> gave (<c>CpuWave7RewriteTests</c> compares it with that code).
    /// </summary>
    private static string FindingMessage(Baseline baseline, string subject, IReadOnlyList<BaselineViolation> violations, string? source)
    {
        var text = new DefaultInterpolatedStringHandler(0, 0);
        text.AppendFormatted(Clip(subject));
        text.AppendLiteral(" drifts from the ");
        text.AppendFormatted(baseline.ResourceType);
        text.AppendLiteral(" baseline ");
        text.AppendFormatted(baseline.Version);
        if (source is not null)
        {
            text.AppendLiteral(" (");
            text.AppendFormatted(source);
            text.AppendLiteral(")");
        }
        text.AppendLiteral(": ");
        var shown = Math.Min(10, violations.Count);
        for (var i = 0; i < shown; i++)
        {
            if (i > 0) text.AppendLiteral("; ");
            var v = violations[i];
            if (v.Detail is { } detail)
            {
                text.AppendFormatted(Clip(detail, MaxDetailLength));
                continue;
            }
            var path = v.Path ?? v.Requirement.Path;
            var actual = Clip(v.Actual) ?? "not set";
            if ((v.Requirement.Id?.Length ?? 0) + (path?.Length ?? 0) + actual.Length + (v.Requirement.Expected?.Length ?? 0) + SentenceGlue > MaxDetailLength)
            {
                // Too long for the message: the sentence as one string, cut as before.
                text.AppendFormatted(Clip($"{v.Requirement.Id}: {path} is {actual}, expected {v.Requirement.Expected}", MaxDetailLength));
                continue;
            }
            text.AppendFormatted(v.Requirement.Id);
            text.AppendLiteral(": ");
            text.AppendFormatted(path);
            text.AppendLiteral(" is ");
            text.AppendFormatted(actual);
            text.AppendLiteral(", expected ");
            text.AppendFormatted(v.Requirement.Expected);
        }
        if (violations.Count > 10)
        {
            text.AppendLiteral("; and ");
            text.AppendFormatted(violations.Count - 10);
            text.AppendLiteral(" more");
        }
        return text.ToStringAndClear();
    }

    /// <summary>The fixed text of a violation sentence: ": ", " is ", ", expected ".</summary>
    private const int SentenceGlue = 2 + 4 + 11;

    /// <summary>The violated requirement ids, each once, in first-seen order, comma-separated.</summary>
    private static string UnmetIds(IReadOnlyList<BaselineViolation> violations)
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

    /// <summary>Evidence of a configuration item, plus its subject line ("AWS::S3::Bucket my-bucket").</summary>
    public static string Subject(ConfigItemInput input) => $"{input.ResourceType} {input.ResourceName ?? input.ResourceId}";

    public static string Subject(string resourceType, string name) => $"{resourceType} {name}";

    /// <summary>Cuts attacker-controlled text to a bounded length; output encoding is the writer's job.</summary>
    public static string? Clip(string? text, int max = MaxValueLength) =>
        text is null || text.Length <= max ? text : text[..max] + "…";
}
