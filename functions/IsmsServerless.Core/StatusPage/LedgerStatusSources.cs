using IsmsServerless.Changes;
using IsmsServerless.Ledger;
using IsmsServerless.Model;
using IsmsServerless.Observability;

namespace IsmsServerless.StatusPage;

/// <summary>Overview and trend from the ledger's counter items and daily snapshots: one Query each, whatever the table size.</summary>
public sealed class LedgerCountersOverview(IFindingLedger ledger) : IStatusOverviewSource
{
    public async Task<StatusOverview> GetOverviewAsync(CancellationToken cancellationToken)
    {
        var overview = await ledger.GetOverviewAsync(cancellationToken).ConfigureAwait(false);
        var areas = Enum.GetValues<Category>()
            .Select(c => Row(c.ToWire(), overview.ByCategory.TryGetValue(c.ToWire(), out var counts) ? counts : Ledger.StatusCounts.Zero))
            .ToList();
        var controls = overview.ByControl
            .Where(c => c.Value.Active + c.Value.Suppressed > 0)
            .OrderBy(c => c.Key, StringComparer.Ordinal)
            .Select(c => Row(c.Key, c.Value))
            .ToList();
        return new StatusOverview(areas, controls);
    }

    public async Task<IReadOnlyList<TrendDay>> GetTrendAsync(DateOnly from, DateOnly to, CancellationToken cancellationToken)
    {
        var points = await ledger.GetTrendAsync(from, to, cancellationToken).ConfigureAwait(false);
        return [.. points.Select(p => new TrendDay(p.Day, p.Total.Active))];
    }

    private static CountsRow Row(string key, Ledger.StatusCounts c) => new(key, c.Open, c.Acknowledged, c.Suppressed, c.AtRisk, c.Breached);
}

/// <summary>
/// Change reviews through <see cref="ChangeReviewService"/> (four-eyes, immutable reviews, overdue finding resolved).
/// Findings recorded against the change (resource = change id) that are still open are then acknowledged with the
/// reviewer as actor, so the review also shows in those findings' history.
/// </summary>
public sealed class ChangeServiceReviewQueue(ChangeReviewService service, IFindingLedger ledger) : IChangeReviewQueue
{
    public async Task<IReadOnlyList<PendingChange>> PendingAsync(int limit, CancellationToken cancellationToken)
    {
        var pending = await service.ListPendingAsync(limit, cancellationToken).ConfigureAwait(false);
        return [.. pending.Select(s => new PendingChange(s.Change.ChangeId, s.Change.Kind.ToWire(), Title(s.Change), s.Change.Actor, s.Change.Principal,
            s.Change.Resources, s.Change.CallCount, s.Change.FirstCallAt, s.DueAt, s.Overdue))];
    }

    public async Task<IReadOnlyList<ReviewedChange>> ReviewedAsync(int limit, CancellationToken cancellationToken)
    {
        var reviewed = await service.ListReviewedAsync(limit, cancellationToken).ConfigureAwait(false);
        return [.. reviewed.Where(s => s.Change.Review is not null).Select(s => new ReviewedChange(s.Change.ChangeId, s.Change.Kind.ToWire(), s.Change.Principal,
            s.Change.Review!.Reviewer, s.Change.Review.Verdict.ToWire(), s.Change.Review.ReviewedAt, s.Change.Review.TicketUrl, s.Change.Review.Note))];
    }

    public async Task<ReviewResult> ReviewAsync(string changeId, string reviewer, string verdict, string? ticketUrl, string? note, DateTimeOffset at, CancellationToken cancellationToken,
        string? subject = null, string? email = null)
    {
        try
        {
            var reviewed = await service.ReviewAsync(new ReviewRequest(changeId, reviewer, verdict, ticketUrl, note, subject, email), cancellationToken).ConfigureAwait(false);
            // History records the person (e-mail when mapped) and the token subject.
            reviewer = reviewed.Review is { } r ? (r.ReviewerSubject is { } sub ? $"{r.Reviewer} (sub {sub})" : r.Reviewer) : reviewer;
        }
        catch (ChangeReviewException ex)
        {
            return new ReviewResult(false, ex.Message, ex.Error switch
            {
                ChangeReviewError.NotFound => RefusalKind.NotFound,
                ChangeReviewError.Invalid => RefusalKind.Invalid,
                _ => RefusalKind.Conflict,
            });
        }
        var findings = await ledger.QueryByResourceAsync(changeId, 20, null, cancellationToken).ConfigureAwait(false);
        foreach (var finding in findings.Items.Where(f => f.Status == FindingStatus.Open))
        {
            try
            {
                await ledger.AcknowledgeAsync(finding.Id, reviewer, $"change {changeId} reviewed: {verdict}" + (note is { Length: > 0 } ? " - " + note : ""), at, cancellationToken).ConfigureAwait(false);
            }
            catch (InvalidOperationException ex)
            {
                // Resolved concurrently by the review itself: its history already carries the review evidence.
                Log.Info("statuspage.review-ack-skipped", ("finding", finding.Id), ("reason", ex.Message));
            }
        }
        return ReviewResult.Ok;
    }

    public async Task<byte[]?> DetailJsonAsync(string changeId, CancellationToken cancellationToken)
    {
        var detail = await service.GetAsync(changeId, cancellationToken).ConfigureAwait(false);
        return detail is null ? null
            : System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(ChangeView.From(detail.Summary, detail.Calls), ChangeViewJsonContext.Default.ChangeView);
    }

