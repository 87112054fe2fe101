using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Amazon.DynamoDBv2.Model;
using IsmsServerless.Observability;
using IsmsServerless.Storage;

namespace IsmsServerless.Ledger;

/// <summary>
/// The finding item's stored layout (issue 20, item sizes; docs/data-model.md "Finding item layout"). DynamoDB bills a
/// write by the item's size in 1 KB steps, twice inside a transaction; the finding item was 1.2–3 KB. Following AWS's
/// "compressing large attribute values" (DynamoDB developer guide, best practices for storing large items and
/// attributes), <see cref="Compact"/> turns the logical item <see cref="LedgerItems.FindingItem"/> builds into the
/// stored one:
/// <list type="bullet">
/// <item>what the violation said (<c>message</c>, <c>evidence</c>, <c>diff</c>, <c>resourceId</c>, <c>subKey</c>) and the order-free
/// timeline's bookkeeping (<c>lastObservedAt</c>, <c>lastViolationAt</c>, <c>firstViolationAt</c>, <c>lastCompliantAt</c>,
/// <c>timelineHead</c>, <c>clockStartedAt</c>, <c>violationRuns</c>) move into one Binary attribute <c>detail</c>:
/// the UTF-8 JSON object of those attributes, Brotli-compressed (quality 5, deterministic: the same finding gives the
/// same bytes, so a retried or concurrent identical write is recognised as already stored);</item>
/// <item>attributes a key already holds are not repeated: <c>id</c> (in <c>PK</c> <c>FINDING#&lt;id&gt;</c>),
/// <c>ruleId</c> (in <c>GSI2PK</c> <c>RULE#&lt;ruleId&gt;</c>, when not hashed), <c>nextTimerAt</c> (the prefix of
/// <c>GSI4SK</c> <c>&lt;nextTimerAt&gt;#&lt;id&gt;</c>);</item>
/// <item>defaults are not stored: <c>lastSeenAt</c> equal to <c>firstSeenAt</c>, an empty <c>subKey</c>.</item>
/// <item>since wave 8 (a quarter of the replay's finding items were 2 units): <c>firstSeenAt</c> and <c>atRiskAt</c> move
/// into <c>detail</c>; the seven timeline attributes are packed in one <c>tl</c> string there (<see cref="TimelineAttribute"/>);
/// an empty <c>diff</c> and a <c>resourceId</c> that <c>GSI3PK</c> <c>RESOURCE#&lt;resourceId&gt;</c> holds verbatim are not
/// stored; an item that quality 5 leaves over 1 KB is compressed at quality 11 (deterministic: decided by the finding,
/// not by the write bookkeeping that depends on arrival order).
/// Details of every earlier layout (each attribute its own JSON member) read unchanged.</item>
/// <item>since wave 9 (the last 286 of the replay's 4,003 finding puts were 2 units): an item quality 5 leaves over 1 KB has its
/// detail JSON compressed primed by a fixed dictionary of what repeats from finding to finding (<see cref="DetailDictionary"/>:
/// member names, the rules' evidence keys and message phrases), stored as <c>dd</c> (a format byte and the Brotli bytes after
/// the dictionary) instead of <c>detail</c>, 40–60 % smaller; the JSON inside is the same. Only those items: priming costs
/// ~4x the CPU of the plain compression (the dictionary is compressed with each detail), and an item under 1 KB gains nothing
/// billed. The quality-11 retry comes after it, for what is still over.</item>
/// </list>
/// Everything a person scans in the table stays a plain attribute (keys, status, severity, category, resource type,
/// account, region, last seen, due, SLA state, resolved, waiver, version, history length).
/// <see cref="TryExpand"/> gives every reader the logical item back, so an item of this layout and an item written by
/// an older version (every attribute plain, no <c>detail</c>) read the same way through one reader.
/// </summary>
internal static class FindingItemLayout
{
    public const string DetailAttribute = "detail";

    /// <summary>
    /// Since issue 20 wave 9: the same JSON, compressed primed by the fixed <see cref="DetailDictionary"/> (a format byte,
    /// then the Brotli bytes after the dictionary's prefix), in place of <see cref="DetailAttribute"/>. A writer whose Brotli
    /// cannot reproduce the dictionary's prefix writes <see cref="DetailAttribute"/> as before.
    /// </summary>
    public const string PrimedDetailAttribute = "dd";

