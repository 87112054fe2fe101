using IsmsServerless.Engine;
using IsmsServerless.Model;

namespace IsmsServerless.Inputs;

/// <summary>
/// One security finding from a detector (GuardDuty directly, or any product through Security Hub in ASFF or OCSF form),
/// normalized to what the incident threshold and correlator need. The detector's own severity is kept both as its number
/// (GuardDuty 0.1 to 10) and as a label.
/// </summary>
public sealed record SecurityFindingInput : RuleInput
{
    /// <summary><c>guardduty</c>, <c>securityhub-asff</c> or <c>securityhub-ocsf</c>: which adapter made it.</summary>
    public required string Form { get; init; }

    /// <summary>The producing product (GuardDuty, Inspector, Security Hub, Macie...).</summary>
    public required string Product { get; init; }

    /// <summary>The source's finding id (GuardDuty id, ASFF Id, OCSF finding_info.uid).</summary>
    public required string FindingId { get; init; }

    /// <summary>The finding type, e.g. <c>UnauthorizedAccess:EC2/SSHBruteForce</c>.</summary>
    public string Type { get; init; } = "";

    public string Title { get; init; } = "";

    /// <summary>GuardDuty's numeric severity (0.1 to 10), or the ASFF <c>Severity.Product</c> of a GuardDuty finding; null otherwise.</summary>
    public double? GuardDutySeverity { get; init; }

    /// <summary>The finding's severity as a label (GuardDuty's number mapped: 7+ HIGH, 4+ MEDIUM, else LOW; 9+ CRITICAL).</summary>
    public required Severity Severity { get; init; }

    /// <summary>The severity as the source wrote it, for the evidence.</summary>
    public string SeverityText { get; init; } = "";

    /// <summary>The affected resource's id (instance id, bucket, trail, access key), or empty.</summary>
    public string ResourceId { get; init; } = "";

    /// <summary>The affected resource's type as the source names it.</summary>
    public string ResourceType { get; init; } = "";

    /// <summary>The principal behind the activity (IAM user, role session), when the finding names one.</summary>
    public string? Actor { get; init; }

    /// <summary>The remote IP the activity came from, when the finding names one.</summary>
    public string? RemoteIp { get; init; }

    /// <summary>Why the finding must not be evaluated at all (archived, suppressed, resolved, passed, handled by another rule).</summary>
    public string? OutOfScopeReason { get; init; }

    /// <summary>When the source first saw the activity (GuardDuty eventFirstSeen, OCSF first_seen_time, ASFF FirstObservedAt).</summary>
    public DateTimeOffset? FirstSeenAt { get; init; }

    /// <summary>The delivering event's time.</summary>
    public DateTimeOffset? EventTime { get; init; }

    /// <summary>
    /// The cause's key for correlation: the resource, except for credential findings, whose "resource" is the actor's
    /// access key, so the actor is the cause.
    /// </summary>
    public string Subject => IsCredentialFinding && !string.IsNullOrEmpty(Actor) ? $"principal/{Actor}"
        : !string.IsNullOrEmpty(ResourceId) ? ResourceId
        : !string.IsNullOrEmpty(Actor) ? $"principal/{Actor}"
        : $"account/{AccountId}";

    public bool IsCredentialFinding => ResourceType is "AccessKey" or "AWS::IAM::AccessKey" or "AwsIamAccessKey";

    /// <summary>The time the incident clock starts: the event's time (the contract's "event time + 1 h").</summary>
    public DateTimeOffset? ClockStart => EventTime ?? FirstSeenAt ?? ObservedAt;

    public override IEnumerable<Evaluation> Dispatch(RuleRegistry registry, EvaluationContext context) =>
        registry.Evaluate(this, context);

    /// <summary>GuardDuty's documented bands: 7.0-8.9 High, 4.0-6.9 Medium, 1.0-3.9 Low; 9.0+ (attack sequences) Critical.</summary>
    public static Severity FromGuardDuty(double score) => score switch
    {
        >= 9 => Severity.Critical,
        >= 7 => Severity.High,
        >= 4 => Severity.Medium,
        >= 1 => Severity.Low,
        _ => Severity.Informational,
    };
}
