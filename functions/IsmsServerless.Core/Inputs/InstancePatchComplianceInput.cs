using IsmsServerless.Engine;
using IsmsServerless.Model;

namespace IsmsServerless.Inputs;

/// <summary>
/// Systems Manager's patch-compliance verdict for one managed instance, from the EventBridge "Configuration
/// Compliance State Change" event or from the sweep's <c>DescribeInstancePatchStates</c>. Both paths build this one
/// input, so both reach the same rule and the same finding identity.
/// </summary>
public sealed record InstancePatchComplianceInput : RuleInput
{
    /// <summary>The managed instance id (<c>i-…</c> for EC2, <c>mi-…</c> for hybrid nodes).</summary>
    public required string InstanceId { get; init; }

    public required bool Compliant { get; init; }

    /// <summary>Highest severity among the non-compliant patches, as SSM spells it (<c>critical</c>, <c>CRITICAL</c>, <c>UNSPECIFIED</c>).</summary>
    public string? SeverityText { get; init; }

    public string? BaselineId { get; init; }

    /// <summary>Where the verdict came from: <c>ssm-event</c> or <c>ssm-sweep</c>.</summary>
    public required string Origin { get; init; }

    /// <summary>When the instance was first seen non-compliant, as far as this source knows (event time, scan end).</summary>
    public DateTimeOffset? NonCompliantSince { get; init; }

    /// <summary>Counts the sweep knows (missing, failed, …); empty for the event path.</summary>
    public IReadOnlyDictionary<string, string> Counts { get; init; } = System.Collections.ObjectModel.ReadOnlyDictionary<string, string>.Empty;

    public override IEnumerable<Evaluation> Dispatch(RuleRegistry registry, EvaluationContext context) =>
        registry.Evaluate(this, context);
}