    /// <summary>
    /// Largest <c>detail</c> JSON, compressed or not: DynamoDB's item limit (400 KB). Nothing larger could be stored before
    /// compression, so the writer refuses it (a clear error instead of a store that only compression made possible), and
    /// a reader stops decompressing there (a hostile or corrupted <c>detail</c> cannot make it allocate more).
    /// </summary>
    public const int MaxDetailBytes = 400 * 1024;

    private const int BrotliQuality = 5;
    private const int BrotliWindow = 18;

    /// <summary>The attributes kept in <c>detail</c>, in the order they are written.</summary>
    internal static readonly IReadOnlyList<string> DetailAttributes =
    [
        "resourceId", "subKey", "message", "evidence", "diff",
        "lastObservedAt", "lastViolationAt", "firstViolationAt", "lastCompliantAt", "timelineHead", "clockStartedAt", "violationRuns",
        // Since issue 20 wave 8: the first-seen and at-risk times, and the timeline's bookkeeping packed in one string.
        "firstSeenAt", "atRiskAt", TimelineAttribute,
    ];

    /// <summary>
    /// The timeline's bookkeeping packed in one string (issue 20, wave 8), the 7 attributes of <see cref="TimelineAttributes"/>
    /// in that order, separated by <c>|</c>: empty when absent, <c>=</c> when equal to <c>lastObservedAt</c> (the first field;
    /// for <c>timelineHead</c>, <c>=</c> followed by what follows <c>lastObservedAt</c>, e.g. <c>=#1</c>). A new finding's
    /// <c>lastObservedAt|=|=||=#1|=|1</c> replaces five names and five copies of one time.
    /// </summary>
    public const string TimelineAttribute = "tl";

    /// <summary>The attributes <see cref="TimelineAttribute"/> packs, in its order.</summary>
    internal static readonly IReadOnlyList<string> TimelineAttributes =
        ["lastObservedAt", "lastViolationAt", "firstViolationAt", "lastCompliantAt", "timelineHead", "clockStartedAt", "violationRuns"];

    /// <summary>One DynamoDB write unit: a stored item up to this size is billed one unit per write (twice in a transaction).</summary>
    public const int OneUnitBytes = 1024;

