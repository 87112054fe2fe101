using System.Security.Cryptography;
using System.Text;
using Amazon.DynamoDBv2.Model;
using IsmsServerless.Model;

namespace IsmsServerless.Ledger;

/// <summary>
/// An alert a finding's last write raised and owes the outbox (issue 20): the alert item is put after the finding's
/// write, outside its transaction (half the units), and the finding item carries what rebuilds it exactly, so a process
/// that died between the two writes is repaired by whoever reads the finding next (docs/data-model.md, "The alert outbox").
/// </summary>
/// <param name="AlertId">The alert's deterministic id (the same transition always names the same alert).</param>
/// <param name="Kind">new, reopened, escalated.</param>
/// <param name="CreatedAt">The alert's <c>createdAt</c>, as stored (the processing time of the write that raised it).</param>
/// <param name="Message">The alert's message when it is not the finding's own message (null: the finding's).</param>
internal sealed record OwedAlert(string AlertId, string Kind, string CreatedAt, string? Message);

/// <summary>
/// The <c>owedAlerts</c> attribute of a finding item: written with the transition, replaced or dropped by the next write.
/// Kept small (the finding item is billed per KB): an entry leaves out its <c>id</c> when it is the finding's <c>new</c>
/// alert id, its <c>at</c> when it is the finding's <c>firstSeenAt</c> and its <c>message</c> when it is the finding's, so a
/// new finding's entry is <c>{kind: new}</c>.
/// </summary>
internal static class OutboxMarker
{
    public const string Attribute = "owedAlerts";

    /// <summary>An alert id: the first 16 bytes of SHA-256 of the transition's key, in hex.</summary>
    public static string AlertIdOf(string key) => "a-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)).AsSpan(0, 16));

    /// <summary>The id of a finding's <c>new</c> alert (one per finding).</summary>
    public static string NewAlertId(string findingId) => AlertIdOf($"{findingId}\u001fnew\u001f1");

    public static AttributeValue ToAttribute(FindingRecord f)
    {
        ArgumentNullException.ThrowIfNull(f);
        var firstSeen = LedgerKeys.Instant(f.FirstSeenAt);
        return new AttributeValue
        {
            L = (f.OwedAlerts ?? []).Select(o =>
            {
                var entry = new Dictionary<string, AttributeValue> { ["kind"] = new() { S = o.Kind } };
                if (o.AlertId != NewAlertId(f.Id)) entry["id"] = new() { S = o.AlertId };
                if (o.CreatedAt != firstSeen) entry["at"] = new() { S = o.CreatedAt };
                if (o.Message is not null) entry["message"] = new() { S = o.Message };
                return new AttributeValue { M = entry };
            }).ToList(),
        };
    }

    /// <summary>
    /// The finding item's <c>owedLine</c> attribute: the detection line its write owes the table (issue 20). Only a new
    /// finding's <c>created</c> line is ever owed (docs/data-model.md, "The alert outbox"): it is rebuilt whole from the
    /// finding (<see cref="LineItem"/>), so the attribute is just the line's action.
    /// </summary>
    public const string LineAttribute = "owedLine";

    /// <summary>The only line action that is ever owed.</summary>
    public const string OwedCreated = TimelineLine.Created;

    /// <summary>
    /// The <c>created</c> line a new finding's write owes, rebuilt from the finding exactly as the timeline writes it in the
    /// transaction (<see cref="LedgerItems.TimelineItem"/>): keyed by the finding's timeline head (its only observation),
    /// said by its rule with its message, written at its <c>firstSeenAt</c>. Null when the finding cannot name it (no
    /// head, or a head that is not a violation).
    /// </summary>
    public static Dictionary<string, AttributeValue>? LineItem(FindingRecord f, int retentionDays)
    {
        ArgumentNullException.ThrowIfNull(f);
        if (HeadPoint(f) is not { Verdict: Verdict.Violation } point) return null;
        var observation = new TimelineObservation(point, "rule:" + f.RuleId, f.Message);
        return LedgerItems.TimelineItem(f.Id, observation, new TimelineLine(observation, TimelineLine.Created), retentionDays, f.FirstSeenAt);
    }

    /// <summary>The point of a finding's newest stored observation (its <c>timelineHead</c>), or null.</summary>
    public static ObservationPoint? HeadPoint(FindingRecord f)
    {
        ArgumentNullException.ThrowIfNull(f);
        if (f.TimelineHead is not { Length: > 2 } head || head[^2] != '#' || !Timestamps.TryParse(head[..^2], out var at)) return null;
        return head[^1] switch
        {
            '0' => ObservationPoint.Of(at, Verdict.Compliant),
            '1' => ObservationPoint.Of(at, Verdict.Violation),
            _ => null,
        };
    }

    /// <summary>The owed line of a finding item (null: none); <paramref name="problem"/> set when the attribute is malformed.</summary>
    public static string? ReadLine(Dictionary<string, AttributeValue> item, out string? problem)
    {
        problem = null;
        if (!item.TryGetValue(LineAttribute, out var value) || value.NULL == true) return null;
        if (value.S == OwedCreated) return OwedCreated;
        problem = $"{LineAttribute} is not \"{OwedCreated}\"";
        return null;
    }

    /// <summary>The owed alerts of a finding item (null: none); <paramref name="problem"/> set when the attribute is malformed.</summary>
    public static IReadOnlyList<OwedAlert>? Read(Dictionary<string, AttributeValue> item, string findingId, DateTimeOffset firstSeenAt, out string? problem)
    {
        problem = null;
        if (!item.TryGetValue(Attribute, out var value) || value.NULL == true) return null;
        if (value.L is null)
        {
            problem = $"{Attribute} is not a list";
            return null;
        }
        var owed = new List<OwedAlert>(value.L.Count);
        foreach (var entry in value.L)
        {
            if (entry.M is not { } m || m.GetValueOrDefault("kind")?.S is not { Length: > 0 } kind
                || (m.GetValueOrDefault("id")?.S ?? NewAlertId(findingId)) is not { Length: > 0 } id
                || (m.GetValueOrDefault("at")?.S ?? LedgerKeys.Instant(firstSeenAt)) is not { Length: > 0 } at || !Timestamps.TryParse(at, out _)
                || (m.TryGetValue("message", out var message) && message.S is null))
            {
                problem = $"{Attribute} holds an entry without a kind, or with a malformed id, timestamp or message";
                return null;
            }
            owed.Add(new OwedAlert(id, kind, at, m.GetValueOrDefault("message")?.S));
        }
        return owed.Count == 0 ? null : owed;
    }
}
