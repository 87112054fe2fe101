using System.Text;
using System.Text.Json;
using IsmsServerless.Drift;
using IsmsServerless.Engine;
using IsmsServerless.Events;
using IsmsServerless.Ingestion;
using IsmsServerless.Tests.Robustness;

namespace IsmsServerless.Tests.Engine;

/// <summary>
/// Issue 20 (wave 12): a Config rule invocation read from its bytes in one pass (<see cref="ConfigInvocationReader"/>, the
/// router's rule-invocation entry) instead of a document of the whole payload. Every result is compared with the document
/// path (<see cref="StreamingEquivalence.AssertSame"/>: the whole <see cref="EngineResult"/> with <c>ReadsStreamed</c> on
/// and off) over the corpus, every corpus notification and its wave-11 variants delivered as invocations, the top level's
/// every field removed, renamed, escaped, duplicated, reordered and set to odd values, the names of the other shapes added,
/// the invokingEvent's string with every escape at every offset around the scan's 16-byte blocks, comments, white space,
/// truncations and trailing bytes; and the string scan against the reader on random strings. Asserts the usual
/// invocations are actually read in one pass.
/// </summary>
public sealed class CpuWave12InvocationReaderTests
{
    private static readonly RuleEngine Engine = RuleEngine.CreateDefault();

    /// <summary>Compares both paths; true when the payload was read by the rule-invocation entry.</summary>
    private static bool Check(byte[] payload, string label)
    {
        StreamingEquivalence.AssertSame(payload, Engine, label);
        return Streams(payload);
    }

    private static bool Streams(byte[] payload)
    {
        ReadOnlyMemory<byte> prepared;
        try
        {
            prepared = EventRouter.Prepare(payload);
        }
        catch (EventRejectedException)
        {
            return false;
        }
        return StreamingRouter.TryRead(prepared.Span, Engine.Adapters, StreamingEquivalence.Context, out var read)
            && read.Header.Kind == InboundKind.ConfigRuleInvocation;
    }

    /// <summary>JSON text as AWS puts it in a string: quotes escaped as <c>\"</c> (the serializer's default writes <c>\u0022</c>).</summary>
    private static string Quote(string text) => JsonSerializer.Serialize(text, Relaxed);

    private static readonly JsonSerializerOptions Relaxed = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>A rule invocation from its top-level fields (name, raw JSON value), in order.</summary>
    private static byte[] Build(IEnumerable<(string Name, string Value)> fields) =>
        Encoding.UTF8.GetBytes("{" + string.Join(",", fields.Select(f => Quote(f.Name) + ":" + f.Value)) + "}");

    private static List<(string Name, string Value)> Fields(string notification) =>
    [
        ("version", "\"1.0\""),
        ("invokingEvent", Quote(notification)),
        ("ruleParameters", "\"{}\""),
        ("resultToken", "\"token\""),
        ("eventLeftScope", "false"),
        ("executionRoleArn", "\"arn:aws:iam::111122223333:role/config\""),
        ("configRuleArn", "\"arn:aws:config:eu-west-2:111122223333:config-rule/config-rule-1\""),
        ("configRuleName", "\"r\""),
        ("configRuleId", "\"config-rule-1\""),
        ("accountId", "\"111122223333\""),
        ("evaluationMode", "\"DETECTIVE\""),
    ];

    private const string Notification =
        "{\"configurationItemDiff\":null,\"configurationItem\":{\"relationships\":[],\"configuration\":{\"QueueUrl\":\"https://q\",\"Attributes\":{\"KmsMasterKeyId\":\"\"}},"
        + "\"supplementaryConfiguration\":{},\"tags\":{\"env\":\"prod\"},\"configurationItemVersion\":\"1.3\",\"configurationItemCaptureTime\":\"2026-01-02T03:04:05.678Z\","
        + "\"configurationStateId\":1,\"awsAccountId\":\"111122223333\",\"configurationItemStatus\":\"ResourceDiscovered\",\"resourceType\":\"AWS::SQS::Queue\","
        + "\"resourceId\":\"https://sqs.eu-west-2.amazonaws.com/111122223333/q\",\"resourceName\":\"q\",\"ARN\":\"arn:aws:sqs:eu-west-2:111122223333:q\","
        + "\"awsRegion\":\"eu-west-2\",\"availabilityZone\":\"Not Applicable\"},\"notificationCreationTime\":\"2026-01-02T03:04:06.000Z\","
        + "\"messageType\":\"ConfigurationItemChangeNotification\",\"recordVersion\":\"1.3\"}";

