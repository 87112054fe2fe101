using System.Text;
using System.Text.Json;
using IsmsServerless.Ledger;
using IsmsServerless.Model;

namespace IsmsServerless.Access;

/// <summary>One principal of a campaign in the audit export: what the reviewer saw and decided, and the finding a revoke or reduce opened.</summary>
/// <param name="FindingId">The <c>access.review-decision</c> finding of a revoke or reduce decision; null for keep or undecided.</param>
/// <param name="FindingStatus">That finding's status at export (<c>open</c>, <c>resolved</c>, ...); null when the ledger has none.</param>
public sealed record AccessReviewEvidenceRow(AccessReviewDecision Decision, string? FindingId, string? FindingStatus);

/// <summary>An access review campaign as audit evidence: the campaign and every principal with its decision and finding.</summary>
public sealed record AccessReviewEvidence(AccessReviewCampaign Campaign, IReadOnlyList<AccessReviewEvidenceRow> Principals);

/// <summary>
/// The access review section of the audit export (issue 18, "the campaign, with every decision, is evidence in the
/// export"): every campaign live in the period (opened before its end, not closed before its start), each principal with
/// the snapshot the reviewer saw (admin-level rights with their path, external trust, last activity, dormancy, owner),
/// the decision (keep / revoke / reduce, by whom, when, the note, when it took effect) and, for revoke and reduce, the
/// resulting finding's id and status. Complete, unlike the attestation note (capped at 4,000 characters). Written with
/// the status API's JSON writer (output-encoded) by <see cref="Write"/>.
/// </summary>
public static class AccessReviewExport
{
    /// <summary>Campaigns looked at (most recent first); quarterly campaigns make this 25 years.</summary>
    public const int MaxCampaigns = 100;

    public static async Task<IReadOnlyList<AccessReviewEvidence>> InPeriodAsync(AccessReviewService review, IFindingLedger ledger,
        DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(review);
        ArgumentNullException.ThrowIfNull(ledger);
        var result = new List<AccessReviewEvidence>();
        foreach (var id in await review.ListAsync(MaxCampaigns, cancellationToken).ConfigureAwait(false))
        {
            if (await review.GetAsync(id, cancellationToken).ConfigureAwait(false) is not { } campaign) continue;
            if (campaign.OpenedAt >= to || campaign.ClosedAt is { } closed && closed < from) continue;
            var rows = new List<AccessReviewEvidenceRow>(campaign.Principals.Count);
            foreach (var p in campaign.Principals)
            {
                if (p.Decision is not (AccessReviewDecision.Revoke or AccessReviewDecision.Reduce))
                {
                    rows.Add(new AccessReviewEvidenceRow(p, null, null));
                    continue;
                }
                var findingId = FindingId(p);
                var finding = await ledger.GetAsync(findingId, cancellationToken).ConfigureAwait(false);
                rows.Add(new AccessReviewEvidenceRow(p, findingId, finding?.Status.ToWire()));
            }
            result.Add(new AccessReviewEvidence(campaign, rows));
        }
        return result.OrderBy(e => e.Campaign.OpenedAt).ThenBy(e => e.Campaign.Id, StringComparer.Ordinal).ToList();
    }

    /// <summary>The id of the finding a revoke or reduce decision opens (<see cref="Rules.Access.ReviewDecisionRule"/>: global, one per principal per campaign).</summary>
    public static string FindingId(AccessReviewDecision decision)
    {
        ArgumentNullException.ThrowIfNull(decision);
        return FindingIdentity.Compute("access.review-decision", decision.AccountId, "global", decision.PrincipalKey, decision.CampaignId);
    }

    /// <summary>One campaign as the JSON export writes it.</summary>
    public static void Write(Utf8JsonWriter w, AccessReviewEvidence e)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(e);
        var c = e.Campaign;
        w.WriteStartObject();
        AccessJson.WriteCampaignSummary(w, c, "campaignId");
        w.WriteStartArray("principals");
        foreach (var row in e.Principals)
        {
            var d = row.Decision;
            w.WriteStartObject();
            w.WriteString("key", d.PrincipalKey);
            w.WriteString("kind", d.Kind);
            w.WriteString("name", d.Name);
            w.WriteString("accountId", d.AccountId);
            w.WriteString("owner", d.Owner);
            w.WriteStartObject("snapshot");
            Strings(w, "adminVia", d.AdminVia);
            Strings(w, "externalTrusts", d.ExternalTrusts);
            Strings(w, "members", d.Members);
            w.WriteString("lastSeenAt", d.LastSeenAt is { } seen ? Timestamps.ToWire(seen) : null);
            w.WriteBoolean("dormant", d.Dormant);
            w.WriteEndObject();
            w.WriteString("decision", d.Decided ? d.Decision : null);
            w.WriteString("decidedBy", d.Decided ? d.DecidedBy : null);
            w.WriteString("decidedAt", d.Decided ? Timestamps.ToWire(d.DecidedAt) : null);
            w.WriteString("note", d.Decided ? d.Note : null);
            w.WriteString("effectiveAt", d.EffectiveAt is { } effective ? Timestamps.ToWire(effective) : null);
            w.WriteString("findingId", row.FindingId);
            w.WriteString("findingStatus", row.FindingStatus);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    /// <summary>The CSV rows of one campaign (section <c>access-review</c>), one per principal, in the export's 15 columns.</summary>
    public static IEnumerable<string[]> CsvRows(AccessReviewEvidence e, string policyVersion)
    {
        ArgumentNullException.ThrowIfNull(e);
        foreach (var row in e.Principals)
        {
            var d = row.Decision;
            var snapshot = new StringBuilder();
            snapshot.Append(d.Kind).Append(' ').Append(d.Name);
            if (d.AdminVia.Count > 0) snapshot.Append("; admin: ").Append(string.Join(", ", d.AdminVia));
            if (d.ExternalTrusts.Count > 0) snapshot.Append("; external trust: ").Append(string.Join(", ", d.ExternalTrusts));
            snapshot.Append("; last seen ").Append(d.LastSeenAt is { } seen ? Timestamps.ToWire(seen) : "never");
            if (d.Dormant) snapshot.Append(" (dormant)");
            yield return
            [
                "access-review", e.Campaign.Id, row.FindingId ?? "", snapshot.ToString(), d.Decided ? d.Decision : "undecided",
                row.FindingStatus is { } status ? "finding " + status : d.EffectiveAt is { } eff ? "effective " + Timestamps.ToWire(eff) : "",
                d.Decided ? d.Note : "", row.FindingId is null ? "" : "access.review-decision", d.PrincipalKey, d.Decided ? d.DecidedBy : "",
                d.Decided ? Timestamps.ToWire(d.DecidedAt) : "", "", "", "", policyVersion,
            ];
        }
    }

    private static void Strings(Utf8JsonWriter w, string name, IEnumerable<string> values)
    {
        w.WriteStartArray(name);
        foreach (var v in values) w.WriteStringValue(v);
        w.WriteEndArray();
    }
}
