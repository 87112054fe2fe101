using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using IsmsServerless.Engine;
using IsmsServerless.Events;
using IsmsServerless.Ingestion;
using IsmsServerless.Tests.Robustness;

namespace IsmsServerless.Tests.Engine;

/// <summary>
/// Issue 20 (wave 11): the SSM compliance, Inspector finding and EC2 state-change adapters read their EventBridge detail
/// from the bytes (<see cref="IStreamingDetailAdapter"/>). Each streamed read is held to the document path
/// (<see cref="StreamingEquivalence"/>: the whole engine result, inputs, evaluations and rejection text) on every payload
/// of the corpus, on every property of their details mutated (every JSON kind, blanks, escapes, numbers, huge and
/// non-ASCII strings, deep nesting), renamed (other case, escaped, non-ASCII look-alikes), duplicated before and after
/// and removed, at every level the adapters read, and on truncations; and the payloads in AWS's own spelling are shown to
/// take the streamed path.
/// </summary>
public sealed class StreamingPatchAdapterTests
{
    private static readonly EvaluationContext Context = StreamingEquivalence.Context;
    private static readonly RuleEngine Engine = RuleEngine.CreateDefault();

    private static readonly JsonSerializerOptions Relaxed = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Which streaming adapter read the payload, or null when it took the document path.</summary>
    private static string? StreamedBy(byte[] payload)
    {
        ReadOnlyMemory<byte> prepared;
        try
        {
            prepared = EventRouter.Prepare(payload);
        }
        catch (EventRejectedException)
        {
            return null;
        }
        return StreamingRouter.TryRead(prepared.Span, Engine.Adapters, Context, out var read) ? read.Adapter.Name : null;
    }

    private static bool IsPatchSeed(FuzzCorpus.Seed seed)
    {
        var text = Encoding.UTF8.GetString(seed.Bytes);
        return text.Contains("aws.inspector2", StringComparison.Ordinal) || text.Contains("aws.ssm", StringComparison.Ordinal)
            || text.Contains("EC2 Instance State-change", StringComparison.Ordinal);
    }

    [Fact]
    public void Every_corpus_payload_gives_the_document_paths_result_and_the_patch_events_are_streamed()
    {
        var streamed = new Dictionary<string, int>();
        foreach (var seed in FuzzCorpus.All)
        {
            StreamingEquivalence.AssertSame(seed.Bytes, Engine, seed.Name);
            if (StreamedBy(seed.Bytes) is { } by && by is "ssm-compliance" or "inspector2" or "ec2-state")
                streamed[by] = streamed.GetValueOrDefault(by) + 1;
        }
        // The repository's and the shared collection's copies: three Inspector findings, the SSM event (the doc sample with
        // "source": "aws.<account>" is not SSM's), the EC2 termination.
        Assert.True(streamed.GetValueOrDefault("inspector2") >= 6, $"inspector2 streamed {streamed.GetValueOrDefault("inspector2")}");
        Assert.True(streamed.GetValueOrDefault("ssm-compliance") >= 2, $"ssm streamed {streamed.GetValueOrDefault("ssm-compliance")}");
        Assert.True(streamed.GetValueOrDefault("ec2-state") >= 1, $"ec2 streamed {streamed.GetValueOrDefault("ec2-state")}");
    }

    [Theory]
    [InlineData("patch/eb-ssm-compliance-patch-noncompliant.json", "ssm-compliance")]
    [InlineData("patch/eb-inspector2-finding-ec2-package-vuln.json", "inspector2")]
    [InlineData("patch/eb-inspector2-finding-ec2-network-reachability.json", "inspector2")]
    [InlineData("patch/eb-inspector2-finding-ecr-package-vuln.json", "inspector2")]
    public void The_benchmarked_payloads_are_streamed(string fixture, string adapter)
    {
        var payload = File.ReadAllBytes(Path.Combine(Support.Fixtures.SharedRoot, fixture));
        Assert.Equal(adapter, StreamedBy(payload));
        var result = StreamingEquivalence.AssertSame(payload, Engine, fixture);
        Assert.False(result.Rejected, result.Error);
        Assert.NotEmpty(result.Inputs);
    }

