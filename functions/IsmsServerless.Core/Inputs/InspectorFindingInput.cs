using IsmsServerless.Engine;
using IsmsServerless.Model;

namespace IsmsServerless.Inputs;

/// <summary>
/// One Amazon Inspector finding about one resource, normalized from an EventBridge "Inspector2 Finding" event.
/// Every finding type is passed on (package vulnerability, network reachability, code vulnerability); each rule decides
/// which it judges. Dates that did not parse are null, with the raw text kept for the evidence.
/// </summary>
public sealed record InspectorFindingInput : RuleInput
{
    public required string FindingArn { get; init; }

    /// <summary><c>PACKAGE_VULNERABILITY</c> | <c>NETWORK_REACHABILITY</c> | <c>CODE_VULNERABILITY</c>, upper case.</summary>
    public required string FindingType { get; init; }

    /// <summary><c>ACTIVE</c> | <c>SUPPRESSED</c> | <c>CLOSED</c>, upper case; empty when the event omits it.</summary>
    public required string Status { get; init; }

    /// <summary>Inspector's severity (<c>CRITICAL</c> … <c>UNTRIAGED</c>) as sent.</summary>
    public string SeverityText { get; init; } = "";

    public string Title { get; init; } = "";

    /// <summary>The CVE (or vendor advisory) id; null for finding types without one.</summary>
    public string? VulnerabilityId { get; init; }

    /// <summary><c>YES</c> | <c>NO</c> | <c>PARTIAL</c>, or null when the payload predates the field.</summary>
    public string? FixAvailable { get; init; }

    public string? ExploitAvailable { get; init; }
    public string? InspectorScore { get; init; }

    /// <summary>The resource id as Inspector gives it: an instance id, an image ARN, a function ARN.</summary>
    public required string ResourceId { get; init; }

    /// <summary>Inspector's resource type, e.g. <c>AWS_EC2_INSTANCE</c>.</summary>
    public required string InspectorResourceType { get; init; }

    public DateTimeOffset? FirstObservedAt { get; init; }
    public string? FirstObservedAtText { get; init; }
    public DateTimeOffset? VendorCreatedAt { get; init; }
    public string? VendorCreatedAtText { get; init; }

    /// <summary>The delivering event's own time, the fallback when the finding's dates are missing or unreadable.</summary>
    public DateTimeOffset? EventTime { get; init; }

    /// <summary>"name version → fixedInVersion" per vulnerable package, for the message and evidence.</summary>
    public IReadOnlyList<string> Packages { get; init; } = [];

    /// <summary>The CloudFormation-style type of the resource, for the ledger and status page.</summary>
    public string ResourceType => InspectorResourceType switch
    {
        "AWS_EC2_INSTANCE" => "AWS::EC2::Instance",
        "AWS_ECR_CONTAINER_IMAGE" => "AWS::ECR::Repository",
        "AWS_LAMBDA_FUNCTION" => "AWS::Lambda::Function",
        "AWS_ECR_REPOSITORY" => "AWS::ECR::Repository",
        _ => "AWS::Inspector2::Resource",
    };

    public override IEnumerable<Evaluation> Dispatch(RuleRegistry registry, EvaluationContext context) =>
        registry.Evaluate(this, context);
}
