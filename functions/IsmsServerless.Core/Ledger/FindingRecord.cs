using IsmsServerless.Model;

namespace IsmsServerless.Ledger;

/// <summary>Lifecycle status of a finding (the workflow axis; the SLA axis is <see cref="SlaState"/>).</summary>
public enum FindingStatus
{
    /// <summary>Detected and not yet handled.</summary>
    Open,
    /// <summary>Someone owns it; the SLA clock keeps running.</summary>
    Acknowledged,
    /// <summary>Covered by an unexpired waiver; no alerts, no escalation.</summary>
    Suppressed,
    /// <summary>A later evaluation was compliant, or the resource is gone.</summary>
    Resolved,
}

public static class FindingStatusNames
{
    public static string ToWire(this FindingStatus status) => status switch
    {
        FindingStatus.Open => "open",
        FindingStatus.Acknowledged => "acknowledged",
        FindingStatus.Suppressed => "suppressed",
        _ => "resolved",
    };

    public static bool TryParse(string? text, out FindingStatus status)
    {
        switch (text)
        {
            case "open": status = FindingStatus.Open; return true;
            case "acknowledged": status = FindingStatus.Acknowledged; return true;
            case "suppressed": status = FindingStatus.Suppressed; return true;
            case "resolved": status = FindingStatus.Resolved; return true;
            default: status = FindingStatus.Open; return false;
        }
    }
}

/// <summary>A waiver (risk acceptance): who, why, under which control, until when.</summary>
public sealed record Waiver(string Owner, string Reason, string Control, DateTimeOffset ExpiresAt, string GrantedBy, DateTimeOffset GrantedAt);

/// <summary>A finding as the ledger stores it.</summary>
public sealed record FindingRecord
{
    public required string Id { get; init; }
    public required string RuleId { get; init; }
    public required string Title { get; init; }
    public required Category Category { get; init; }
    public required Severity Severity { get; init; }
    public required FindingStatus Status { get; init; }
    public required string ResourceId { get; init; }
    public string ResourceType { get; init; } = "";
    public string AccountId { get; init; } = "";
    public string Region { get; init; } = "";
    public string SubKey { get; init; } = "";
    public IReadOnlyList<string> Controls { get; init; } = [];
    public string PolicyClause { get; init; } = "";
    public string Remediation { get; init; } = "";
    public string Message { get; init; } = "";
    public required DateTimeOffset FirstSeenAt { get; init; }
    public required DateTimeOffset LastSeenAt { get; init; }
    public DateTimeOffset? ResolvedAt { get; init; }

    /// <summary>Fixed at first detection; never moved by re-detection.</summary>
    public DateTimeOffset? DueAt { get; init; }
    public DateTimeOffset? AtRiskAt { get; init; }

    /// <summary>SLA state as last recorded (the sweep escalates it as time passes); null when no SLA applies.</summary>
    public SlaState? SlaState { get; init; }

    public Waiver? Waiver { get; init; }
    public IReadOnlyList<FieldDiff> Diff { get; init; } = [];
    public IReadOnlyDictionary<string, string> Evidence { get; init; } = new Dictionary<string, string>();
    public int HistoryLength { get; init; }

    /// <summary>
    /// Source time (event time) of the latest evaluation applied. Older deliveries never undo newer ones: a stale
    /// compliant event does not resolve, a redelivered finding event does not reopen.
    /// </summary>
    public DateTimeOffset? LastObservedAt { get; init; }

    /// <summary>
    /// Source time of the newest violation applied: the finding's message, diff, evidence and severity are that
    /// violation's, whatever order the violations arrived in (a late violation older than a newer compliant verdict or
    /// deletion, but newer than this, still updates them). Null on findings written before it existed.
    /// </summary>
    public DateTimeOffset? LastViolationAt { get; init; }

    /// <summary>
    /// Source time of the newest compliant verdict known for the identity (including one recorded as a marker before
    /// the finding existed). With <see cref="LastViolationAt"/> it says which result is the newest, so the passing-evidence
    /// store can skip evaluations a newer one supersedes. Null when none was seen.
    /// </summary>
    public DateTimeOffset? LastCompliantAt { get; init; }

    /// <summary>The next instant the sweep must look at this finding (at-risk, due, waiver expiry); null when none.</summary>
    public DateTimeOffset? NextTimerAt { get; init; }

    /// <summary>When the SLA clock started (the earliest trustworthy time the event gave).</summary>
    public DateTimeOffset? ClockStartedAt { get; init; }

    /// <summary>Optimistic-concurrency version; every write increments it.</summary>
    public long Version { get; init; }

    /// <summary>
    /// Order-free detection history (README "Delivery order"): source time of the earliest violation observed (the
    /// <c>created</c> line's point). Null on findings written before detection lines were keyed by observation.
    /// </summary>
    public DateTimeOffset? FirstViolationAt { get; init; }

    /// <summary>Number of violation runs in the observation timeline (1 + reopened lines); null on older findings.</summary>
    public int? ViolationRuns { get; init; }

    /// <summary>Key suffix (<c>&lt;instant&gt;#&lt;verdict digit&gt;</c>) of the newest observation stored; null on older findings.</summary>
    public string? TimelineHead { get; init; }

    /// <summary>
    /// The alerts the write that stored this version raised, owed to the outbox until the next write (issue 20): the
    /// alert items are put after the finding's write, and whoever reads the finding next puts any that is missing.
    /// </summary>
    internal IReadOnlyList<OwedAlert>? OwedAlerts { get; init; }

    /// <summary>
    /// The detection line the write that stored this version owes the table (issue 20; only <c>created</c>, a new
    /// finding's): put after the finding's write, outside its transaction, by the same outbox as <see cref="OwedAlerts"/>,
    /// and rebuilt from this version (<see cref="OutboxMarker.LineItem"/>). Null: none owed.
    /// </summary>
    internal string? OwedLine { get; init; }

    /// <summary>
    /// The finding item holds its identity's passing-evidence failure (issue 20 wave 10; docs/data-model.md "Passing
    /// evidence"): set by the ledger only when a call that also records evidence creates the finding for the first time
    /// from a violation, and never removed. While no <c>EVIDENCE#&lt;ruleId&gt;</c> / <c>RES#&lt;findingId&gt;</c> item exists
    /// for the identity, the identity's result is a fail held by this finding (the evidence store writes none). Stored as
    /// the value of the finding item's <c>cs</c> (2 instead of 1): no byte more.
    /// </summary>
    public bool HoldsEvidence { get; init; }
}

/// <summary>One immutable line of a finding's history.</summary>
public sealed record HistoryEntry(
    int Sequence,
    DateTimeOffset At,
    string Actor,
    string Action,
    string? FromStatus,
    string? ToStatus,
    string? FromState,
    string? ToState,
    string Reason);

/// <summary>A page of query results and the opaque cursor for the next one (null at the end).</summary>
public sealed record Page<T>(IReadOnlyList<T> Items, string? NextCursor);
