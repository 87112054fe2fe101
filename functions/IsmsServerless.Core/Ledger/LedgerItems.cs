using System.Globalization;
using System.Text.Json;
using Amazon.DynamoDBv2.Model;
using IsmsServerless.Alerts;
using IsmsServerless.Model;

namespace IsmsServerless.Ledger;

/// <summary>
/// Maps ledger records to DynamoDB items and back. Readers are defensive: an item written by an older version, edited
/// by hand or corrupted (missing attributes, wrong types) yields a problem description instead of an exception, and
/// the caller logs and skips it.
/// </summary>
internal static class LedgerItems
{
    public const string FindingEntity = "FINDING";
    public const string HistoryEntity = "HISTORY";
    public const string MemberEntity = "MEMBER";
    public const string AlertEntity = "ALERT";
    public const string StatsEntity = "STATS";
    public const string TrendEntity = "TREND";

    public static AttributeValue S(string value) => new() { S = value };

    public static AttributeValue N(long value) => new() { N = value.ToString(CultureInfo.InvariantCulture) };

    public static AttributeValue Time(DateTimeOffset value) => S(LedgerKeys.Instant(value));

    /// <summary>
    /// The finding item (META) as stored, including the GSI2/GSI3/GSI4 keys that its state implies (no GSI1 since issue 20),
    /// in the layout of <see cref="FindingItemLayout"/> (compressed <c>detail</c>).
    /// </summary>
    public static Dictionary<string, AttributeValue> FindingItem(FindingRecord f, long? expiresAtEpoch)
    {
        var item = new Dictionary<string, AttributeValue>
        {
            [LedgerSchema.PartitionKey] = S(LedgerKeys.Finding(f.Id)),
            [LedgerSchema.SortKey] = S(LedgerKeys.Meta),
            [LedgerSchema.EntityType] = S(FindingEntity),
            ["id"] = S(f.Id),
            ["ruleId"] = S(f.RuleId),
            ["title"] = S(f.Title),
            ["category"] = S(f.Category.ToWire()),
            ["severity"] = S(f.Severity.ToWire()),
            ["status"] = S(f.Status.ToWire()),
            ["resourceId"] = S(f.ResourceId),
            ["resourceType"] = S(f.ResourceType),
            ["accountId"] = S(f.AccountId),
            ["region"] = S(f.Region),
            ["subKey"] = S(f.SubKey),
            ["controls"] = new AttributeValue { L = f.Controls.Select(S).ToList() },
            ["policyClause"] = S(f.PolicyClause),
            ["remediation"] = S(f.Remediation),
            ["message"] = S(f.Message),
            ["firstSeenAt"] = Time(f.FirstSeenAt),
            ["lastSeenAt"] = Time(f.LastSeenAt),
            ["diff"] = S(JsonSerializer.Serialize(f.Diff.ToList(), LedgerJsonContext.Default.ListFieldDiff)),
            ["evidence"] = new AttributeValue { M = f.Evidence.ToDictionary(kv => kv.Key, kv => S(kv.Value)) },
            ["historyLength"] = N(f.HistoryLength),
            ["version"] = N(f.Version),
            // No GSI1 key (issue 20): the by-status view merges the GSI2 rule partitions too. Items written before carry
            // GSI1 STATUS#<status> keys, read as a legacy source until their next write drops them (docs/data-model.md).
            // GSI2: the finding's rule, sorted like the status page (status, severity, due date): the status, control and
            // category views merge the rule partitions that claim them (replaces one MEMBER item per control and category).
            [LedgerSchema.Gsi2PartitionKey] = S(LedgerKeys.RulePartition(f.RuleId)),
            [LedgerSchema.Gsi2SortKey] = S(LedgerKeys.MemberSort(f.Status, f.Severity, f.DueAt, f.Id)),
            [LedgerSchema.Gsi3PartitionKey] = S(LedgerKeys.ResourcePartition(f.ResourceId)),
            [LedgerSchema.Gsi3SortKey] = S(LedgerKeys.ResourceSort(f.Status, f.Id)),
        };
        // DynamoDB Local and DynamoDB reject an empty map only in key positions; an empty M is fine, but keep the item small.
        if (f.Evidence.Count == 0) item.Remove("evidence");
        // The rule's texts (~450 bytes) are not stored when they are the registry's: the item names them by fingerprint
        // (RuleTexts; the writer puts the RULETEXT item first, readers fill them back in). Other texts are stored as before.
        if (RuleTexts.Shared(f) is { } shared)
        {
            item.Remove("title");
            item.Remove("controls");
            item.Remove("policyClause");
            item.Remove("remediation");
            item[RuleTexts.Attribute] = S(shared.Fingerprint);
        }
        if (f.ResolvedAt is { } resolved) item["resolvedAt"] = Time(resolved);
        if (f.DueAt is { } due) item["dueAt"] = Time(due);
        if (f.AtRiskAt is { } atRisk) item["atRiskAt"] = Time(atRisk);
        if (f.ClockStartedAt is { } started) item["clockStartedAt"] = Time(started);
        if (f.SlaState is { } state) item["slaState"] = S(state.ToWire());
        if (f.LastObservedAt is { } observed) item["lastObservedAt"] = Time(observed);
        if (f.LastViolationAt is { } violation) item["lastViolationAt"] = Time(violation);
        if (f.LastCompliantAt is { } compliant) item["lastCompliantAt"] = Time(compliant);
        if (f.FirstViolationAt is { } firstViolation) item["firstViolationAt"] = Time(firstViolation);
        if (f.ViolationRuns is { } runs) item["violationRuns"] = N(runs);
        if (f.TimelineHead is { } head) item["timelineHead"] = S(head);
        if (f.OwedAlerts is { Count: > 0 }) item[OutboxMarker.Attribute] = OutboxMarker.ToAttribute(f);
        if (f.OwedLine is { } owedLine) item[OutboxMarker.LineAttribute] = S(owedLine);
        if (f.Waiver is { } w)
        {
            item["waiver"] = new AttributeValue
            {
                M = new Dictionary<string, AttributeValue>
                {
                    ["owner"] = S(w.Owner),
                    ["reason"] = S(w.Reason),
                    ["control"] = S(w.Control),
                    ["expiresAt"] = Time(w.ExpiresAt),
                    ["grantedBy"] = S(w.GrantedBy),
                    ["grantedAt"] = Time(w.GrantedAt),
                },
            };
        }
        if (f.NextTimerAt is { } timer)
        {
            item[LedgerSchema.Gsi4PartitionKey] = S(LedgerKeys.TimerPartition);
            item[LedgerSchema.Gsi4SortKey] = S(LedgerKeys.TimerSort(timer, f.Id));
            item["nextTimerAt"] = Time(timer);
        }
        if (expiresAtEpoch is { } ttl) item[LedgerSchema.TimeToLive] = N(ttl);
        // Stored layout (issue 20, item sizes): message, evidence, diff and the timeline's bookkeeping in one compressed
        // `detail`, nothing a key already holds; TryReadFinding expands it back.
        FindingItemLayout.Compact(item);
        return item;
    }

