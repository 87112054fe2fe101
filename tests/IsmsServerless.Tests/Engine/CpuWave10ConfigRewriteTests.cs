using System.Text;
using System.Text.Json;
using IsmsServerless.Engine;
using IsmsServerless.Events;
using IsmsServerless.Ingestion;
using IsmsServerless.Inputs;
using IsmsServerless.Model;
using IsmsServerless.Settings;
using IsmsServerless.Tests.Engine.Reference;
using IsmsServerless.Tests.Robustness;

namespace IsmsServerless.Tests.Engine;

/// <summary>
/// Issue 20 (wave 10), per-event CPU of the Config / SSM path: each piece re-written is compared with what it replaced
/// (main 3e128ed's code, kept under <c>Reference/</c>) on every fixture of the corpus (the external one included when
/// present) and on generated and hostile inputs.
/// </summary>
public sealed class CpuWave10ConfigRewriteTests
{
    private static readonly EvaluationContext Context =
        new(IsmsSettings.Default, new FixedTimeProvider(DateTimeOffset.Parse("2026-01-15T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture)));

    // ---- The managed instance id check: by hand vs the generated regex ------------------------------------------------

    [Fact]
    public void Instance_id_check_matches_the_regex_on_every_corpus_string_and_generated_text()
    {
        var texts = new List<string>();
        foreach (var seed in FuzzCorpus.All)
        {
            try
            {
                using var document = JsonDocument.Parse(seed.Bytes.AsSpan() is [0xEF, 0xBB, 0xBF, ..] ? seed.Bytes[3..] : seed.Bytes,
                    new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true, MaxDepth = 64 });
                foreach (var s in FuzzCorpus.Strings(document.RootElement))
                {
                    var text = s.GetString()!;
                    texts.Add(text);
                    // The last ARN segment too (what the SSM compliance item rule checks).
                    texts.Add(text[(text.LastIndexOf('/') + 1)..]);
                }
            }
            catch (JsonException)
            {
            }
        }
        string[] pieces = ["i", "m", "mi", "-", "i-", "mi-", "0", "7", "9", "a", "f", "A", "F", "g", "z", "\n", "\r", " ", "\t", "\u0131", "\u0660", "０"];
        var random = new Random(10);
        for (var i = 0; i < 60_000; i++)
        {
            var text = new StringBuilder(random.Next(3) == 0 ? "" : random.Next(2) == 0 ? "i-" : "mi-");
            var count = random.Next(0, 22);
            for (var c = 0; c < count; c++) text.Append(random.Next(4) == 0 ? pieces[random.Next(pieces.Length)] : "0123456789abcdef"[random.Next(16)].ToString());
            texts.Add(text.ToString());
        }
        foreach (var prefix in (string[])["i-", "mi-", "I-", "Mi-", "mi", "i", "", "ii-", "-"])
        {
            for (var length = 0; length <= 20; length++)
            {
                var hex = new string('a', length);
                foreach (var tail in (string[])["", "\n", "\n\n", "\r\n", " ", "\r", "\u2028", "\u0085", "g"])
                {
                    texts.Add(prefix + hex + tail);
                    texts.Add(tail + prefix + hex);
                }
            }
        }
        texts.Add(null!);
        Assert.True(texts.Count > 70_000, $"only {texts.Count} texts");
        var matched = 0;
        foreach (var text in texts)
        {
            var expected = SsmComplianceAdapter3e128ed.IsManagedInstanceId(text);
            Assert.True(expected == DetailReader.IsManagedInstanceId(text), $"'{text}': regex says {expected}");
            if (expected) matched++;
        }
        Assert.True(matched > 1_000, $"only {matched} texts were instance ids");
    }

    // ---- The SSM compliance detail: read on demand vs bound by the serializer metadata --------------------------------

    private static readonly string[] Names = ["resource-type", "resource-id", "compliance-status", "compliance-type", "patch-baseline-id", "severity"];

    /// <summary>Values for any field: every JSON kind, blanks, escapes, the spellings the adapter decides on and near misses.</summary>
    private static readonly string[] Values =
    [
        "null", "true", "false", "0", "123", "-1.5", "1e400", "12345678901234567890", "1.0", "{}", "[]", "{\"a\":1}", "[\"Patch\"]",
        "\"\"", "\"  \"", "\"\\u0000\"", "\"\\u200b\"", "\"Patch\"", "\" Patch \"", "\"patch\"", "\"PATCH\"", "\"Association\"", "\"\\u0050atch\"",
        "\"Pa\\u0074ch\"", "\"Patch\\n\"", "\"compliant\"", "\"COMPLIANT\"", "\"non_compliant\"", "\"NON_COMPLIANT\"", "\"Non-Compliant\"",
        "\"non_compliant \"", "\"\\u006eon_compliant\"", "\"noncompliant\"", "\"bogus\"", "\"i-01234567890abcdef\"", "\"mi-0123456789abcdef0\"",
        "\" i-0123abcd \"", "\"i-0123abcd\\n\"", "\"i-0123ABCD\"", "\"i-0123abc\"", "\"i-\\u0030123abcd\"", "\"critical\"", "\"CRITICAL\"",
        "\"UNSPECIFIED\"", "\"PB789\"", "\"pb-0123456789abcdef0\"", "\"managed-instance\"", "\"🙂\"", "\"\\ud83d\\ude42\"",
        "\"" + new string('x', 300) + "\"",
    ];

    /// <summary>A name as the detail spells it: exact, in other case, escaped, with a non-ASCII look-alike.</summary>
    private static string Spell(string name, int how) => how switch
    {
        0 => "\"" + name + "\"",
        1 => "\"" + name.ToUpperInvariant() + "\"",
        2 => "\"" + char.ToUpperInvariant(name[0]) + name[1..] + "\"",
        3 => "\"\\u" + ((int)name[0]).ToString("x4", System.Globalization.CultureInfo.InvariantCulture) + name[1..] + "\"",
        4 => "\"" + name.Replace('s', '\u017F') + "\"",
        5 => "\"" + name + "x\"",
        _ => "\"x" + name + "\"",
    };

    private static byte[] Event(string detail, string source = "aws.ssm") => Encoding.UTF8.GetBytes(
        "{\"version\":\"0\",\"id\":\"01234567-0123-0123-0123-012345678901\",\"detail-type\":\"Configuration Compliance State Change\","
        + $"\"source\":\"{source}\",\"account\":\"123456789012\",\"time\":\"2017-07-17T19:02:31Z\",\"region\":\"us-east-2\",\"resources\":[],\"detail\":{detail}}}");

    /// <summary>What an adapt returns (inputs by record equality and text) or throws (type and message).</summary>
    private static void AssertSameOutcome(byte[] payload, ref int compared, ref int accepted)
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
            var adapter = new SsmComplianceAdapter();
            if (!adapter.CanAdapt(inbound)) return;
            IReadOnlyList<RuleInput>? expected = null, actual = null;
            Exception? expectedError = null, actualError = null;
            try { expected = SsmComplianceAdapter3e128ed.Adapt(inbound); } catch (Exception ex) { expectedError = ex; }
            try { actual = adapter.Adapt(inbound, Context); } catch (Exception ex) { actualError = ex; }
            var text = Encoding.UTF8.GetString(payload);
            if (expectedError is not null)
            {
                Assert.True(actualError is not null, $"{text}: expected {expectedError.GetType().Name} '{expectedError.Message}', got inputs");
                Assert.Equal(expectedError.GetType(), actualError.GetType());
                Assert.Equal(expectedError.Message, actualError.Message);
            }
            else
            {
                Assert.True(actualError is null, $"{text}: unexpected {actualError?.GetType().Name} '{actualError?.Message}'");
                Assert.Equal(expected!.Count, actual!.Count);
                for (var i = 0; i < expected.Count; i++)
                {
                    Assert.Equal(expected[i], actual[i]);
                    Assert.Equal(expected[i].ToString(), actual[i].ToString());
                }
                if (expected.Count > 0) accepted++;
            }
            compared++;
        }
    }

