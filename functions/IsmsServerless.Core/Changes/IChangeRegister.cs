using IsmsServerless.Alerts;
using IsmsServerless.Ledger;

namespace IsmsServerless.Changes;

/// <summary>What recording one call did.</summary>
public enum ChangeRecordStatus
{
    /// <summary>The call opened a new change record.</summary>
    Created,
    /// <summary>The call was merged into its session's existing record.</summary>
    Merged,
    /// <summary>The call (by eventID) was already recorded: a redelivery, nothing changed.</summary>
    Duplicate,
}

public sealed record ChangeRecordResult(ChangeRecordStatus Status, ChangeRecord Record);

/// <summary>
/// The change register: one record per session of emergency / manual / out-of-pipeline calls, with its review.
/// Idempotent under redelivery (calls are deduplicated by eventID in the same transaction that merges them) and
/// order-independent (<see cref="ChangeRecordMerger"/>). No method scans: lists come from sparse GSI partitions.
/// </summary>
public interface IChangeRegister
{
    Task<ChangeRecordResult> RecordAsync(ChangeCall call, CancellationToken cancellationToken = default);

    Task<ChangeRecord?> GetAsync(string changeId, CancellationToken cancellationToken = default);

    /// <summary>Every stored call of a change (not only the bounded list on the record), earliest first.</summary>
    Task<IReadOnlyList<ChangeCallSummary>> GetCallsAsync(string changeId, int limit, CancellationToken cancellationToken = default);

    /// <summary>Unreviewed changes, earliest due first. One Query.</summary>
    Task<Page<ChangeRecord>> QueryPendingAsync(int limit, string? cursor = null, CancellationToken cancellationToken = default);

    /// <summary>Reviewed changes, most recently reviewed first. One Query.</summary>
    Task<Page<ChangeRecord>> QueryReviewedAsync(int limit, string? cursor = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Changes whose next timer (reminder, overdue, pending resolution) is at or before <paramref name="at"/> in the timer
    /// index. One Query. A review not yet at its first timer may have no entry there (issue 20 wave 9): the sweep finds
    /// it from the pending list (<see cref="PendingChangeTimers"/>).
    /// </summary>
    Task<IReadOnlyList<ChangeRecord>> QueryTimersDueAsync(DateTimeOffset at, int limit, CancellationToken cancellationToken = default);

    /// <summary>
    /// Replaces the record if its stored version is still <paramref name="updated"/>.Version - 1 (optimistic concurrency),
    /// writing <paramref name="alert"/> to the outbox in the same transaction. False on a concurrent update.
    /// </summary>
    Task<bool> TryUpdateAsync(ChangeRecord updated, AlertRecord? alert = null, CancellationToken cancellationToken = default);

    /// <summary>Changes whose reviewer named <paramref name="stack"/> (account/region/name) and that wait for it to be in sync.</summary>
    Task<IReadOnlyList<string>> QueryWaitingForStackAsync(string stack, CancellationToken cancellationToken = default);

    /// <summary>Stores the stack drift rule's verdict if newer than the stored one; returns the latest stored.</summary>
    Task<StackSyncState> RecordStackVerdictAsync(string stack, string complianceType, DateTimeOffset at, CancellationToken cancellationToken = default);

    Task<StackSyncState?> GetStackVerdictAsync(string stack, CancellationToken cancellationToken = default);
}
