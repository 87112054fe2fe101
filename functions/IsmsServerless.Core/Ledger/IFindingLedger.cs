using IsmsServerless.Engine;
using IsmsServerless.Model;

namespace IsmsServerless.Ledger;

/// <summary>What one <see cref="IFindingLedger.RecordAsync"/> call changed.</summary>
public sealed record LedgerWriteResult
{
    public int Created { get; init; }
    public int Updated { get; init; }
    public int Resolved { get; init; }
    public int Reopened { get; init; }
    public int Unchanged { get; init; }

    /// <summary>SLA escalations (open → at-risk → breached) written by the sweep.</summary>
    public int Escalated { get; init; }

    /// <summary>Stored findings that could not be read (malformed item): logged and left untouched.</summary>
    public int Malformed { get; init; }

    /// <summary>
    /// Ids of the alert outbox records this call raised (new, escalated, reopened) or repaired (put for a write that owed
    /// them). An id names one outbox record, written once whoever puts it; two calls may both name it: a writer whose
    /// alert a concurrent call repaired between the writer's finding write and its alert put (the writer cannot tell that
    /// put from its own retried put whose answer was lost). Totals over calls count distinct ids.
    /// </summary>
    public IReadOnlyList<string> AlertIds { get; init; } = [];

    /// <summary>
    /// Positions (in the recorded list) of evaluations that a newer observation of the same identity, already in the
    /// ledger, supersedes: a violation older than the finding's last observation, or a compliant verdict not newer than
    /// it while the finding is active (equal times: the violation wins). Whatever else records results per identity
    /// (the passing-evidence store) skips them, so its end state does not depend on delivery order either.
    /// </summary>
    public IReadOnlySet<int> Superseded { get; init; } = new HashSet<int>();

    /// <summary>
    /// Ids of the findings of the recorded evaluations whose item holds its identity's evidence failure
    /// (<see cref="FindingRecord.HoldsEvidence"/>), as this call last saw them, with the held failure's source time
    /// (<see cref="HeldFailures.HeldAt"/>, what orders it against other results): the passing-evidence store writes no failure
    /// over nothing for them and marks every result it writes for them (docs/data-model.md, "Passing evidence").
    /// </summary>
    public IReadOnlyDictionary<string, DateTimeOffset> HoldingEvidence { get; init; } = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);

    /// <summary>
    /// Ids of the findings this call created and found superseded at once (a compliant verdict or deletion newer than the
    /// violation was recorded first): their creating evaluation is no result, as <see cref="Superseded"/> says, while the
    /// finding holds a failure; the evidence store takes it back (a tombstone taking it over, unless a result is stored).
    /// </summary>
    public IReadOnlySet<string> SupersededCreations { get; init; } = new HashSet<string>(StringComparer.Ordinal);
}

/// <summary>A finding that holds its evidence failure, found by <see cref="IFindingLedger.CloseResourceFindingsAsync(string, string, string, DateTimeOffset, IDictionary{string, DateTimeOffset}?, CancellationToken)"/>.</summary>
public static class HeldFailures
{
    /// <summary>The source time of the failure a finding holds: its newest violation.</summary>
    public static DateTimeOffset HeldAt(FindingRecord f) => f.LastViolationAt ?? f.LastSeenAt;
}

/// <summary>
/// The findings ledger: the system of record. Idempotent under at-least-once delivery (a redelivered or concurrent
/// duplicate evaluation yields one finding and at most one alert). Every transition appends immutable history and,
/// when alert-worthy, one outbox record, in the same transaction. No method scans.
/// </summary>
public interface IFindingLedger
{
    /// <summary>Records finding and compliant evaluations: creates, re-detects, resolves or reopens findings.</summary>
    Task<LedgerWriteResult> RecordAsync(IReadOnlyList<Evaluation> evaluations, EvaluationContext context, CancellationToken cancellationToken = default);

    /// <summary>
    /// As <see cref="RecordAsync(IReadOnlyList{Evaluation}, EvaluationContext, CancellationToken)"/>, for a caller that records the
    /// same evaluations as passing evidence after it (<paramref name="holdEvidence"/>: a finding created for the first time
    /// from a violation holds its evidence failure, <see cref="FindingRecord.HoldsEvidence"/>). A ledger that holds none ignores it.
    /// </summary>
    Task<LedgerWriteResult> RecordAsync(IReadOnlyList<Evaluation> evaluations, EvaluationContext context, bool holdEvidence, CancellationToken cancellationToken) =>
        RecordAsync(evaluations, context, cancellationToken);

