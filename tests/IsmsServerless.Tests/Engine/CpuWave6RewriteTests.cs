using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using IsmsServerless.Drift;
using IsmsServerless.Engine;
using IsmsServerless.Events;
using IsmsServerless.Ingestion;
using IsmsServerless.Inputs;
using IsmsServerless.Settings;
using IsmsServerless.Tests.Engine.Reference;
using Microsoft.Extensions.Time.Testing;
using IsmsServerless.Tests.Support;
using IsmsServerless.Tests.Robustness;

namespace IsmsServerless.Tests.Engine;

/// <summary>
/// Issue 20 (wave 6), per-event CPU and allocations: each piece re-written is compared with what it replaced (kept here,
/// verbatim, as the reference) on every fixture and on generated and hostile inputs.
/// </summary>
public sealed class CpuWave6RewriteTests
{
    // ---- Json.TryUnescape: compaction by byte shuffle vs the escape-at-a-time loop (23f52d8) ---------------------------

    private static bool OldTryUnescape(ReadOnlySpan<byte> source, Span<byte> destination, out int written)
    {
        written = 0;
        while (true)
        {
            var next = OldNextBackslash(source, destination[written..]);
            if (next < 0)
            {
                written += source.Length;
                return true;
            }
            written += next;
            if (next + 1 >= source.Length) return false;
            var escaped = source[next + 1];
            var consumed = 2;
            switch (escaped)
            {
                case (byte)'"': destination[written++] = (byte)'"'; break;
                case (byte)'\\': destination[written++] = (byte)'\\'; break;
                case (byte)'/': destination[written++] = (byte)'/'; break;
                case (byte)'b': destination[written++] = (byte)'\b'; break;
                case (byte)'f': destination[written++] = (byte)'\f'; break;
                case (byte)'n': destination[written++] = (byte)'\n'; break;
                case (byte)'r': destination[written++] = (byte)'\r'; break;
                case (byte)'t': destination[written++] = (byte)'\t'; break;
                case (byte)'u':
                    if (next + 6 > source.Length
                        || !System.Buffers.Text.Utf8Parser.TryParse(source.Slice(next + 2, 4), out ushort unit, out var digits, 'X') || digits != 4
                        || char.IsSurrogate((char)unit))
                        return false;
                    written += new Rune(unit).EncodeToUtf8(destination[written..]);
                    consumed = 6;
                    break;
                default:
                    return false;
            }
            source = source[(next + consumed)..];
        }
    }

    private static int OldNextBackslash(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        var at = 0;
        if (Vector128.IsHardwareAccelerated && destination.Length >= source.Length)
        {
            ref var from = ref MemoryMarshal.GetReference(source);
            ref var to = ref MemoryMarshal.GetReference(destination);
            var backslash = Vector128.Create((byte)'\\');
            for (; at + Vector128<byte>.Count <= source.Length; at += Vector128<byte>.Count)
            {
                var block = Vector128.LoadUnsafe(ref from, (nuint)at);
                block.StoreUnsafe(ref to, (nuint)at);
                var found = Vector128.Equals(block, backslash).ExtractMostSignificantBits();
                if (found != 0) return at + BitOperations.TrailingZeroCount(found);
            }
        }
        var rest = source[at..];
        var next = rest.IndexOf((byte)'\\');
        var plain = next < 0 ? rest.Length : next;
        rest[..plain].CopyTo(destination[at..]);
        return next < 0 ? -1 : at + next;
    }

    private static void AssertUnescapesLikeBefore(ReadOnlySpan<byte> body)
    {
        // Destinations exactly as long as the source: the shuffle path's wide stores must stay inside them.
        var expected = new byte[body.Length];
        var expectedOk = OldTryUnescape(body, expected, out var expectedLength);
        var actual = new byte[body.Length];
        var actualOk = Json.TryUnescape(body, actual, out var actualLength);
        Assert.Equal(expectedOk, actualOk);
        if (!expectedOk) return;
        Assert.Equal(expectedLength, actualLength);
        Assert.Equal(expected.AsSpan(0, expectedLength).ToArray(), actual.AsSpan(0, actualLength).ToArray());
    }