    public async Task<ReviewResult> ReconcileAsync(string changeId, string actor, string? codeLink, bool reverted, string? stack, CancellationToken cancellationToken,
        string? subject = null, string? email = null)
    {
        try
        {
            await service.ReconcileAsync(new ReconcileRequest(changeId, actor, codeLink, reverted, stack, subject, email), cancellationToken).ConfigureAwait(false);
            return ReviewResult.Ok;
        }
        catch (ChangeReviewException ex)
        {
            return new ReviewResult(false, ex.Message, ex.Error switch
            {
                ChangeReviewError.NotFound => RefusalKind.NotFound,
                ChangeReviewError.Invalid => RefusalKind.Invalid,
                _ => RefusalKind.Conflict,
            });
        }
    }

    private static string Title(ChangeRecord change) => change.Kind switch
    {
        ChangeKind.Emergency => "Emergency change",
        ChangeKind.ManualConsole => "Manual console change",
        _ => "Change outside the pipeline",
    } + (change.ApiNames.Count > 0 ? ": " + string.Join(", ", change.ApiNames.Take(3)) + (change.ApiNames.Count > 3 ? $" (+{change.ApiNames.Count - 3})" : "") : "");
}

/// <summary>
/// Baseline approval from a drift finding through <see cref="Drift.BaselineService"/>: the resource's latest recorded
/// configuration becomes its next baseline version and the resource is re-judged at once (the drift finding resolves).
/// The approver is first written to the finding's history (as an acknowledgement naming the approval), because the
/// resolution that follows is recorded by the rule, not by a person.
/// </summary>
public sealed class DriftBaselineApprover(Drift.BaselineService baselines, IFindingLedger ledger, Settings.IsmsSettings settings) : IBaselineApprover
{
    public async Task<string?> CurrentVersionAsync(string findingId, CancellationToken cancellationToken)
    {
        var finding = await ledger.GetAsync(findingId, cancellationToken).ConfigureAwait(false);
        if (finding is null || Drift.DriftApprovability.NotApprovable(finding) is not null) return null;
        try
        {
            return await baselines.GetLatestAsync(finding.ResourceId, cancellationToken).ConfigureAwait(false) is { } latest ? Drift.ConfigurationVersion.Of(latest) : null;
        }
        catch (Drift.BaselineApprovalException)
        {
            return null;
        }
    }

    public async Task<ReviewResult> ApproveAsync(string findingId, string actor, string reason, DateTimeOffset at, CancellationToken cancellationToken,
        string? configurationVersion = null)
    {
        var finding = await ledger.GetAsync(findingId, cancellationToken).ConfigureAwait(false);
        if (finding is null) return new ReviewResult(false, "no such finding", RefusalKind.NotFound);
        if (Drift.DriftApprovability.NotApprovable(finding) is { } never) return new ReviewResult(false, never, RefusalKind.Invalid);
        if (finding.Status == FindingStatus.Resolved) return new ReviewResult(false, "the finding is already resolved", RefusalKind.Conflict);
        try
        {
            if (await baselines.GetLatestAsync(finding.ResourceId, cancellationToken).ConfigureAwait(false) is not { } latest)
                return new ReviewResult(false, "no configuration has been recorded for this resource yet; nothing to approve", RefusalKind.Conflict);
            if (string.IsNullOrWhiteSpace(configurationVersion))
                return new ReviewResult(false, "name the configuration version you reviewed (configurationVersion from the finding's detail)", RefusalKind.Invalid);
            if (Drift.ConfigurationVersion.Of(latest) is var current && !string.Equals(current, configurationVersion, StringComparison.Ordinal))
                return await StaleAsync(finding, latest, current, configurationVersion, cancellationToken).ConfigureAwait(false);
            if (finding.Status == FindingStatus.Open)
                await ledger.AcknowledgeAsync(findingId, actor, "baseline approval: " + reason, at, cancellationToken).ConfigureAwait(false);
            var context = new Engine.EvaluationContext(settings, new Engine.FixedTimeProvider(at));
            var approval = await baselines.ApproveAndRecordAsync(finding.ResourceId, actor, reason, context, configurationVersion, cancellationToken).ConfigureAwait(false);
            Log.Info("statuspage.baseline-approved", ("finding", findingId), ("version", approval.Baseline.Version), ("configurationVersion", configurationVersion), ("resolved", approval.Ledger.Resolved));
            return ReviewResult.Ok;
        }
        catch (Drift.BaselineStaleException ex)
        {
            var latest = await baselines.GetLatestAsync(finding.ResourceId, cancellationToken).ConfigureAwait(false);
            return latest is null
                ? new ReviewResult(false, ex.Message, RefusalKind.Conflict)
                : await StaleAsync(finding, latest, ex.CurrentVersion, configurationVersion ?? "", cancellationToken).ConfigureAwait(false);
        }
        catch (Drift.BaselineApprovalException ex)
        {
            return new ReviewResult(false, ex.Message, RefusalKind.Invalid);
        }
    }

    /// <summary>409: the configuration changed since the reviewer looked; the answer carries the new version and its diff.</summary>
    private async Task<ReviewResult> StaleAsync(FindingRecord finding, Drift.StoredConfiguration latest, string current, string seen, CancellationToken cancellationToken)
    {
        var baseline = await baselines.GetAsync(finding.ResourceId, cancellationToken).ConfigureAwait(false);
        var diff = baseline is null
            ? []
            : Drift.ConfigurationDiff.Compare("configuration", baseline.Configuration, latest.Configuration, null);
        Log.Warn("statuspage.baseline-stale", ("finding", finding.Id), ("seen", seen), ("current", current));
        return new ReviewResult(false, $"the configuration changed since you reviewed it (you saw {seen}, the latest is {current}); review the new diff", RefusalKind.Conflict)
        {
            CurrentVersion = current,
            Diff = diff,
        };
    }
}
