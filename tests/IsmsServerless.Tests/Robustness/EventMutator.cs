using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace IsmsServerless.Tests.Robustness;

/// <summary>Ways to damage a real payload, each one a shape of bad input seen in the wild or in attacks.</summary>
public enum Mutation
{
    /// <summary>Cut short (a truncated S3 object, a partial HTTP body).</summary>
    Truncate,
    /// <summary>Random bytes overwritten: invalid UTF-8, broken tokens.</summary>
    FlipBytes,
    /// <summary>A property removed anywhere in the tree.</summary>
    DeleteField,
    /// <summary>A value replaced by one of another JSON type (object where a string was, null, number...).</summary>
    SwapType,
    /// <summary>A string value replaced by an injection, control-character, odd-date or odd-identifier string.</summary>
    HostileString,
    /// <summary>A string value replaced by a very long one (up to past the router's size cap).</summary>
    HugeString,
    /// <summary>A value replaced by deeply nested arrays and objects (past the router's depth cap).</summary>
    DeepNesting,
    /// <summary>A value (or the whole payload) replaced by random JSON.</summary>
    RandomJson,
    /// <summary>A property repeated with another value (JSON allows it; readers disagree on which wins).</summary>
    DuplicateKey,
    /// <summary>A value replaced by an extreme number (1e400, -0, 2^64...).</summary>
    ExtremeNumber,
}

/// <summary>
/// Applies <see cref="Mutation"/>s to a real payload, deterministically from a seed, so a failing case printed by FsCheck
/// (fixture, mutations, seed) reproduces exactly.
/// </summary>
public static class EventMutator
{
    public static readonly Mutation[] All = Enum.GetValues<Mutation>();

    private static readonly string[] HostileStrings =
    [
        "", " ", "\u0000", "\u0000\u0001\u001f", "\r\n{\"level\":\"ERROR\",\"message\":\"forged log line\"}", "\u202Egnp.exe", "😀\u200D😀", "İıſK",
        "<script>alert(1)</script>", "\"><img src=x onerror=alert(1)>", "'; DROP TABLE findings;--", "${jndi:ldap://127.0.0.1/a}",
        "%s%s%n%x", "../../../../etc/passwd", "\\\\?\\C:\\", "*", "?", "#", "|", "::", ":::::", "arn:", "arn:aws:iam::", "arn:aws:iam::123456789012:root",
        "AWS::::Account", "AWS::S3::Bucket", "true", "false", "null", "0", "-1", "NaN", "Infinity", "1e400",
        "1970-01-01T00:00:00Z", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59.9999999Z", "2026-02-30T25:61:61Z", "2014-03-24T21:11:59",
        "Mar 24, 2014 9:11:59 PM", "Wed Sep 04 16:59:44.356 UTC 2024", "1700000000", "2024-09-04T16:59:44.356+14:00", "-0001-01-01T00:00:00Z",
        "ConsoleLogin", "Root", "No", "Yes", "Failure", "signin.amazonaws.com", "ConfigurationItemChangeNotification", "DELETE", "ResourceDeleted",
        "CRITICAL", "UNTRIAGED", "ACTIVE", "CLOSED", "NON_COMPLIANT",
    ];

    private static readonly string[] ExtremeNumbers =
    [
        "1e400", "-1e400", "-0", "0.0000000000000000000000001", "18446744073709551616", "-9223372036854775809", "2147483648", "1E+2", "123456789012345678901234567890",
    ];