    /// <summary>
    /// The keys of a finding's legacy membership items (one per control and one for the category, each indexed in GSI2),
    /// written by versions before the finding item carried its rule as GSI2 key; deleted when such a finding is next written.
    /// </summary>
    public static IEnumerable<Dictionary<string, AttributeValue>> LegacyMemberKeys(FindingRecord f) =>
        MemberPartitions(f).Select(p => new Dictionary<string, AttributeValue>
        {
            [LedgerSchema.PartitionKey] = S(LedgerKeys.Finding(f.Id)),
            [LedgerSchema.SortKey] = S(LedgerKeys.MemberPrefix + p.Partition),
        });

    private static IEnumerable<(string Kind, string Value, string Partition)> MemberPartitions(FindingRecord f) =>
        f.Controls.Distinct(StringComparer.Ordinal).Select(c => ("CONTROL", c, LedgerKeys.ControlPartition(c)))
            .Append(("CATEGORY", f.Category.ToWire(), LedgerKeys.CategoryPartition(f.Category)));

    /// <summary>Legacy membership items (the layout before GSI2 <c>RULE#</c>): kept to write old tables in tests and benchmarks.</summary>
    public static IEnumerable<Dictionary<string, AttributeValue>> MemberItems(FindingRecord f, long? expiresAtEpoch)
    {
        var partitions = MemberPartitions(f);
        foreach (var (kind, value, partition) in partitions)
        {
            var item = new Dictionary<string, AttributeValue>
            {
                [LedgerSchema.PartitionKey] = S(LedgerKeys.Finding(f.Id)),
                [LedgerSchema.SortKey] = S(LedgerKeys.MemberPrefix + partition),
                [LedgerSchema.EntityType] = S(MemberEntity),
                ["findingId"] = S(f.Id),
                ["memberOf"] = S(kind),
                ["value"] = S(value),
                ["status"] = S(f.Status.ToWire()),
                [LedgerSchema.Gsi2PartitionKey] = S(partition),
                [LedgerSchema.Gsi2SortKey] = S(LedgerKeys.MemberSort(f.Status, f.Severity, f.DueAt, f.Id)),
            };
            if (expiresAtEpoch is { } ttl) item[LedgerSchema.TimeToLive] = N(ttl);
            yield return item;
        }
    }

