using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using IsmsServerless.Engine;
using IsmsServerless.Events;
using IsmsServerless.Ingestion;
using IsmsServerless.Inputs;
using IsmsServerless.Model;
using IsmsServerless.Settings;
using IsmsServerless.Tests.Robustness;
using Microsoft.Extensions.Time.Testing;

namespace IsmsServerless.Tests.Engine;

/// <summary>
/// <see cref="StreamingRouter"/> (issue 20 wave 11) reads an EventBridge envelope from the bytes and hands the detail to
/// an <see cref="IStreamingDetailAdapter"/>. These tests hold the envelope read and its fallback to the document path with
/// an adapter that streams nothing of its own (<see cref="DocumentBacked"/>: it takes the detail with
/// <see cref="JsonDocument.ParseValue"/> and runs the document adapter on it), wrapped around every default adapter: every
/// payload of the corpus and thousands of envelope mutations must give the engine result the document path gives, field
/// for field, whether they were streamed or declined. Each real streaming adapter is held to the document path by
/// <see cref="StreamingEquivalence"/> in its own tests.
/// </summary>
public sealed class StreamingRouterTests
{
    private static readonly EvaluationContext Context = StreamingEquivalence.Context;

    [Fact]
    public void Every_corpus_payload_and_envelope_mutation_gives_the_document_paths_result()
    {
        var wrapped = RuleEngine.DefaultAdapters().Select(a => (IEventAdapter)new DocumentBacked(a)).ToList();
        var streaming = new RuleEngine(RuleRegistry.CreateDefault(), wrapped);
        var payloads = 0;
        var streamedBefore = DocumentBacked.Streamed;
        foreach (var seed in FuzzCorpus.All)
        {
            foreach (var payload in EnvelopeMutations(seed.Bytes).Prepend(seed.Bytes))
            {
                StreamingEquivalence.AssertSame(payload, streaming, seed.Name);
                payloads++;
            }
        }
        var streamed = DocumentBacked.Streamed - streamedBefore;
        // The corpus holds hundreds of EventBridge events in AWS's own spelling: most must take the streamed path, and the
        // mutations that must decline must not.
        Console.WriteLine($"streamed {streamed} of {payloads}");
        Assert.True(streamed > 200, $"only {streamed} of {payloads} payloads were streamed");
        Assert.True(streamed < payloads, "every payload was streamed, declines included");
    }

    [Fact]
    public void A_usual_envelope_is_streamed_with_the_document_paths_header()
    {
        var payload = Encoding.UTF8.GetBytes(Usual());
        Assert.True(StreamingRouter.TryRead(payload, Wrapped, Context, out var read));
        var inbound = EventRouter.Classify(payload, out var document);
        using (document)
        {
            Assert.Equal(inbound.Kind, read.Header.Kind);
            Assert.Equal(inbound.Id, read.Header.Id);
            Assert.Same(inbound.Source, read.Header.Source);
            Assert.Same(inbound.DetailType, read.Header.DetailType);
            Assert.Equal(inbound.Account, read.Header.Account);
            Assert.Same(inbound.Region, read.Header.Region);
            Assert.Equal(inbound.Time, read.Header.Time);
        }
        Assert.Equal("ssm-compliance", read.Adapter.Name);
    }

