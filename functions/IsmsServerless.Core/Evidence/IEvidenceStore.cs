using IsmsServerless.Engine;
using IsmsServerless.Model;

namespace IsmsServerless.Evidence;

/// <summary>The latest result of one rule on one resource (and sub-key, e.g. a CVE): the passing evidence an auditor samples.</summary>
public sealed record EvidenceRecord(string RuleId, string ResourceId, string SubKey, string ResourceType, string Result,
    DateTimeOffset EvaluatedAt, string Source, string PolicyVersion);

/// <summary>Per-rule aggregate, maintained when a result changes: how many resources it evaluated, how many pass and fail.</summary>
public sealed record RuleEvidenceSummary(string RuleId, long Evaluated, long Passing, long Failing, DateTimeOffset? LastEvaluatedAt);

/// <summary>One rule's result on a resource that is gone (<see cref="IEvidenceStore.ForgetAsync"/>).</summary>
public sealed record GoneResult(string RuleId, string FindingId, string ResourceId, string ResourceType, string SubKey);

/// <summary>What one <see cref="IEvidenceStore.RecordAsync"/> call wrote.</summary>
public sealed record EvidenceWriteResult(int Changed, int Refreshed, int Skipped);

/// <summary>
/// What the ledger's call before an evidence write said of the same evaluations (issue 20 wave 10; docs/data-model.md
/// "Passing evidence"): which identities' findings hold their failure (<see cref="Ledger.FindingRecord.HoldsEvidence"/>,
/// with the held failure's source time), which evaluations a newer observation supersedes (no result of their own), and
/// which findings the call created superseded at once.
/// </summary>
public sealed record EvidenceHolding
{
    public IReadOnlyDictionary<string, DateTimeOffset> Holding { get; init; } = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);

    public IReadOnlySet<int> Superseded { get; init; } = new HashSet<int>();

    public IReadOnlySet<string> SupersededCreations { get; init; } = new HashSet<string>(StringComparer.Ordinal);

    /// <summary>No finding holds a failure, nothing superseded: the writer decides from the stored result alone.</summary>
    public static readonly EvidenceHolding None = new();

    /// <summary>Everything the ledger said (the ingest pipeline: superseded evaluations are no result).</summary>
    public static EvidenceHolding Of(Ledger.LedgerWriteResult written) => new()
    {
        Holding = written.HoldingEvidence,
        Superseded = written.Superseded,
        SupersededCreations = written.SupersededCreations,
    };
}

/// <summary>
/// Passing evidence, cheaply: per rule and resource the latest result, when it was evaluated and from which source;
/// written only when the result changes or the stored evaluation is more than a day old, so repeated passing
/// evaluations cost a read, not a write. Per-rule counters move with each change, so the controls view reads one
/// small partition whatever the number of resources.
/// </summary>
public interface IEvidenceStore
{
    /// <summary>Records the finding (fail) and compliant (pass) evaluations; ignored, rejected and change outcomes carry no result.</summary>
    Task<EvidenceWriteResult> RecordAsync(IReadOnlyList<Evaluation> evaluations, string source, EvaluationContext context, CancellationToken cancellationToken = default);

    /// <summary>
    /// Records results of a re-check: a stored state (e.g. the latest configuration item) judged again now. The state's
    /// own time still orders deliveries; the result counts as evaluated now, so a resource the sweep re-checks every day
    /// stays fresh even when its configuration has not changed for months.
    /// </summary>
    Task<EvidenceWriteResult> RecordRecheckAsync(IReadOnlyList<Evaluation> evaluations, string source, EvaluationContext context, CancellationToken cancellationToken = default);

    /// <summary>
    /// As <see cref="RecordAsync(IReadOnlyList{Evaluation}, string, EvaluationContext, CancellationToken)"/>, after a ledger call
    /// that may hold failures (<see cref="EvidenceHolding"/>): a failure over nothing whose finding holds it writes nothing,
    /// every result written for such an identity takes the held failure over, and superseded evaluations are no result.
    /// </summary>
    Task<EvidenceWriteResult> RecordAsync(IReadOnlyList<Evaluation> evaluations, string source, EvaluationContext context, EvidenceHolding holding, CancellationToken cancellationToken = default);

    /// <summary>As <see cref="RecordRecheckAsync(IReadOnlyList{Evaluation}, string, EvaluationContext, CancellationToken)"/>, with <see cref="EvidenceHolding"/>.</summary>
    Task<EvidenceWriteResult> RecordRecheckAsync(IReadOnlyList<Evaluation> evaluations, string source, EvaluationContext context, EvidenceHolding holding, CancellationToken cancellationToken = default);

    /// <summary>
    /// Forgets results of a resource that no longer exists (deleted, or out of the rules' scope) as of <paramref name="goneAt"/>:
    /// each becomes <c>gone</c> and leaves the counters, so a deleted failing resource no longer fails its control. A result
    /// evaluated after <paramref name="goneAt"/> (the resource came back) is kept; an evaluation observed before it,
    /// delivered late, is dropped. Returns how many counted results were taken out.
    /// </summary>
    Task<int> ForgetAsync(IReadOnlyList<GoneResult> results, DateTimeOffset goneAt, string source, CancellationToken cancellationToken = default);

    /// <summary>
    /// As <see cref="ForgetAsync(IReadOnlyList{GoneResult}, DateTimeOffset, string, CancellationToken)"/>, with the findings of the
    /// resource that hold their failure (<see cref="Ledger.IFindingLedger.CloseResourceFindingsAsync(string, string, string, DateTimeOffset, IDictionary{string, DateTimeOffset}?, CancellationToken)"/>):
    /// their tombstones take the failure over.
    /// </summary>
    Task<int> ForgetAsync(IReadOnlyList<GoneResult> results, DateTimeOffset goneAt, string source, IReadOnlyDictionary<string, DateTimeOffset> held, CancellationToken cancellationToken = default);

    /// <summary>Every rule's summary. One Query (one page for any realistic number of rules).</summary>
    Task<IReadOnlyDictionary<string, RuleEvidenceSummary>> GetRuleSummariesAsync(CancellationToken cancellationToken = default);

    /// <summary>The stored results of one rule (drill-down), a page at a time. One Query.</summary>
    Task<(IReadOnlyList<EvidenceRecord> Items, string? NextCursor)> QueryRuleAsync(string ruleId, int limit, string? cursor = null, CancellationToken cancellationToken = default);
}