    private static readonly string[] Odd =
    [
        "null", "0", "42", "-1.5e3", "1e400", "true", "false", "\"\"", "\"  \"", "\"x\"", "\"true\"", "\"TRUE\"", "\" false \"", "\"False\"", "\"yes\"",
        "\"\\u0074rue\"", "\"caf\\u00e9 \\ud83d\\ude42\"", "\"\\ud800\"", "\"é\"", "{}", "[]", "{\"a\":1}", "[\"true\"]", "\"arn:aws:config:us-east-1:1:x\"",
        "\"arn:aws:config::1:x\"", "\"a:b:c:d\"", "\"{}\"", "\"" + new string('x', 2000) + "\"", "{\"configurationItem\":{}}",
    ];

    [Fact]
    public void Corpus_and_every_notification_and_its_variants_as_invocations_give_the_document_path_result_and_the_usual_ones_stream()
    {
        int compared = 0, streamed = 0;
        foreach (var seed in FuzzCorpus.All)
        {
            var streams = Check(seed.Bytes, seed.Name);
            if (seed.Name.Contains("rule-invoke-change-", StringComparison.Ordinal) && seed.Name.EndsWith(".json", StringComparison.Ordinal)) Assert.True(streams, $"{seed.Name} not read in one pass");
            compared++;
            if (streams) streamed++;
        }
        Assert.True(streamed >= 5, $"only {streamed} corpus payloads read as invocations in one pass");
        foreach (var notification in CpuWave11ConfigReaderTests.CorpusNotifications().Concat(CpuWave11ConfigReaderTests.Variants()))
        {
            if (Check(Build(Fields(notification)), "notification")) streamed++;
            compared++;
        }
        Assert.True(compared > 5_000, $"only {compared} payloads compared");
        Assert.True(streamed > 5_000, $"only {streamed} payloads read in one pass");
    }

    private static IEnumerable<(string Label, byte[] Payload)> TopLevelVariants(List<(string Name, string Value)> fields)
    {
        IEnumerable<(string, string)> Replace(string name, params (string, string)[] with)
        {
            var at = fields.FindIndex(p => p.Name == name);
            return at >= 0 ? [.. fields.Take(at), .. with, .. fields.Skip(at + 1)] : [.. fields, .. with];
        }
        yield return ("as is", Build(fields));
        foreach (var (name, value) in fields.ToList())
        {
            yield return ($"{name} removed", Build(Replace(name)));
            yield return ($"{name} upper", Build(Replace(name, (name.ToUpperInvariant(), value))));
            yield return ($"{name} capitalised", Build(Replace(name, (char.ToUpperInvariant(name[0]) + name[1..], value))));
            yield return ($"{name} with ſ", Build(Replace(name, (name.Replace('s', '\u017F').Replace('S', '\u017F'), value))));
            yield return ($"{name} twice, later", Build(Replace(name, (name, value), (name, "\"later\""))));
            yield return ($"{name} twice, earlier", Build(Replace(name, (name, "\"earlier\""), (name, value))));
            yield return ($"{name} twice, same", Build(Replace(name, (name, value), (name, value))));
            yield return ($"{name} first", Build([(name, value), .. Replace(name)]));
            yield return ($"{name} last", Build([.. Replace(name), (name, value)]));
            foreach (var odd in Odd) yield return ($"{name} = {odd}", Build(Replace(name, (name, odd))));
            // The name escaped (built by hand: the serializer would not escape it).
            var escaped = "\"\\u00" + ((int)name[0]).ToString("x2", System.Globalization.CultureInfo.InvariantCulture) + name[1..] + "\"";
            var text = Encoding.UTF8.GetString(Build(Replace(name)));
            yield return ($"{name} escaped", Encoding.UTF8.GetBytes("{" + escaped + ":" + value + (text.Length > 2 ? "," : "") + text[1..]));
        }
        // Other spellings of each name with the values the adapter's lenient lookups would read from them (a scope left, a
        // rule ARN in another region: the item below carries no awsRegion).
        foreach (var (name, _) in fields.ToList())
        {
            foreach (var spelling in (string[])[name.ToUpperInvariant(), char.ToUpperInvariant(name[0]) + name[1..], name.Replace('s', '\u017F').Replace('S', '\u017F')])
            {
                foreach (var value in (string[])["true", "\"true\"", "\"arn:aws:config:ap-south-1:444455556666:config-rule/x\"", "\"444455556666\""])
                {
                    yield return ($"{spelling} = {value} beside", Build([.. fields, (spelling, value)]));
                    yield return ($"{spelling} = {value} instead", Build(Replace(name, (spelling, value))));
                }
            }
        }
        foreach (var name in (string[])["source", "detail-type", "detail", "id", "account", "region", "time", "resources", "Type", "Message", "TopicArn",
            "Records", "eventVersion", "eventName", "eventSource", "messageType", "resourceType", "configurationItemCaptureTime", "SOURCE", "invokingevent"])
        {
            yield return ($"{name} added first", Build([(name, "\"x\""), .. fields]));
            yield return ($"{name} added last", Build([.. fields, (name, "\"aws.config\"")]));
            yield return ($"{name} added as object", Build([.. fields, (name, "{\"a\":[]}")]));
        }
        yield return ("SNS shape", Build([.. fields, ("Type", "\"Notification\""), ("Message", "\"{}\""), ("TopicArn", "\"t\"")]));
        yield return ("EventBridge shape", Build([.. fields, ("source", "\"aws.config\""), ("detail-type", "\"Config Rule Invocation\"")]));
        var whole = Encoding.UTF8.GetString(Build(fields));
        var invoking = fields.First(f => f.Name == "invokingEvent").Value;
        var at = whole.IndexOf("\"invokingEvent\":", StringComparison.Ordinal);
        if (at >= 0)
        {
            var valueAt = at + "\"invokingEvent\":".Length;
            foreach (var gap in (string[])[" ", "\n\t\r ", "/*c*/", " /* \" */ ", "//c\n", "\u00a0"])
            {
                yield return ($"gap {gap} before the value", Encoding.UTF8.GetBytes(whole[..valueAt] + gap + whole[valueAt..]));
                yield return ($"gap {gap} before the colon", Encoding.UTF8.GetBytes(whole[..(valueAt - 1)] + gap + whole[(valueAt - 1)..]));
                yield return ($"gap {gap} after the value", Encoding.UTF8.GetBytes(whole[..(valueAt + invoking.Length)] + gap + whole[(valueAt + invoking.Length)..]));
            }
        }
        foreach (var tail in (string[])["}", "x", " ", ",", "{}", "/*c*/", "\u0000", "//c", "\n"]) yield return ($"tail {tail}", Encoding.UTF8.GetBytes(whole + tail));
        yield return ("trailing comma", Encoding.UTF8.GetBytes(whole[..^1] + ",}"));
        yield return ("comment inside", Encoding.UTF8.GetBytes(whole[..^1] + "/*c*/}"));
        yield return ("comment before", Encoding.UTF8.GetBytes("/*c*/" + whole));
        yield return ("BOM", [0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes(whole)]);
        yield return ("array", Encoding.UTF8.GetBytes("[" + whole + "]"));
        for (var cut = 0; cut < whole.Length; cut += Math.Max(1, whole.Length / 150)) yield return ($"cut {cut}", Encoding.UTF8.GetBytes(whole[..cut]));
    }

