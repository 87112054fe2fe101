using IsmsServerless.Ledger;

namespace IsmsServerless.StatusPage;

/// <summary>Finding counts for one area (drift, patch, change, monitoring) or one control.</summary>
public sealed record CountsRow(string Key, int Open, int Acknowledged, int Suppressed, int AtRisk, int Breached);

/// <summary>The overview: counts per area and per control (ISO 27001:2022 and SOC 2).</summary>
public sealed record StatusOverview(IReadOnlyList<CountsRow> Areas, IReadOnlyList<CountsRow> Controls);

/// <summary>Open (not resolved) findings at the end of one UTC day.</summary>
public sealed record TrendDay(DateOnly Day, int Open);

/// <summary>Aggregates the page shows: served by the ledger's counters (one Query each) once the ledger has them.</summary>
public interface IStatusOverviewSource
{
    Task<StatusOverview> GetOverviewAsync(DateTimeOffset now, CancellationToken cancellationToken);

    Task<IReadOnlyList<TrendDay>> GetTrendAsync(DateOnly from, DateOnly to, CancellationToken cancellationToken);
}

/// <summary>An emergency or manual change that must be reviewed by someone other than who made it.</summary>
public sealed record PendingChange(string ChangeId, string FindingId, string Title, string ResourceId, string Actor, string Kind,
    DateTimeOffset DetectedAt, DateTimeOffset? DueAt);

/// <summary>Outcome of a review: accepted, or refused with a reason (e.g. the reviewer made the change: four-eyes).</summary>
public sealed record ReviewResult(bool Accepted, string? Refusal);

/// <summary>The change-review queue (ChangeReviewService on the changes branch).</summary>
public interface IChangeReviewQueue
{
    Task<IReadOnlyList<PendingChange>> PendingAsync(int limit, CancellationToken cancellationToken);

    Task<ReviewResult> ReviewAsync(string changeId, string reviewer, bool approved, string comment, DateTimeOffset at, CancellationToken cancellationToken);
}

/// <summary>Approves a drifted resource's current configuration as its new baseline (BaselineService on the drift branch).</summary>
public interface IBaselineApprover
{
    Task<ReviewResult> ApproveAsync(string findingId, string actor, string reason, DateTimeOffset at, CancellationToken cancellationToken);
}

/// <summary>Everything the router reads and writes through. <see cref="Baselines"/> is null when no drift baseline store is wired.</summary>
public sealed record StatusPageServices
{
    public required IFindingLedger Ledger { get; init; }

    public required IStatusOverviewSource Overview { get; init; }

    public required IChangeReviewQueue Changes { get; init; }

    public IBaselineApprover? Baselines { get; init; }
}
