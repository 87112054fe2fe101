using IsmsServerless.Engine;
using IsmsServerless.Model;

namespace IsmsServerless.Inputs;

/// <summary>
/// A GuardDuty Runtime Monitoring coverage change for one resource (an EC2 instance, an ECS or EKS cluster): Healthy
/// means GuardDuty receives its runtime events, Unhealthy means it cannot monitor it (agent, VPC endpoint or setup issue).
/// </summary>
public sealed record RuntimeCoverageInput : RuleInput
{
    /// <summary>GuardDuty's <c>resourceDetails.resourceType</c>: EC2, ECS or EKS.</summary>
    public required string CoveredType { get; init; }

    /// <summary>The instance id or cluster name.</summary>
    public required string ResourceId { get; init; }

    public required bool Healthy { get; init; }

    public string? PreviousStatus { get; init; }

    /// <summary>GuardDuty's coverage issue ("Issue type:Extra information"), when unhealthy.</summary>
    public string? Issue { get; init; }

    public override IEnumerable<Evaluation> Dispatch(RuleRegistry registry, EvaluationContext context) =>
        registry.Evaluate(this, context);
}
