using System.Globalization;
using System.Text;
using System.Text.Json;
using IsmsServerless.Drift;
using IsmsServerless.Engine;
using IsmsServerless.Ingestion;
using IsmsServerless.Model;
using IsmsServerless.Tests.Robustness;

namespace IsmsServerless.Tests.Engine;

/// <summary>
/// Issue 20 (wave 7), per-event CPU of the Config / SSM / Inspector path: each piece re-written is compared with what it
/// replaced (kept here, verbatim, as the reference) on every fixture and on generated and hostile inputs.
/// </summary>
public sealed class CpuWave7ConfigRewriteTests
{
    private static readonly JsonDocumentOptions RouterOptions = new() { MaxDepth = 64, CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };

    /// <summary>Every value in every corpus payload (objects, arrays, strings, numbers, literals), parsed as the router does.</summary>
    private static List<JsonDocument> CorpusDocuments()
    {
        var documents = new List<JsonDocument>();
        foreach (var seed in FuzzCorpus.All)
        {
            try
            {
                var payload = seed.Bytes.AsSpan();
                if (payload is [0xEF, 0xBB, 0xBF, ..]) payload = payload[3..];
                documents.Add(JsonDocument.Parse(payload.ToArray(), RouterOptions));
            }
            catch (JsonException)
            {
            }
        }
        return documents;
    }