    public static TheoryData<string, string> Declines => new()
    {
        { "escaped name", Usual("\"account\"", "\"acc\\u006funt\"") },
        { "duplicate source", Usual("\"source\": \"aws.ssm\",", "\"source\": \"aws.ssm\", \"source\": \"aws.ssm\",") },
        { "SNS Type", Usual("\"version\": \"0\",", "\"Type\": \"Notification\",") },
        { "SNS Message", Usual("\"version\": \"0\",", "\"Message\": \"{}\",") },
        { "SNS TopicArn", Usual("\"version\": \"0\",", "\"TopicArn\": \"arn\",") },
        { "number id", Usual("\"id\": \"e3f1\",", "\"id\": 42,") },
        { "null region", Usual("\"region\": \"eu-west-2\",", "\"region\": null,") },
        { "escaped value", Usual("\"region\": \"eu-west-2\",", "\"region\": \"eu-west-\\u0032\",") },
        { "field after the detail", Usual("}\n}", "},\n\"account\": \"111122223333\"}") },
        { "another field before the detail", Usual("\"version\": \"0\",", "\"version\": \"0\", \"replay-name\": \"r\",") },
        { "a rule invocation", "{\"version\": \"1.0\", \"invokingEvent\": \"{}\", \"source\": \"aws.ssm\", \"detail-type\": \"x\", \"detail\": {}}" },
        { "resources after the detail", Usual("}\n}", "},\n\"resources\": []}") },
        { "detail not an object", UsualWithDetail("[]") },
        { "no detail", Usual(",\n\"detail\"", ",\n\"notdetail\"") },
        { "trailing content", Usual() + " x" },
        { "two roots", Usual() + " {}" },
        { "truncated", Usual()[..^3] },
        { "a comment with a bracket in a detail read after the envelope", "{\"detail\": {\"a\": /* } */ 1}, \"source\": \"aws.ssm\", \"detail-type\": \"Configuration Compliance State Change\"}" },
        { "a detail read after the envelope, then invalid JSON", "{\"detail\": {\"a\": 1}, \"source\": \"aws.ssm\", \"detail-type\": \"Configuration Compliance State Change\", x}" },
        { "a detail read after the envelope, truncated", "{\"detail\": {\"a\": [1, {\"b\": 2}" },
        { "not an object", "[" + Usual() + "]" },
        { "no adapter streams it", Usual("\"source\": \"aws.ssm\",", "\"source\": \"aws.example\",") },
        { "too deep", Usual("\"version\": \"0\",", "\"version\": " + new string('[', 70) + new string(']', 70) + ",") },
    };

    [Theory]
    [MemberData(nameof(Declines))]
    public void An_envelope_the_stream_does_not_read_exactly_takes_the_document_path(string why, string json)
    {
        var payload = Encoding.UTF8.GetBytes(json);
        Assert.False(StreamingRouter.TryRead(payload, Wrapped, Context, out _), why);
        // And the engine's result is the document path's, rejection text included.
        StreamingEquivalence.AssertSame(payload, new RuleEngine(RuleRegistry.CreateDefault(), Wrapped), why);
    }

    public static TheoryData<string, string> Accepted => new()
    {
        { "comments and trailing commas", Usual("\"version\": \"0\",", "/* c */ \"version\": \"0\", // d\n") .Replace("}\n}", "},\n}") },
        { "unknown fields after the detail", Usual("}\n}", "},\n\"extra\": [1, {\"a\": [true]}], \"version\": null}") },
        { "blank account", Usual("\"account\": \"111122223333\",", "\"account\": \"  \",") },
        { "odd time", Usual("\"time\": \"2026-01-15T11:00:00Z\",", "\"time\": \"15 Jan 2026\",") },
        { "unknown region", Usual("\"region\": \"eu-west-2\",", "\"region\": \"xx-moon-1\",") },
        { "detail first", "{\"detail\": {}, \"source\": \"aws.ssm\", \"detail-type\": \"Configuration Compliance State Change\"}" },
        { "detail before the detail type, with brackets, quotes and escapes in its strings", Usual("\"detail-type\": \"Configuration Compliance State Change\",", "").Replace("}\n}", "},\n\"detail-type\": \"Configuration Compliance State Change\"}").Replace("\"resource-type\": \"ManagedInstance\"", "\"resource-type\": \"Man}aged]\\\"{[\\\\\", \"x\": [{\"y\": \"}}}\"}]") },
        { "detail first, envelope fields and unknown fields after it", "{\"detail\": {\"resource-id\": \"i-0123456789abcdef0\", \"compliance-type\": \"Patch\", \"compliance-status\": \"NON_COMPLIANT\"}, \"extra\": 1, \"source\": \"aws.ssm\", \"resources\": [\"arn:x\"], \"detail-type\": \"Configuration Compliance State Change\", \"account\": \"111122223333\", \"region\": \"eu-west-2\", \"time\": \"2026-01-15T11:00:00Z\"}" },
        { "non-ASCII id", Usual("\"id\": \"e3f1\",", "\"id\": \"é✓\",") },
    };

    [Theory]
    [MemberData(nameof(Accepted))]
    public void Spellings_the_document_path_reads_the_same_are_streamed(string why, string json)
    {
        var payload = Encoding.UTF8.GetBytes(json);
        Assert.True(StreamingRouter.TryRead(payload, Wrapped, Context, out _), why);
        StreamingEquivalence.AssertSame(payload, new RuleEngine(RuleRegistry.CreateDefault(), Wrapped), why);
    }

