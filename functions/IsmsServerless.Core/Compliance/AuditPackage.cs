using IsmsServerless.Evidence;
using IsmsServerless.Ledger;
using IsmsServerless.Model;
using IsmsServerless.Policy;
using IsmsServerless.StatusPage;

namespace IsmsServerless.Compliance;

/// <summary>An attestation that closed a duty (issue 16b's obligation mechanism supplies them).</summary>
public sealed record AttestationRecord(string DutyId, string By, DateTimeOffset At, string Note, IReadOnlyList<string> Evidence, string PolicyVersion);

/// <summary>The seam for attestations in a period; the default has none until the obligation store (16b) is wired.</summary>
public interface IAttestationSource
{
    Task<IReadOnlyList<AttestationRecord>> InPeriodAsync(DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default);
}

/// <summary>No attestations recorded (the obligation store is not wired).</summary>
public sealed class NoAttestations : IAttestationSource
{
    public static NoAttestations Instance { get; } = new();

    public Task<IReadOnlyList<AttestationRecord>> InPeriodAsync(DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<AttestationRecord>>([]);
}

/// <summary>A control in the export: its status at export time and what the period's findings say about it.</summary>
public sealed record ControlPeriodStatus(ControlView View, int FindingsInPeriod, int FindingsOpenAtEnd, string PeriodStatus);

/// <summary>A history line that is a decision people made (waiver, baseline approval) with its finding.</summary>
public sealed record DecisionRecord(string Kind, FindingRecord Finding, HistoryEntry Entry);

/// <summary>Everything an auditor asks for one period, assembled once and written as CSV, JSON or OCSF.</summary>
public sealed record AuditPackage
{
    public required DateTimeOffset From { get; init; }
    public required DateTimeOffset To { get; init; }
    public required DateTimeOffset ExportedAt { get; init; }
    public required string PolicyVersion { get; init; }
    public required PolicyMetadata PolicyDocument { get; init; }

    /// <summary>Policy versions stamped on the evidence and findings of the period, plus the one in force now.</summary>
    public required IReadOnlyList<string> PolicyVersions { get; init; }

    public required IReadOnlyList<ControlPeriodStatus> Controls { get; init; }
    public required IReadOnlyDictionary<string, RuleEvidenceSummary> Evidence { get; init; }
    public required IReadOnlyList<(FindingRecord Finding, IReadOnlyList<HistoryEntry> History)> Findings { get; init; }
    public required IReadOnlyList<ReviewedChange> ChangeReviews { get; init; }
    public required IReadOnlyList<DecisionRecord> Waivers { get; init; }
    public required IReadOnlyList<DecisionRecord> BaselineApprovals { get; init; }
    public required IReadOnlyList<AttestationRecord> Attestations { get; init; }

    /// <summary>Incidents live in the period (started in it, or still open, or a clock closed in it), each clock with its state at export and its attestation.</summary>
    public IReadOnlyList<Incidents.IncidentView> Incidents { get; init; } = [];

    /// <summary>Access review campaigns live in the period, every principal with its snapshot, decision and finding (<see cref="Access.AccessReviewExport"/>).</summary>
    public IReadOnlyList<Access.AccessReviewEvidence> AccessReviews { get; init; } = [];
}

/// <summary>Builds an <see cref="AuditPackage"/> from the stores (findings by status index, never a scan).</summary>
public sealed class AuditPackageBuilder(IFindingLedger ledger, IEvidenceStore evidence, ControlsService controls, IChangeReviewQueue? changes, IAttestationSource attestations)
{
    public const int MaxFindings = 20_000;

    /// <summary>The incident register (the obligation store); null exports no incidents section.</summary>
    public Incidents.IncidentService? Incidents { get; init; }

    /// <summary>The access review campaigns (ledger table); null exports no access review section.</summary>
    public Access.AccessReviewService? AccessReviews { get; init; }

