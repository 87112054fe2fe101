using System.Globalization;
using IsmsServerless.Drift;
using IsmsServerless.Engine;
using IsmsServerless.Inputs;
using IsmsServerless.Model;

namespace IsmsServerless.Rules.Drift;

/// <summary>
/// A resource whose tracked properties (<see cref="TrackedProperties"/>) differ from its approved snapshot. The snapshot
/// is attached by <see cref="ApprovedBaselineEnricher"/> in store-backed pipelines; without one the rule is silent.
/// The finding lists every changed field from → to, and resolves when the resource is reverted or the change re-approved.
/// </summary>
public sealed class ApprovedSnapshotDriftRule : IRule<ConfigItemInput>
{
    public RuleMetadata Metadata { get; } = new(
        Id: "drift.approved-snapshot-drift",
        Title: "Resource drifted from its approved configuration",
        Category: Category.Drift,
        Severity: Severity.Medium,
        ResourceType: "AWS::Config::ResourceCompliance",
        PolicyClause: PolicyClauses.Proc002MonitorApproved + "; " + PolicyClauses.QwestlyInfrastructureAsCode,
        Controls: [Controls.IsoConfiguration, Controls.IsoChangeManagement, Controls.Soc2ConfigurationMonitoring, Controls.Soc2ChangeManagement],
        Risk: "A change nobody approved is either a mistake, a manual fix that the code does not know about, or an intrusion; the next deploy may undo it or be undone by it.",
        Remediation: "Revert the change through the infrastructure code, or, if intended, update the code and re-approve the resource: ./isms baseline approve <resource> --actor <you> --reason <why>.")
    {
        Sla = TimeSpan.FromDays(7),
    };

    public IEnumerable<Evaluation> Evaluate(ConfigItemInput input, EvaluationContext context)
    {
        if (input.ApprovedBaseline is not { } baseline || !input.HasConfiguration) yield break;
        var tracked = TrackedProperties.For(input.ResourceType);
        var diffs = ConfigurationDiff.Compare("configuration", baseline.Configuration, input.Configuration, tracked.Configuration)
            .Concat(ConfigurationDiff.Compare("supplementaryConfiguration", baseline.SupplementaryConfiguration, input.SupplementaryConfiguration, tracked.Supplementary))
            .Take(ConfigurationDiff.MaxDiffs)
            .Select(d => d with { Expected = BaselineVerdict.Clip(d.Expected), Actual = BaselineVerdict.Clip(d.Actual) })
            .ToList();
        var version = baseline.Version.ToString(CultureInfo.InvariantCulture);
        var approved = $"approved baseline v{version} ({BaselineVerdict.Clip(baseline.ApprovedBy)}, {Timestamps.ToWire(baseline.ApprovedAt)})";
        var subject = BaselineVerdict.Subject(input);
        yield return new Evaluation
        {
            Rule = Metadata,
            Outcome = diffs.Count == 0 ? Outcome.Compliant : Outcome.Finding,
            ResourceId = input.ResourceKey,
            ResourceType = input.ResourceType,
            AccountId = input.AccountId,
            Region = input.Region,
            Message = diffs.Count == 0
                ? $"{BaselineVerdict.Clip(subject)} matches its {approved}"
                : $"{BaselineVerdict.Clip(subject)} drifted from its {approved}: "
                  + string.Join("; ", diffs.Take(5).Select(d => $"{d.Path}: {d.Expected ?? "(absent)"} → {d.Actual ?? "(absent)"}"))
                  + (diffs.Count > 5 ? $"; and {diffs.Count - 5} more" : ""),
            ClockStart = input.CaptureTime,
            ObservedAt = input.CaptureTime,
            Diff = diffs,
            Evidence = input.Evidence(),
        };
    }
}