    public static Dictionary<string, AttributeValue> HistoryItem(string findingId, HistoryEntry h)
    {
        var item = new Dictionary<string, AttributeValue>
        {
            [LedgerSchema.PartitionKey] = S(LedgerKeys.Finding(findingId)),
            [LedgerSchema.SortKey] = S(LedgerKeys.History(h.Sequence)),
            [LedgerSchema.EntityType] = S(HistoryEntity),
            ["findingId"] = S(findingId),
            ["sequence"] = N(h.Sequence),
            ["at"] = Time(h.At),
            ["actor"] = S(h.Actor),
            ["action"] = S(h.Action),
            ["reason"] = S(h.Reason),
        };
        if (h.FromStatus is not null) item["fromStatus"] = S(h.FromStatus);
        if (h.ToStatus is not null) item["toStatus"] = S(h.ToStatus);
        if (h.FromState is not null) item["fromState"] = S(h.FromState);
        if (h.ToState is not null) item["toState"] = S(h.ToState);
        return item;
    }

    public const string ObservationEntity = "OBSERVATION";

    /// <summary>
    /// One observation of a finding (README "Delivery order"), keyed by its point (<c>HIST#&lt;source time&gt;#&lt;verdict&gt;</c>).
    /// When it starts a run of equal verdicts it is a history line (<c>HISTORY</c>, with <paramref name="line"/>'s action
    /// and statuses, never expires); otherwise a plain <c>OBSERVATION</c> kept for <paramref name="retentionDays"/> after
    /// its source time (a late observation finds its neighbours by key). No index keys: 1 write unit under 1 KB.
    /// </summary>
    public static Dictionary<string, AttributeValue> TimelineItem(string findingId, TimelineObservation o, TimelineLine? line, int retentionDays, DateTimeOffset writtenAt,
        string? fromStatus = null)
    {
        var reason = o.Reason.Length > 2048 ? o.Reason[..2048] : o.Reason;
        var item = new Dictionary<string, AttributeValue>
        {
            [LedgerSchema.PartitionKey] = S(LedgerKeys.Finding(findingId)),
            [LedgerSchema.SortKey] = S(LedgerKeys.HistoryAt(o.Point)),
            [LedgerSchema.EntityType] = S(line is null ? ObservationEntity : HistoryEntity),
            ["findingId"] = S(findingId),
            ["sequence"] = N(0),
            // "at": when the ledger wrote the line (like every history line); the source time is in the key and "observedAt".
            ["at"] = Time(writtenAt),
            ["observedAt"] = Time(o.Point.At),
            ["actor"] = S(o.Actor),
            ["verdict"] = S(o.Point.Verdict == Verdict.Violation ? "violation" : "compliant"),
            ["reason"] = S(reason),
        };
        if (line is not null)
        {
            item["action"] = S(line.Action);
            if ((fromStatus ?? line.FromStatus) is { } from) item["fromStatus"] = S(from);
            item["toStatus"] = S(line.ToStatus);
        }
        else
        {
            item[LedgerSchema.TimeToLive] = N(o.Point.At.AddDays(retentionDays).ToUnixTimeSeconds());
        }
        return item;
    }