    /// <summary>Resolves every non-resolved finding on a resource (it was deleted or left Config's scope).</summary>
    Task<int> CloseResourceFindingsAsync(string resourceId, string actor, string reason, DateTimeOffset at, CancellationToken cancellationToken = default);

    /// <summary>
    /// As <see cref="CloseResourceFindingsAsync(string, string, string, DateTimeOffset, CancellationToken)"/>, adding to
    /// <paramref name="held"/> every finding of the resource that holds its evidence failure, with the failure's source time
    /// (<see cref="HeldFailures.HeldAt"/>), so the deletion's evidence tombstones account for it.
    /// </summary>
    Task<int> CloseResourceFindingsAsync(string resourceId, string actor, string reason, DateTimeOffset at, IDictionary<string, DateTimeOffset>? held, CancellationToken cancellationToken) =>
        CloseResourceFindingsAsync(resourceId, actor, reason, at, cancellationToken);

    Task<FindingRecord?> GetAsync(string findingId, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<HistoryEntry>> GetHistoryAsync(string findingId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Findings in a status, most severe first, then earliest due: the rule partitions with findings in the status merged
    /// (one small Query each, the counter items, one BatchGetItem of the page; docs/data-model.md).
    /// </summary>
    Task<Page<FindingRecord>> QueryByStatusAsync(FindingStatus status, int limit, string? cursor = null, CancellationToken cancellationToken = default);

    /// <summary>Findings mapped to a control (e.g. <c>ISO27001:2022 A.8.8</c>): the claiming rules' partitions merged.</summary>
    Task<Page<FindingRecord>> QueryByControlAsync(string control, int limit, string? cursor = null, CancellationToken cancellationToken = default);

    /// <summary>Findings on one resource. One Query.</summary>
    Task<Page<FindingRecord>> QueryByResourceAsync(string resourceId, int limit, string? cursor = null, CancellationToken cancellationToken = default);

    /// <summary>Findings whose next timer (at-risk, due, waiver expiry) is at or before <paramref name="at"/>. Query, not Scan.</summary>
    Task<IReadOnlyList<FindingRecord>> QueryDueBeforeAsync(DateTimeOffset at, int limit, CancellationToken cancellationToken = default);

    Task<FindingRecord> AcknowledgeAsync(string findingId, string actor, string reason, DateTimeOffset at, CancellationToken cancellationToken = default);

    Task<FindingRecord> GrantWaiverAsync(string findingId, Waiver waiver, CancellationToken cancellationToken = default);

    Task<FindingRecord> RevokeWaiverAsync(string findingId, string actor, string reason, DateTimeOffset at, CancellationToken cancellationToken = default);

    /// <summary>
    /// Escalates SLA states, expires waivers (reopening their findings) for everything due at <paramref name="context"/>'s now.
    /// Each escalation is a transition that alerts once.
    /// </summary>
    Task<LedgerWriteResult> AdvanceTimersAsync(EvaluationContext context, CancellationToken cancellationToken = default);

    /// <summary>
    /// A page for the status page: findings in one status, optionally of one category and/or severity, most severe
    /// first then earliest due. The rule partitions of the view merged, then one BatchGetItem of the page.
    /// </summary>
    Task<Page<FindingRecord>> QueryFindingsAsync(FindingQuery query, CancellationToken cancellationToken = default);

    /// <summary>Counts per status, SLA state, category, severity and control, from counter items: one small Query.</summary>
    Task<LedgerOverview> GetOverviewAsync(CancellationToken cancellationToken = default);

    /// <summary>Writes (or overwrites) the snapshot of today's counts; the sweep calls it.</summary>
    Task<TrendPoint> WriteTrendSnapshotAsync(DateTimeOffset at, CancellationToken cancellationToken = default);

    /// <summary>Daily snapshots between two days, inclusive, oldest first. One Query.</summary>
    Task<IReadOnlyList<TrendPoint>> GetTrendAsync(DateOnly from, DateOnly to, CancellationToken cancellationToken = default);
}