    [Fact]
    public void Every_top_level_field_mutated_renamed_escaped_duplicated_moved_and_removed_gives_the_document_path_result()
    {
        int compared = 0, streamed = 0;
        var bases = new List<List<(string Name, string Value)>>
        {
            Fields(Notification),
            Fields(Notification.Replace("\"awsRegion\":\"eu-west-2\",", "", StringComparison.Ordinal).Replace("\"awsAccountId\":\"111122223333\",", "", StringComparison.Ordinal)),
        };
        Assert.DoesNotContain("awsRegion", bases[1][1].Value, StringComparison.Ordinal);
        foreach (var seed in FuzzCorpus.All.Where(s => s.Name.Contains("rule-invoke", StringComparison.Ordinal) && s.Name.EndsWith(".json", StringComparison.Ordinal)))
        {
            var bytes = seed.Bytes.AsSpan() is [0xEF, 0xBB, 0xBF, ..] ? seed.Bytes[3..] : seed.Bytes;
            using var document = JsonDocument.Parse(bytes);
            bases.Add([.. document.RootElement.EnumerateObject().Select(p => (p.Name, p.Value.GetRawText()))]);
        }
        Assert.True(bases.Count >= 6, $"only {bases.Count} invocations to mutate");
        foreach (var fields in bases)
        {
            foreach (var (label, payload) in TopLevelVariants(fields))
            {
                if (Check(payload, label)) streamed++;
                compared++;
            }
        }
        Assert.True(compared > 3_000, $"only {compared} payloads compared");
        Assert.True(streamed > 1_000, $"only {streamed} payloads read in one pass");
    }

    /// <summary>Escapes (as raw JSON string text) placed at every offset around the scan's blocks.</summary>
    private static readonly string[] Escapes =
    [
        "\\\"", "\\\\", "\\\\\\\"", "\\/", "\\n", "\\t", "\\b", "\\f", "\\r", "\\u0041", "\\u00e9", "\\u00E9", "\\u20ac", "\\ud83d\\ude00", "\\uD83D\\uDE00",
        "\\ud800", "\\udc00x", "\\ud800\\u0041", "é", "\u007f", "😀", "\\\\\\\\\\\"", "\\\"\\\"\\\"",
        // Invalid: the reader rejects them (the document path words it).
        "\u0001", "\t", "\n", "\\x", "\\u12G4", "\\u12", "\\U0041", "\\'", "\\ ", "\\\u0001",
    ];