    [Fact]
    public void The_usual_ssm_event_is_its_input_straight_from_the_streamed_read_and_others_keep_the_record()
    {
        var payload = File.ReadAllBytes(Path.Combine(Support.Fixtures.SharedRoot, "patch/eb-ssm-compliance-patch-noncompliant.json"));
        Assert.True(StreamingRouter.TryRead(payload, Engine.Adapters, Context, out var read));
        var inputs = Assert.IsAssignableFrom<IReadOnlyList<IsmsServerless.Inputs.RuleInput>>(read.State);
        Assert.Same(inputs, read.Adapter.AdaptRead(read.State, read.Header, Context));
        // Not patch, an unknown status, no instance: the record, decided (logged, rejected) when AdaptRead runs.
        foreach (var (find, replace) in (ReadOnlySpan<(string, string)>)[("\"Patch\"", "\"Association\""), ("\"non_compliant\"", "\"bogus\""), ("\"i-01234567890abcdef\"", "\"x\"")])
        {
            var text = Encoding.UTF8.GetString(payload);
            Assert.Contains(find, text);
            var changed = Encoding.UTF8.GetBytes(text.Replace(find, replace));
            Assert.True(StreamingRouter.TryRead(changed, Engine.Adapters, Context, out var other));
            Assert.IsType<SsmComplianceDetail>(other.State);
            StreamingEquivalence.AssertSame(changed, Engine, replace);
        }
    }

    [Fact]
    public void An_evaluation_without_evidence_shares_one_empty_dictionary()
    {
        var rule = RuleRegistry.CreateDefault().Rules[0].Metadata;
        var a = new IsmsServerless.Model.Evaluation { Rule = rule, Outcome = IsmsServerless.Model.Outcome.Compliant, ResourceId = "r", Message = "m" };
        var b = a with { ResourceId = "s" };
        var c = new IsmsServerless.Model.Evaluation { Rule = rule, Outcome = IsmsServerless.Model.Outcome.Finding, ResourceId = "t", Message = "n" };
        Assert.Empty(a.Evidence);
        Assert.Same(a.Evidence, b.Evidence);
        Assert.Same(a.Evidence, c.Evidence);
    }