    /// <summary>The observation a timeline item holds (null: not a timeline item, e.g. a sequence-numbered line).</summary>
    public static TimelineObservation? ReadObservation(Dictionary<string, AttributeValue> item)
    {
        if (item.GetValueOrDefault(LedgerSchema.SortKey)?.S is not { } sk || !sk.StartsWith(LedgerKeys.HistoryPrefix, StringComparison.Ordinal)) return null;
        var suffix = sk[LedgerKeys.HistoryPrefix.Length..];
        var hash = suffix.LastIndexOf('#');
        if (hash <= 0 || suffix.Length != hash + 2 || !Timestamps.TryParse(suffix[..hash], out var at)) return null;
        var verdict = suffix[^1] switch { '0' => Verdict.Compliant, '1' => Verdict.Violation, _ => (Verdict?)null };
        if (verdict is null) return null;
        return new TimelineObservation(ObservationPoint.Of(at, verdict.Value), item.GetValueOrDefault("actor")?.S ?? "", item.GetValueOrDefault("reason")?.S ?? "");
    }

    /// <summary>
    /// An outbox item: the alert's camelCase properties as string attributes. The alert id is the partition key's suffix
    /// (<c>ALERT#&lt;id&gt;</c>) and the creation time is held by <c>GSI4SK</c> (issue 20: neither is repeated as an
    /// attribute). The item has no <c>GSI4PK</c>, so it is in no index (a GSI holds only items that carry both its keys):
    /// nothing in production lists alerts by day (delivery reads the stream, the CLI reads by id).
    /// Issue 20 wave 8 (every alert one small unit): the alert Pipe renders the text in an enrichment Lambda
    /// (<see cref="AlertReader"/>, <see cref="AlertMessageFormat"/>), so the item keeps only what differs per alert. With
    /// <paramref name="shareRuleTexts"/> (the finding ledger, which has put the <c>RULETEXT</c> item first) and texts equal to
    /// the rule registry's, the title, controls, policy clause and remediation are replaced by their fingerprint
    /// (<c>ruleTexts</c>, as on finding items: <see cref="RuleTexts"/>); the details text is bounded
    /// (<see cref="AlertItemLayout.BoundMessage"/>) so the item stays under <see cref="AlertItemLayout.TargetBytes"/>.
    /// Items written before carry every text, and earlier still <c>alertId</c>, <c>createdAt</c> and <c>GSI4PK</c>; all read.
    /// </summary>
    public static Dictionary<string, AttributeValue> AlertItem(AlertRecord a, long expiresAtEpoch, bool shareRuleTexts = false)
    {
        var item = new Dictionary<string, AttributeValue>
        {
            [LedgerSchema.PartitionKey] = S(LedgerKeys.Alert(a.AlertId)),
            [LedgerSchema.SortKey] = S(LedgerKeys.AlertSort),
            [LedgerSchema.EntityType] = S(AlertEntity),
            ["kind"] = S(a.Kind),
            ["findingId"] = S(a.FindingId),
            ["ruleId"] = S(a.RuleId),
            ["severity"] = S(a.Severity),
            ["category"] = S(a.Category),
            ["resourceId"] = S(a.ResourceId),
            ["resourceType"] = S(a.ResourceType),
            ["accountId"] = S(a.AccountId),
            ["region"] = S(a.Region),
            ["statusUrl"] = S(a.StatusUrl),
            [LedgerSchema.TimeToLive] = N(expiresAtEpoch),
        };
        if (shareRuleTexts && AlertItemLayout.SharedTexts(a) is { } shared)
            item[RuleTexts.Attribute] = S(shared.Fingerprint);
        else
        {
            item["title"] = S(a.Title);
            item["policyClause"] = S(a.PolicyClause);
            item["controls"] = S(a.Controls);
            item["remediation"] = S(a.Remediation);
        }
        // Always present (empty when no SLA applies): readers of every layout expect them.
        item["dueAt"] = S(a.DueAt ?? "");
        item["slaState"] = S(a.SlaState ?? "");
        // The raised-at time; without GSI4PK it is not an index key.
        item[LedgerSchema.Gsi4SortKey] = S(a.CreatedAt);
        item["message"] = S(AlertItemLayout.BoundMessage(a.Message, AlertItemLayout.Bytes(item)));
        return item;
    }

