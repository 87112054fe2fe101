using IsmsServerless.Observability;
using IsmsServerless.Settings;

namespace IsmsServerless.Obligations;

/// <summary>What one scheduling pass opened.</summary>
public sealed record DutyScheduleResult(int Examined, IReadOnlyList<Obligation> Opened);

/// <summary>
/// Opens each recurring duty's obligations from <see cref="IsmsSettings.Duties"/>: the period containing now, every
/// period missed since the last one opened (a sweep that was down catches up, at most <see cref="MaxCatchUpPeriods"/>
/// back), and the next period once the current one is attested. Per duty one Query (its latest occurrence, GSI2) and a
/// conditional put per period actually opened; opening is idempotent, so concurrent sweeps open each period once.
/// </summary>
public sealed class DutyScheduler(IObligationStore store, IsmsSettings settings, string accountId, string region)
{
    public const int MaxCatchUpPeriods = 12;

    /// <summary>
    /// The policy version stamped on obligations. The policy file (issue 16a) provides it; until it is merged the
    /// obligations carry an empty version. Switch here.
    /// </summary>
    public static string PolicyVersionOf(IsmsSettings settings) => "";

    public async Task<DutyScheduleResult> EnsureOpenAsync(DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        var opened = new List<Obligation>();
        foreach (var duty in settings.Duties)
        {
            var kind = DutyRules.KindOf(duty);
            var cadence = DutyRules.CadenceOf(duty);
            var anchor = DutyRules.AnchorOf(duty);
            var current = Math.Max(0, cadence.IndexAtOrAfter(anchor, now));
            var latest = await store.LatestForSubjectAsync(kind, duty.Id, cancellationToken).ConfigureAwait(false);
            long first = current, last = current;
            if (latest is not null)
            {
                var latestIndex = cadence.IndexAtOrAfter(anchor, latest.DueAt);
                first = latestIndex + 1;
                // The next period opens as soon as the latest is attested (so the calendar shows what comes next).
                last = latest.Done ? Math.Max(current, latestIndex + 1) : current;
            }
            if (last - first + 1 > MaxCatchUpPeriods)
            {
                Log.Warn("duty.catch-up-bounded", ("duty", duty.Id), ("missedPeriods", last - first + 1), ("opened", MaxCatchUpPeriods));
                first = last - MaxCatchUpPeriods + 1;
            }
            for (var k = first; k <= last; k++)
            {
                var result = await store.OpenAsync(Spec(duty, k), now, cancellationToken).ConfigureAwait(false);
                if (result.Status == OpenStatus.Created) opened.Add(result.Obligation);
            }
        }
        return new DutyScheduleResult(settings.Duties.Count, opened);
    }

    /// <summary>The duty a duty id or obligation kind names, or null.</summary>
    public DutyDefinition? Find(string dutyIdOrKind)
    {
        var id = dutyIdOrKind.StartsWith(DutyRules.KindPrefix, StringComparison.Ordinal) ? dutyIdOrKind[DutyRules.KindPrefix.Length..] : dutyIdOrKind;
        return settings.Duties.FirstOrDefault(d => d.Id == id);
    }

    public ObligationSpec Spec(DutyDefinition duty, long k) =>
        DutyRules.SpecFor(duty, k, accountId, region, PolicyVersionOf(settings), settings.StatusPageUrl);
}
