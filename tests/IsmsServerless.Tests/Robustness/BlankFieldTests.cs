using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using IsmsServerless.Engine;
using IsmsServerless.Model;
using IsmsServerless.Observability;
using IsmsServerless.Tests.Support;

namespace IsmsServerless.Tests.Robustness;

/// <summary>
/// The whole class of "a blank string taken as present": every string field of every real payload the project holds
/// (and of the external corpus when it is beside the clone), one at a time, is replaced by an empty string, by whitespace
/// and by an invisible format character, including fields inside JSON carried in a string (Config's
/// <c>invokingEvent</c>). Each variant goes through the one evaluation path with every adapter and rule. Nothing may
/// throw, no rule may fail, and no evaluation may come out with a blank resource id, account id or region: a blank
/// field is absent, and the rule either falls back to another field or says nothing.
/// </summary>
[Collection(QuietLogCollection.Name)]
public sealed class BlankFieldTests : IDisposable
{
    /// <summary>What a blank field looks like in the wild: empty, whitespace, and text that shows as nothing.</summary>
    public static readonly string[] Blanks = ["", " \t ", "\u200B"];

    private static readonly EvaluationContext Context = TestContexts.At("2026-01-15T12:00:00Z");

    private static readonly JsonSerializerOptions Compact = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly TextWriter _previousLog = Log.Target;

    public BlankFieldTests() => Log.Target = TextWriter.Null;

    public void Dispose() => Log.Target = _previousLog;

    [Fact]
    public void Blanking_any_string_field_of_a_real_payload_never_yields_a_blank_id_or_a_failure()
    {
        var engine = RuleEngine.CreateDefault();
        var failures = new List<string>();
        var cases = 0;
        var evaluated = 0;
        foreach (var (name, root) in Seeds())
        {
            foreach (var path in StringLeaves(root, []))
            {
                foreach (var blank in Blanks)
                {
                    var mutated = root.DeepClone();
                    var replaced = SetAt(mutated, path, blank);
                    var payload = Encoding.UTF8.GetBytes(replaced.ToJsonString(Compact));
                    cases++;
                    var problem = Check(engine, payload, out var evaluations);
                    evaluated += evaluations;
                    if (problem is not null && failures.Count < 40)
                        failures.Add($"{name} at {Describe(path)} = {JsonSerializer.Serialize(blank)}: {problem}");
                }
            }
        }
        Assert.True(cases > 5_000, $"only {cases} blanked payloads; the corpus did not load");
        Assert.True(evaluated > 5_000, $"only {evaluated} evaluations from {cases} blanked payloads; the payloads no longer reach the rules");
        Assert.True(failures.Count == 0, $"{failures.Count}+ blanked payloads broke the contract (of {cases}):\n" + string.Join('\n', failures));
    }

    /// <summary>The cases the CloudTrail fuzzer found before this test existed (blank caller ARN, blank ARN on a console sign-in).</summary>
    [Theory]
    [InlineData("cloudtrail/raw-logfile-iam-createuser.json")]
    [InlineData("cloudtrail/raw-logfile-consolelogin-iamuser-success-nomfa.json")]
    public void A_blank_caller_arn_falls_back_and_never_becomes_the_resource(string fixture)
    {
        var root = JsonNode.Parse(Fixtures.Shared(fixture))!;
        var engine = RuleEngine.CreateDefault();
        var before = engine.Evaluate(Encoding.UTF8.GetBytes(root.ToJsonString(Compact)), Context).Evaluations;
        Assert.NotEmpty(before);
        foreach (var blank in Blanks)
        {
            var mutated = root.DeepClone();
            foreach (var identity in FindObjects(mutated, "userIdentity")) identity["arn"] = blank;
            var result = engine.Evaluate(Encoding.UTF8.GetBytes(mutated.ToJsonString(Compact)), Context);
            Assert.False(result.Rejected, result.Error);
            Assert.NotEmpty(result.Evaluations);
            Assert.All(result.Evaluations, e => Assert.False(Present.IsBlank(e.ResourceId), $"{e.Rule.Id} gave resource '{e.ResourceId}'"));
        }
    }

    /// <summary>The central helper: absent means null, empty, whitespace, control or format characters only.</summary>
    [Theory]
    [InlineData(null, true)]
    [InlineData("", true)]
    [InlineData(" \t\r\n", true)]
    [InlineData("\u200B\u200D\uFEFF", true)]
    [InlineData("\u0000\u001f", true)]
    [InlineData("\u00A0\u3000", true)]
    [InlineData("a", false)]
    [InlineData(" i-0123456789abcdef0 ", false)]
    [InlineData("\u200Bx", false)]
    public void Present_treats_invisible_text_as_absent(string? value, bool blank)
    {
        Assert.Equal(blank, Present.IsBlank(value));
        Assert.Equal(blank ? null : value, Present.OrNull(value));
    }

