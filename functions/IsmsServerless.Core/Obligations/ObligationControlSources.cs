using IsmsServerless.Compliance;
using IsmsServerless.Settings;

namespace IsmsServerless.Obligations;

/// <summary>
/// The control catalog's two seams onto the one obligation mechanism: duty states for control status
/// (<see cref="IDutyStateSource"/>: <c>due</c> / <c>overdue</c> from the duty's periods) and the attestations of a period
/// for the audit export (<see cref="IAttestationSource"/>). Bounded index queries only (open partition, done partition
/// newest first, and one latest-occurrence read per duty that has nothing open); never a scan.
/// </summary>
public sealed class ObligationControlSources(IObligationStore store, IReadOnlyList<DutyDefinition> duties) : IDutyStateSource, IAttestationSource
{
    /// <summary>Open obligations read for duty states (earliest due first); a backlog beyond this is itself overdue.</summary>
    public const int MaxOpen = 1000;

    /// <summary>Attestations read for one export period (newest first, stopping at the period's start).</summary>
    public const int MaxAttestations = 5000;

    private const int PageSize = 200;

    public async Task<IReadOnlyDictionary<string, DutyState>> GetStatesAsync(DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        var byKind = duties.ToDictionary(DutyRules.KindOf, d => d.Id, StringComparer.Ordinal);
        var states = new Dictionary<string, DutyState>(StringComparer.Ordinal);
        string? cursor = null;
        var read = 0;
        do
        {
            var page = await store.QueryOpenAsync(PageSize, cursor, cancellationToken).ConfigureAwait(false);
            foreach (var obligation in page.Items)
            {
                if (!byKind.TryGetValue(obligation.Kind, out var dutyId)) continue;
                var state = new DutyState(dutyId, ObligationSchedule.StateAt(obligation, now).ToWire(), obligation.DueAt);
                // The worst open period decides: overdue over due over open; of equals, the earliest due.
                if (!states.TryGetValue(dutyId, out var seen) || Rank(state.State) > Rank(seen.State)) states[dutyId] = state;
            }
            read += page.Items.Count;
            cursor = page.NextCursor;
        }
        while (cursor is not null && read < MaxOpen);

        foreach (var duty in duties.Where(d => !states.ContainsKey(d.Id)))
        {
            // Nothing open: the latest period tells whether it was done (or the duty has never been opened).
            var latest = await store.LatestForSubjectAsync(DutyRules.KindOf(duty), duty.Id, cancellationToken).ConfigureAwait(false);
            if (latest is not null) states[duty.Id] = new DutyState(duty.Id, ObligationSchedule.StateAt(latest, now).ToWire(), latest.DueAt);
        }
        return states;
    }

    public async Task<IReadOnlyList<AttestationRecord>> InPeriodAsync(DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default)
    {
        var records = new List<AttestationRecord>();
        string? cursor = null;
        var read = 0;
        do
        {
            var page = await store.QueryDoneAsync(PageSize, cursor, cancellationToken).ConfigureAwait(false);
            foreach (var obligation in page.Items)
            {
                if (obligation.Attestation is not { } a) continue;
                if (a.At < from) return Ordered(records);
                // Change reviews are exported as change reviews, with their own record.
                // Backup cycles are closed by AWS Backup's events, not by people: their evidence is the backup findings and passing evidence.
                if (a.At > to || obligation.Kind == "change.review" || Backups.BackupObligations.IsBackupKind(obligation.Kind)) continue;
                var id = obligation.Kind.StartsWith(DutyRules.KindPrefix, StringComparison.Ordinal) ? obligation.Subject : $"{obligation.Kind}/{obligation.Subject}";
                records.Add(new AttestationRecord(id, a.By, a.At, a.Note ?? "", a.Evidence, obligation.Spec.PolicyVersion));
            }
            read += page.Items.Count;
            cursor = page.NextCursor;
        }
        while (cursor is not null && read < MaxAttestations);
        return Ordered(records);
    }

    private static List<AttestationRecord> Ordered(List<AttestationRecord> records) => [.. records.OrderBy(r => r.At).ThenBy(r => r.DutyId, StringComparer.Ordinal)];

    private static int Rank(string state) => state switch { "overdue" => 3, "due" => 2, "open" => 1, _ => 0 };
}