    public static bool TryReadFinding(Dictionary<string, AttributeValue> item, out FindingRecord record, out string problem)
    {
        record = null!;
        // The counted flag's value 2: the finding holds its evidence failure (FindingRecord.HoldsEvidence).
        var holdsEvidence = item.GetValueOrDefault(DynamoDbFindingLedger.CountedAttribute)?.N == DynamoDbFindingLedger.HoldsEvidenceCounted;
        // Either layout: an item with a compressed `detail` (FindingItemLayout) or one written by an older version.
        if (!FindingItemLayout.TryExpand(item, out item, out problem)) return false;
        var r = new Reader(item);
        var id = r.Str("id");
        var ruleId = r.Str("ruleId");
        var resourceId = r.Str("resourceId");
        var statusText = r.Str("status");
        var severityText = r.Str("severity");
        var firstSeen = r.Instant("firstSeenAt");
        var version = r.Long("version");
        if (r.Problem is not null || id is null || ruleId is null || resourceId is null || statusText is null || severityText is null
            || firstSeen is null || version is null)
        {
            problem = r.Problem ?? "missing one of id, ruleId, resourceId, status, severity, firstSeenAt, version";
            return false;
        }
        if (!FindingStatusNames.TryParse(statusText, out var status)) { problem = $"unknown status '{statusText}'"; return false; }
        if (!SeverityNames.TryParse(severityText, out var severity)) { problem = $"unknown severity '{severityText}'"; return false; }
        var category = ParseCategory(r.Str("category"));
        SlaState? slaState = null;
        if (r.Str("slaState") is { } stateText)
        {
            if (!SlaStateNames.TryParse(stateText, out var parsed)) { problem = $"unknown slaState '{stateText}'"; return false; }
            slaState = parsed;
        }
        Waiver? waiver = null;
        if (item.TryGetValue("waiver", out var w))
        {
            if (w.M is not { Count: > 0 } wm) { problem = "waiver is not a map"; return false; }
            var wr = new Reader(wm);
            var expires = wr.Instant("expiresAt");
            var granted = wr.Instant("grantedAt");
            if (wr.Problem is not null || expires is null || granted is null) { problem = "waiver: " + (wr.Problem ?? "missing expiresAt or grantedAt"); return false; }
            waiver = new Waiver(wr.Str("owner") ?? "", wr.Str("reason") ?? "", wr.Str("control") ?? "", expires.Value, wr.Str("grantedBy") ?? "", granted.Value);
        }
        IReadOnlyList<FieldDiff> diff = [];
        if (r.Str("diff") is { Length: > 0 } diffJson)
        {
            try
            {
                diff = JsonSerializer.Deserialize(diffJson, LedgerJsonContext.Default.ListFieldDiff) ?? [];
            }
            catch (JsonException)
            {
                problem = "diff is not a JSON list of field diffs";
                return false;
            }
        }
        var controls = new List<string>();
        if (item.TryGetValue("controls", out var c))
        {
            if (c.L is null || c.L.Any(x => x.S is null)) { problem = "controls is not a list of strings"; return false; }
            controls.AddRange(c.L.Select(x => x.S));
        }
        var evidence = new Dictionary<string, string>(StringComparer.Ordinal);
        if (item.TryGetValue("evidence", out var e))
        {
            if (e.M is null) { problem = "evidence is not a map"; return false; }
            foreach (var (k, v) in e.M) if (v.S is not null) evidence[k] = v.S;
        }
        record = new FindingRecord
        {
            Id = id,
            RuleId = ruleId,
            Title = r.Str("title") ?? ruleId,
            Category = category,
            Severity = severity,
            Status = status,
            ResourceId = resourceId,
            ResourceType = r.Str("resourceType") ?? "",
            AccountId = r.Str("accountId") ?? "",
            Region = r.Str("region") ?? "",
            SubKey = r.Str("subKey") ?? "",
            Controls = controls,
            PolicyClause = r.Str("policyClause") ?? "",
            Remediation = r.Str("remediation") ?? "",
            Message = r.Str("message") ?? "",
            FirstSeenAt = firstSeen.Value,
            LastSeenAt = r.Instant("lastSeenAt") ?? firstSeen.Value,
            ResolvedAt = r.Instant("resolvedAt"),
            DueAt = r.Instant("dueAt"),
            AtRiskAt = r.Instant("atRiskAt"),
            ClockStartedAt = r.Instant("clockStartedAt"),
            SlaState = slaState,
            Waiver = waiver,
            Diff = diff,
            Evidence = evidence,
            HistoryLength = (int)(r.Long("historyLength") ?? 0),
            Version = version.Value,
            LastObservedAt = r.Instant("lastObservedAt"),
            LastViolationAt = r.Instant("lastViolationAt"),
            LastCompliantAt = r.Instant("lastCompliantAt"),
            NextTimerAt = r.Instant("nextTimerAt"),
            FirstViolationAt = r.Instant("firstViolationAt"),
            ViolationRuns = r.Long("violationRuns") is { } runs ? (int)runs : null,
            TimelineHead = r.Str("timelineHead"),
            HoldsEvidence = holdsEvidence,
        };
        var owedAlerts = OutboxMarker.Read(item, id, firstSeen.Value, out var owedProblem);
        if (owedProblem is not null) { problem = owedProblem; return false; }
        if (owedAlerts is not null) record = record with { OwedAlerts = owedAlerts };
        var owedLine = OutboxMarker.ReadLine(item, out var lineProblem);
        if (lineProblem is not null) { problem = lineProblem; return false; }
        if (owedLine is not null) record = record with { OwedLine = owedLine };
        // Optional attributes of the wrong type are just as malformed as missing required ones.
        if (r.Problem is not null) { problem = r.Problem; return false; }
        problem = "";
        return true;
    }