    private static ReadOnlySpan<byte> Body(JsonElement value)
    {
        var raw = JsonMarshal.GetRawUtf8Value(value);
        return raw[1..^1];
    }

    [Fact]
    public void Unescape_matches_the_previous_loop_on_every_string_of_every_fixture_at_every_offset()
    {
        var checkedStrings = 0;
        foreach (var file in Directory.EnumerateFiles(Fixtures.SharedRoot, "*.json", SearchOption.AllDirectories))
        {
            JsonDocument document;
            try
            {
                document = JsonDocument.Parse(File.ReadAllBytes(file), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            }
            catch (JsonException)
            {
                continue; // the corpus holds deliberately broken payloads
            }
            using (document)
            {
                foreach (var value in FuzzCorpus.Strings(document.RootElement))
                {
                    var body = Body(value);
                    AssertUnescapesLikeBefore(body);
                    // Every alignment of the escapes against the 16-byte blocks (cut only between whole escapes).
                    if (body.IndexOf((byte)'\\') >= 0)
                    {
                        for (var cut = 1; cut < Math.Min(body.Length, 40); cut++)
                        {
                            if (StartsInsideEscape(body, cut)) continue;
                            AssertUnescapesLikeBefore(body[cut..]);
                        }
                    }
                    checkedStrings++;
                }
            }
        }
        Assert.True(checkedStrings > 1000, $"only {checkedStrings} strings checked");
    }

    /// <summary>True when <paramref name="at"/> falls inside an escape (a cut there would not be a JSON string body).</summary>
    private static bool StartsInsideEscape(ReadOnlySpan<byte> body, int at)
    {
        var i = 0;
        while (i < at)
        {
            if (body[i] != (byte)'\\') { i++; continue; }
            var length = body[i + 1] == (byte)'u' ? 6 : 2;
            if (i + length > at) return true;
            i += length;
        }
        return false;
    }

    [Fact]
    public void Unescape_matches_the_previous_loop_on_embedded_json_in_both_encoders()
    {
        // What Config sends: a whole JSON document carried in a string, so every quote inside is escaped; here with
        // escaped backslashes, control characters, non-ASCII and surrogate pairs inside its values as well.
        var random = new Random(206);
        var alphabet = "ab \"\\/\b\f\n\r\t\u0000\u001f<>&'é€\u2028\uD83D\uDE00日".ToCharArray();
        JsonSerializerOptions[] encoders = [new() { Encoder = JavaScriptEncoder.Default }, new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }];
        for (var i = 0; i < 1500; i++)
        {
            var inner = new Dictionary<string, object>();
            var fields = random.Next(0, 12);
            for (var f = 0; f < fields; f++)
            {
                var text = new StringBuilder();
                var length = random.Next(0, 30);
                for (var j = 0; j < length; j++) text.Append(random.Next(4) == 0 ? alphabet[random.Next(alphabet.Length)] : (char)('a' + random.Next(26)));
                inner["k" + f + new string('x', random.Next(0, 9))] = random.Next(3) == 0 ? new Dictionary<string, string> { ["n"] = text.ToString() } : text.ToString();
            }
            foreach (var encoder in encoders)
            {
                var embedded = JsonSerializer.Serialize(inner, encoder);
                var json = JsonSerializer.Serialize(new Dictionary<string, string> { ["s"] = embedded }, encoder);
                using var document = JsonDocument.Parse(json);
                var body = Body(document.RootElement.GetProperty("s"));
                AssertUnescapesLikeBefore(body);
                for (var cut = 1; cut < Math.Min(body.Length, 20); cut++)
                {
                    if (!StartsInsideEscape(body, cut)) AssertUnescapesLikeBefore(body[cut..]);
                }
            }
        }
    }

