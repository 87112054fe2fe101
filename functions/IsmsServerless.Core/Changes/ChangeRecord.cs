namespace IsmsServerless.Changes;

/// <summary>One API call of a change, as the register keeps it (the deduplicated, bounded list on the record).</summary>
public sealed record ChangeCallSummary(string EventId, string EventName, string EventSource, DateTimeOffset EventTime)
{
    /// <summary>The resources this call touched (bounded, as <see cref="ChangeCall.Resources"/>).</summary>
    public IReadOnlyList<string> Resources { get; init; } = [];

    /// <summary>The call's source IP address (or the AWS service that made it on the caller's behalf).</summary>
    public string? SourceIp { get; init; }

    /// <summary>Value equality including the resource list's elements (a record compares lists by reference).</summary>
    public bool Equals(ChangeCallSummary? other) =>
        other is not null && EventId == other.EventId && EventName == other.EventName && EventSource == other.EventSource
        && EventTime == other.EventTime && SourceIp == other.SourceIp && Resources.SequenceEqual(other.Resources, StringComparer.Ordinal);

    public override int GetHashCode() => HashCode.Combine(EventId, EventName, EventSource, EventTime, SourceIp);
}

/// <summary>
/// One call with everything its <c>CALL</c> item holds: the register keeps the session's earliest call this way on the
/// record (<see cref="ChangeRecord.FirstCall"/>) instead of as an item of its own (issue 20 wave 8), and writes it out as
/// that item, unchanged, when an earlier call of the session takes its place.
/// </summary>
public sealed record ChangeCallDetail
{
    public required string EventId { get; init; }
    public required string EventName { get; init; }
    public required string EventSource { get; init; }
    public required DateTimeOffset EventTime { get; init; }
    public required ChangeKind Kind { get; init; }
    public required string Region { get; init; }
    public required string Actor { get; init; }
    public IReadOnlyList<string> Resources { get; init; } = [];

    /// <summary>The call's source IP address; null when CloudTrail gave none (an empty one reads as none, as on a CALL item).</summary>
    public string? SourceIp { get; init; }

    public static ChangeCallDetail Of(ChangeCall call)
    {
        ArgumentNullException.ThrowIfNull(call);
        return new()
        {
            EventId = call.EventId,
            EventName = call.EventName,
            EventSource = call.EventSource,
            EventTime = call.EventTime,
            Kind = call.Kind,
            Region = call.Region,
            Actor = call.Actor,
            Resources = call.Resources,
            SourceIp = string.IsNullOrEmpty(call.SourceIp) ? null : call.SourceIp,
        };
    }

    /// <summary>The call as the change view lists it.</summary>
    public ChangeCallSummary Summary => new(EventId, EventName, EventSource, EventTime) { Resources = Resources, SourceIp = SourceIp };
}

/// <summary>A completed review.</summary>
/// <param name="Reviewer">Who reviewed: the person's e-mail when they map to a person, else the name as given.</param>
/// <param name="ReviewerPrincipal">The reviewer's comparison key (normalised, skeleton, emergency prefix stripped).</param>
public sealed record ChangeReview(
    string Reviewer,
    string ReviewerPrincipal,
    DateTimeOffset ReviewedAt,
    ReviewVerdict Verdict,
    string? TicketUrl,
    string? Note)
{
    /// <summary>The signed-in token's subject (<c>sub</c>) when the review came from the status page.</summary>
    public string? ReviewerSubject { get; init; }

    /// <summary>The change author's e-mail when their principal maps to a person; null when unmapped.</summary>
    public string? AuthorEmail { get; init; }

    /// <summary>
    /// <c>checked</c>: author and reviewer both map to people and are different people. <c>author-unmapped</c>: the
    /// author maps to no person, so four-eyes was only checked on normalised principal names, not on people.
    /// <c>reviewer-unmapped</c>: likewise for the reviewer.
    /// </summary>
    public string FourEyes { get; init; } = FourEyesChecked;

    /// <summary>Every approval of the round this review completed (approval matrix); empty for a one-reviewer review.</summary>
    public IReadOnlyList<ChangeApproval> Approvals { get; init; } = [];

    /// <summary>The risk class and the roles the approval matrix required when the review completed.</summary>
    public string? Risk { get; init; }

    public IReadOnlyList<string> RequiredRoles { get; init; } = [];

    public const string FourEyesChecked = "checked";
    public const string FourEyesAuthorUnmapped = "author-unmapped";
    public const string FourEyesReviewerUnmapped = "reviewer-unmapped";
}

/// <summary>
/// One change: every mutating call of one session (who, role, session, first and last time, calls, resources), the
/// unit a human reviews. A 40-call incident is one record. Built by <see cref="ChangeRecordMerger"/>, which is
/// order-independent and idempotent, so redelivered and out-of-order calls give the same record.
/// </summary>
public sealed record ChangeRecord
{
    /// <summary>Bounded lists keep an item far below DynamoDB's 400 KB whatever a session does.</summary>
    public const int MaxCalls = 50;
    public const int MaxResources = 50;
    public const int MaxApiNames = 100;
    public const int MaxSourceIps = 10;

    public required string ChangeId { get; init; }
    public required ChangeKind Kind { get; init; }
    public required string AccountId { get; init; }
    public string Region { get; init; } = "";

    /// <summary>Principal ARN (or type:name) as CloudTrail gives it.</summary>
    public required string Actor { get; init; }

