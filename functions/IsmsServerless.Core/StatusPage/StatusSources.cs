using IsmsServerless.Ledger;

namespace IsmsServerless.StatusPage;

/// <summary>Finding counts for one area (drift, patch, change, monitoring) or one control.</summary>
public sealed record CountsRow(string Key, long Open, long Acknowledged, long Suppressed, long AtRisk, long Breached);

/// <summary>The overview: counts per area and per control (ISO 27001:2022 and SOC 2).</summary>
public sealed record StatusOverview(IReadOnlyList<CountsRow> Areas, IReadOnlyList<CountsRow> Controls);

/// <summary>Live (open + acknowledged) findings at the day's snapshot.</summary>
public sealed record TrendDay(DateOnly Day, long Open);

/// <summary>Aggregates the page shows, from the ledger's counter and snapshot items (one Query each).</summary>
public interface IStatusOverviewSource
{
    Task<StatusOverview> GetOverviewAsync(CancellationToken cancellationToken);

    Task<IReadOnlyList<TrendDay>> GetTrendAsync(DateOnly from, DateOnly to, CancellationToken cancellationToken);
}

/// <summary>An emergency or manual change that must be reviewed by someone other than who made it.</summary>
public sealed record PendingChange(string ChangeId, string Kind, string Title, string Actor, string Principal, IReadOnlyList<string> Resources,
    int CallCount, DateTimeOffset FirstCallAt, DateTimeOffset DueAt, bool Overdue);

/// <summary>A reviewed change: the review is immutable evidence.</summary>
public sealed record ReviewedChange(string ChangeId, string Kind, string Principal, string Reviewer, string Verdict, DateTimeOffset ReviewedAt, string? Ticket, string? Note);

/// <summary>Why an action was refused, mapped to an HTTP status by the router.</summary>
public enum RefusalKind { None, NotFound, Invalid, Conflict }

/// <summary>Outcome of a review or approval: accepted, or refused with a reason fit to show the reviewer.</summary>
public sealed record ReviewResult(bool Accepted, string? Refusal, RefusalKind Kind = RefusalKind.None)
{
    public static ReviewResult Ok { get; } = new(true, null);
}

/// <summary>The change-review queue (over ChangeReviewService).</summary>
public interface IChangeReviewQueue
{
    Task<IReadOnlyList<PendingChange>> PendingAsync(int limit, CancellationToken cancellationToken);

    Task<IReadOnlyList<ReviewedChange>> ReviewedAsync(int limit, CancellationToken cancellationToken);

    Task<ReviewResult> ReviewAsync(string changeId, string reviewer, string verdict, string? ticketUrl, string? note, DateTimeOffset at, CancellationToken cancellationToken);
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

    /// <summary>The controls view (policy catalog, passing evidence, duty states); null when not wired.</summary>
    public Compliance.ControlsService? Controls { get; init; }

    /// <summary>Passing evidence per rule and resource (controls drill-down, export); null when not wired.</summary>
    public Evidence.IEvidenceStore? Evidence { get; init; }

    /// <summary>Attestations closing duties (issue 16b's obligation store); none until it is wired.</summary>
    public Compliance.IAttestationSource Attestations { get; init; } = Compliance.NoAttestations.Instance;
}