    [Fact]
    public void Ssm_adapter_matches_the_bound_detail_on_every_fixture_it_claims()
    {
        int compared = 0, accepted = 0;
        var readInOnePass = 0;
        foreach (var seed in FuzzCorpus.All)
        {
            AssertSameOutcome(seed.Bytes, ref compared, ref accepted);
            try
            {
                var inbound = EventRouter.Classify(seed.Bytes, out var document);
                using (document)
                {
                    if (new SsmComplianceAdapter().CanAdapt(inbound) && SsmComplianceAdapter.DetailFields.TryRead(inbound.Detail, out _)) readInOnePass++;
                }
            }
            catch (EventRejectedException)
            {
            }
        }
        // The repository's fixture and the external collection's copy of it (the doc sample with "source": "aws.<account>" is not claimed).
        Assert.True(compared >= 2, $"only {compared} SSM payloads in the corpus");
        Assert.True(accepted >= 2, $"only {accepted} SSM payloads accepted");
        Assert.Equal(compared, readInOnePass);
    }

    [Fact]
    public void Ssm_adapter_matches_the_bound_detail_on_every_field_mutated_renamed_duplicated_and_removed()
    {
        var baseValues = new[] { "\"managed-instance\"", "\"i-01234567890abcdef\"", "\"non_compliant\"", "\"Patch\"", "\"PB789\"", "\"critical\"" };
        string Detail(Func<int, string?> field, string extra = "")
        {
            var parts = new List<string>();
            for (var i = 0; i < Names.Length; i++)
            {
                if (field(i) is { } part) parts.Add(part);
            }
            if (extra.Length > 0) parts.Add(extra);
            return "{" + string.Join(",", parts) + "}";
        }
        string Exact(int i) => $"\"{Names[i]}\":{baseValues[i]}";
        int compared = 0, accepted = 0;
        AssertSameOutcome(Event(Detail(Exact)), ref compared, ref accepted);
        for (var n = 0; n < Names.Length; n++)
        {
            var at = n;
            foreach (var value in Values)
            {
                AssertSameOutcome(Event(Detail(i => i == at ? $"\"{Names[i]}\":{value}" : Exact(i))), ref compared, ref accepted);
                // The value again under the name in other spellings, before and after the exact one (a later duplicate wins).
                for (var how = 1; how <= 6; how++)
                {
                    var spelled = $"{Spell(Names[at], how)}:{value}";
                    AssertSameOutcome(Event(Detail(i => i == at ? spelled + "," + Exact(i) : Exact(i))), ref compared, ref accepted);
                    AssertSameOutcome(Event(Detail(i => i == at ? Exact(i) + "," + spelled : Exact(i))), ref compared, ref accepted);
                    AssertSameOutcome(Event(Detail(i => i == at ? spelled : Exact(i))), ref compared, ref accepted);
                }
                AssertSameOutcome(Event(Detail(i => i == at ? Exact(i) + $",\"{Names[i]}\":{value}" : Exact(i))), ref compared, ref accepted);
                AssertSameOutcome(Event(Detail(i => i == at ? $"\"{Names[i]}\":{value}," + Exact(i) : Exact(i))), ref compared, ref accepted);
            }
            AssertSameOutcome(Event(Detail(i => i == at ? null : Exact(i))), ref compared, ref accepted);
        }
        foreach (var extra in (string[])["\"other\":1e400", "\"Other\":{}", "\"\\u0078\":\"y\"", "\"\u00e9\":\"y\"", "\"\":null", "\"resources\":[]"])
            AssertSameOutcome(Event(Detail(Exact, extra)), ref compared, ref accepted);
        foreach (var detail in (string[])["null", "[]", "\"x\"", "1", "true", "{}"])
            AssertSameOutcome(Event(detail), ref compared, ref accepted);
        AssertSameOutcome(Encoding.UTF8.GetBytes("{\"detail-type\":\"Configuration Compliance State Change\",\"source\":\"aws.ssm\"}"), ref compared, ref accepted);
        Assert.True(compared > 5_000, $"only {compared} payloads compared");
        Assert.True(accepted > 1_000, $"only {accepted} payloads accepted");
    }