    public static bool TryReadHistory(Dictionary<string, AttributeValue> item, out HistoryEntry entry, out string problem)
    {
        entry = null!;
        var r = new Reader(item);
        var seq = r.Long("sequence");
        var at = r.Instant("at");
        var action = r.Str("action");
        if (r.Problem is not null || seq is null || at is null || action is null)
        {
            problem = r.Problem ?? "missing sequence, at or action";
            return false;
        }
        entry = new HistoryEntry((int)seq.Value, at.Value, r.Str("actor") ?? "", action, r.Str("fromStatus"), r.Str("toStatus"),
            r.Str("fromState"), r.Str("toState"), r.Str("reason") ?? "");
        problem = r.Problem ?? "";
        return r.Problem is null;
    }

    public static bool TryReadAlert(Dictionary<string, AttributeValue> item, out AlertRecord alert, out string problem)
    {
        alert = null!;
        // Issue 20 wave 8: an item naming its rule texts by fingerprint reads with the registry's texts when they have that
        // fingerprint; otherwise AlertReader has filled them from the RULETEXT item first (else the title reads as the rule id).
        item = AlertItemLayout.WithRegistryTexts(item);
        var r = new Reader(item);
        string? Req(string name) => r.Str(name);
        // Either layout: alertId and createdAt as attributes (before issue 20's item sizes) or only in the keys.
        var alertId = Req("alertId") ?? AlertIdOfKey(item);
        var kind = Req("kind");
        var findingId = Req("findingId");
        var ruleId = Req("ruleId");
        var createdAt = Req("createdAt") ?? CreatedAtOfKey(item);
        if (r.Problem is not null || alertId is null || kind is null || findingId is null || ruleId is null || createdAt is null)
        {
            problem = r.Problem ?? "missing one of alertId, kind, findingId, ruleId, createdAt";
            return false;
        }
        alert = new AlertRecord
        {
            AlertId = alertId,
            Kind = kind,
            FindingId = findingId,
            RuleId = ruleId,
            Title = r.Str("title") ?? ruleId,
            Severity = r.Str("severity") ?? "",
            Category = r.Str("category") ?? "",
            ResourceId = r.Str("resourceId") ?? "",
            ResourceType = r.Str("resourceType") ?? "",
            AccountId = r.Str("accountId") ?? "",
            Region = r.Str("region") ?? "",
            PolicyClause = r.Str("policyClause") ?? "",
            Controls = r.Str("controls") ?? "[]",
            DueAt = r.Str("dueAt") is { Length: > 0 } dueAt ? dueAt : null,
            SlaState = r.Str("slaState") is { Length: > 0 } slaState ? slaState : null,
            Remediation = r.Str("remediation") ?? "",
            Message = r.Str("message") ?? "",
            StatusUrl = r.Str("statusUrl") ?? "",
            CreatedAt = createdAt,
        };
        problem = r.Problem ?? "";
        return r.Problem is null;
    }