    public async Task<AuditPackage> BuildAsync(DateTimeOffset from, DateTimeOffset to, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        var rows = new List<(FindingRecord, IReadOnlyList<HistoryEntry>)>();
        foreach (var status in Enum.GetValues<FindingStatus>())
        {
            string? cursor = null;
            do
            {
                var page = await ledger.QueryByStatusAsync(status, 1000, cursor, cancellationToken).ConfigureAwait(false);
                foreach (var f in page.Items.Where(f => AuditExport.InPeriod(f, from, to)))
                {
                    if (rows.Count >= MaxFindings) throw new AuditExportTooLargeException($"more than {MaxFindings} findings in the period: export a shorter period");
                    rows.Add((f, await ledger.GetHistoryAsync(f.Id, cancellationToken).ConfigureAwait(false)));
                }
                cursor = page.NextCursor;
            }
            while (cursor is not null);
        }
        var views = await controls.GetAsync(now, cancellationToken).ConfigureAwait(false);
        var summaries = await evidence.GetRuleSummariesAsync(cancellationToken).ConfigureAwait(false);
        var reviews = changes is null ? [] : (await changes.ReviewedAsync(1000, cancellationToken).ConfigureAwait(false))
            .Where(r => r.ReviewedAt >= from && r.ReviewedAt < to).ToList();
        var decisions = rows.SelectMany(r => r.Item2.Where(h => h.At >= from && h.At < to).Select(h => (r.Item1, h))).ToList();
        var waivers = decisions.Where(d => d.h.Action == "waived" || d.h.Action.StartsWith("waiver", StringComparison.Ordinal))
            .Select(d => new DecisionRecord("waiver", d.Item1, d.h)).ToList();
        var baselines = decisions.Where(d => d.h.Action.Contains("baseline", StringComparison.OrdinalIgnoreCase)
                || d.h.Action == "resolved" && d.h.Reason.Contains("baseline", StringComparison.OrdinalIgnoreCase))
            .Select(d => new DecisionRecord("baseline-approval", d.Item1, d.h)).ToList();
        var attested = await attestations.InPeriodAsync(from, to, cancellationToken).ConfigureAwait(false);
        var incidents = Incidents is null ? [] : (await Incidents.ListAsync(500, cancellationToken).ConfigureAwait(false))
            .Where(i => i.StartedAt < to && (i.StartedAt >= from || i.Open || i.Clocks.Any(c => c.Clock.Attestation is { } a && a.At >= from)))
            .Select(i => i with { Clocks = [.. i.Clocks.Select(c => (c.Clock, Obligations.ObligationSchedule.StateAt(c.Clock, now)))] })
            .OrderBy(i => i.StartedAt).ToList();
        var accessReviews = AccessReviews is null ? [] : await Access.AccessReviewExport.InPeriodAsync(AccessReviews, ledger, from, to, cancellationToken).ConfigureAwait(false);

        var policy = Policy.PolicyDocument.Embedded;
        var versions = rows.Select(r => r.Item1.Evidence.GetValueOrDefault("policyVersion")).OfType<string>()
            .Concat(attested.Select(a => a.PolicyVersion)).Append(policy.Version)
            .Where(v => v.Length > 0).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();

        var periodControls = views.Select(v =>
        {
            var related = rows.Where(r => r.Item1.Controls.Contains(v.Control.Key)).ToList();
            var openAtEnd = related.Count(r => r.Item1.Status is FindingStatus.Open or FindingStatus.Acknowledged);
            // Over the period: a control failed in the period when any of its findings was live in it; otherwise its
            // status at export (pass, stale, manual, ...) stands.
            var periodStatus = v.Status == ControlStatuses.NotApplicable ? v.Status : related.Count > 0 ? ControlStatuses.Fail : v.Status;
            return new ControlPeriodStatus(v, related.Count, openAtEnd, periodStatus);
        }).ToList();

        return new AuditPackage
        {
            From = from,
            To = to,
            ExportedAt = now,
            PolicyVersion = policy.Version,
            PolicyDocument = policy.Document,
            PolicyVersions = versions,
            Controls = periodControls,
            Evidence = summaries,
            Findings = rows,
            ChangeReviews = reviews,
            Waivers = waivers,
            BaselineApprovals = baselines,
            Attestations = attested,
            Incidents = incidents,
            AccessReviews = accessReviews,
        };
    }
}

public sealed class AuditExportTooLargeException(string message) : Exception(message);