    // Brotli's densest setting: about 8 % smaller than quality 5 on the replay's details, but ~50x the CPU (milliseconds per
    // item), so it is used only for an item quality 5 leaves over one write unit (decided by the finding alone: deterministic).
    private const int DenseQuality = 11;

    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = false };

    /// <summary>Turns the logical finding item into the stored one, in place. Throws <see cref="FindingItemTooLargeException"/> over <see cref="MaxDetailBytes"/>.</summary>
    public static void Compact(Dictionary<string, AttributeValue> item)
    {
        if (item.GetValueOrDefault("subKey")?.S is { Length: 0 }) item.Remove("subKey");
        if (item.GetValueOrDefault("lastSeenAt")?.S is { } lastSeen && lastSeen == item.GetValueOrDefault("firstSeenAt")?.S) item.Remove("lastSeenAt");
        // Defaults and what a key holds are not stored (wave 8): an empty diff, a resource id GSI3PK holds verbatim.
        if (item.GetValueOrDefault("diff")?.S is "[]") item.Remove("diff");
        if (item.GetValueOrDefault("resourceId")?.S is { } resourceId && item.GetValueOrDefault(LedgerSchema.Gsi3PartitionKey)?.S == ResourcePrefix + resourceId)
            item.Remove("resourceId");
        PackTimeline(item);
        var json = DetailJson(item);
        if (json.Length > MaxDetailBytes)
        {
            var key = item.GetValueOrDefault(LedgerSchema.PartitionKey)?.S;
            Log.Error("ledger.finding-too-large", null, ("item", key), ("detailBytes", json.Length), ("limit", MaxDetailBytes));
            throw new FindingItemTooLargeException($"{key}: message, evidence and diff take {json.Length} bytes, over the {MaxDetailBytes} an item can hold");
        }
        foreach (var name in DetailAttributes) item.Remove(name);
        if (item.GetValueOrDefault("id")?.S is { } id && item.GetValueOrDefault(LedgerSchema.PartitionKey)?.S == LedgerKeys.Finding(id)) item.Remove("id");
        if (item.GetValueOrDefault("ruleId")?.S is { } ruleId && item.GetValueOrDefault(LedgerSchema.Gsi2PartitionKey)?.S == RulePrefix + ruleId) item.Remove("ruleId");
        if (item.GetValueOrDefault("nextTimerAt")?.S is { } timer && item.GetValueOrDefault(LedgerSchema.Gsi4PartitionKey)?.S == LedgerKeys.TimerPartition
            && item.GetValueOrDefault(LedgerSchema.Gsi4SortKey)?.S is { } timerSort && timerSort.StartsWith(timer + "#", StringComparison.Ordinal))
            item.Remove("nextTimerAt");
        // Each step only for an item the previous one leaves over one unit, and each decided by the finding alone (the same
        // finding always stores the same bytes): quality 5; primed by the dictionary (wave 9); the densest quality.
        (string Name, byte[] Bytes) detail = (DetailAttribute, Compress(json, BrotliQuality));
        SetDetail(item, detail);
        if (DecisionBytes(item) <= OneUnitBytes) return;
        if (DetailDictionary.Compress(json, BrotliQuality) is { } primed && primed.Length < detail.Bytes.Length)
        {
            detail = (PrimedDetailAttribute, primed);
            SetDetail(item, detail);
            if (DecisionBytes(item) <= OneUnitBytes) return;
        }
        if (json.Length > DenseLimitBytes) return;
        (string, byte[]) dense = DetailDictionary.Compress(json, DenseQuality) is { } primedDense ? (PrimedDetailAttribute, primedDense) : (DetailAttribute, Compress(json, DenseQuality));
        if (dense.Item2.Length < detail.Bytes.Length) SetDetail(item, dense);
    }

    private static void SetDetail(Dictionary<string, AttributeValue> item, (string Name, byte[] Bytes) detail)
    {
        item.Remove(DetailAttribute);
        item.Remove(PrimedDetailAttribute);
        item[detail.Name] = new AttributeValue { B = new MemoryStream(detail.Bytes) };
    }

    // The dense retry is for items near one unit; a detail this large stays two or more units whatever the setting.
    private const int DenseLimitBytes = 16 * 1024;

    // What records which write came last rather than the finding (the owed alert and line, the version counter): the dense
    // retry must not depend on them, or one finding would be stored with different bytes in different arrival orders
    // (OrderInvarianceTests). The decision counts a fixed allowance for them instead (a new finding's are ~50 bytes).
    private static readonly string[] WriteBookkeeping = [OutboxMarker.Attribute, OutboxMarker.LineAttribute, "version"];
    private const int WriteBookkeepingAllowance = 64;

    private static int DecisionBytes(Dictionary<string, AttributeValue> item) =>
        item.Where(a => Array.IndexOf(WriteBookkeeping, a.Key) < 0).Sum(a => Encoding.UTF8.GetByteCount(a.Key) + Storage.ItemSize.Of(a.Value)) + WriteBookkeepingAllowance;

    /// <summary>
    /// Replaces the timeline attributes by <see cref="TimelineAttribute"/>. Left as they are (each its own detail attribute,
    /// as before) when a value could be misread packed: one holding <c>|</c>, or starting with <c>=</c>.
    /// </summary>
    private static void PackTimeline(Dictionary<string, AttributeValue> item)
    {
        var values = new string?[TimelineAttributes.Count];
        var any = false;
        for (var i = 0; i < values.Length; i++)
        {
            if (!item.TryGetValue(TimelineAttributes[i], out var value)) continue;
            values[i] = value.S ?? value.N;
            if (values[i] is not { } text || text.Contains('|', StringComparison.Ordinal) || text.StartsWith('=')) return;
            any = true;
        }
        if (!any) return;
        var observed = values[0];
        var fields = new string[values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            var v = values[i];
            fields[i] = v is null ? ""
                : i == 0 || observed is null ? v
                : v == observed ? "="
                : i == 4 && v.Length > observed.Length && v.StartsWith(observed, StringComparison.Ordinal) && v[observed.Length] == '#' ? "=" + v[observed.Length..]
                : v;
        }
        foreach (var name in TimelineAttributes) item.Remove(name);
        item[TimelineAttribute] = new AttributeValue { S = string.Join('|', fields) };
    }

    /// <summary>Puts back the attributes a <see cref="TimelineAttribute"/> packs. False, with a problem, when it is malformed.</summary>
    private static bool TryUnpackTimeline(Dictionary<string, AttributeValue> item, out string problem)
    {
        problem = "";
        if (!item.Remove(TimelineAttribute, out var packed)) return true;
        var fields = packed.S?.Split('|');
        if (fields is null || fields.Length != TimelineAttributes.Count) { problem = $"detail.{TimelineAttribute} is not {TimelineAttributes.Count} fields"; return false; }
        var observed = fields[0];
        for (var i = 0; i < fields.Length; i++)
        {
            var f = fields[i];
            if (f.Length == 0) continue;
            if (f[0] == '=')
            {
                if (i == 0 || observed.Length == 0 || (f.Length > 1 && (i != 4 || f[1] != '#'))) { problem = $"detail.{TimelineAttribute} field {i} is malformed"; return false; }
                f = observed + f[1..];
            }
            if (i == TimelineAttributes.Count - 1)
            {
                if (!long.TryParse(f, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out _)) { problem = $"detail.{TimelineAttribute}: violationRuns is not a number"; return false; }
                item[TimelineAttributes[i]] = new AttributeValue { N = f };
            }
            else item[TimelineAttributes[i]] = new AttributeValue { S = f };
        }
        return true;
    }

    /// <summary>An item's size as DynamoDB bills it (<see cref="Storage.ItemSize"/>).</summary>
    internal static int ItemBytes(Dictionary<string, AttributeValue> item) => Storage.ItemSize.Of(item);

    /// <summary>
    /// The logical item of a stored finding item: the item itself when it has no <c>detail</c> (every older layout), else
    /// a copy with <c>detail</c>'s attributes and the ones its keys hold put back. False, with a problem, for a
    /// <c>detail</c> that is not Brotli-compressed JSON of the expected shape or decompresses beyond <see cref="MaxDetailBytes"/>.
    /// </summary>
    public static bool TryExpand(Dictionary<string, AttributeValue> item, out Dictionary<string, AttributeValue> full, out string problem)
    {
        problem = "";
        full = item;
        var plain = item.TryGetValue(DetailAttribute, out var detail);
        var primed = item.TryGetValue(PrimedDetailAttribute, out var primedDetail);
        if (!plain && !primed) return true;
        if (plain && primed) { problem = $"detail stored twice ({DetailAttribute} and {PrimedDetailAttribute})"; return false; }
        if ((primed ? primedDetail : detail)!.B is not { } stream) { problem = "detail is not binary"; return false; }
        full = new Dictionary<string, AttributeValue>(item, StringComparer.Ordinal);
        full.Remove(DetailAttribute);
        full.Remove(PrimedDetailAttribute);
        if (!TryReadDetail(stream, primed, full, out problem)) return false;
        if (!TryUnpackTimeline(full, out problem)) return false;
        if (!full.ContainsKey("resourceId") && item.GetValueOrDefault(LedgerSchema.Gsi3PartitionKey)?.S is { } resource && resource.StartsWith(ResourcePrefix, StringComparison.Ordinal))
            full["resourceId"] = new AttributeValue { S = resource[ResourcePrefix.Length..] };
        if (!full.ContainsKey("id") && item.GetValueOrDefault(LedgerSchema.PartitionKey)?.S is { } pk && pk.StartsWith(LedgerKeys.FindingPrefix, StringComparison.Ordinal))
            full["id"] = new AttributeValue { S = pk[LedgerKeys.FindingPrefix.Length..] };
        if (!full.ContainsKey("ruleId") && item.GetValueOrDefault(LedgerSchema.Gsi2PartitionKey)?.S is { } rule && rule.StartsWith(RulePrefix, StringComparison.Ordinal))
            full["ruleId"] = new AttributeValue { S = rule[RulePrefix.Length..] };
        if (!full.ContainsKey("lastSeenAt") && full.GetValueOrDefault("firstSeenAt") is { S: not null } firstSeen) full["lastSeenAt"] = new AttributeValue { S = firstSeen.S };
        if (!full.ContainsKey("subKey")) full["subKey"] = new AttributeValue { S = "" };
        if (!full.ContainsKey("nextTimerAt") && item.GetValueOrDefault(LedgerSchema.Gsi4PartitionKey)?.S == LedgerKeys.TimerPartition
            && item.GetValueOrDefault(LedgerSchema.Gsi4SortKey)?.S is { } timerSort && timerSort.IndexOf('#', StringComparison.Ordinal) is > 0 and var hash)
            full["nextTimerAt"] = new AttributeValue { S = timerSort[..hash] };
        return true;
    }

    /// <summary>The finding's rule id, whichever layout stored it (the rule-text fill reads it before the item is expanded).</summary>
    public static string? RuleIdOf(Dictionary<string, AttributeValue> item) =>
        item.GetValueOrDefault("ruleId")?.S
        ?? (item.GetValueOrDefault(LedgerSchema.Gsi2PartitionKey)?.S is { } rule && rule.StartsWith(RulePrefix, StringComparison.Ordinal) ? rule[RulePrefix.Length..] : null);

    private const string RulePrefix = "RULE#"; // LedgerKeys.RulePartition without the (bounded) rule id

    private const string ResourcePrefix = "RESOURCE#"; // LedgerKeys.ResourcePartition without the (bounded) resource id

    // ------------------------------------------------------------------ encoding

    private static byte[] DetailJson(Dictionary<string, AttributeValue> item)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var json = new Utf8JsonWriter(buffer, WriterOptions))
        {
            json.WriteStartObject();
            foreach (var name in DetailAttributes)
            {
                if (!item.TryGetValue(name, out var value)) continue;
                json.WritePropertyName(name);
                if (value.S is not null && name == "diff") json.WriteRawValue(value.S);
                else if (value.S is not null) json.WriteStringValue(Clean(value.S));
                else if (value.N is not null) json.WriteRawValue(value.N);
                else if (value.M is not null)
                {
                    json.WriteStartObject();
                    foreach (var (key, entry) in value.M.OrderBy(e => e.Key, StringComparer.Ordinal))
                        json.WriteString(Clean(key), Clean(entry.S ?? throw new ArgumentException($"{name}.{key} is not a string")));
                    json.WriteEndObject();
                }
                else throw new ArgumentException($"{name}: unsupported attribute type for detail");
            }
            json.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    // DynamoDB stores strings as UTF-8, so text with a lone surrogate was stored with U+FFFD in its place; the JSON
    // writer refuses lone surrogates, so they are replaced the same way here.
    private static string Clean(string text) =>
        text.AsSpan().ContainsAnyInRange('\uD800', '\uDFFF') ? Encoding.UTF8.GetString(Encoding.UTF8.GetBytes(text)) : text;

    private static byte[] Compress(byte[] json, int quality) => CompressedAttribute.Compress(json, quality, BrotliWindow);

    // ------------------------------------------------------------------ decoding

    private static bool TryReadDetail(MemoryStream stream, bool primed, Dictionary<string, AttributeValue> into, out string problem)
    {
        var source = stream.TryGetBuffer(out var segment) ? segment.AsSpan() : stream.ToArray();
        byte[] rented;
        int offset = 0, written;
        if (primed ? !DetailDictionary.TryDecompress(source, MaxDetailBytes, out rented, out offset, out written, out problem)
            : !CompressedAttribute.TryDecompress(source, MaxDetailBytes, out rented, out written, out problem))
        {
            problem = "detail: " + problem;
            return false;
        }
        try
        {
            return TryParse(rented.AsSpan(offset, written), into, out problem);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private static bool TryParse(ReadOnlySpan<byte> json, Dictionary<string, AttributeValue> into, out string problem)
    {
        problem = "";
        try
        {
            var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 4 });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) { problem = "detail is not a JSON object"; return false; }
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.GetString()!;
                if (!DetailAttributes.Contains(name)) { problem = $"detail holds an unknown attribute '{name}'"; return false; }
                reader.Read();
                switch (reader.TokenType)
                {
                    case JsonTokenType.String:
                        into[name] = new AttributeValue { S = reader.GetString() };
                        break;
                    case JsonTokenType.Number:
                        into[name] = new AttributeValue { N = Encoding.UTF8.GetString(reader.ValueSpan) };
                        break;
                    case JsonTokenType.StartArray when name == "diff":
                        var start = (int)reader.TokenStartIndex;
                        reader.Skip();
                        into[name] = new AttributeValue { S = Encoding.UTF8.GetString(json[start..(int)(reader.TokenStartIndex + 1)]) };
                        break;
                    case JsonTokenType.StartObject:
                        var map = new Dictionary<string, AttributeValue>(StringComparer.Ordinal);
                        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                        {
                            var key = reader.GetString()!;
                            if (!reader.Read() || reader.TokenType != JsonTokenType.String) { problem = $"detail.{name}.{key} is not a string"; return false; }
                            map[key] = new AttributeValue { S = reader.GetString() };
                        }
                        into[name] = new AttributeValue { M = map };
                        break;
                    default:
                        problem = $"detail.{name} has an unexpected JSON type";
                        return false;
                }
            }
            if (reader.TokenType != JsonTokenType.EndObject) { problem = "detail is not a JSON object"; return false; }
            return true;
        }
        catch (JsonException ex)
        {
            problem = "detail is not valid JSON: " + ex.Message;
            return false;
        }
    }
}

/// <summary>A finding whose message, evidence and diff exceed what one DynamoDB item can hold.</summary>
public sealed class FindingItemTooLargeException(string message) : Exception(message);