    [Fact]
    public void Every_detail_property_mutated_renamed_duplicated_and_removed_gives_the_document_paths_result()
    {
        var compared = 0;
        var streamed = 0;
        var seeds = FuzzCorpus.All.Where(IsPatchSeed).ToList();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var seed in seeds)
        {
            if (Parse(seed.Bytes) is not { } root || root["detail"] is not JsonObject detail) continue;
            // The shared collection repeats the repository's payloads: each detail once.
            if (!seen.Add(detail.ToJsonString())) continue;
            foreach (var (target, name, depth) in Properties(detail, 0))
            {
                foreach (var fragment in Fragments(target, name, depth))
                {
                    var payload = Encoding.UTF8.GetBytes(Write(root, target, name, fragment));
                    StreamingEquivalence.AssertSame(payload, Engine, $"{seed.Name} {name} -> {fragment}");
                    compared++;
                    if (StreamedBy(payload) is not null) streamed++;
                }
            }
            var text = Encoding.UTF8.GetString(seed.Bytes);
            for (var cut = 1; cut < text.Length; cut += Math.Max(1, text.Length / 97))
            {
                StreamingEquivalence.AssertSame(Encoding.UTF8.GetBytes(text[..cut]), Engine, $"{seed.Name} cut at {cut}");
                compared++;
            }
        }
        Console.WriteLine($"compared {compared}, streamed {streamed}");
        Assert.True(compared > 20_000, $"only {compared} payloads compared");
        Assert.True(streamed > compared / 3, $"only {streamed} of {compared} streamed");
    }

    [Fact]
    public void Hand_made_details_give_the_document_paths_result()
    {
        string[] details =
        [
            "{}", "null", "[]", "\"x\"", "1", "true", "{\"resources\":null}", "{\"resources\":{}}", "{\"resources\":[null]}",
            "{\"resources\":[1]}", "{\"resources\":[{\"id\":\"i-0123456789abcdef0\"}],\"resources\":[]}",
            "{\"resources\":[],\"resources\":[{\"id\":\"i-0123456789abcdef0\"}],\"type\":\"PACKAGE_VULNERABILITY\",\"findingArn\":\"a\"}",
            "{\"type\":\"PACKAGE_VULNERABILITY\",\"resources\":[{\"id\":\"  \"}]}",
            "{\"type\":\"X\",\"resources\":[{\"ID\":\"i-0123456789abcdef0\",\"Id\":\"i-1\"}]}",
            "{\"type\":\"X\",\"resources\":[{\"\\u0069d\":\"i-0123456789abcdef0\"}]}",
            "{\"type\":\"X\",\"resources\":[{\"id\":\"i-0123456789abcdef0\",\"region\":\"N/A\"}],\"packageVulnerabilityDetails\":null}",
            "{\"type\":\"X\",\"resources\":[{\"id\":\"i-0123456789abcdef0\"}],\"packageVulnerabilityDetails\":[]}",
            "{\"type\":\"PACKAGE_VULNERABILITY\",\"resources\":[{\"id\":\"i-0123456789abcdef0\"}],\"packageVulnerabilityDetails\":{\"vulnerabilityId\":\"CVE-1\",\"vulnerablePackages\":[null,{\"name\":\"a\"},{\"name\":\"b\",\"release\":\"1\",\"version\":2}]}}",
            "{\"type\":\"PACKAGE_VULNERABILITY\",\"resources\":[{\"id\":\"i-0123456789abcdef0\"}],\"packageVulnerabilityDetails\":{\"vulnerabilityId\":\"CVE-1\",\"vulnerablePackages\":\"x\"}}",
            "{\"type\":\"PACKAGE_VULNERABILITY\",\"resources\":[{\"id\":\"i-0123456789abcdef0\"}],\"packageVulnerabilityDetails\":{\"vulnerabilityId\":\"CVE-1\",\"vulnerablePackages\":["
                + string.Join(",", Enumerable.Range(0, 30).Select(i => $"{{\"name\":\"p{i}\",\"version\":\"{i}\",\"fixedInVersion\":\"{i + 1}\"}}")) + "]}}",
            "{\"type\":\"X\",\"resources\":[" + string.Join(",", Enumerable.Range(0, 101).Select(i => $"{{\"id\":\"i-{i:x17}\"}}")) + "]}",
            "{\"type\":\"X\",\"resources\":[{\"id\":\"i-0123456789abcdef0\"}],\"inspectorScore\":1e400}",
            "{\"type\":\"X\",\"resources\":[{\"id\":\"i-0123456789abcdef0\"}],\"lastObservedAt\":1e400}",
            "{\"type\":\"X\",\"resources\":[{\"id\":\"i-0123456789abcdef0\",\"partition\":-1e400}]}",
            "{\"type\":\"X\",\"resources\":[{\"id\":\"i-0123456789abcdef0\"}],\"inspectorScore\":12345678901234567890}",
            "{\"type\":\"X\",\"resources\":[{\"id\":\"i-0123456789abcdef0\"}],\"inspectorScore\":-0.0,\"title\":1.0}",
            "{\"type\":\"X\",\"resources\":[{\"id\":\"i-0123456789abcdef0\"}],\"extra\":" + new string('[', 60) + new string(']', 60) + "}",
            "{\"type\":\"X\",\"resources\":[{\"id\":\"i-0123456789abcdef0\"}],\"extra\":" + new string('[', 70) + new string(']', 70) + "}",
            "{\"type\":\"X\",\"resources\":[{\"id\":\"i-0123456789abcdef0\"}],\"title\":\"" + new string('t', 100_000) + "\"}",
            "{\"type\":\"X\",\"resources\":[{\"id\":\"i-0123456789abcdef0\"}],\"firstObservedAt\":\"2024-09-04T16:59:44Z\",\"updatedAt\":\"bogus\"}",
            "{\"type\":\"X\",\"resources\":[{\"id\":\"i-0123456789abcdef0\"}],\"packageVulnerabilityDetails\":{\"vendorCreatedAt\":\"bogus\"}}",
            "{\"type\":\"x\\u0000\",\"resources\":[{\"id\":\"i-0123\\u0001\"}]}",
        ];
        var compared = 0;
        foreach (var detail in details)
        {
            foreach (var (source, detailType) in (ReadOnlySpan<(string, string)>)[
                ("aws.inspector2", "Inspector2 Finding"), ("aws.ssm", "Configuration Compliance State Change"),
                ("aws.ec2", "EC2 Instance State-change Notification")])
            {
                var payload = Encoding.UTF8.GetBytes(
                    $"{{\"version\":\"0\",\"id\":\"e1\",\"detail-type\":\"{detailType}\",\"source\":\"{source}\",\"account\":\"123456789012\","
                    + $"\"time\":\"2024-09-05T13:06:56Z\",\"region\":\"eu-central-1\",\"resources\":[\"i-0fedcba9876543210\"],\"detail\":{detail}}}");
                StreamingEquivalence.AssertSame(payload, Engine, detail.Length > 200 ? detail[..200] : detail);
                compared++;
            }
        }
        Assert.Equal(details.Length * 3, compared);
    }

    [Fact]
    public void The_streamed_readers_know_every_property_the_records_declare()
    {
        AssertNames(EventJsonContext.Default.InspectorFindingDetail, StreamedFinding.FindingNames);
        AssertNames(EventJsonContext.Default.GetTypeInfo(typeof(InspectorPackageVulnerabilityDetails))!, StreamedFinding.VulnerabilityNames);
        AssertNames(EventJsonContext.Default.GetTypeInfo(typeof(InspectorVulnerablePackage))!, StreamedFinding.PackageNames);
        AssertNames(EventJsonContext.Default.GetTypeInfo(typeof(InspectorResource))!, StreamedFinding.ResourceNames);
        AssertNames(EventJsonContext.Default.Ec2StateChangeDetail, Ec2StateChangeAdapter.DetailNames);
        AssertNames(EventJsonContext.Default.SsmComplianceDetail, SsmComplianceAdapter.DetailNames);

        static void AssertNames(JsonTypeInfo info, byte[][] names) =>
            Assert.Equal(info.Properties.Select(p => p.Name), names.Select(Encoding.UTF8.GetString));
    }

    [Fact]
    public void The_lenient_read_from_the_reader_is_the_binders_from_the_element()
    {
        var values = new List<string>(Values);
        var random = new Random(11);
        string[] pieces = ["a", "Z", "0", " ", "\\t", "\\n", "\\u0000", "\\u200b", "\\u00e9", "é", "✓", "🙂", "\\ud83d\\ude42", "\\\"", "\\\\", "/", "\\/", "\u0085", "\u00a0", "\u2028", "\u200b"];
        for (var i = 0; i < 4_000; i++)
        {
            var text = new StringBuilder("\"");
            var count = random.Next(0, 80);
            for (var c = 0; c < count; c++)
            {
                var ch = (char)random.Next(0x20, 0x7F);
                text.Append(random.Next(3) == 0 ? pieces[random.Next(pieces.Length)] : ch is '"' or '\\' ? "x" : ch.ToString());
            }
            values.Add(text.Append('"').ToString());
        }
        foreach (var known in EventStrings.Known.Values) values.Add("\"" + known + "\"");
        foreach (var value in values)
        {
            var json = "{\"v\":" + value + "}";
            string? expected;
            try
            {
                using var document = JsonDocument.Parse(json);
                expected = ElementBindingPlanLenient(document.RootElement.GetProperty("v"));
            }
            catch (FormatException)
            {
                expected = "<throws>";
            }
            string? actual;
            var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(json));
            reader.Read();
            reader.Read();
            reader.Read();
            try
            {
                actual = StreamedDetail.Lenient(ref reader);
                Assert.True(reader.TokenType is not (JsonTokenType.StartObject or JsonTokenType.StartArray), value);
            }
            catch (JsonException)
            {
                // A decline: the document path reads it. Only numbers the reader cannot take as a finite double decline.
                Assert.True(reader.TokenType == JsonTokenType.Number, value);
                continue;
            }
            Assert.True(expected == actual, $"{value}: binder '{expected}', streamed '{actual}'");
        }
    }

    private static string? ElementBindingPlanLenient(JsonElement value) => ElementBindingPlan.LenientString(value);

    // ---- Mutations ------------------------------------------------------------------------------------------------------

    /// <summary>Values for any property: every JSON kind, blanks, escapes, numbers the readers convert or decline, near misses.</summary>
    private static readonly string[] Values =
    [
        "null", "true", "false", "0", "123", "-1.5", "4.8", "1e400", "-1e400", "12345678901234567890", "1.0", "1E2", "{}", "[]", "{\"a\":1}",
        "[null]", "[{}]", "[{\"id\":\"i-0123456789abcdef0\"}]", "[\"x\"]", "\"\"", "\"  \"", "\"\\u0000\"", "\"\\u200b\"", "\"\\u0085\"",
        "\"Patch\"", "\"patch\"", "\" Patch \"", "\"\\u0050atch\"", "\"compliant\"", "\"NON_COMPLIANT\"", "\"Non-Compliant\"", "\"bogus\"",
        "\"terminated\"", "\" terminated\"", "\"TERMINATED\"", "\"running\"", "\"i-01234567890abcdef\"", "\"mi-0123456789abcdef0\"",
        "\" i-0123abcd \"", "\"i-0123abcd\\n\"", "\"i-0123ABCD\"", "\"i-\\u0030123abcd\"", "\"i-0123\\u0001\"", "\"PACKAGE_VULNERABILITY\"",
        "\"package_vulnerability\"", "\"NETWORK_REACHABILITY\"", "\"CLOSED\"", "\"ACTIVE\"", "\"SUPPRESSED\"", "\"CRITICAL\"", "\"YES\"", "\"no\"",
        "\"N/A\"", "\"eu-west-1\"", "\"CVE-2024-0001\"", "\"2024-09-04T16:59:44.356Z\"", "\"Wed Sep 04 16:59:44.356 UTC 2024\"",
        "\"2024-13-45T00:00:00Z\"", "\"🙂\"", "\"\\ud83d\\ude42\"", "\"é✓\"", "\"" + new string('x', 300) + "\"", "\"" + new string('y', 2_000) + "\"",
        new string('[', 40) + new string(']', 40),
    ];

    /// <summary>A name as a detail may spell it: in other case, escaped, with a non-ASCII look-alike, near misses.</summary>
    private static IEnumerable<string> Spellings(string name)
    {
        yield return Quote(name.ToUpperInvariant());
        yield return Quote(char.ToUpperInvariant(name[0]) + name[1..]);
        yield return "\"\\u" + ((int)name[0]).ToString("x4", System.Globalization.CultureInfo.InvariantCulture) + name[1..] + "\"";
        if (name.Contains('s', StringComparison.Ordinal)) yield return Quote(name.Replace('s', '\u017F'));
        if (name.Contains('k', StringComparison.Ordinal)) yield return Quote(name.Replace('k', '\u212A'));
        yield return Quote(name + "x");
        yield return Quote(name[..^1]);
    }

    private static string Quote(string name) => JsonSerializer.Serialize(name, Relaxed);

    /// <summary>The replacements for one property (null: removed), in place, keeping the object's other properties and order.</summary>
    private static IEnumerable<string?> Fragments(JsonObject target, string name, int depth)
    {
        var original = target[name]?.ToJsonString(Relaxed) ?? "null";
        var exact = Quote(name);
        yield return null;
        // Deeper than the records the adapters bind, a property is skipped whole: fewer values there.
        var values = depth <= 2 ? Values : Values.Where((_, i) => i % 5 == 0);
        foreach (var value in values)
        {
            yield return $"{exact}:{value}";
            if (depth <= 2)
            {
                yield return $"{exact}:{value},{exact}:{original}";
                yield return $"{exact}:{original},{exact}:{value}";
            }
        }
        foreach (var spelled in Spellings(name))
        {
            yield return $"{spelled}:{original}";
            yield return $"{spelled}:{original},{exact}:{original}";
            yield return $"{exact}:{original},{spelled}:{original}";
            yield return $"{exact}:{original},{spelled}:\"bogus\"";
            yield return $"{exact}:{original},{spelled}:null";
        }
    }

    /// <summary>Every property of every object under the detail, with its depth (0: the detail's own).</summary>
    private static IEnumerable<(JsonObject Target, string Name, int Depth)> Properties(JsonNode? node, int depth)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (name, value) in obj.ToList())
                {
                    yield return (obj, name, depth);
                    foreach (var nested in Properties(value, depth + 1)) yield return nested;
                }
                break;
            case JsonArray array:
                foreach (var item in array.Take(3))
                {
                    foreach (var nested in Properties(item, depth + 1)) yield return nested;
                }
                break;
        }
    }

    /// <summary>The payload's text with <paramref name="name"/> of <paramref name="target"/> replaced by <paramref name="fragment"/>.</summary>
    private static string Write(JsonNode root, JsonObject target, string name, string? fragment)
    {
        var text = new StringBuilder();
        Append(root);
        return text.ToString();

        void Append(JsonNode? node)
        {
            switch (node)
            {
                case JsonObject obj:
                {
                    text.Append('{');
                    var first = true;
                    foreach (var (key, value) in obj)
                    {
                        string? part = null;
                        if (ReferenceEquals(obj, target) && key == name)
                        {
                            if (fragment is null) continue;
                            part = fragment;
                        }
                        if (!first) text.Append(',');
                        first = false;
                        if (part is not null) text.Append(part);
                        else
                        {
                            text.Append(Quote(key)).Append(':');
                            Append(value);
                        }
                    }
                    text.Append('}');
                    break;
                }
                case JsonArray array:
                {
                    text.Append('[');
                    for (var i = 0; i < array.Count; i++)
                    {
                        if (i > 0) text.Append(',');
                        Append(array[i]);
                    }
                    text.Append(']');
                    break;
                }
                case null:
                    text.Append("null");
                    break;
                default:
                    text.Append(node.ToJsonString(Relaxed));
                    break;
            }
        }
    }

    private static JsonNode? Parse(byte[] bytes)
    {
        try
        {
            return JsonNode.Parse(bytes, documentOptions: new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
