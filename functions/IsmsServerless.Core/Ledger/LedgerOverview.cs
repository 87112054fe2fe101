using IsmsServerless.Model;

namespace IsmsServerless.Ledger;

/// <summary>
/// Counts for one slice of the ledger (everything, one category, one control, one severity). The SLA counts cover
/// findings whose clock runs (open and acknowledged); suppressed findings have their clock paused by the waiver.
/// </summary>
public sealed record StatusCounts
{
    public long Open { get; init; }
    public long Acknowledged { get; init; }
    public long Suppressed { get; init; }
    public long Resolved { get; init; }
    public long WithinSla { get; init; }
    public long AtRisk { get; init; }
    public long Breached { get; init; }

    /// <summary>Findings still needing work (open or acknowledged).</summary>
    public long Active => Open + Acknowledged;

    public static StatusCounts Zero { get; } = new();
}

/// <summary>The status page's headline numbers, read from counter items kept in step by every transition.</summary>
public sealed record LedgerOverview(
    StatusCounts Total,
    IReadOnlyDictionary<string, StatusCounts> ByCategory,
    IReadOnlyDictionary<string, StatusCounts> BySeverity,
    IReadOnlyDictionary<string, StatusCounts> ByControl);

/// <summary>One day's snapshot of the counts (written by the sweep; the last sweep of the day wins).</summary>
public sealed record TrendPoint(DateOnly Day, DateTimeOffset TakenAt, StatusCounts Total, IReadOnlyDictionary<string, StatusCounts> ByCategory);

/// <summary>A status-page query: one status, optionally one category and one severity, a page at a time.</summary>
public sealed record FindingQuery
{
    public FindingStatus Status { get; init; } = FindingStatus.Open;
    public Category? Category { get; init; }
    public Severity? Severity { get; init; }
    public int Limit { get; init; } = 50;
    public string? Cursor { get; init; }
}

/// <summary>Thrown when a finding cannot take the requested transition (e.g. acknowledging a resolved finding).</summary>
public sealed class InvalidTransitionException(string message) : InvalidOperationException(message);

/// <summary>Thrown when optimistic-concurrency retries are exhausted; the caller (Lambda) retries the whole event.</summary>
public sealed class LedgerConflictException(string message, Exception? inner = null) : Exception(message, inner);
