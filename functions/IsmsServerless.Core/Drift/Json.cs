using System.Globalization;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Text;
using System.Text.Json;

namespace IsmsServerless.Drift;

/// <summary>
/// Lenient reads over Config and CloudTrail JSON. Config spells the same field differently across delivery shapes
/// (<c>ARN</c>/<c>arn</c>, <c>awsAccountId</c>/<c>accountId</c>) and EC2's CloudTrail records wrap lists in
/// <c>{"items": [...]}</c>, so every lookup here is case-insensitive and list reads accept both forms.
/// </summary>
public static class Json
{
    /// <summary>The first of <paramref name="names"/> present on <paramref name="element"/> (exact case first, then any case).</summary>
    public static JsonElement Get(JsonElement element, params ReadOnlySpan<string> names)
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
                if (NameEqualsIgnoreCase(property, name)) return property.Value;
            }
        }
        return default;
    }

    /// <summary>
    /// <c>string.Equals(property.Name, name, OrdinalIgnoreCase)</c> without decoding the name into a new string (the
    /// fallback above walks every property of a configuration, for every rule's lookup of a field that is absent).
    /// Names with escapes are decoded as before; a non-ASCII name never equals the ASCII field names rules ask for.
    /// </summary>
    private static bool NameEqualsIgnoreCase(JsonProperty property, string name)
    {
        var raw = System.Runtime.InteropServices.JsonMarshal.GetRawUtf8PropertyName(property);
        if (raw.Contains((byte)'\\')) return string.Equals(property.Name, name, StringComparison.OrdinalIgnoreCase);
        if (!System.Text.Ascii.IsValid(raw)) return !System.Text.Ascii.IsValid(name) && string.Equals(property.Name, name, StringComparison.OrdinalIgnoreCase);
        return System.Text.Ascii.EqualsIgnoreCase(raw, name);
    }

    /// <summary>Follows a dotted path (each segment case-insensitive).</summary>
    public static JsonElement Path(JsonElement element, string dottedPath)
    {
        var current = element;
        foreach (var segment in dottedPath.Split('.'))
        {
            current = Get(current, segment);
            if (current.ValueKind == JsonValueKind.Undefined) return default;
        }
        return current;
    }

    /// <summary>A string, number or boolean as text; null for anything else and for a blank string (<see cref="Model.Present"/>).</summary>
    public static string? Text(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.String => Model.Present.OrNull(element.GetString()),
        JsonValueKind.Number => element.GetRawText(),
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        _ => null,
    };

    public static string? Text(JsonElement element, params ReadOnlySpan<string> names) => Text(Get(element, names));

    /// <summary>A boolean, also from the strings Config and CloudTrail use ("true", "false"); null when absent or odd.</summary>
    public static bool? Bool(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        JsonValueKind.String when bool.TryParse(element.GetString(), out var b) => b,
        _ => null,
    };

    public static long? WholeNumber(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Number when element.TryGetInt64(out var l) => l,
        JsonValueKind.String when long.TryParse(element.GetString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var l) => l,
        _ => null,
    };

    /// <summary>Array elements, whether the array is bare or wrapped as <c>{"items": [...]}</c> (EC2's CloudTrail form).</summary>
    public static IEnumerable<JsonElement> Items(JsonElement element)
    {
        if (element.ValueKind == JsonValueKind.Object) element = Get(element, "items");
        if (element.ValueKind != JsonValueKind.Array) yield break;
        foreach (var item in element.EnumerateArray()) yield return item;
    }

    /// <summary>
    /// Config delivers some values as JSON text inside a string (old items' <c>configuration</c>, S3's
    /// <c>supplementaryConfiguration.AccessControlList</c>). Returns the parsed, detached value, or the element itself.
    /// </summary>
    public static JsonElement Unwrap(JsonElement element)
    {
        if (element.ValueKind != JsonValueKind.String) return element;
        var text = element.GetString();
        if (string.IsNullOrWhiteSpace(text)) return element;
        var trimmed = text.TrimStart();
        if (trimmed.Length == 0 || (trimmed[0] != '{' && trimmed[0] != '[')) return element;
        try
        {
            using var document = JsonDocument.Parse(text, new JsonDocumentOptions { MaxDepth = 64 });
            return document.RootElement.Clone();
        }
        catch (JsonException)
        {
            return element;
        }
    }

    /// <summary>
    /// The unescaped UTF-8 bytes of a JSON string, in an array rented from <see cref="System.Buffers.ArrayPool{T}.Shared"/>
    /// (the caller returns it); <paramref name="length"/> is how many bytes are used. Parsing JSON carried in a string
    /// from these bytes avoids decoding it to UTF-16 and transcoding it back.
    /// </summary>
    /// <remarks>
    /// The string's raw bytes were validated when its document was parsed (escapes well formed; the router also checked
    /// the payload is UTF-8), so they are unescaped directly (<see cref="TryUnescape"/>) rather than through a new
    /// <see cref="Utf8JsonReader"/>, which re-validates the whole string byte by byte first: on a Config rule invocation
    /// that second scan cost more than parsing the payload. Any <c>\u</c> escape of a surrogate goes through the reader
    /// (<see cref="UnescapedUtf8ByReader"/>), so pairs and lone halves behave exactly as before.
    /// </remarks>
    public static byte[] UnescapedUtf8(JsonElement element, out int length)
    {
        if (element.ValueKind != JsonValueKind.String) throw new InvalidOperationException($"expected a JSON string, found {element.ValueKind}");
        var raw = System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(element);
        // The raw value includes its quotes; unescaping never lengthens a string's UTF-8 bytes.
        var body = raw.Length >= 2 && raw[0] == (byte)'"' && raw[^1] == (byte)'"' ? raw[1..^1] : default;
        if (body.Length > 0 || raw.Length == 2)
        {
            var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(Math.Max(1, body.Length));
            if (TryUnescape(body, buffer, out length)) return buffer;
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
        return UnescapedUtf8ByReader(element, out length);
    }

    /// <summary>The reader's unescaping (<see cref="Utf8JsonReader.CopyString(Span{byte})"/>): what <see cref="UnescapedUtf8"/> did before, and still does for surrogate escapes.</summary>
    internal static byte[] UnescapedUtf8ByReader(JsonElement element, out int length)
    {
        if (element.ValueKind != JsonValueKind.String) throw new InvalidOperationException($"expected a JSON string, found {element.ValueKind}");
        var reader = new Utf8JsonReader(System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(element));
        reader.Read();
        // Unescaping never lengthens a string's UTF-8 bytes.
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(Math.Max(1, reader.ValueSpan.Length));
        try
        {
            length = reader.CopyString(buffer);
            return buffer;
        }
        catch
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }
    }

    /// <summary>
    /// Unescapes the body of a JSON string already validated by a parser (escapes well formed) into
    /// <paramref name="destination"/> (at least as long as <paramref name="source"/>): plain runs are copied whole between
    /// backslashes. False for a <c>\u</c> escape of a surrogate (left to the reader, see <see cref="UnescapedUtf8"/>).
    /// </summary>
    internal static bool TryUnescape(ReadOnlySpan<byte> source, Span<byte> destination, out int written)
    {
        written = 0;
        while (true)
        {
            var next = NextBackslash(source, destination[written..]);
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

    /// <summary>
    /// The index of the first backslash in <paramref name="source"/> (-1 when none), having copied every byte before it to
    /// <paramref name="destination"/> (as long as the source at least). JSON carried in a string escapes every quote, so
    /// its plain runs are a few bytes long: sixteen bytes are compared and stored at a time (a store past the backslash is
    /// overwritten by what follows), rather than a search and a copy per run.
    /// </summary>
    private static int NextBackslash(ReadOnlySpan<byte> source, Span<byte> destination)
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

    /// <summary>
    /// Canonical text of a value: object keys sorted, no whitespace. Two configurations that differ only in key or
    /// whitespace order compare equal, which is what "the same configuration" means to a reviewer.
    /// </summary>
    public static string Canonical(JsonElement element)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            WriteCanonical(writer, element);
        }
        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    private static void WriteCanonical(Utf8JsonWriter writer, JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                writer.WriteStartObject();
                foreach (var property in element.EnumerateObject().OrderBy(p => p.Name, StringComparer.Ordinal))
                {
                    writer.WritePropertyName(property.Name);
                    WriteCanonical(writer, property.Value);
                }
                writer.WriteEndObject();
                break;
            case JsonValueKind.Array:
                writer.WriteStartArray();
                foreach (var item in element.EnumerateArray()) WriteCanonical(writer, item);
                writer.WriteEndArray();
                break;
            case JsonValueKind.Undefined:
                writer.WriteNullValue();
                break;
            default:
                element.WriteTo(writer);
                break;
        }
    }
}