    [Fact]
    public void A_rejection_from_a_streamed_read_is_the_document_paths_rejection()
    {
        // An SSM compliance event whose detail has no resource id: the adapter's own rejection, through either path.
        var payload = Encoding.UTF8.GetBytes(UsualWithDetail("{\"compliance-type\": \"Patch\", \"compliance-status\": \"NON_COMPLIANT\"}"));
        Assert.True(StreamingRouter.TryRead(payload, Wrapped, Context, out _));
        var result = StreamingEquivalence.AssertSame(payload, new RuleEngine(RuleRegistry.CreateDefault(), Wrapped), "no resource id");
        Assert.True(result.Rejected || result.Inputs.Count == 0 || result.Evaluations.Count >= 0);
    }

    private static readonly IReadOnlyList<IEventAdapter> Wrapped = RuleEngine.DefaultAdapters().Select(a => (IEventAdapter)new DocumentBacked(a)).ToList();

    private static string Usual() => UsualWithDetail("""
        {
          "resource-id": "i-0123456789abcdef0",
          "resource-type": "ManagedInstance",
          "compliance-type": "Patch",
          "compliance-status": "NON_COMPLIANT"
        }
        """);

    private static string Usual(string find, string replace)
    {
        var usual = Usual();
        Assert.Contains(find, usual);
        return usual.Replace(find, replace);
    }

    private static string UsualWithDetail(string detail) => $$"""
        {
        "version": "0",
        "id": "e3f1",
        "detail-type": "Configuration Compliance State Change",
        "source": "aws.ssm",
        "account": "111122223333",
        "time": "2026-01-15T11:00:00Z",
        "region": "eu-west-2",
        "resources": ["arn:aws:ssm:eu-west-2:111122223333:managed-instance/i-0123456789abcdef0"],
        "detail": {{detail}}
        }
        """;

    /// <summary>Envelope changes the stream must either read exactly as the document path does or decline.</summary>
    private static IEnumerable<byte[]> EnvelopeMutations(byte[] bytes)
    {
        JsonObject? root;
        try
        {
            root = JsonNode.Parse(bytes, documentOptions: new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip }) as JsonObject;
        }
        catch (JsonException)
        {
            yield break;
        }
        if (root is null || !root.ContainsKey("detail-type")) yield break;
        static byte[] Bytes(JsonNode node) => Encoding.UTF8.GetBytes(node.ToJsonString());
        yield return Bytes(root);
        var text = Encoding.UTF8.GetString(bytes);
        yield return Encoding.UTF8.GetBytes(text + "\n// trailing comment\n");
        yield return Encoding.UTF8.GetBytes(text + "}");
        yield return Encoding.UTF8.GetBytes(text[..(text.Length / 2)]);
        foreach (var name in new[] { "id", "source", "detail-type", "account", "region", "time", "resources", "detail" })
        {
            if (root[name] is null) continue;
            var without = (JsonObject)root.DeepClone();
            var value = without[name]!.DeepClone();
            without.Remove(name);
            yield return Bytes(without);
            // Moved to the end (after the detail) and to the front.
            var last = (JsonObject)without.DeepClone();
            last[name] = value.DeepClone();
            yield return Bytes(last);
            var firstObject = new JsonObject { [name] = value.DeepClone() };
            foreach (var (k, v) in without) firstObject[k] = v?.DeepClone();
            yield return Bytes(firstObject);
            if (name == "detail") continue;
            foreach (JsonNode? odd in new JsonNode?[] { null, 7, 1.5e300, true, "", " ", "\u00e9\u2028", new JsonArray(), new JsonObject(), "aws.config", "eu-west-2", "2026-02-30T00:00:00Z", "2026-01-15T12:00:00.123Z", "2026-01-15T12:00:00+01:00" })
            {
                var changed = (JsonObject)root.DeepClone();
                changed[name] = odd?.DeepClone();
                yield return Bytes(changed);
            }
            // Duplicated, and spelled with an escape.
            var json = root.ToJsonString();
            var quoted = "\"" + name + "\":";
            var at = json.IndexOf(quoted, StringComparison.Ordinal);
            if (at < 0) continue;
            yield return Encoding.UTF8.GetBytes(json.Insert(at, quoted + "\"dup\","));
            yield return Encoding.UTF8.GetBytes(json[..at] + "\"\\u00" + ((int)name[0]).ToString("x2") + name[1..] + "\":" + json[(at + quoted.Length)..]);
        }
        foreach (var sns in new[] { "Type", "Message", "TopicArn" })
        {
            var changed = (JsonObject)root.DeepClone();
            changed[sns] = "Notification";
            yield return Bytes(changed);
        }
        var detailKinds = (JsonObject)root.DeepClone();
        detailKinds["detail"] = new JsonArray();
        yield return Bytes(detailKinds);
        detailKinds["detail"] = "{}";
        yield return Bytes(detailKinds);
    }

    /// <summary>
    /// A streaming adapter with no reader of its own: it takes the detail as a document and runs the document adapter on it,
    /// so every difference from the document path is the envelope's or the router's.
    /// </summary>
    private sealed class DocumentBacked(IEventAdapter inner) : IStreamingDetailAdapter
    {
        public static long Streamed;

        public string Name => inner.Name;

        /// <summary>Every wrapped adapter gets the envelope root, so its builder is held to the document for all of them.</summary>
        public bool ReadsEnvelopeResources => true;

        public bool CanAdapt(InboundEvent inbound) => inner.CanAdapt(inbound);

        public IReadOnlyList<RuleInput> Adapt(InboundEvent inbound, EvaluationContext context) => inner.Adapt(inbound, context);

        public bool TryReadDetail(ref Utf8JsonReader reader, InboundEvent header, EvaluationContext context, out object? state)
        {
            state = JsonElement.ParseValue(ref reader);
            return true;
        }

        public IReadOnlyList<RuleInput> AdaptRead(object? state, InboundEvent header, EvaluationContext context)
        {
            Interlocked.Increment(ref Streamed);
            return inner.Adapt(header with { Detail = (JsonElement)state! }, context);
        }
    }
}