    [Fact]
    public void Ssm_adapter_matches_the_bound_detail_on_generated_details()
    {
        var random = new Random(1010);
        int compared = 0, accepted = 0;
        for (var i = 0; i < 6_000; i++)
        {
            var parts = new List<string>();
            var count = random.Next(0, 9);
            for (var p = 0; p < count; p++)
            {
                var name = Names[random.Next(Names.Length)];
                var how = random.Next(10) < 7 ? 0 : random.Next(1, 7);
                // The three fields the adapter decides on take their usual values more often, so most details get far.
                var value = random.Next(3) == 0 ? Values[random.Next(Values.Length)] : name switch
                {
                    "compliance-type" => "\"Patch\"",
                    "compliance-status" => random.Next(2) == 0 ? "\"non_compliant\"" : "\"COMPLIANT\"",
                    "resource-id" => "\"i-0123456789abcdef0\"",
                    _ => "\"v" + p + "\"",
                };
                parts.Add($"{Spell(name, how)}:{value}");
            }
            parts = [.. parts.OrderBy(_ => random.Next())];
            AssertSameOutcome(Event("{" + string.Join(",", parts) + "}"), ref compared, ref accepted);
        }
        Assert.Equal(6_000, compared);
        Assert.True(accepted > 200, $"only {accepted} generated details accepted");
    }