    [Fact]
    public void Unescape_matches_the_previous_loop_on_hostile_escape_runs()
    {
        // Runs of backslashes and quotes placed across every lane of a block, the block's last lane included, lone and
        // paired surrogate escapes, and bodies that end in a (malformed) lone backslash.
        string[] pieces = ["\\\"", "\\\\", "\\/", "\\n", "\\u0041", "\\u00e9", "\\ud83d\\ude00", "\\ud800", "\\udc00", "\\u005C", "\\u005c\\u0022", "\"", "a", "é", "\\\\\\\"", "\\a", "\\u12"];
        var random = new Random(2060);
        for (var i = 0; i < 20000; i++)
        {
            var text = new StringBuilder();
            var count = random.Next(0, 40);
            for (var j = 0; j < count; j++) text.Append(pieces[random.Next(pieces.Length)]);
            if (random.Next(10) == 0) text.Append('\\');
            var body = Encoding.UTF8.GetBytes(text.ToString());
            AssertUnescapesLikeBefore(body);
        }
        for (var padding = 0; padding < 40; padding++)
        {
            AssertUnescapesLikeBefore(Encoding.UTF8.GetBytes(new string('a', padding) + "\\\"" + new string('b', 20)));
            AssertUnescapesLikeBefore(Encoding.UTF8.GetBytes(new string('a', padding) + "\\\\\\\"" + new string('b', 20)));
            AssertUnescapesLikeBefore(Encoding.UTF8.GetBytes(new string('a', padding) + "\\n\\\"" + new string('b', 20)));
        }
    }

    // ---- ConfigAdapter.FromItem: one pass over the item's properties vs one Json.Get per field (23f52d8) --------------

