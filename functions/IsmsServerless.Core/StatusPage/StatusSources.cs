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
    /// <summary>For a stale baseline approval: the latest configuration version and its diff against the baseline in force.</summary>
    public string? CurrentVersion { get; init; }

    public IReadOnlyList<Model.FieldDiff>? Diff { get; init; }

    public static ReviewResult Ok { get; } = new(true, null);
}

/// <summary>The change-review queue (over ChangeReviewService).</summary>
public interface IChangeReviewQueue
{
    Task<IReadOnlyList<PendingChange>> PendingAsync(int limit, CancellationToken cancellationToken);

    Task<IReadOnlyList<ReviewedChange>> ReviewedAsync(int limit, CancellationToken cancellationToken);

    /// <param name="subject">The signed-in token's subject, recorded with the review.</param>
    /// <param name="email">The token's verified e-mail, which resolves the reviewer to a person.</param>
    Task<ReviewResult> ReviewAsync(string changeId, string reviewer, string verdict, string? ticketUrl, string? note, DateTimeOffset at, CancellationToken cancellationToken,
        string? subject = null, string? email = null);

    /// <summary>
    /// One change in full as <see cref="Changes.ChangeView"/> JSON (every call with name, resources, time and source IP;
    /// risk; required and given approvals; ticket; code update and closure); null when there is no such change.
    /// </summary>
    Task<byte[]?> DetailJsonAsync(string changeId, CancellationToken cancellationToken) => Task.FromResult<byte[]?>(null);

    /// <summary>Closes a reviewed manual change (code link, reverted, or the stack to watch); the actor is the signed-in person.</summary>
    Task<ReviewResult> ReconcileAsync(string changeId, string actor, string? codeLink, bool reverted, string? stack, CancellationToken cancellationToken,
        string? subject = null, string? email = null) =>
        Task.FromResult(new ReviewResult(false, "closing changes is not wired in this deployment", RefusalKind.Invalid));
}

/// <summary>Approves a drifted resource's current configuration as its new baseline (BaselineService on the drift branch).</summary>
public interface IBaselineApprover
{
    /// <param name="configurationVersion">The version of the configuration the reviewer saw (from the finding detail); when
    /// it is no longer the latest the approval is refused with <see cref="RefusalKind.Conflict"/> and the new diff.</param>
    Task<ReviewResult> ApproveAsync(string findingId, string actor, string reason, DateTimeOffset at, CancellationToken cancellationToken,
        string? configurationVersion = null);

    /// <summary>The version of the resource's latest recorded configuration (what an approval would approve), or null.</summary>
    Task<string?> CurrentVersionAsync(string findingId, CancellationToken cancellationToken) => Task.FromResult<string?>(null);
}

/// <summary>Everything the router reads and writes through. <see cref="Baselines"/> is null when no drift baseline store is wired.</summary>
public sealed record StatusPageServices
{
    public required IFindingLedger Ledger { get; init; }

    public required IStatusOverviewSource Overview { get; init; }

    public required IChangeReviewQueue Changes { get; init; }

    public IBaselineApprover? Baselines { get; init; }

    /// <summary>Maps signed-in users and change authors to people (four-eyes on findings a person's change produced).</summary>
    public Identity.IdentityResolver? Identities { get; init; }

    /// <summary>The duties calendar (obligations); null when not wired (the routes answer 501).</summary>
    public IDutyCalendar? Duties { get; init; }

    /// <summary>The controls view (policy catalog, passing evidence, duty states); null when not wired.</summary>
    public Compliance.ControlsService? Controls { get; init; }

    /// <summary>Passing evidence per rule and resource (controls drill-down, export); null when not wired.</summary>
    public Evidence.IEvidenceStore? Evidence { get; init; }

    /// <summary>Attestations closing duties and other obligations (the obligation store; <see cref="Obligations.ObligationControlSources"/>).</summary>
    public Compliance.IAttestationSource Attestations { get; init; } = Compliance.NoAttestations.Instance;

    /// <summary>Access inventory, access review and leave marks (issue 18); null: those views answer 501.</summary>
    public AccessPageServices? Access { get; init; }

    /// <summary>Incidents and their three clocks (the obligation store); null when not wired (the routes answer 501).</summary>
    public Incidents.IncidentService? Incidents { get; init; }
}