    private static string? Check(RuleEngine engine, byte[] payload, out int evaluations)
    {
        evaluations = 0;
        EngineResult result;
        try
        {
            result = engine.Evaluate(payload, Context);
        }
        catch (Exception ex)
        {
            return $"threw {ex.GetType().Name}: {ex.Message}";
        }
        if (result.Rejected) return string.IsNullOrWhiteSpace(result.Error) ? "rejected without a reason" : null;
        evaluations = result.Evaluations.Count;
        foreach (var e in result.Evaluations)
        {
            if (e.Outcome == Outcome.Rejected) return $"rule {e.Rule.Id} failed: {e.Message}";
            if (Present.IsBlank(e.ResourceId)) return $"rule {e.Rule.Id} gave a blank resource id {JsonSerializer.Serialize(e.ResourceId)}";
            if (Present.IsBlank(e.AccountId)) return $"rule {e.Rule.Id} gave a blank account id {JsonSerializer.Serialize(e.AccountId)}";
            if (Present.IsBlank(e.Region)) return $"rule {e.Rule.Id} gave a blank region {JsonSerializer.Serialize(e.Region)}";
            // An id built around a blank part: "arn:aws:iam::123456789012:user/ " or ".../\u200B" names nothing.
            var lastPart = e.ResourceId[(e.ResourceId.LastIndexOfAny(['/', ':']) + 1)..];
            if (Present.IsBlank(lastPart) || Present.IsBlank(e.ResourceId[..1]) || Present.IsBlank(e.ResourceId[^1..]))
                return $"rule {e.Rule.Id} built a resource id around a blank part: {JsonSerializer.Serialize(e.ResourceId)}";
        }
        return null;
    }

    /// <summary>
    /// Every payload once (a log file's records one by one, so a blanked field is judged in its own record, and a copy of
    /// the same bytes in two folders only once).
    /// </summary>
    private static IEnumerable<(string Name, JsonNode Root)> Seeds()
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (label, folder) in new[] { ("fixtures", Fixtures.SharedRoot), ("local", Fixtures.LocalRoot), ("external", Fixtures.ExternalRoot) })
        {
            if (!Directory.Exists(folder)) continue;
            foreach (var file in Directory.EnumerateFiles(folder, "*.json", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            {
                var bytes = File.ReadAllBytes(file);
                if (!seen.Add(Convert.ToHexString(SHA256.HashData(bytes)))) continue;
                JsonNode? root;
                try
                {
                    root = JsonNode.Parse(bytes, documentOptions: new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
                }
                catch (JsonException)
                {
                    continue;
                }
                if (root is not JsonObject) continue;
                var name = $"{label}:{Path.GetRelativePath(folder, file)}";
                if (root["Records"] is JsonArray records && records.Count > 0 && records.All(r => r is JsonObject))
                {
                    for (var i = 0; i < records.Count; i++) yield return ($"{name}#Records[{i}]", records[i]!.DeepClone());
                }
                else
                {
                    yield return (name, root);
                }
            }
        }
    }

    /// <summary>A step of a path: a property name, an array index, or "parse the JSON this string holds".</summary>
    private readonly record struct Step(string? Key, int Index, bool Embedded);

    private static IEnumerable<Step[]> StringLeaves(JsonNode? node, Step[] path)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (key, value) in obj)
                {
                    foreach (var leaf in StringLeaves(value, [.. path, new Step(key, -1, false)])) yield return leaf;
                }
                break;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    foreach (var leaf in StringLeaves(array[i], [.. path, new Step(null, i, false)])) yield return leaf;
                }
                break;
            case JsonValue value when value.GetValueKind() == JsonValueKind.String:
                yield return path;
                var text = value.GetValue<string>();
                if (text.TrimStart().StartsWith('{') && TryParse(text) is JsonObject inner)
                {
                    foreach (var leaf in StringLeaves(inner, [.. path, new Step(null, -1, true)])) yield return leaf;
                }
                break;
        }
    }

    /// <summary>Sets the string at <paramref name="path"/> (inside <paramref name="node"/>, mutated) and returns the root.</summary>
    private static JsonNode SetAt(JsonNode node, ReadOnlySpan<Step> path, string value)
    {
        var parent = node;
        for (var i = 0; i < path.Length; i++)
        {
            var step = path[i];
            var last = i == path.Length - 1;
            var embeddedNext = !last && path[i + 1].Embedded;
            if (last || embeddedNext)
            {
                JsonNode? replacement = value;
                if (embeddedNext)
                {
                    var inner = TryParse(Get(parent, step)!.GetValue<string>())!;
                    replacement = SetAt(inner, path[(i + 2)..], value).ToJsonString(Compact);
                }
                if (step.Key is not null) parent[step.Key] = replacement;
                else parent[step.Index] = replacement;
                return node;
            }
            parent = Get(parent, step)!;
        }
        return node;
    }

    private static JsonNode? Get(JsonNode parent, Step step) => step.Key is not null ? parent[step.Key] : parent[step.Index];

    private static JsonNode? TryParse(string text)
    {
        try
        {
            return JsonNode.Parse(text);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static IEnumerable<JsonObject> FindObjects(JsonNode? node, string key)
    {
        switch (node)
        {
            case JsonObject obj:
                if (obj[key] is JsonObject found) yield return found;
                foreach (var (_, value) in obj)
                {
                    foreach (var nested in FindObjects(value, key)) yield return nested;
                }
                break;
            case JsonArray array:
                foreach (var item in array)
                {
                    foreach (var nested in FindObjects(item, key)) yield return nested;
                }
                break;
        }
    }

    private static string Describe(Step[] path) =>
        "$" + string.Concat(path.Select(s => s.Embedded ? "(json)" : s.Key is not null ? $".{s.Key}" : $"[{s.Index}]"));
}