    // ---- The Config notification's fields in one pass vs a Json.Get per field (23f52d8's adapter) -----------------------

    private static readonly ConfigAdapter Adapter = new();
    private static readonly ConfigAdapter23f52d8 Reference = new();

    // Everything an adapter returned, or the rejection it threw: the wave-6 test's description, shared.
    private static string Describe(Func<IReadOnlyList<RuleInput>> adapt) => CpuWave6RewriteTests.Describe(adapt);

    private static bool AssertConfigAdaptsLikeBefore(byte[] payload)
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
            Assert.Equal(Describe(() => Reference.Adapt(inbound, Context)), Describe(() => Adapter.Adapt(inbound, Context)));
            return true;
        }
    }

    /// <summary>Every Config change notification in the corpus: EventBridge details, bare notifications, invokingEvents (as text).</summary>
    private static List<string> CorpusNotifications()
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

    private static IEnumerable<byte[]> NotificationDeliveries(string notification)
    {
        yield return Encoding.UTF8.GetBytes("{\"version\":\"0\",\"id\":\"e-1\",\"detail-type\":\"Config Configuration Item Change\",\"source\":\"aws.config\",\"account\":\"111122223333\",\"time\":\"2026-01-02T03:04:05Z\",\"region\":\"eu-west-1\",\"resources\":[],\"detail\":" + notification + "}");
        yield return Encoding.UTF8.GetBytes("{\"version\":\"1.0\",\"invokingEvent\":" + JsonSerializer.Serialize(notification) + ",\"ruleParameters\":\"{}\",\"resultToken\":\"t\",\"eventLeftScope\":false,\"configRuleArn\":\"arn:aws:config:eu-west-2:111122223333:config-rule/config-rule-1\",\"configRuleName\":\"r\",\"accountId\":\"111122223333\"}");
        yield return Encoding.UTF8.GetBytes("{\"version\":\"1.0\",\"invokingEvent\":" + notification + ",\"resultToken\":\"t\",\"configRuleArn\":\"arn:aws:config:eu-west-2:111122223333:config-rule/config-rule-1\",\"configRuleName\":\"r\"}");
        yield return Encoding.UTF8.GetBytes(notification);
    }

    /// <summary>The notification-level names the adapter reads, and names that differ from them only in case.</summary>
    private static readonly string[] NotificationNames =
    [
        "messageType", "configurationItem", "configurationItemSummary", "configurationItemDiff", "notificationCreationTime", "s3DeliverySummary",
    ];

    [Fact]
    public void Config_adapter_matches_the_previous_one_on_every_notification_with_its_fields_mutated()
    {
        var notifications = CorpusNotifications();
        Assert.True(notifications.Count >= 10, $"only {notifications.Count} notifications in the corpus");
        var summary = "{\"resourceType\":\"AWS::SQS::Queue\",\"resourceId\":\"q\",\"ARN\":\"arn:aws:sqs:eu-west-1:111122223333:q\",\"awsAccountId\":\"111122223333\",\"awsRegion\":\"eu-west-1\",\"configurationItemStatus\":\"OK\",\"configurationItemCaptureTime\":\"2026-01-02T03:04:05.000Z\"}";
        string[] odd =
        [
            "null", "42", "true", "\"\"", "\"  \"", "{}", "[]", "\"ConfigurationItemChangeNotification\"", "\"OversizedConfigurationItemChangeNotification\"",
            "\"ScheduledNotification\"", "\"SomethingElse\"", "\"2026-03-04T05:06:07.890Z\"", "{\"changeType\":\"DELETE\"}", "{\"ChangeType\":\"DELETE\"}",
            "{\"s3BucketLocation\":\"bucket/key\"}", summary,
        ];
        var compared = 0;
        foreach (var notification in notifications)
        {
            List<(string Name, string Value)> properties;
            using (var document = JsonDocument.Parse(notification))
                properties = [.. document.RootElement.EnumerateObject().Select(p => (JsonSerializer.Serialize(p.Name), p.Value.GetRawText()))];
            string Object(IEnumerable<(string Name, string Value)> parts) => "{" + string.Join(",", parts.Select(p => p.Name + ":" + p.Value)) + "}";
            var variants = new List<string> { notification };
            // Every property of the notification (and each name the adapter reads, added) mutated like the item tests do.
            var names = properties.Select(p => JsonSerializer.Deserialize<string>(p.Name)!).Union(NotificationNames).ToList();
            foreach (var bare in names)
            {
                var at = properties.FindIndex(p => p.Name == JsonSerializer.Serialize(bare));
                var value = at >= 0 ? properties[at].Value : summary;
                var name = JsonSerializer.Serialize(bare);
                IEnumerable<(string, string)> With(params (string, string)[] replacement) =>
                    at >= 0 ? [.. properties.Take(at), .. replacement, .. properties.Skip(at + 1)] : [.. properties, .. replacement];
                variants.Add(Object(With()));
                variants.Add(Object(With((JsonSerializer.Serialize(bare.ToUpperInvariant()), value))));
                variants.Add(Object(With((JsonSerializer.Serialize(bare.ToLowerInvariant()), value))));
                variants.Add(Object(With(("\"" + string.Concat(bare.Select((c, i) => i == 1 ? $"\\u{(int)c:X4}" : c.ToString())) + "\"", value))));
                variants.Add(Object(With((name, value), (name, "\"later-duplicate\""))));
                variants.Add(Object(With((name, "\"earlier-duplicate\""), (name, value))));
                variants.Add(Object(With((name, value), (JsonSerializer.Serialize(bare.ToUpperInvariant()), odd[^1]))));
                variants.Add(Object(With((JsonSerializer.Serialize(bare.ToUpperInvariant()), odd[^1]), (name, value))));
                variants.Add(Object(With(("\"\u017F" + bare[1..] + "\"", odd[^1]))));
                foreach (var other in odd) variants.Add(Object(With((name, other))));
            }
            foreach (var variant in variants)
            {
                foreach (var payload in NotificationDeliveries(variant)) compared += AssertConfigAdaptsLikeBefore(payload) ? 1 : 0;
            }
        }
        Assert.True(compared > 5_000, $"only {compared} payloads compared");
    }

    [Fact]
    public void Config_adapter_matches_the_previous_one_on_every_corpus_payload()
    {
        var compared = 0;
        foreach (var seed in FuzzCorpus.All) compared += AssertConfigAdaptsLikeBefore(seed.Bytes) ? 1 : 0;
        Assert.True(compared >= 20, $"only {compared} Config payloads compared");
    }
}
