using IsmsServerless.Engine;
using IsmsServerless.Inputs;
using IsmsServerless.Model;

namespace IsmsServerless.Rules.Patch;

/// <summary>
/// Systems Manager's own verdict on a managed instance's patch compliance, from its EventBridge event or the sweep's
/// instance patch state: one finding per instance (no SubKey). Per-patch findings come from
/// <see cref="MissingPatchRule"/>; this one exists because the event names no patch, and it resolves when SSM reports
/// the instance compliant.
/// </summary>
/// <remarks>
/// SSM compliance is judged against the baseline, and a baseline with ApproveAfterDays does not count a patch as
/// missing until it is approved, so "compliant" here never resolves an Inspector vulnerability (different rule, different
/// finding). Severity is SSM's: critical when any critical patch is missing; unspecified is judged MEDIUM.
/// </remarks>
public sealed class InstancePatchComplianceRule : IRule<InstancePatchComplianceInput>
{
    public RuleMetadata Metadata { get; } = new(
        Id: "patch.instance-patch-compliance",
        Title: "Managed instance is not patch-compliant with its baseline",
        Category: Category.Patch,
        Severity: Severity.Medium,
        ResourceType: "AWS::EC2::Instance",
        PolicyClause: PatchPolicy.Clause,
        Controls: PatchPolicy.Controls,
        Risk: "The instance lacks patches its approved baseline requires; until installed, the fixed weaknesses stay exploitable.",
        Remediation: "Install the missing patches with AWS-RunPatchBaseline (Operation=Install) and reboot if required; check the per-patch findings for which ones.");

    public IEnumerable<Evaluation> Evaluate(InstancePatchComplianceInput input, EvaluationContext context)
    {
        var severity = PatchPolicy.FromVendor(input.SeverityText) ?? Severity.Medium;
        // "its baseline" or "baseline <id>", written straight into the message (no intermediate string).
        var (baseline, baselineId) = string.IsNullOrEmpty(input.BaselineId) ? ("its baseline", "") : ("baseline ", input.BaselineId);
        // Sized for every line below, so it is never regrown; an EvidenceDictionary, not a dictionary (same lines, same order).
        var evidence = new EvidenceDictionary(4 + input.Counts.Count)
        {
            ["origin"] = input.Origin,
            ["ssmSeverity"] = input.SeverityText ?? "",
        };
        if (input.BaselineId is { } id) evidence["baselineId"] = id;
        if (input.Counts.Count > 0)
        {
            foreach (var (name, value) in input.Counts) evidence[name] = value;
        }
        if (input.SourceEventId is { } eventId) evidence["eventId"] = eventId;
        // One verdict, returned as a one-element array rather than through an iterator's state machine.
        return
        [
            new Evaluation
            {
                Rule = Metadata,
                Outcome = input.Compliant ? Outcome.Compliant : Outcome.Finding,
                ResourceId = input.InstanceId,
                ResourceType = PatchPolicy.ManagedNodeType(input.InstanceId),
                AccountId = input.AccountId,
                Region = input.Region,
                // string.Concat, not an interpolated string: the same text without a pooled buffer rented and returned per event.
                Message = input.Compliant
                    ? string.Concat("Systems Manager reports ", input.InstanceId, " patch-compliant with ", baseline, baselineId)
                    : string.Concat(["Systems Manager reports ", input.InstanceId, " NON_COMPLIANT with ", baseline, baselineId, " (", severity.ToWire(), " patches missing)"]),
                SeverityOverride = severity,
                ClockStart = input.NonCompliantSince,
                ObservedAt = input.ObservedAt,
                Evidence = evidence,
            },
        ];
    }
}
