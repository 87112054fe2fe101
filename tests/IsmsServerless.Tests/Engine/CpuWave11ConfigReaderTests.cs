using System.Text;
using System.Text.Json;
using IsmsServerless.Engine;
using IsmsServerless.Events;
using IsmsServerless.Ingestion;
using IsmsServerless.Inputs;
using IsmsServerless.Settings;
using IsmsServerless.Tests.Engine.Reference;
using IsmsServerless.Tests.Robustness;

namespace IsmsServerless.Tests.Engine;

/// <summary>
/// Issue 20 (wave 11): a rule invocation's invokingEvent read from its bytes in one pass (<see cref="ConfigNotificationReader"/>)
/// instead of parsed into a document and walked. Compared with the document path (23f52d8's adapter, kept under
/// <c>Reference/</c>) on every notification of the corpus, each of its item's and notification's fields mutated, renamed,
/// escaped, duplicated and removed, configurations built to hit the bracket scan's every branch (strings holding brackets,
/// quotes and backslashes, block boundaries, depths around the limit), truncated and trailed texts; and the rules' findings
/// through an engine with either adapter. Asserts the one-pass read is actually taken on the usual notifications.
/// </summary>
public sealed class CpuWave11ConfigReaderTests
{
    private static readonly EvaluationContext Context =
        new(IsmsSettings.Default, new FixedTimeProvider(DateTimeOffset.Parse("2026-01-15T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture)));

    private static readonly ConfigAdapter Adapter = new();
    private static readonly ConfigAdapter23f52d8 Reference = new();

    private static string Describe(Func<IReadOnlyList<RuleInput>> adapt) => CpuWave6RewriteTests.Describe(adapt);

    /// <summary>The notification as a rule invocation carries it (JSON text in a string).</summary>
    private static byte[] Invocation(string notification) => Encoding.UTF8.GetBytes(
        "{\"version\":\"1.0\",\"invokingEvent\":" + JsonSerializer.Serialize(notification) + ",\"ruleParameters\":\"{}\",\"resultToken\":\"t\",\"eventLeftScope\":false,"
        + "\"configRuleArn\":\"arn:aws:config:eu-west-2:111122223333:config-rule/config-rule-1\",\"configRuleName\":\"r\",\"accountId\":\"111122223333\"}");

    /// <summary>Compares both adapters on a payload; counts it, and counts it as read in one pass when the reader took it.</summary>
    private static void AssertSame(byte[] payload, ref int compared, ref int streamed)
    {
        InboundEvent inbound;
        JsonDocument document;
        try
        {
            inbound = EventRouter.Classify(payload, out document);
        }
        catch (EventRejectedException)
        {
            return;
        }
        using (document)
        {
            if (!Adapter.CanAdapt(inbound)) return;
            Assert.True(Reference.CanAdapt(inbound));
            var expected = Describe(() => Reference.Adapt(inbound, Context));
            var actual = Describe(() => Adapter.Adapt(inbound, Context));
            if (expected != actual) Assert.Fail($"{Encoding.UTF8.GetString(payload)}\nexpected: {expected}\nactual:   {actual}");
            compared++;
            if (inbound.Kind == InboundKind.ConfigRuleInvocation && inbound.Root.TryGetProperty("invokingEvent", out var invoking)
                && invoking.ValueKind == JsonValueKind.String && ConfigNotificationReader.TryRead(Encoding.UTF8.GetBytes(invoking.GetString()!), out _))
                streamed++;
        }
    }

    /// <summary>Every change notification of the corpus (EventBridge details, bare notifications, invokingEvents), as text.</summary>
    internal static List<string> CorpusNotifications()
    {
        var notifications = new List<string>();
        void Walk(JsonElement element)
        {
            switch (element.ValueKind)
            {
                case JsonValueKind.Object:
                    if (element.TryGetProperty("messageType", out _) || element.TryGetProperty("configurationItem", out _)) notifications.Add(element.GetRawText());
                    foreach (var property in element.EnumerateObject())
                    {
                        if (property.Name is "invokingEvent" or "Message" && property.Value.ValueKind == JsonValueKind.String)
                        {
                            notifications.Add(property.Value.GetString()!);
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
        foreach (var seed in FuzzCorpus.All)
        {
            try
            {
                using var document = JsonDocument.Parse(seed.Bytes.AsSpan() is [0xEF, 0xBB, 0xBF, ..] ? seed.Bytes[3..] : seed.Bytes,
                    new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true, MaxDepth = 64 });
                Walk(document.RootElement);
            }
            catch (JsonException)
            {
            }
        }
        return [.. notifications.Distinct(StringComparer.Ordinal)];
    }

    [Fact]
    public void Every_corpus_payload_and_notification_adapts_as_the_document_path_and_the_usual_ones_in_one_pass()
    {
        int compared = 0, streamed = 0;
        foreach (var seed in FuzzCorpus.All) AssertSame(seed.Bytes, ref compared, ref streamed);
        var invocations = 0;
        foreach (var notification in CorpusNotifications())
        {
            var before = compared;
            AssertSame(Invocation(notification), ref compared, ref streamed);
            invocations += compared - before;
        }
        Assert.True(compared >= 30, $"only {compared} payloads compared");
        // Most notifications are usual change notifications or periodic ones: they must take the one-pass read.
        Assert.True(streamed * 2 > invocations, $"only {streamed} of {invocations} invocations read in one pass");
    }

    /// <summary>Values every field is set to: every JSON kind, blanks, escapes, times, JSON in strings, odd numbers.</summary>
    private static readonly string[] Odd =
    [
        "null", "42", "-1.5e3", "1e400", "true", "false", "\"\"", "\"  \"", "\"x\"", "\"\\u0041b\\n\"", "\"caf\\u00e9 \\ud83d\\ude42\"", "\"é\"", "{}", "[]",
        "{\"a\":1}", "[{\"key\":\"k\",\"value\":\"v\"}]", "{\"changeType\":\"DELETE\"}", "\"2026-03-04T05:06:07.890Z\"", "\"2026-03-04T05:06:07Z\"",
        "1700000000", "\"{\\\"a\\\":1}\"", "\"[1]\"", "\"DELETE\"", "\"ResourceDeleted\"", "\"OK\"", "\"AWS::S3::Bucket\"",
        "\"" + new string('x', 2000) + "\"",
    ];

    /// <summary>Configurations that exercise the bracket scan: strings with brackets, quotes and backslashes, block edges, depth.</summary>
    private static IEnumerable<string> Configurations()
    {
        yield return "{}";
        yield return "{\"a\":\"}\"}";
        yield return "{\"a\":\"{[\",\"b\":[1,{\"c\":\"]]}}\"}]}";
        yield return "{\"a\":\"\\\"}\\\\\",\"b\":{}}";
        yield return "{\"a\":\"\\\\\\\\\"}";
        yield return "{\"a\":[],\"b\":[[],[[]]],\"c\":{\"d\":{}}}";
        yield return "{\"p\":\"" + new string('x', 200) + "\\\"" + new string('{', 70) + "\"}";
        for (var pad = 0; pad < 70; pad += 3)
        {
            // A backslash, a quote or a bracket at every position around the 64-byte blocks.
            yield return "{\"p\":\"" + new string('y', pad) + "\\\\\",\"q\":\"" + new string('z', 64 - pad % 64) + "}\"}";
            yield return "{\"p\":\"" + new string('y', pad) + "\\\"\",\"q\":[" + new string(' ', pad) + "]}";
            yield return "{\"p\":\"" + new string('y', pad) + "\"" + new string(' ', 130 - pad) + "}";
            yield return "{\"p\":[" + string.Join(",", Enumerable.Repeat("{\"k\":\"}\"}", pad)) + "]}";
        }
        for (var depth = 55; depth <= 66; depth++)
        {
            yield return new string('[', depth - 1).Insert(0, "{\"n\":") + new string(']', depth - 1) + "}";
            yield return string.Concat(Enumerable.Repeat("{\"n\":", depth)) + "1" + new string('}', depth);
        }
        // Invalid ones: the document path words the rejection.
        yield return "{\"a\":1,}";
        yield return "{\"a\":}";
        yield return "{\"a\":1}}";
        yield return "{\"a\":[1}]";
        yield return "{\"a\":\"x\u0001\"}";
        yield return "{\"a\":\"\\x\"}";
        yield return "{\"a\":1 /*c*/}";
        yield return "{\"a\":\"";
        yield return "{";
        yield return "{\"a\":\"\\ud800\"}";
    }

    /// <summary>Each corpus notification with an item, and its variants: every field mutated, renamed, escaped, duplicated, removed; truncated and trailed.</summary>
    internal static IEnumerable<string> Variants()
    {
        var notifications = CorpusNotifications().Where(n => n.Contains("\"configurationItem\"", StringComparison.Ordinal)).ToList();
        Assert.True(notifications.Count >= 5, $"only {notifications.Count} notifications with an item");
        foreach (var notification in notifications)
        {
            JsonElement root;
            try
            {
                root = JsonElement.Parse(notification);
            }
            catch (JsonException)
            {
                continue;
            }
            if (root.ValueKind != JsonValueKind.Object) continue;
            var top = root.EnumerateObject().Select(p => (Name: p.Name, Value: p.Value.GetRawText())).ToList();
            var itemAt = top.FindIndex(p => p.Name == "configurationItem");
            if (itemAt < 0 || root.GetProperty("configurationItem").ValueKind != JsonValueKind.Object) continue;
            var item = root.GetProperty("configurationItem").EnumerateObject().Select(p => (Name: p.Name, Value: p.Value.GetRawText())).ToList();
            string Obj(IEnumerable<(string Name, string Value)> parts) => "{" + string.Join(",", parts.Select(p => JsonSerializer.Serialize(p.Name) + ":" + p.Value)) + "}";
            string WithItem(IEnumerable<(string, string)> itemParts) =>
                Obj([.. top.Take(itemAt), ("configurationItem", Obj(itemParts)), .. top.Skip(itemAt + 1)]);
            var variants = new List<string> { notification };
            IEnumerable<(string, string)> Replace(List<(string Name, string Value)> list, string name, params (string, string)[] with)
            {
                var at = list.FindIndex(p => p.Name == name);
                return at >= 0 ? [.. list.Take(at), .. with, .. list.Skip(at + 1)] : [.. list, .. with];
            }
            string[] itemNames = ["resourceType", "resourceId", "ARN", "arn", "awsAccountId", "accountId", "awsRegion", "configurationItemStatus", "changeType",
                "configurationItemCaptureTime", "configuration", "supplementaryConfiguration", "tags", "resourceName", "relationships"];
            foreach (var name in itemNames)
            {
                var at = item.FindIndex(p => p.Name == name);
                var value = at >= 0 ? item[at].Value : "\"v\"";
                variants.Add(WithItem(Replace(item, name)));
                variants.Add(WithItem(Replace(item, name, (name.ToUpperInvariant(), value))));
                variants.Add(WithItem(Replace(item, name, (char.ToUpperInvariant(name[0]) + name[1..], value))));
                variants.Add(WithItem(Replace(item, name, (name, value), (name, "\"later\""))));
                variants.Add(WithItem(Replace(item, name, (name, "\"earlier\""), (name, value))));
                variants.Add(WithItem(Replace(item, name, (name.Replace('s', '\u017F'), value))));
                foreach (var odd in Odd) variants.Add(WithItem(Replace(item, name, (name, odd))));
                // The name escaped (a raw "\u0072" in the text): built by hand, the serializer would not escape it.
                variants.Add(WithItem(Replace(item, name)).Replace("\"configurationItem\":{", "\"configurationItem\":{\"\\u0072" + name[1..] + "\":" + value + ",", StringComparison.Ordinal));
            }
            foreach (var configuration in Configurations()) variants.Add(WithItem(Replace(item, "configuration", ("configuration", configuration))));
            foreach (var name in (string[])["messageType", "configurationItemDiff", "notificationCreationTime", "configurationItemSummary", "s3DeliverySummary", "recordVersion"])
            {
                var at = top.FindIndex(p => p.Name == name);
                var value = at >= 0 ? top[at].Value : "\"v\"";
                IEnumerable<(string, string)> Top(params (string, string)[] with) => at >= 0 ? [.. top.Take(at), .. with, .. top.Skip(at + 1)] : [.. top, .. with];
                variants.Add(Obj(Top()));
                variants.Add(Obj(Top((name.ToLowerInvariant(), value))));
                variants.Add(Obj(Top((name, value), (name, "\"later\""))));
                foreach (var odd in Odd) variants.Add(Obj(Top((name, odd))));
                foreach (var diff in (string[])["{\"changeType\":\"DELETE\",\"changeType\":\"UPDATE\"}", "{\"ChangeType\":\"DELETE\"}", "{\"\\u0063hangeType\":\"DELETE\"}",
                    "{\"changedProperties\":{\"a\":{\"b\":[1,2,{}]}},\"changeType\":\"CREATE\"}", "{\"changeType\":null}", "{\"changeType\":7}", "{\"x\":1,\"changeType\":\"DELETE\",\"y\":[]}"])
                    variants.Add(Obj(Top(("configurationItemDiff", diff))));
                foreach (var type in (string[])["\"ScheduledNotification\"", "\"ConfigurationSnapshotDeliveryCompleted\"", "\"ConfigurationHistoryDeliveryCompleted\"",
                    "\"OversizedConfigurationItemChangeNotification\"", "\"ComplianceChangeNotification\"", "\"configurationItemChangeNotification\"", "null", "\"\""])
                    variants.Add(Obj(Top(("messageType", type))));
            }
            foreach (var variant in variants)
            {
                yield return variant;
                yield return " " + variant + "\n";
            }
            // Truncated, trailed and wrapped texts; comments and trailing commas (which an EventBridge payload may hold).
            for (var cut = 0; cut < notification.Length; cut += Math.Max(1, notification.Length / 97)) yield return notification[..cut];
            foreach (var tail in (string[])["}", "x", " ", ",", "{}", "/*c*/", "\u0000", "//c"]) yield return notification + tail;
            yield return notification[..^1] + ",}";
            yield return notification[..^1] + "/*c*/}";
            yield return "/*c*/" + notification;
            yield return "[" + notification + "]";
        }
    }

    [Fact]
    public void Every_item_and_notification_field_mutated_renamed_escaped_duplicated_and_removed_adapts_as_the_document_path()
    {
        int compared = 0, streamed = 0;
        foreach (var variant in Variants()) AssertSame(Invocation(variant), ref compared, ref streamed);
        Assert.True(compared > 5_000, $"only {compared} payloads compared");
        Assert.True(streamed > 2_000, $"only {streamed} payloads read in one pass");
    }

    /// <summary>The notification as an EventBridge "Config Configuration Item Change" detail.</summary>
    private static byte[] ItemChange(string detail) => Encoding.UTF8.GetBytes(
        "{\"version\":\"0\",\"id\":\"e-1\",\"detail-type\":\"Config Configuration Item Change\",\"source\":\"aws.config\",\"account\":\"111122223333\","
        + "\"time\":\"2026-01-02T03:04:05Z\",\"region\":\"eu-west-1\",\"resources\":[],\"detail\":" + detail + "}");

    [Fact]
    public void Every_EventBridge_item_change_streamed_gives_the_document_path_result_and_the_usual_ones_stream()
    {
        var engine = RuleEngine.CreateDefault();
        int compared = 0, streamed = 0;
        void Check(byte[] payload, string label)
        {
            StreamingEquivalence.AssertSame(payload, engine, label);
            compared++;
            if (StreamingRouter.TryRead(payload, engine.Adapters, StreamingEquivalence.Context, out var read) && read.Adapter is ConfigAdapter) streamed++;
        }
        foreach (var seed in FuzzCorpus.All) Check(seed.Bytes, seed.Name);
        var corpusStreamed = streamed;
        foreach (var variant in Variants()) Check(ItemChange(variant), "variant");
        foreach (var notification in CorpusNotifications()) Check(ItemChange(notification), "notification");
        Assert.True(corpusStreamed >= 3, $"only {corpusStreamed} corpus payloads streamed by the Config adapter");
        Assert.True(compared > 5_000, $"only {compared} payloads compared");
        Assert.True(streamed > 2_000, $"only {streamed} payloads streamed");
    }

    [Fact]
    public void Findings_of_every_rule_are_the_same_through_an_engine_with_the_document_path_adapter()
    {
        var adapters = RuleEngine.DefaultAdapters().Select(a => a is ConfigAdapter ? (IEventAdapter)Reference : a).ToList();
        var reference = new RuleEngine(RuleRegistry.CreateDefault(), adapters);
        var engine = RuleEngine.CreateDefault();
        var compared = 0;
        foreach (var notification in CorpusNotifications())
        {
            var payload = Invocation(notification);
            var expected = reference.Evaluate(payload, Context);
            var actual = engine.Evaluate(payload, Context);
            Assert.Equal(Describe(expected), Describe(actual));
            compared += expected.Evaluations.Count;
        }
        foreach (var seed in FuzzCorpus.All)
        {
            var expected = reference.Evaluate(seed.Bytes, Context);
            var actual = engine.Evaluate(seed.Bytes, Context);
            Assert.Equal(Describe(expected), Describe(actual));
            if (expected.Adapter == "config") compared += expected.Evaluations.Count;
        }
        Assert.True(compared > 20, $"only {compared} evaluations compared");
    }

    private static string Describe(EngineResult result)
    {
        var text = new StringBuilder($"{result.Adapter}|{result.Kind}|{result.Error}|{result.IgnoredReason}|{Describe(() => result.Inputs)}\n");
        foreach (var e in result.Evaluations)
        {
            text.Append($"{e.Rule.Id}|{e.Outcome}|{e.ResourceId}|{e.ResourceType}|{e.AccountId}|{e.Region}|{e.SubKey}|{e.Message}|{e.SeverityOverride}|{e.ClockStart:O}|{e.SlaDeferred}|{e.ObservedAt:O}|");
            text.Append(string.Join(";", e.Diff.Select(d => d.ToString()))).Append('|');
            text.Append(string.Join(";", e.Evidence.Select(pair => pair.Key + "=" + pair.Value))).Append('\n');
        }
        return text.ToString();
    }

    [Fact]
    public void Bracket_scan_ends_where_the_reader_ends_every_value()
    {
        var values = new List<byte[]>();
        foreach (var seed in FuzzCorpus.All)
        {
            try
            {
                var reader = new Utf8JsonReader(seed.Bytes.AsSpan() is [0xEF, 0xBB, 0xBF, ..] ? seed.Bytes[3..] : seed.Bytes,
                    new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true, MaxDepth = 64 });
                var bytes = seed.Bytes.AsSpan() is [0xEF, 0xBB, 0xBF, ..] ? seed.Bytes[3..] : seed.Bytes;
                while (reader.Read())
                {
                    if (reader.TokenType is not (JsonTokenType.StartObject or JsonTokenType.StartArray)) continue;
                    var start = (int)reader.TokenStartIndex;
                    var copy = reader;
                    copy.Skip();
                    var end = (int)copy.BytesConsumed;
                    // The value and whatever follows it: the scan must stop at the value's end.
                    Assert.Equal(end, ConfigNotificationReader.FindValueEnd(bytes, start));
                    values.Add(bytes[start..end]);
                }
            }
            catch (JsonException)
            {
            }
        }
        foreach (var configuration in Configurations())
        {
            var bytes = Encoding.UTF8.GetBytes(configuration + " ,\"x\":{}]");
            int expected;
            try
            {
                var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { MaxDepth = 200 });
                reader.Read();
                reader.Skip();
                expected = (int)reader.BytesConsumed;
            }
            catch (JsonException)
            {
                continue;
            }
            Assert.Equal(expected, ConfigNotificationReader.FindValueEnd(bytes, 0));
        }
        // Unterminated: no end.
        Assert.Equal(-1, ConfigNotificationReader.FindValueEnd("{\"a\":[1,2]"u8, 0));
        Assert.Equal(-1, ConfigNotificationReader.FindValueEnd(Encoding.UTF8.GetBytes("{\"a\":\"" + new string('}', 300)), 0));
        Assert.True(values.Count > 1_000, $"only {values.Count} values");
    }
}