    private static IEnumerable<JsonElement> Values(JsonElement element)
    {
        yield return element;
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    foreach (var value in Values(property.Value)) yield return value;
                }
                break;
            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray())
                {
                    foreach (var value in Values(item)) yield return value;
                }
                break;
        }
    }

    private static JsonElement Element(string json)
    {
        using var document = JsonDocument.Parse(json, RouterOptions);
        return document.RootElement.Clone();
    }

    // ---- The router's envelope reads: constants and UTF-8 time vs LenientString (02fcf04) -------------------------------

    /// <summary>EventRouter.LenientString as of 02fcf04, verbatim.</summary>
    private static string? OldLenientString(JsonElement value)
    {
        return value.ValueKind switch
        {
            JsonValueKind.String => Present.OrNull(value.GetString()),
            JsonValueKind.True => "true",
            JsonValueKind.False => "false",
            JsonValueKind.Number => value.TryGetInt64(out var l) ? l.ToString(System.Globalization.CultureInfo.InvariantCulture)
                : value.TryGetDouble(out var d) ? d.ToString("R", System.Globalization.CultureInfo.InvariantCulture) : value.GetRawText(),
            _ => null,
        };
    }

    private static void AssertEnvelopeReadsLikeBefore(JsonElement value)
    {
        Assert.Equal(OldLenientString(value), EnvelopeText.Read(value));
        Assert.Equal(Timestamps.ParseOrNull(OldLenientString(value)), EnvelopeText.Time(value));
    }

    [Fact]
    public void Envelope_reads_match_the_lenient_read_on_every_value_of_every_fixture()
    {
        var compared = 0;
        var constants = 0;
        foreach (var document in CorpusDocuments())
        {
            using (document)
            {
                foreach (var value in Values(document.RootElement))
                {
                    AssertEnvelopeReadsLikeBefore(value);
                    compared++;
                    if (value.ValueKind == JsonValueKind.String && EnvelopeText.Values.Contains(value.GetString())) constants++;
                }
            }
        }
        Assert.True(compared > 10_000, $"only {compared} values compared");
        Assert.True(constants > 100, $"only {constants} values were table constants");
    }

    [Fact]
    public void Envelope_reads_match_the_lenient_read_on_near_constants_and_hostile_text()
    {
        var texts = new List<string>();
        foreach (var value in EnvelopeText.Values)
        {
            texts.Add(value);
            texts.Add(value.ToUpperInvariant());
            texts.Add(value.ToLowerInvariant());
            texts.Add(value + " ");
            texts.Add(" " + value);
            texts.Add(value[..^1]);
            texts.Add(value + value[^1]);
            texts.Add(value[..^1] + (char)(value[^1] + 1));
            texts.Add("ſ" + value[1..]);
            texts.Add(value.Replace('-', '\u2011'));
        }
        texts.AddRange(["", " ", "\t", "\u00a0", "aws", new string('a', 64), new string('a', 65), "🙂", "aws.config\u0000"]);
        var compared = 0;
        foreach (var text in texts)
        {
            // As the default encoder writes it, with every character escaped, and with one escape in the middle.
            AssertEnvelopeReadsLikeBefore(Element(JsonSerializer.Serialize(text)));
            AssertEnvelopeReadsLikeBefore(Element("\"" + string.Concat(text.Select(c => $"\\u{(int)c:X4}")) + "\""));
            if (text.Length > 2)
                AssertEnvelopeReadsLikeBefore(Element(JsonSerializer.Serialize(text[..1]).TrimEnd('"') + $"\\u{(int)text[1]:x4}" + JsonSerializer.Serialize(text[2..]).TrimStart('"')));
            compared += 3;
        }
        foreach (var json in (string[])["null", "true", "false", "0", "-1", "1.5", "1e3", "123456789012", "12345678901234567890123", "{}", "[]", "{\"a\":\"aws.ssm\"}", "[\"aws.ssm\"]"])
        {
            AssertEnvelopeReadsLikeBefore(Element(json));
            compared++;
        }
        AssertEnvelopeReadsLikeBefore(default);
        Assert.True(compared > 1000, $"only {compared} values compared");
    }

    [Fact]
    public void Envelope_time_matches_the_lenient_parse_on_generated_timestamps()
    {
        var random = new Random(20_260_707);
        var compared = 0;
        string Two(int value) => value.ToString("00", CultureInfo.InvariantCulture);
        for (var i = 0; i < 20_000; i++)
        {
            // Fields mostly in range, sometimes just out of it (month 13, day 32, 24:00, second 60, year 0000, 1989, 2100).
            var year = random.Next(8) switch { 0 => 0, 1 => 1989, 2 => 2100, 3 => 9999, _ => random.Next(1990, 2100) };
            var month = random.Next(10) == 0 ? random.Next(0, 20) : random.Next(1, 13);
            var day = random.Next(10) == 0 ? random.Next(0, 40) : random.Next(1, 32);
            var hour = random.Next(20) == 0 ? 24 : random.Next(24);
            var minute = random.Next(20) == 0 ? 60 : random.Next(60);
            var second = random.Next(20) == 0 ? 60 : random.Next(60);
            var text = $"{year:0000}-{Two(month)}-{Two(day)}T{Two(hour)}:{Two(minute)}:{Two(second)}";
            text += random.Next(6) switch
            {
                0 => "Z",
                1 => $".{random.Next(1000):000}Z",
                2 => $".{random.Next(100):00}Z",
                3 => "z",
                4 => "+00:00",
                _ => $".{random.Next(1000):000}{(random.Next(2) == 0 ? "Z" : "")}",
            };
            // Now and then a character swapped for another digit, a letter, a blank or an escape of itself.
            var mutated = random.Next(5) == 0 ? Mutate(text, random) : JsonSerializer.Serialize(text);
            AssertEnvelopeReadsLikeBefore(Element(mutated));
            compared++;
        }
        Assert.Equal(20_000, compared);

        static string Mutate(string text, Random random)
        {
            var at = random.Next(text.Length);
            var replacement = random.Next(4) switch
            {
                0 => ((char)('0' + random.Next(10))).ToString(),
                1 => "x",
                2 => " ",
                _ => $"\\u{(int)text[at]:X4}",
            };
            return "\"" + text[..at] + replacement + text[(at + 1)..] + "\"";
        }
    }

    // ---- Json.Get: the case-insensitive fallback, one name check per property vs per name (02fcf04) --------------------

    /// <summary>Json.Get and its name comparison as of 02fcf04, verbatim.</summary>
    private static JsonElement OldGet(JsonElement element, params ReadOnlySpan<string> names)
    {
        if (element.ValueKind != JsonValueKind.Object) return default;
        foreach (var name in names)
        {
            if (element.TryGetProperty(name, out var exact)) return exact;
        }
        foreach (var property in element.EnumerateObject())
        {
            foreach (var name in names)
            {
                if (OldNameEqualsIgnoreCase(property, name)) return property.Value;
            }
        }
        return default;
    }

    private static bool OldNameEqualsIgnoreCase(JsonProperty property, string name)
    {
        var raw = System.Runtime.InteropServices.JsonMarshal.GetRawUtf8PropertyName(property);
        if (raw.Contains((byte)'\\')) return string.Equals(property.Name, name, StringComparison.OrdinalIgnoreCase);
        if (!System.Text.Ascii.IsValid(raw)) return !System.Text.Ascii.IsValid(name) && string.Equals(property.Name, name, StringComparison.OrdinalIgnoreCase);
        return System.Text.Ascii.EqualsIgnoreCase(raw, name);
    }

    /// <summary>The same element (same document, same position) or both undefined.</summary>
    private static void AssertSameElement(JsonElement expected, JsonElement actual)
    {
        Assert.Equal(expected.ValueKind, actual.ValueKind);
        if (expected.ValueKind == JsonValueKind.Undefined) return;
        Assert.Equal(expected.GetRawText(), actual.GetRawText());
        Assert.True(JsonElement.DeepEquals(expected, actual));
        // Position, not only text: a duplicate with the same text elsewhere would compare equal by text alone.
        var expectedBytes = System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(expected);
        var actualBytes = System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(actual);
        Assert.True(System.Runtime.CompilerServices.Unsafe.AreSame(
            ref System.Runtime.InteropServices.MemoryMarshal.GetReference(expectedBytes),
            ref System.Runtime.InteropServices.MemoryMarshal.GetReference(actualBytes)), "a different element of the same text");
    }

    [Fact]
    public void Get_matches_the_previous_one_on_every_object_of_every_fixture()
    {
        var compared = 0;
        foreach (var document in CorpusDocuments())
        {
            using (document)
            {
                foreach (var value in Values(document.RootElement))
                {
                    if (value.ValueKind != JsonValueKind.Object) continue;
                    var names = value.EnumerateObject().Select(p => p.Name).Distinct().ToList();
                    // Every name as it is, in other case, absent, and in pairs (the first found wins).
                    foreach (var name in names.Take(12))
                    {
                        foreach (var asked in (string[])[name, name.ToUpperInvariant(), name.ToLowerInvariant(), name + "x", "x" + name])
                        {
                            AssertSameElement(OldGet(value, asked), Json.Get(value, asked));
                            AssertSameElement(OldGet(value, "absent", asked), Json.Get(value, "absent", asked));
                            AssertSameElement(OldGet(value, asked, names[0]), Json.Get(value, asked, names[0]));
                            compared += 3;
                        }
                    }
                    AssertSameElement(OldGet(value, "KmsMasterKeyId", "kmsMasterKeyId"), Json.Get(value, "KmsMasterKeyId", "kmsMasterKeyId"));
                }
            }
        }
        Assert.True(compared > 20_000, $"only {compared} lookups compared");
    }

    [Fact]
    public void Get_matches_the_previous_one_on_generated_and_hostile_names()
    {
        // Near-names: other case, escapes (\u0041), non-ASCII that folds or looks like ASCII (ſ, K Kelvin, ı, İ, fullwidth),
        // duplicates in both cases, empty names, long names.
        string[] fragments = ["a", "A", "k", "K", "\u212A", "s", "S", "\u017F", "i", "I", "\u0131", "\u0130", "\uFF21", "-", "_", "é", "É", "1", "🙂"];
        var random = new Random(7);
        var compared = 0;
        for (var i = 0; i < 3_000; i++)
        {
            var properties = new List<string>();
            var count = random.Next(0, 8);
            for (var p = 0; p < count; p++)
            {
                var name = string.Concat(Enumerable.Range(0, random.Next(0, 5)).Select(_ => fragments[random.Next(fragments.Length)]));
                var spelled = random.Next(3) switch
                {
                    0 => JsonSerializer.Serialize(name),
                    1 => "\"" + string.Concat(name.Select(c => $"\\u{(int)c:X4}")) + "\"",
                    _ => "\"" + name + "\"",
                };
                properties.Add($"{spelled}:{p}");
            }
            var element = Element("{" + string.Join(",", properties) + "}");
            for (var q = 0; q < 6; q++)
            {
                var asked = string.Concat(Enumerable.Range(0, random.Next(0, 5)).Select(_ => fragments[random.Next(fragments.Length)]));
                var other = string.Concat(Enumerable.Range(0, random.Next(0, 5)).Select(_ => fragments[random.Next(fragments.Length)]));
                AssertSameElement(OldGet(element, asked), Json.Get(element, asked));
                AssertSameElement(OldGet(element, asked, other), Json.Get(element, asked, other));
                compared += 2;
            }
        }
        foreach (var json in (string[])["null", "[]", "\"KmsMasterKeyId\"", "1"])
        {
            AssertSameElement(OldGet(Element(json), "KmsMasterKeyId"), Json.Get(Element(json), "KmsMasterKeyId"));
        }
        Assert.Equal(36_000, compared);
    }

    // ---- Baseline: the requirement indexer and the evidence tag -------------------------------------------------------

    private static IEnumerable<Baseline> EveryBaseline()
    {
        var seen = new HashSet<Baseline>(ReferenceEqualityComparer.Instance);
        foreach (var rule in RuleRegistry.CreateDefault().Rules)
        {
            foreach (var property in rule.GetType().GetProperties().Where(p => p.PropertyType == typeof(Baseline) && p.GetIndexParameters().Length == 0))
            {
                if (property.GetValue(rule) is Baseline baseline && seen.Add(baseline)) yield return baseline;
            }
        }
    }

    [Fact]
    public void Baseline_indexer_and_tag_match_linq_and_the_format_string_for_every_baseline()
    {
        var baselines = EveryBaseline().ToList();
        Assert.True(baselines.Count >= 10, $"only {baselines.Count} baselines found");
        foreach (var baseline in baselines)
        {
            foreach (var requirement in baseline.Requirements)
                Assert.Same(baseline.Requirements.First(r => r.Id == requirement.Id), baseline[requirement.Id]);
            foreach (var unknown in (string[])["", "unknown", baseline.Requirements[0].Id.ToUpperInvariant() + "x"])
            {
                var expected = Assert.Throws<InvalidOperationException>(() => baseline.Requirements.First(r => r.Id == unknown));
                var actual = Assert.Throws<InvalidOperationException>(() => baseline[unknown]);
                Assert.Equal(expected.Message, actual.Message);
            }
            Assert.Equal($"{baseline.ResourceType}@{baseline.Version}", baseline.Tag);
            Assert.Same(baseline.Tag, baseline.Tag);
            // A copy with another type or version tags itself, not the original; equality is by value as before.
            var copy = baseline with { Version = baseline.Version + ".1" };
            Assert.Equal($"{baseline.ResourceType}@{baseline.Version}.1", copy.Tag);
            Assert.Equal($"AWS::Other::Type@{baseline.Version}", (baseline with { ResourceType = "AWS::Other::Type" }).Tag);
            Assert.Equal(baseline, new Baseline(baseline.ResourceType, baseline.Version, baseline.Requirements));
        }
    }

    // ---- LoneSurrogates.Repair: the "may hold a surrogate escape" pre-check vs a search for "\u" (02fcf04) ---------------

    /// <summary>LoneSurrogates.Repair as of 02fcf04, verbatim (with its two helpers).</summary>
    private static ReadOnlyMemory<byte> OldRepair(ReadOnlyMemory<byte> payload, out int repaired)
    {
        const int EscapeLength = 6;
        repaired = 0;
        var span = payload.Span;
        if (span.IndexOf("\\u"u8) < 0) return payload;
        byte[]? copy = null;
        var i = 0;
        while (i <= span.Length - EscapeLength)
        {
            var next = span[i..].IndexOf("\\u"u8);
            if (next < 0) break;
            i += next;
            if (i > span.Length - EscapeLength) break;
            if (!OldIsEscape(span, i) || !OldTryHex(span.Slice(i + 2, 4), out var unit)) { i += 2; continue; }
            if (unit is >= 0xD800 and <= 0xDBFF
                && i + 2 * EscapeLength <= span.Length && span[i + EscapeLength] == '\\' && span[i + EscapeLength + 1] == 'u'
                && OldTryHex(span.Slice(i + EscapeLength + 2, 4), out var low) && low is >= 0xDC00 and <= 0xDFFF)
            {
                i += 2 * EscapeLength;
                continue;
            }
            if (unit is >= 0xD800 and <= 0xDFFF)
            {
                copy ??= span.ToArray();
                "\\uFFFD"u8.CopyTo(copy.AsSpan(i));
                repaired++;
            }
            i += EscapeLength;
        }
        return copy ?? payload;
    }

    private static bool OldIsEscape(ReadOnlySpan<byte> span, int at)
    {
        var backslashes = 0;
        for (var j = at - 1; j >= 0 && span[j] == '\\'; j--) backslashes++;
        return backslashes % 2 == 0;
    }

    private static bool OldTryHex(ReadOnlySpan<byte> hex, out int value)
    {
        value = 0;
        foreach (var b in hex)
        {
            var digit = b switch
            {
                >= (byte)'0' and <= (byte)'9' => b - '0',
                >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
                >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
                _ => -1,
            };
            if (digit < 0) return false;
            value = (value << 4) | digit;
        }
        return true;
    }

    private static void AssertRepairsLikeBefore(byte[] payload)
    {
        var expected = OldRepair(payload, out var expectedCount);
        var actual = LoneSurrogates.Repair(payload, out var actualCount);
        Assert.Equal(expectedCount, actualCount);
        Assert.Equal(expected.ToArray(), actual.ToArray());
        // Unchanged payloads are returned as they came (no copy), as before.
        Assert.Equal(expected.Equals((ReadOnlyMemory<byte>)payload), actual.Equals((ReadOnlyMemory<byte>)payload));
        var naive = false;
        for (var i = 0; i + 2 < payload.Length; i++) naive |= payload[i] == '\\' && payload[i + 1] == 'u' && (payload[i + 2] == 'd' || payload[i + 2] == 'D');
        Assert.Equal(naive, LoneSurrogates.MayHoldSurrogateEscape(payload));
    }

    [Fact]
    public void Surrogate_repair_matches_the_previous_one_on_every_fixture_and_its_embedded_json()
    {
        var compared = 0;
        foreach (var seed in FuzzCorpus.All)
        {
            AssertRepairsLikeBefore(seed.Bytes);
            compared++;
        }
        foreach (var document in CorpusDocuments())
        {
            using (document)
            {
                foreach (var value in Values(document.RootElement))
                {
                    if (value.ValueKind != JsonValueKind.String) continue;
                    var text = value.GetString()!;
                    if (text.Length < 2 || (text[0] != '{' && text[0] != '[')) continue;
                    AssertRepairsLikeBefore(Encoding.UTF8.GetBytes(text));
                    compared++;
                }
            }
        }
        Assert.True(compared > 200, $"only {compared} payloads compared");
    }

    [Fact]
    public void Surrogate_repair_matches_the_previous_one_on_generated_escape_runs_in_every_lane()
    {
        // Escapes of every kind at every offset of a 16-byte block and across block ends: pairs, lone halves in both cases,
        // escaped backslashes before "u", near misses (\u0064, \uDG00, \uD8), and the text cut anywhere.
        string[] pieces = ["\\ud800", "\\uD800", "\\udc00", "\\uDFFF", "\\ud83d\\ude00", "\\uD83D\\uDE00", "\\\\ud800", "\\\\\\ud800", "\\u0064", "\\uDG00",
            "\\uD8", "\\ud", "\\u", "\\", "\\\"", "\\n", "u", "d", "D", "x", "\"", "é", "\\u00e9", "\\ue000"];
        var random = new Random(2026);
        var compared = 0;
        for (var i = 0; i < 20_000; i++)
        {
            var text = new StringBuilder(new string('a', random.Next(0, 17)));
            var count = random.Next(0, 6);
            for (var p = 0; p < count; p++) text.Append(pieces[random.Next(pieces.Length)]).Append('a', random.Next(0, 20));
            var bytes = Encoding.UTF8.GetBytes(text.ToString());
            AssertRepairsLikeBefore(bytes);
            AssertRepairsLikeBefore(bytes[..random.Next(bytes.Length + 1)]);
            compared += 2;
        }
        for (var offset = 0; offset < 40; offset++)
        {
            foreach (var piece in pieces)
            {
                AssertRepairsLikeBefore(Encoding.UTF8.GetBytes(new string('a', offset) + piece));
                AssertRepairsLikeBefore(Encoding.UTF8.GetBytes(new string('a', offset) + piece + new string('b', 40 - offset)));
                compared += 2;
            }
        }
        AssertRepairsLikeBefore([]);
        Assert.True(compared > 40_000);
    }
}