    /// <summary>The person behind the session, normalized for the four-eyes check (<see cref="PrincipalName"/>).</summary>
    public required string Principal { get; init; }

    public string? RoleName { get; init; }
    public string? SessionIssuerArn { get; init; }
    public string? AccessKeyId { get; init; }
    public DateTimeOffset? SessionCreatedAt { get; init; }

    /// <summary>The grouping key the id is derived from (access key + session creation, or principal + day).</summary>
    public required string SessionKey { get; init; }

    /// <summary>The caller's account, when it differs from <see cref="AccountId"/> (a cross-account change).</summary>
    public string? CallerAccountId { get; init; }

    public required DateTimeOffset FirstCallAt { get; init; }
    public required DateTimeOffset LastCallAt { get; init; }

    /// <summary>Distinct calls (by eventID) merged into this record.</summary>
    public int CallCount { get; init; }

    /// <summary>
    /// The eventID of the earliest call (time <see cref="FirstCallAt"/>; equal times: the ordinally smallest id), whose
    /// per-call identity details the record keeps. Null only on records stored before issue 20 wave 5, which derive it
    /// from their stored <see cref="Calls"/> list.
    /// </summary>
    public string? FirstCallId { get; init; }

    /// <summary>
    /// The earliest call's own details (<see cref="FirstCallId"/> at <see cref="FirstCallAt"/>), stored on the record
    /// instead of as a <c>CALL</c> item (issue 20 wave 8: a one-call session writes no CALL item). Null on records stored
    /// before, whose earliest call has its CALL item like every other call.
    /// </summary>
    public ChangeCallDetail? FirstCall { get; init; }

    /// <summary>
    /// The earliest <see cref="MaxCalls"/> calls merged into this object, by time then event id. <b>Not stored</b> (issue
    /// 20: it made the record over 1 KB from its first call): the register's CALL items hold every call
    /// (<see cref="IChangeRegister.GetCallsAsync"/>, what the change view shows). A record read from the register
    /// holds the list only when an older version stored it.
    /// </summary>
    public IReadOnlyList<ChangeCallSummary> Calls { get; init; } = [];

    /// <summary>Distinct "source:eventName" values, ordinal order, at most <see cref="MaxApiNames"/>.</summary>
    public IReadOnlyList<string> ApiNames { get; init; } = [];

    /// <summary>Touched resources (ARNs or service:key/value), ordinal order, at most <see cref="MaxResources"/>.</summary>
    public IReadOnlyList<string> Resources { get; init; } = [];

    public bool ResourcesTruncated { get; init; }
    public IReadOnlyList<string> SourceIps { get; init; } = [];

    /// <summary>Every region the session's calls were made in (the ledger keys its change items by region).</summary>
    public IReadOnlyList<string> Regions { get; init; } = [];

    public ChangeReview? Review { get; init; }

    /// <summary>
    /// Approvals given in this round (approval matrix, <see cref="ApprovalMatrix"/>): each person, the role slot they
    /// filled, when, and their ticket. The review (<see cref="Review"/>) is recorded when the last required approval arrives.
    /// </summary>
    public IReadOnlyList<ChangeApproval> Approvals { get; init; } = [];

    /// <summary>
    /// Earlier review rounds, oldest first: a call made after a review opens a new round (<see cref="Round"/>), and the
    /// earlier review is kept here as history.
    /// </summary>
    public IReadOnlyList<ChangeReview> PriorReviews { get; init; } = [];

    /// <summary>The review round, 1 for the first; each call after a review starts the next.</summary>
    public int Round { get; init; } = 1;

    /// <summary>When the current round started (the first call after the previous review); null in round 1.</summary>
    public DateTimeOffset? RoundStartedAt { get; init; }

    /// <summary>Reminders and the overdue escalation already done by the sweep (0 = none, n = first n stages).</summary>
    public int TimerStage { get; init; }

    /// <summary>
    /// True once a review's compliant evaluation reached the findings ledger. While a reviewed record that went overdue
    /// has this false, the sweep re-sends it, so a crash between the review and the ledger cannot leave the finding open.
    /// </summary>
    public bool FindingResolved { get; init; }

    /// <summary>
    /// True when the change's kind must be folded back into code (<c>changeManagement.codeUpdateKinds</c>), set when the
    /// review completes: the change is closed only with a <see cref="Closure"/>.
    /// </summary>
    public bool CodeUpdateRequired { get; init; }

    /// <summary>How the change was brought in line with code (commit / PR link, reverted, stack in sync); null while open.</summary>
    public ChangeClosure? Closure { get; init; }

    /// <summary>
    /// The CloudFormation stack (<c>account/region/name</c>) the reviewer named: the stack drift rule's COMPLIANT verdict
    /// after the change's last call closes the change.
    /// </summary>
    public string? ReconcileStack { get; init; }

    /// <summary>Reviewed, and (when required) reconciled with code.</summary>
    public bool Closed => Review is not null && (!CodeUpdateRequired || Closure is not null);

    /// <summary>The Jira issue key linked to this change (<c>changeManagement.jira</c>), once created.</summary>
    public string? JiraIssueKey { get; init; }

    /// <summary>Optimistic-concurrency version in the store; 0 for a record not yet stored.</summary>
    public long Version { get; init; }

    public bool Reviewed => Review is not null;
}