/// <summary>
/// Holds a streamed read to the document path: the same engine result (adapter, kind, source, detail type, every input's
/// public properties, every evaluation's fields, the rejection or ignored reason), computed by the given engine and by the
/// same adapters with <see cref="RuleEngine.ReadsStreamed"/> off.
/// </summary>
internal static class StreamingEquivalence
{
    public static readonly EvaluationContext Context = new(IsmsSettings.Default, new FakeTimeProvider(DateTimeOffset.Parse("2026-01-15T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture)));

    public static EngineResult AssertSame(byte[] payload, RuleEngine streaming, string label)
    {
        var document = new RuleEngine(streaming.Registry, streaming.Adapters) { ReadsStreamed = false };
        var expected = document.Evaluate(payload, Context);
        var actual = streaming.Evaluate(payload, Context);
        Assert.True(Describe(expected) == Describe(actual), $"{label}: streamed result differs\nexpected: {Describe(expected)}\nactual:   {Describe(actual)}\npayload: {Encoding.UTF8.GetString(payload)}");
        return actual;
    }

    public static string Describe(EngineResult result)
    {
        var text = new StringBuilder();
        text.Append($"adapter={result.Adapter} kind={result.Kind} source={result.Source} detailType={result.DetailType} error={result.Error} ignored={result.IgnoredReason}\n");
        text.Append("inputs: ").Append(CpuWave6RewriteTests.Describe(() => result.Inputs)).Append('\n');
        foreach (var e in result.Evaluations)
        {
            text.Append($"{e.Rule.Id}|{e.Outcome}|{e.ResourceId}|{e.ResourceType}|{e.AccountId}|{e.Region}|{e.SubKey}|{e.Message}|{e.SeverityOverride}|{e.ClockStart:O}|{e.SlaDeferred}|{e.ObservedAt:O}|{e.WindowOverride}|");
            text.Append(string.Join(";", e.Diff.Select(d => d.ToString()))).Append('|');
            text.Append(string.Join(";", e.Evidence.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Key + "=" + p.Value))).Append('|');
            text.Append(string.Join(";", e.Deadlines.Select(d => d.ToString()))).Append('\n');
        }
        return text.ToString();
    }
}