    private static string? AlertIdOfKey(Dictionary<string, AttributeValue> item) =>
        item.GetValueOrDefault(LedgerSchema.PartitionKey)?.S is { } pk && pk.StartsWith(LedgerKeys.AlertPrefix, StringComparison.Ordinal) && pk.Length > LedgerKeys.AlertPrefix.Length
            ? pk[LedgerKeys.AlertPrefix.Length..]
            : null;

    private static string? CreatedAtOfKey(Dictionary<string, AttributeValue> item) =>
        item.GetValueOrDefault(LedgerSchema.Gsi4SortKey)?.S is { Length: > 0 } sk ? (sk.IndexOf('#', StringComparison.Ordinal) is > 0 and var hash ? sk[..hash] : sk) : null;

    public static string Describe(Dictionary<string, AttributeValue> item) =>
        $"{(item.TryGetValue(LedgerSchema.PartitionKey, out var pk) ? pk.S : "?")}/{(item.TryGetValue(LedgerSchema.SortKey, out var sk) ? sk.S : "?")}";

    // Every category by its wire name (a new area's category must round-trip, not read back as monitoring).
    private static Category ParseCategory(string? text) =>
        Enum.GetValues<Category>().FirstOrDefault(c => c.ToWire() == text, Category.Monitoring);

    /// <summary>Reads attributes by name, remembering the first type problem instead of throwing.</summary>
    private sealed class Reader(Dictionary<string, AttributeValue> item)
    {
        public string? Problem { get; private set; }

        public string? Str(string name)
        {
            if (!item.TryGetValue(name, out var v) || v.NULL == true) return null;
            if (v.S is null) { Problem ??= $"{name} is not a string"; return null; }
            return v.S;
        }

        public long? Long(string name)
        {
            if (!item.TryGetValue(name, out var v) || v.NULL == true) return null;
            if (v.N is null || !long.TryParse(v.N, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n))
            {
                Problem ??= $"{name} is not an integer";
                return null;
            }
            return n;
        }

        public DateTimeOffset? Instant(string name)
        {
            var text = Str(name);
            if (text is null) return null;
            if (!DateTimeOffset.TryParseExact(text, "yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture,
                    DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var value))
            {
                Problem ??= $"{name} is not a ledger timestamp";
                return null;
            }
            return value;
        }
    }
}
