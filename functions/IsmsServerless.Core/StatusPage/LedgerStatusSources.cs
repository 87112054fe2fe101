using IsmsServerless.Ledger;
using IsmsServerless.Model;

namespace IsmsServerless.StatusPage;

/// <summary>
/// Overview and trend computed from the ledger's status queries. Correct, but it pages through every non-resolved
/// finding (one Query per 1 MB page), so it costs more than one Query on a big table: it is the stand-in until the
/// ledger's maintained counters are wired (see docs/benchmarks.md, "Status page").
/// </summary>
public sealed class LedgerPagingOverview(IFindingLedger ledger) : IStatusOverviewSource
{
    private static readonly FindingStatus[] Live = [FindingStatus.Open, FindingStatus.Acknowledged, FindingStatus.Suppressed];

    public async Task<StatusOverview> GetOverviewAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var areas = new Dictionary<string, Counter>(StringComparer.Ordinal);
        foreach (var category in Enum.GetValues<Category>()) areas[category.ToWire()] = new Counter();
        var controls = new Dictionary<string, Counter>(StringComparer.Ordinal);
        await foreach (var f in LiveFindingsAsync(cancellationToken).ConfigureAwait(false))
        {
            areas[f.Category.ToWire()].Add(f, now);
            foreach (var control in f.Controls)
            {
                if (!controls.TryGetValue(control, out var c)) controls[control] = c = new Counter();
                c.Add(f, now);
            }
        }
        return new StatusOverview(
            [.. areas.Select(a => a.Value.ToCounts(a.Key))],
            [.. controls.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => c.Value.ToCounts(c.Key))]);
    }

    public async Task<IReadOnlyList<TrendDay>> GetTrendAsync(DateOnly from, DateOnly to, CancellationToken cancellationToken)
    {
        // Without the ledger's daily snapshots, open-at-end-of-day is reconstructed from first-seen of live findings:
        // findings resolved since then are missing, so the past is undercounted. Replaced by the ledger's trend.
        var firstSeen = new List<DateTimeOffset>();
        await foreach (var f in LiveFindingsAsync(cancellationToken).ConfigureAwait(false)) firstSeen.Add(f.FirstSeenAt);
        var points = new List<TrendDay>();
        for (var day = from; day <= to; day = day.AddDays(1))
        {
            var end = new DateTimeOffset(day.ToDateTime(TimeOnly.MaxValue), TimeSpan.Zero);
            points.Add(new TrendDay(day, firstSeen.Count(s => s <= end)));
        }
        return points;
    }

    private async IAsyncEnumerable<FindingRecord> LiveFindingsAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        foreach (var status in Live)
        {
            string? cursor = null;
            do
            {
                var page = await ledger.QueryByStatusAsync(status, 1000, cursor, cancellationToken).ConfigureAwait(false);
                foreach (var f in page.Items) yield return f;
                cursor = page.NextCursor;
            }
            while (cursor is not null);
        }
    }

    private sealed class Counter
    {
        private int _open, _acknowledged, _suppressed, _atRisk, _breached;

        public void Add(FindingRecord f, DateTimeOffset now)
        {
            switch (f.Status)
            {
                case FindingStatus.Open: _open++; break;
                case FindingStatus.Acknowledged: _acknowledged++; break;
                case FindingStatus.Suppressed: _suppressed++; break;
            }
            switch (StatusSla.Current(f, now))
            {
                case SlaState.AtRisk: _atRisk++; break;
                case SlaState.Breached: _breached++; break;
            }
        }

        public CountsRow ToCounts(string key) => new(key, _open, _acknowledged, _suppressed, _atRisk, _breached);
    }
}

/// <summary>
/// Change reviews on the ledger alone, the stand-in until ChangeReviewService is wired: pending changes are open
/// findings of the change category (one Query); a review refuses the change's own author (four-eyes) and records
/// the decision on the finding by acknowledging it with the reviewer as actor.
/// </summary>
public sealed class LedgerChangeReviewQueue(IFindingLedger ledger) : IChangeReviewQueue
{
    /// <summary>Evidence keys the change rules use for who made the change.</summary>
    private static readonly string[] ActorKeys = ["actor", "principal", "userName", "changedBy"];

    public async Task<IReadOnlyList<PendingChange>> PendingAsync(int limit, CancellationToken cancellationToken)
    {
        var page = await ledger.QueryByStatusAsync(FindingStatus.Open, Math.Max(limit * 4, 200), null, cancellationToken).ConfigureAwait(false);
        return [.. page.Items.Where(f => f.Category == Category.Change)
            .OrderBy(f => f.DueAt ?? DateTimeOffset.MaxValue)
            .Take(limit)
            .Select(f => new PendingChange(f.Id, f.Id, f.Title, f.ResourceId, ActorOf(f) ?? "", f.RuleId, f.FirstSeenAt, f.DueAt))];
    }

    public async Task<ReviewResult> ReviewAsync(string changeId, string reviewer, bool approved, string comment, DateTimeOffset at, CancellationToken cancellationToken)
    {
        var finding = await ledger.GetAsync(changeId, cancellationToken).ConfigureAwait(false);
        if (finding is null || finding.Category != Category.Change) return new ReviewResult(false, "no such change");
        if (string.Equals(ActorOf(finding), reviewer, StringComparison.OrdinalIgnoreCase))
            return new ReviewResult(false, "four-eyes: the author of a change cannot review it");
        await ledger.AcknowledgeAsync(changeId, reviewer, (approved ? "change review: approved. " : "change review: rejected. ") + comment, at, cancellationToken).ConfigureAwait(false);
        return new ReviewResult(true, null);
    }

    private static string? ActorOf(FindingRecord f)
    {
        foreach (var key in ActorKeys)
        {
            if (f.Evidence.TryGetValue(key, out var value) && value.Length > 0) return value;
        }
        return null;
    }
}
