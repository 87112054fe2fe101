using IsmsServerless.Engine;
using IsmsServerless.Inputs;
using IsmsServerless.Model;

namespace IsmsServerless.Drift;

/// <summary>
/// A baseline judged from the Config item alone: one verdict per item of <see cref="ResourceTypes"/> (a finding with the
/// unmet requirements, or compliant, which resolves an earlier finding). Subclasses hold only their metadata, their
/// baseline and <see cref="Check"/>; items they do not apply to (<see cref="AppliesTo"/>) and oversized summaries
/// yield nothing. The same code judges item changes, rule invocations, stored re-checks and snapshot back-fill.
/// </summary>
public abstract class ConfigItemBaselineRule : IRule<ConfigItemInput>, IKeyedRule<ConfigItemInput>
{
    public abstract RuleMetadata Metadata { get; }

    public abstract Baseline Baseline { get; }

    /// <summary>Config resource types judged (the stack's recorder and event rule must cover them).</summary>
    public abstract IReadOnlyList<string> ResourceTypes { get; }

    /// <summary>
    /// The registry calls this rule only for items of <see cref="ResourceTypes"/>: <see cref="Evaluate"/>'s first check
    /// returns nothing for any other type, so the keys skip the call, never a verdict (<c>KeyedRuleTests</c>).
    /// </summary>
    public IReadOnlyList<string> DispatchKeys => ResourceTypes;

    /// <summary>The unmet requirements of one item with a configuration object; empty when it meets the baseline.</summary>
    protected abstract IEnumerable<BaselineViolation> Check(ConfigItemInput input);

    /// <summary>Narrower scope than the resource type (e.g. only the VPC's default security group).</summary>
    protected virtual bool AppliesTo(ConfigItemInput input) => true;

    public IEnumerable<Evaluation> Evaluate(ConfigItemInput input, EvaluationContext context)
    {
        if (!Judges(input.ResourceType) || !input.HasConfiguration || !AppliesTo(input)) return [];
        var found = Check(input);
        var violations = found as IReadOnlyList<BaselineViolation> ?? [.. found];
        // The item's evidence is built for this verdict alone, so the verdict's lines go into it (no second dictionary).
        return
        [
            BaselineVerdict.JudgeOwned(Metadata, Baseline, input.ResourceKey, input.ResourceType, input.AccountId, input.Region,
                BaselineVerdict.Subject(input), violations, input.CaptureTime, input.Evidence()),
        ];
    }

    /// <summary><see cref="ResourceTypes"/> holds <paramref name="resourceType"/> (ordinal; a loop, not LINQ's boxed enumerator).</summary>
    private bool Judges(string resourceType)
    {
        var types = ResourceTypes;
        for (var i = 0; i < types.Count; i++)
        {
            if (string.Equals(types[i], resourceType, StringComparison.Ordinal)) return true;
        }
        return false;
    }

    /// <summary>A violation when <paramref name="ok"/> is false, with what the item holds.</summary>
    protected static IEnumerable<BaselineViolation> Require(bool ok, BaselineRequirement requirement, string? actual, string? path = null, string? detail = null) =>
        ok ? [] : [new BaselineViolation(requirement, actual ?? "not set", path, detail)];

    /// <summary>Every baseline area's controls: the specific ones first, then configuration management and monitoring.</summary>
    protected static string[] With(params string[] controls) => [.. controls, .. PolicyClauses.ConfigurationControls.Where(c => !controls.Contains(c))];
}
