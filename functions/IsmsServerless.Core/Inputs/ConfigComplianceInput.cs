using IsmsServerless.Engine;
using IsmsServerless.Model;

namespace IsmsServerless.Inputs;

/// <summary>
/// One "Config Rules Compliance Change" (EventBridge detail, or the same body in an SNS ComplianceChangeNotification):
/// an AWS Config rule's verdict on one resource changed.
/// </summary>
public sealed record ConfigComplianceInput : RuleInput
{
    public required string ConfigRuleName { get; init; }
    public string? ConfigRuleArn { get; init; }
    public required string ResourceType { get; init; }
    public required string ResourceId { get; init; }

    /// <summary><c>COMPLIANT</c>, <c>NON_COMPLIANT</c>, <c>NOT_APPLICABLE</c> or <c>INSUFFICIENT_DATA</c>.</summary>
    public required string ComplianceType { get; init; }

    public string? PreviousComplianceType { get; init; }
    public string? Annotation { get; init; }

    /// <summary>When Config recorded the new result (<c>resultRecordedTime</c>).</summary>
    public DateTimeOffset? RecordedAt { get; init; }

    public override IEnumerable<Evaluation> Dispatch(RuleRegistry registry, EvaluationContext context) =>
        registry.Evaluate(this, context);
}