    private static readonly EvaluationContext Context = new(IsmsSettings.Default, new FakeTimeProvider(DateTimeOffset.Parse("2026-01-15T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture)));

    /// <summary>Everything an adapter returned (every public property of every input, in order) or the rejection it threw.</summary>
    internal static string Describe(Func<IReadOnlyList<RuleInput>> adapt)
    {
        IReadOnlyList<RuleInput> inputs;
        try
        {
            inputs = adapt();
        }
        catch (Exception ex)
        {
            return $"threw {ex.GetType().Name}: {ex.Message}";
        }
        var text = new StringBuilder();
        foreach (var input in inputs)
        {
            text.Append(input.GetType().Name).Append('{');
            foreach (var property in input.GetType().GetProperties().OrderBy(p => p.Name, StringComparer.Ordinal))
            {
                var value = property.GetValue(input);
                text.Append(property.Name).Append('=').Append(value switch
                {
                    null => "null",
                    JsonElement element => element.ValueKind == JsonValueKind.Undefined ? "undefined" : element.ValueKind + ":" + element.GetRawText(),
                    IReadOnlyDictionary<string, string> map => string.Join(";", map.Select(pair => pair.Key + "=" + pair.Value)),
                    DateTimeOffset at => at.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
                    _ => value.ToString(),
                }).Append(", ");
            }
            text.Append("} ");
        }
        return text.ToString();
    }

    private static readonly ConfigAdapter Adapter = new();
    private static readonly ConfigAdapter23f52d8 Reference = new();

    /// <summary>Routes <paramref name="payload"/> and compares the two adapters' outputs; false when it is not Config's.</summary>
    private static bool AssertAdaptsLikeBefore(byte[] payload)
    {
        InboundEvent inbound;
        JsonDocument document;
        try
        {
            inbound = EventRouter.Classify(payload, out document);
        }
        catch (EventRejectedException)
        {
            return false;
        }
        using (document)
        {
            if (!Adapter.CanAdapt(inbound)) return false;
            Assert.True(Reference.CanAdapt(inbound));
            var expected = Describe(() => Reference.Adapt(inbound, Context));
            var actual = Describe(() => Adapter.Adapt(inbound, Context));
            Assert.Equal(expected, actual);
            return true;
        }
    }

    [Fact]
    public void Config_adapter_matches_the_previous_one_on_every_fixture()
    {
        var compared = 0;
        foreach (var file in Directory.EnumerateFiles(Fixtures.SharedRoot, "*.json", SearchOption.AllDirectories))
        {
            if (AssertAdaptsLikeBefore(File.ReadAllBytes(file))) compared++;
        }
        Assert.True(compared >= 10, $"only {compared} Config payloads compared");
    }

    /// <summary>Every configuration item in the corpus (as objects, and inside invokingEvent strings).</summary>
    private static List<string> CorpusItems()
    {
        var items = new List<string>();
        void Walk(JsonElement element)
        {
            switch (element.ValueKind)
            {
                case JsonValueKind.Object:
                    if (element.TryGetProperty("resourceType", out _) && element.TryGetProperty("configurationItemCaptureTime", out _)) items.Add(element.GetRawText());
                    foreach (var property in element.EnumerateObject())
                    {
                        if (property.Name == "invokingEvent" && property.Value.ValueKind == JsonValueKind.String)
                        {
                            try
                            {
                                using var inner = JsonDocument.Parse(property.Value.GetString()!);
                                Walk(inner.RootElement);
                            }
                            catch (JsonException)
                            {
                            }
                        }
                        else
                        {
                            Walk(property.Value);
                        }
                    }
                    break;
                case JsonValueKind.Array:
                    foreach (var item in element.EnumerateArray()) Walk(item);
                    break;
            }
        }
        foreach (var file in Directory.EnumerateFiles(Fixtures.SharedRoot, "*.json", SearchOption.AllDirectories))
        {
            try
            {
                using var document = JsonDocument.Parse(File.ReadAllBytes(file), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
                Walk(document.RootElement);
            }
            catch (JsonException)
            {
            }
        }
        return items;
    }

    /// <summary>The item's properties as raw name and value texts, in order.</summary>
    private static List<(string Name, string Value)> Properties(string item)
    {
        using var document = JsonDocument.Parse(item);
        return [.. document.RootElement.EnumerateObject().Select(p => (JsonSerializer.Serialize(p.Name), p.Value.GetRawText()))];
    }

    private static string Object(IEnumerable<(string Name, string Value)> properties) => "{" + string.Join(",", properties.Select(p => p.Name + ":" + p.Value)) + "}";

    /// <summary>The ways one property of an item is changed: case, escapes, duplicates, removal, other kinds of value.</summary>
    private static IEnumerable<string> Mutations(List<(string Name, string Value)> properties, int at)
    {
        var (name, value) = properties[at];
        var bare = JsonSerializer.Deserialize<string>(name)!;
        IEnumerable<(string, string)> With(params (string, string)[] replacement) => [.. properties.Take(at), .. replacement, .. properties.Skip(at + 1)];
        yield return Object(With());                                                   // removed
        yield return Object(With((JsonSerializer.Serialize(bare.ToUpperInvariant()), value))); // other case
        yield return Object(With((JsonSerializer.Serialize(bare.ToLowerInvariant()), value)));
        yield return Object(With(("\"" + string.Concat(bare.Select((c, i) => i == 1 ? $"\\u{(int)c:X4}" : c.ToString())) + "\"", value))); // escaped name
        yield return Object(With((name, value), (name, "\"later-duplicate\"")));       // a later duplicate
        yield return Object(With((name, "\"earlier-duplicate\""), (name, value)));     // an earlier duplicate
        yield return Object(With((name, value), (JsonSerializer.Serialize(bare.ToUpperInvariant()), "\"other-case-duplicate\"")));
        foreach (var odd in (string[])["null", "42", "true", "\"\"", "\"  \"", "{}", "[]", "[{\"key\":\"k\",\"value\":\"v\"}]", "\"{\\\"a\\\":1}\"", "\"[1]\"", "{\"a\":\"{\\\"b\\\":2}\"}"])
            yield return Object(With((name, odd)));
        yield return "{\"ſ" + bare[1..] + "\":1," + Object(properties)[1..];            // a non-ASCII near-name first
    }

    private static IEnumerable<byte[]> Deliveries(string item)
    {
        var notification = "{\"messageType\":\"ConfigurationItemChangeNotification\",\"notificationCreationTime\":\"2026-01-02T03:04:05.678Z\",\"configurationItemDiff\":{\"changeType\":\"UPDATE\"},\"configurationItem\":" + item + "}";
        yield return Encoding.UTF8.GetBytes("{\"version\":\"0\",\"id\":\"e-1\",\"detail-type\":\"Config Configuration Item Change\",\"source\":\"aws.config\",\"account\":\"111122223333\",\"time\":\"2026-01-02T03:04:05Z\",\"region\":\"eu-west-1\",\"resources\":[],\"detail\":" + notification + "}");
        yield return Encoding.UTF8.GetBytes("{\"version\":\"1.0\",\"invokingEvent\":" + JsonSerializer.Serialize(notification) + ",\"ruleParameters\":\"{}\",\"resultToken\":\"t\",\"eventLeftScope\":false,\"configRuleArn\":\"arn:aws:config:eu-west-2:111122223333:config-rule/config-rule-1\",\"configRuleName\":\"r\",\"accountId\":\"111122223333\"}");
        yield return Encoding.UTF8.GetBytes(item);
    }

    [Fact]
    public void Config_adapter_matches_the_previous_one_on_mutated_items_in_every_delivery()
    {
        var compared = 0;
        foreach (var item in CorpusItems())
        {
            var properties = Properties(item);
            foreach (var payload in Deliveries(item)) compared += AssertAdaptsLikeBefore(payload) ? 1 : 0;
            for (var at = 0; at < properties.Count; at++)
            {
                foreach (var mutated in Mutations(properties, at))
                {
                    foreach (var payload in Deliveries(mutated)) compared += AssertAdaptsLikeBefore(payload) ? 1 : 0;
                }
            }
        }
        Assert.True(compared > 2000, $"only {compared} payloads compared");
    }

    [Fact]
    public void Config_adapter_matches_the_previous_one_on_snapshot_items()
    {
        var compared = 0;
        foreach (var item in CorpusItems())
        {
            var properties = Properties(item);
            var variants = new List<string> { item };
            for (var at = 0; at < properties.Count; at++) variants.AddRange(Mutations(properties, at));
            foreach (var variant in variants)
            {
                using var document = JsonDocument.Parse(variant);
                var expected = Describe(() => ConfigAdapter23f52d8.FromSnapshotItem(document.RootElement, "snap-1", DateTimeOffset.UnixEpoch));
                var actual = Describe(() => ConfigAdapter.FromSnapshotItem(document.RootElement, "snap-1", DateTimeOffset.UnixEpoch));
                Assert.Equal(expected, actual);
                compared++;
            }
        }
        Assert.True(compared > 500, $"only {compared} items compared");
    }

    // ---- EventStrings: strings read once per event vs JsonElement.GetString ---------------------------------------------

    [Fact]
    public void Event_strings_equal_GetString_on_every_string_of_every_fixture()
    {
        var checkedStrings = 0;
        foreach (var file in Directory.EnumerateFiles(Fixtures.SharedRoot, "*.json", SearchOption.AllDirectories))
        {
            JsonDocument document;
            try
            {
                document = JsonDocument.Parse(File.ReadAllBytes(file), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            }
            catch (JsonException)
            {
                continue;
            }
            using (document)
            {
                EventStrings.BeginEvent();
                foreach (var value in FuzzCorpus.Strings(document.RootElement))
                {
                    string? expected;
                    try
                    {
                        expected = value.GetString();
                    }
                    catch (InvalidOperationException)
                    {
                        Assert.ThrowsAny<InvalidOperationException>(() => EventStrings.GetString(value));
                        continue;
                    }
                    Assert.Equal(expected, EventStrings.GetString(value));
                    Assert.Equal(expected, EventStrings.GetString(value)); // the second read, from the event's slots
                    checkedStrings++;
                }
            }
        }
        Assert.True(checkedStrings > 1000, $"only {checkedStrings} strings checked");
    }

    [Fact]
    public void Event_strings_equal_GetString_on_generated_and_colliding_text()
    {
        // Lengths around the 8-byte hash windows and the 64-byte limit, escapes, non-ASCII, blanks, and many values that
        // differ only in the middle (same first and last eight bytes: the same slot), read in interleaved order.
        var random = new Random(2061);
        var alphabet = "abcXYZ019 -:/_.\"\\\t\né€\u0000".ToCharArray();
        var values = new List<string>();
        for (var i = 0; i < 4000; i++)
        {
            var length = random.Next(0, 90);
            var text = new StringBuilder();
            for (var j = 0; j < length; j++) text.Append(random.Next(6) == 0 ? alphabet[random.Next(alphabet.Length)] : (char)('a' + random.Next(3)));
            values.Add(text.ToString());
        }
        for (var i = 0; i < 300; i++) values.Add($"arn:aws:iam::111111111111:role/{i:D6}/someRole");
        values.AddRange(EventStrings.Known.Values);
        values.AddRange(EventStrings.Known.Values.Select(v => v.ToUpperInvariant()));
        values.AddRange(EventStrings.Known.Values.Select(v => v + " "));
        var json = JsonSerializer.Serialize(values);
        using var document = JsonDocument.Parse(json);
        var elements = document.RootElement.EnumerateArray().ToArray();
        for (var pass = 0; pass < 3; pass++)
        {
            EventStrings.BeginEvent();
            foreach (var index in Enumerable.Range(0, elements.Length).OrderBy(_ => random.Next()))
                Assert.Equal(values[index], EventStrings.GetString(elements[index]));
        }
    }

    [Fact]
    public void Event_strings_are_shared_within_an_event_and_not_across_events()
    {
        using var document = JsonDocument.Parse("""["111122223333","111122223333","eu-central-1","eu-central-1","a\u0062c","abc"]""");
        var e = document.RootElement.EnumerateArray().ToArray();
        EventStrings.BeginEvent();
        var first = EventStrings.GetString(e[0]);
        Assert.Same(first, EventStrings.GetString(e[1]));                       // read again in the same event: the same string
        Assert.Same(EventStrings.GetString(e[2]), EventStrings.GetString(e[3])); // a well-known value: the table's string
        Assert.Same(EventStrings.Known.Values.Single(v => v == "eu-central-1"), EventStrings.GetString(e[2]));
        Assert.Equal("abc", EventStrings.GetString(e[4]));                       // escaped: decoded as before
        EventStrings.BeginEvent();
        Assert.NotSame(first, EventStrings.GetString(e[0]));                    // a new event shares nothing with the last
    }

    // ---- drift.ebs-volume-baseline on CloudTrail: owned evidence, loops (23f52d8's rule as the reference) ----------------

    private static string Describe(IEnumerable<IsmsServerless.Model.Evaluation> evaluations)
    {
        var text = new StringBuilder();
        foreach (var e in evaluations)
        {
            text.Append($"{e.Rule.Id}|{e.Outcome}|{e.ResourceId}|{e.ResourceType}|{e.AccountId}|{e.Region}|{e.SubKey}|{e.Message}|{e.SeverityOverride}|{e.ClockStart:O}|{e.SlaDeferred}|{e.ObservedAt:O}|");
            text.Append(string.Join(";", e.Diff.Select(d => d.ToString()))).Append('|');
            text.Append(string.Join(";", e.Evidence.Select(pair => pair.Key + "=" + pair.Value))).Append('\n');
        }
        return text.ToString();
    }

    private static IEnumerable<CloudTrailInput> CloudTrailInputs(byte[] payload)
    {
        var result = RuleEngine.CreateDefault().Adapt(payload, Context);
        return result.Inputs.OfType<CloudTrailInput>();
    }

    [Fact]
    public void Ebs_rule_matches_the_previous_one_on_every_record_and_mutated_launches()
    {
        var rule = new IsmsServerless.Rules.Drift.EbsVolumeBaselineRule();
        var reference = new EbsVolumeBaselineRule23f52d8();
        var inputs = new List<CloudTrailInput>();
        foreach (var file in Directory.EnumerateFiles(Fixtures.SharedRoot, "*.json", SearchOption.AllDirectories))
            inputs.AddRange(CloudTrailInputs(File.ReadAllBytes(file)));
        // Launches and volume creations with every mix of mappings and instances (encrypted true/false/absent/"false",
        // missing device names, implausible and missing instance ids, the {"items": [...]} and bare-list forms).
        var random = new Random(2062);
        string[] mappings = ["""{"deviceName":"/dev/sdb","ebs":{"encrypted":false}}""", """{"deviceName":"/dev/sdc","ebs":{"encrypted":true}}""",
            """{"ebs":{"encrypted":false}}""", """{"deviceName":"/dev/sdd","ebs":{"encrypted":"false"}}""", """{"deviceName":"/dev/sde","noDevice":{}}""",
            """{"deviceName":"/dev/sdf","ebs":{}}"""];
        string[] instances = ["""{"instanceId":"i-0123456789abcdef0"}""", """{"instanceId":"i-0fedcba9876543210"}""", """{"instanceId":""}""", """{}""", """{"instanceId":"x y"}"""];
        string List(string[] from)
        {
            var picked = Enumerable.Range(0, random.Next(0, 4)).Select(_ => from[random.Next(from.Length)]);
            var bare = "[" + string.Join(",", picked) + "]";
            return random.Next(2) == 0 ? bare : "{\"items\":" + bare + "}";
        }
        for (var i = 0; i < 400; i++)
        {
            var name = random.Next(5) == 0 ? "CreateVolume" : "RunInstances";
            var error = random.Next(8) == 0 ? "\"errorCode\":\"Client.UnauthorizedOperation\"," : "";
            var encrypted = random.Next(3) == 0 ? "true" : "false";
            var payload = "{\"eventVersion\":\"1.08\",\"userIdentity\":{\"type\":\"AssumedRole\",\"arn\":\"arn:aws:sts::111122223333:assumed-role/Admin/alice\",\"accountId\":\"111122223333\","
                + "\"sessionContext\":{\"sessionIssuer\":{\"type\":\"Role\",\"userName\":\"Admin\",\"arn\":\"arn:aws:iam::111122223333:role/Admin\"}}},"
                + "\"eventTime\":\"2026-01-02T03:04:05Z\",\"eventSource\":\"ec2.amazonaws.com\",\"eventName\":\"" + name + "\"," + error
                + "\"awsRegion\":\"eu-west-1\",\"sourceIPAddress\":\"203.0.113.9\",\"requestParameters\":{\"blockDeviceMapping\":" + List(mappings) + "},"
                + "\"responseElements\":{\"instancesSet\":" + List(instances) + ",\"volumeId\":\"vol-0123456789abcdef0\",\"encrypted\":" + encrypted + "},"
                + "\"eventID\":\"e-" + i + "\",\"recipientAccountId\":\"111122223333\"}";
            inputs.AddRange(CloudTrailInputs(Encoding.UTF8.GetBytes(payload)));
        }
        var findings = 0;
        foreach (var input in inputs)
        {
            var expected = Describe(reference.Evaluate(input, Context));
            Assert.Equal(expected, Describe(rule.Evaluate(input, Context)));
            findings += expected.Length > 0 ? 1 : 0;
        }
        Assert.True(findings > 100, $"only {findings} inputs with a verdict");
    }
}