    [Fact]
    public void Every_escape_at_every_offset_of_the_invoking_event_string_gives_the_document_path_result()
    {
        int compared = 0, streamed = 0;
        var plain = Quote(Notification);
        // Inside the resourceName's value (the inner text stays JSON when the escape is valid) and between the inner fields.
        var inName = plain.IndexOf("\\\"q\\\"", StringComparison.Ordinal) + 3;
        var betweenFields = plain.IndexOf(",\\\"awsRegion", StringComparison.Ordinal) + 1;
        Assert.True(inName > 3 && betweenFields > 1);
        foreach (var escape in Escapes)
        {
            for (var pad = 0; pad <= 40; pad++)
            {
                var padding = new string('p', pad);
                foreach (var at in (int[])[inName, betweenFields, 1, plain.Length - 1])
                {
                    var value = plain[..at] + padding + escape + plain[at..];
                    var fields = Fields(Notification);
                    fields[1] = ("invokingEvent", value);
                    if (Check(Build(fields), $"escape {escape} pad {pad} at {at}")) streamed++;
                    compared++;
                }
            }
            // The escape at the string's very end, and alone.
            foreach (var value in (string[])["\"" + escape + "\"", plain[..^1] + escape + "\"", "\"" + escape + plain[1..]])
            {
                var fields = Fields(Notification);
                fields[1] = ("invokingEvent", value);
                if (Check(Build(fields), $"escape {escape} at an end")) streamed++;
                compared++;
            }
        }
        Assert.True(compared > 4_000, $"only {compared} payloads compared");
        Assert.True(streamed > 1_500, $"only {streamed} payloads read in one pass");
    }

    [Fact]
    public void The_string_scan_and_unescape_agree_with_the_reader_on_random_strings()
    {
        var random = new Random(20_12);
        string[] alphabet = ["a", "\"", "\\", "/", "u", "0", "9", "A", "f", "F", "d", "D", "8", "n", "b", "t", "r", "x", " ", "\u0001", "\u001f", "é", "😀", "\u007f", "{", "}"];
        var buffer = new byte[4096];
        var checkedCount = 0;
        for (var n = 0; n < 60_000; n++)
        {
            var text = new StringBuilder("\"");
            var length = random.Next(0, n % 10 == 0 ? 200 : 40);
            for (var i = 0; i < length; i++)
            {
                // Mostly the escapes JSON in a string holds, so long runs reach the blocks' fast path.
                text.Append(random.Next(4) == 0 ? "\\\"" : alphabet[random.Next(alphabet.Length)]);
            }
            text.Append("\",\"b\":1}");
            var json = Encoding.UTF8.GetBytes(text.ToString());
            int readerEnd;
            byte[]? expected;
            try
            {
                var reader = new Utf8JsonReader(json, isFinalBlock: true, default);
                reader.Read();
                readerEnd = (int)reader.BytesConsumed - 1;
                try
                {
                    var unescaped = new byte[json.Length];
                    expected = unescaped.AsSpan(0, reader.CopyString(unescaped)).ToArray();
                }
                catch (InvalidOperationException)
                {
                    expected = null;
                }
            }
            catch (JsonException)
            {
                readerEnd = -1;
                expected = null;
            }
            var end = ConfigInvocationReader.FindStringEnd(json, 1);
            if (readerEnd < 0)
            {
                // Rejected by the reader: the scan finds no end, or the unescape declines the body.
                Assert.True(end < 0 || !Json.TryUnescape(json.AsSpan(1, end - 1), buffer, out _), $"accepted what the reader rejects: {text}");
                continue;
            }
            Assert.True(end == readerEnd, $"scan ended at {end}, the reader at {readerEnd}: {text}");
            if (Json.TryUnescape(json.AsSpan(1, end - 1), buffer, out var written))
            {
                Assert.NotNull(expected);
                Assert.True(buffer.AsSpan(0, written).SequenceEqual(expected), $"unescaped differently: {text}");
                checkedCount++;
            }
            else
            {
                // Declined: only for a \u escape of a surrogate (or a string the reader cannot decode).
                Assert.True(expected is null || text.ToString().Contains("\\u", StringComparison.Ordinal), $"declined a plain string: {text}");
            }
        }
        Assert.True(checkedCount > 5_000, $"only {checkedCount} strings compared");
    }
}