    // Relaxed escaping keeps non-ASCII and markup as raw UTF-8, as real payloads carry them.
    private static readonly JsonSerializerOptions Compact = new() { WriteIndented = false, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static byte[] Apply(byte[] original, IReadOnlyList<Mutation> mutations, int seed)
    {
        var random = new Random(seed);
        var bytes = original;
        // Structural mutations need parseable JSON, so they go first; byte-level damage comes last.
        foreach (var mutation in mutations.OrderBy(m => m is Mutation.Truncate or Mutation.FlipBytes ? 1 : 0))
            bytes = ApplyOne(bytes, mutation, random);
        return bytes;
    }

    private static byte[] ApplyOne(byte[] bytes, Mutation mutation, Random random)
    {
        try
        {
            return ApplyUnchecked(bytes, mutation, random);
        }
        catch (Exception ex) when (ex is InvalidOperationException or ArgumentException or JsonException)
        {
            // JsonNode is lazy: a damaged payload it parsed may still fail when walked. Damage it as bytes instead.
            return ApplyUnchecked(bytes, Mutation.FlipBytes, random);
        }
    }

    private static byte[] ApplyUnchecked(byte[] bytes, Mutation mutation, Random random)
    {
        switch (mutation)
        {
            case Mutation.Truncate:
                return bytes.Length == 0 ? bytes : bytes[..random.Next(bytes.Length)];
            case Mutation.FlipBytes:
            {
                var copy = (byte[])bytes.Clone();
                var flips = random.Next(1, 9);
                for (var i = 0; i < flips && copy.Length > 0; i++) copy[random.Next(copy.Length)] = (byte)random.Next(256);
                return copy;
            }
            case Mutation.DuplicateKey:
                return DuplicateKey(bytes, random);
            default:
                var root = TryParse(bytes);
                if (root is null) return ApplyOne(bytes, Mutation.FlipBytes, random);
                if (mutation == Mutation.RandomJson && random.Next(4) == 0) return RandomJsonBytes(random, 4);
                var slots = Slots(root);
                if (slots.Count == 0) return RandomJsonBytes(random, 3);
                var slot = PickFor(mutation, slots, random);
                var replacement = mutation switch
                {
                    Mutation.DeleteField => null,
                    Mutation.SwapType => SwapType(slot.Node, random),
                    Mutation.HostileString => JsonValue.Create(HostileStrings[random.Next(HostileStrings.Length)]),
                    Mutation.HugeString => JsonValue.Create(HugeString(random)),
                    Mutation.DeepNesting => Nest(random.Next(10, 300), random),
                    Mutation.ExtremeNumber => JsonNode.Parse(ExtremeNumbers[random.Next(ExtremeNumbers.Length)]),
                    _ => RandomJson(random, 3),
                };
                if (mutation == Mutation.DeleteField)
                {
                    if (slot.Parent is JsonObject obj) obj.Remove(slot.Key!);
                    else if (slot.Parent is JsonArray array) array.RemoveAt(slot.Index);
                }
                else
                {
                    Replace(slot, replacement);
                }
                // Deep nesting past the writer's own limit cannot be serialized through JsonNode; write it as text.
                return Serialize(root);
        }
    }

    private static byte[] Serialize(JsonNode root)
    {
        try
        {
            return Encoding.UTF8.GetBytes(root.ToJsonString(Compact));
        }
        catch (JsonException)
        {
            // Nesting deeper than the serializer's limit: emit the same shape as raw text instead.
            return Encoding.UTF8.GetBytes(new string('[', 400) + new string(']', 400));
        }
        catch (InvalidOperationException)
        {
            return Encoding.UTF8.GetBytes(new string('[', 400) + new string(']', 400));
        }
    }

    private static JsonNode? TryParse(byte[] bytes)
    {
        var span = bytes.AsSpan();
        if (span.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF])) span = span[3..];
        // JsonNode reads strings lazily and would throw on invalid UTF-8 later, mid-mutation; such bytes stay bytes.
        if (!System.Text.Unicode.Utf8.IsValid(span)) return null;
        try
        {
            // JsonNode cannot hold duplicate keys (an earlier DuplicateKey mutation): such a payload is damaged as bytes only.
            return JsonNode.Parse(span, documentOptions: new JsonDocumentOptions
            {
                AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip, MaxDepth = 512, AllowDuplicateProperties = false,
            });
        }
        catch (Exception ex) when (ex is JsonException or ArgumentException or InvalidOperationException)
        {
            return null;
        }
    }

    private sealed record Slot(JsonNode? Parent, string? Key, int Index, JsonNode? Node);

    private static List<Slot> Slots(JsonNode root)
    {
        var slots = new List<Slot>();
        void Walk(JsonNode? node, int depth)
        {
            if (depth > 40) return;
            switch (node)
            {
                case JsonObject obj:
                    foreach (var (key, value) in obj)
                    {
                        slots.Add(new Slot(obj, key, -1, value));
                        Walk(value, depth + 1);
                    }
                    break;
                case JsonArray array:
                    for (var i = 0; i < array.Count; i++)
                    {
                        slots.Add(new Slot(array, null, i, array[i]));
                        Walk(array[i], depth + 1);
                    }
                    break;
            }
        }
        Walk(root, 0);
        return slots;
    }

    private static Slot PickFor(Mutation mutation, List<Slot> slots, Random random)
    {
        // Hostile and huge strings replace strings where there are some: that is where attacker text arrives.
        if (mutation is Mutation.HostileString or Mutation.HugeString)
        {
            var strings = slots.Where(s => s.Node is JsonValue v && v.GetValueKind() == JsonValueKind.String).ToList();
            if (strings.Count > 0) return strings[random.Next(strings.Count)];
        }
        return slots[random.Next(slots.Count)];
    }

    private static void Replace(Slot slot, JsonNode? replacement)
    {
        if (slot.Parent is JsonObject obj) obj[slot.Key!] = replacement;
        else if (slot.Parent is JsonArray array) array[slot.Index] = replacement;
    }

    private static JsonNode? SwapType(JsonNode? current, Random random)
    {
        var kind = current?.GetValueKind() ?? JsonValueKind.Null;
        var options = new Func<JsonNode?>[]
        {
            () => null,
            () => JsonValue.Create(random.Next(-5, 100_000)),
            () => JsonValue.Create(random.NextDouble() * 1e6),
            () => JsonValue.Create(random.Next(2) == 0),
            () => JsonValue.Create("x" + random.Next(1000)),
            () => new JsonArray(),
            () => new JsonArray(JsonValue.Create("a"), JsonValue.Create(1)),
            () => new JsonObject(),
            () => new JsonObject { ["unexpected"] = "shape" },
        };
        while (true)
        {
            var candidate = options[random.Next(options.Length)]();
            if ((candidate?.GetValueKind() ?? JsonValueKind.Null) != kind) return candidate;
        }
    }

    private static string HugeString(Random random)
    {
        // Mostly large-but-legal; now and then past EventRouter.MaxPayloadBytes (4 MiB) to exercise the size cap.
        if (random.Next(40) == 0) return new string('A', 4_300_000);
        var length = random.Next(1_000, 100_000);
        var unit = random.Next(3) switch { 0 => "A", 1 => "é", _ => "\\\"<>&" };
        var builder = new StringBuilder(length + unit.Length);
        while (builder.Length < length) builder.Append(unit);
        return builder.ToString();
    }

    private static JsonNode Nest(int depth, Random random)
    {
        JsonNode node = JsonValue.Create("bottom");
        for (var i = 0; i < depth; i++) node = random.Next(2) == 0 ? new JsonArray(node) : new JsonObject { ["n"] = node };
        return node;
    }

    private static byte[] RandomJsonBytes(Random random, int depth) =>
        Encoding.UTF8.GetBytes(RandomJson(random, depth)?.ToJsonString(Compact) ?? "null");

    private static JsonNode? RandomJson(Random random, int depth)
    {
        var pick = random.Next(depth <= 0 ? 5 : 7);
        switch (pick)
        {
            case 0: return null;
            case 1: return JsonValue.Create(random.Next(2) == 0);
            case 2: return JsonValue.Create(random.Next(int.MinValue, int.MaxValue));
            case 3: return JsonValue.Create(random.NextDouble());
            case 4: return JsonValue.Create(HostileStrings[random.Next(HostileStrings.Length)]);
            case 5:
            {
                var array = new JsonArray();
                for (var i = random.Next(4); i > 0; i--) array.Add(RandomJson(random, depth - 1));
                return array;
            }
            default:
            {
                var obj = new JsonObject();
                // Mostly keys the adapters look for, so random trees reach past the first type check.
                string[] keys = ["detail-type", "source", "detail", "Records", "eventName", "eventSource", "eventVersion", "eventTime", "userIdentity",
                    "invokingEvent", "configRuleName", "configurationItem", "resourceType", "findings", "resources", "id", "account", "time", "region"];
                for (var i = random.Next(5); i > 0; i--) obj[keys[random.Next(keys.Length)]] = RandomJson(random, depth - 1);
                return obj;
            }
        }
    }

    private static byte[] DuplicateKey(byte[] bytes, Random random)
    {
        var root = TryParse(bytes);
        var objects = root is null ? [] : Slots(root).Select(s => s.Node).OfType<JsonObject>().Where(o => o.Count > 0).ToList();
        if (root is JsonObject top && top.Count > 0) objects.Add(top);
        if (objects.Count == 0) return ApplyOne(bytes, Mutation.FlipBytes, random);
        var target = objects[random.Next(objects.Count)];
        var key = target.ElementAt(random.Next(target.Count)).Key;
        // JsonObject refuses duplicate keys, so mark the object and splice the duplicate in as text.
        const string marker = "__isms_fuzz_marker__";
        target[marker] = true;
        var text = root!.ToJsonString(Compact);
        var duplicate = JsonSerializer.Serialize(key) + ":" + (RandomJson(random, 2)?.ToJsonString(Compact) ?? "null");
        return Encoding.UTF8.GetBytes(text.Replace($"\"{marker}\":true", duplicate, StringComparison.Ordinal));
    }
}
