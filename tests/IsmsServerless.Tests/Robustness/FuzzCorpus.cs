using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using IsmsServerless.Ingestion;
using IsmsServerless.Tests.Support;

namespace IsmsServerless.Tests.Robustness;

/// <summary>
/// Seeds for fuzzing: every real payload under the repository's <c>fixtures/events</c>, this project's <c>Fixtures/</c> and, when
/// present, the external collection (<c>../shared/fixtures/events</c>), plus the
/// objects nested inside them (log-file records, bundle entries, JSON carried in strings such as <c>invokingEvent</c> or
/// an SNS <c>Message</c>), so an adapter added later finds its seeds without anyone editing this file.
/// </summary>
public static class FuzzCorpus
{
    /// <summary>Every string value in a JSON tree, depth first (the rewrite tests compare string readers on each).</summary>
    public static IEnumerable<JsonElement> Strings(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.String:
                yield return element;
                break;
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    foreach (var s in Strings(property.Value)) yield return s;
                }
                break;
            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray())
                {
                    foreach (var s in Strings(item)) yield return s;
                }
                break;
        }
    }

    private static readonly Lazy<IReadOnlyList<Seed>> LazyAll = new(Load);

    public sealed record Seed(string Name, byte[] Bytes)
    {
        public override string ToString() => Name;
    }

    public static IReadOnlyList<Seed> All => LazyAll.Value;

    /// <summary>
    /// Every CloudTrail record object in the corpus, one each (log files and arrays split into their records, EventBridge
    /// events unwrapped), as fresh copies a test may mutate. <paramref name="seeds"/> narrows the seeds read (default: all).
    /// </summary>
    public static IEnumerable<JsonObject> CloudTrailRecords(Func<Seed, bool>? seeds = null)
    {
        foreach (var seed in All.Where(seeds ?? (_ => true)))
        {
            JsonNode? root;
            try
            {
                root = JsonNode.Parse(seed.Bytes);
            }
            catch (JsonException)
            {
                continue;
            }
            if (root is not JsonObject obj) continue;
            if (obj["Records"] is JsonArray records)
            {
                foreach (var r in records.OfType<JsonObject>()) if (r["eventSource"] is not null) yield return (JsonObject)r.DeepClone();
            }
            else if (obj["detail"] is JsonObject detail && detail["eventSource"] is not null) yield return (JsonObject)detail.DeepClone();
            else if (obj["eventSource"] is not null && obj["eventName"] is not null) yield return (JsonObject)obj.DeepClone();
        }
    }

    /// <summary>The seeds the router classifies and <paramref name="adapter"/> claims.</summary>
    public static IReadOnlyList<Seed> AcceptedBy(IEventAdapter adapter) => All.Where(seed =>
    {
        try
        {
            var inbound = EventRouter.Classify(seed.Bytes, out var document);
            using (document) return adapter.CanAdapt(inbound);
        }
        catch (EventRejectedException)
        {
            return false;
        }
    }).ToList();

    private static List<Seed> Load()
    {
        var seeds = new List<Seed>();
        // The repository's own payloads always; the external collection too when it is beside the clone.
        var roots = new[] { ("shared", Fixtures.SharedRoot), ("local", Fixtures.LocalRoot), ("external", Fixtures.ExternalRoot) };
        foreach (var (label, root) in roots)
        {
            if (!Directory.Exists(root)) continue;
            foreach (var file in Directory.EnumerateFiles(root, "*.json", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            {
                var bytes = File.ReadAllBytes(file);
                var name = $"{label}:{Path.GetRelativePath(root, file)}";
                seeds.Add(new Seed(name, bytes));
                AddNested(seeds, name, bytes);
            }
        }
        return seeds;
    }

    private static void AddNested(List<Seed> seeds, string name, byte[] bytes)
    {
        JsonDocument document;
        try
        {
            var span = bytes.AsMemory();
            if (span.Span.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF])) span = span[3..];
            document = JsonDocument.Parse(span, new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
        }
        catch (JsonException)
        {
            return;
        }
        using (document)
        {
            var added = 0;
            void Walk(JsonElement element, string path, int depth)
            {
                if (depth > 4 || added >= 50) return;
                switch (element.ValueKind)
                {
                    case JsonValueKind.Object:
                        if (depth > 0)
                        {
                            seeds.Add(new Seed($"{name}#{path}", Encoding.UTF8.GetBytes(element.GetRawText())));
                            added++;
                        }
                        foreach (var property in element.EnumerateObject()) Walk(property.Value, $"{path}.{property.Name}", depth + 1);
                        break;
                    case JsonValueKind.Array:
                        var index = 0;
                        foreach (var item in element.EnumerateArray()) Walk(item, $"{path}[{index++}]", depth + 1);
                        break;
                    case JsonValueKind.String:
                        // JSON carried as a string (Config's invokingEvent, SNS Message, SQS body): unwrap one level.
                        var text = element.GetString()!;
                        if (text.Length < 2 || text.TrimStart()[0] != '{') return;
                        try
                        {
                            using var inner = JsonDocument.Parse(text);
                            Walk(inner.RootElement, path + "(string)", depth + 1);
                        }
                        catch (JsonException)
                        {
                        }
                        break;
                }
            }
            Walk(document.RootElement, "$", 0);
        }
    }
}
