using System.Globalization;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;
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
        if (names.Length == 2)
        {
            // The first name exactly (a hit is what TryGetProperty does fastest); then, for the second, one pass that finds its
            // exact match and the case-insensitive one together, instead of a second TryGetProperty miss and a second walk.
            if (element.TryGetProperty(names[0], out var first)) return first;
            if (TrySecondInOnePass(element, names[0], names[1], out var found)) return found;
        }
        foreach (var name in names)
        {
            if (element.TryGetProperty(name, out var exact)) return exact;
        }
        foreach (var property in element.EnumerateObject())
        {
            // A plain ASCII name (every real one) is checked once and compared by length first; any other name is compared
            // by NameEqualsIgnoreCase as before. The same matches: an ASCII name never equals a name of another length.
            var raw = System.Runtime.InteropServices.JsonMarshal.GetRawUtf8PropertyName(property);
            if (!raw.Contains((byte)'\\') && System.Text.Ascii.IsValid(raw))
            {
                foreach (var name in names)
                {
                    if (raw.Length == name.Length && System.Text.Ascii.EqualsIgnoreCase(raw, name)) return property.Value;
                }
                continue;
            }
            foreach (var name in names)
            {
                if (NameEqualsIgnoreCase(property, name)) return property.Value;
            }
        }
        return default;
    }

    /// <summary>
    /// The rest of <see cref="Get"/> for two ASCII names when the first has no exact match: the last property named
    /// exactly <paramref name="second"/> (as <c>TryGetProperty</c> finds it), else the first property equal to either name
    /// ignoring case (as the walk in <see cref="Get"/> finds it). False when a property name has an escape or a name is not
    /// ASCII (the lookup in <see cref="Get"/> then decides); a non-ASCII property name never equals an ASCII name, as before.
    /// </summary>
    private static bool TrySecondInOnePass(JsonElement element, string first, string second, out JsonElement found)
    {
        found = default;
        if (!Ascii.IsValid(first) || !Ascii.IsValid(second)) return false;
        JsonElement exact = default, folded = default;
        bool hasExact = false, hasFolded = false;
        foreach (var property in element.EnumerateObject())
        {
            var raw = JsonMarshal.GetRawUtf8PropertyName(property);
            if (raw.Contains((byte)'\\')) return false;
            if (!hasFolded && raw.Length == first.Length && Ascii.EqualsIgnoreCase(raw, first)) { folded = property.Value; hasFolded = true; }
            if (raw.Length == second.Length && Ascii.EqualsIgnoreCase(raw, second))
            {
                if (!hasFolded) { folded = property.Value; hasFolded = true; }
                if (Ascii.Equals(raw, second)) { exact = property.Value; hasExact = true; }
            }
        }
        found = hasExact ? exact : folded;
        return true;
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
        // The segments of dottedPath.Split('.') (empty ones included), read in place: no array and no string per segment.
        var current = element;
        var rest = dottedPath.AsSpan();
        while (true)
        {
            var dot = rest.IndexOf('.');
            current = GetOne(current, dot < 0 ? rest : rest[..dot]);
            if (current.ValueKind == JsonValueKind.Undefined || dot < 0) return current;
            rest = rest[(dot + 1)..];
        }
    }

    /// <summary><see cref="Get"/> of one name given as a span (exact case first, then any case).</summary>
    private static JsonElement GetOne(JsonElement element, ReadOnlySpan<char> name)
    {
        if (element.ValueKind != JsonValueKind.Object) return default;
        if (element.TryGetProperty(name, out var exact)) return exact;
        foreach (var property in element.EnumerateObject())
        {
            var raw = System.Runtime.InteropServices.JsonMarshal.GetRawUtf8PropertyName(property);
            var equal = raw.Contains((byte)'\\') ? property.Name.AsSpan().Equals(name, StringComparison.OrdinalIgnoreCase)
                : !System.Text.Ascii.IsValid(raw) ? !System.Text.Ascii.IsValid(name) && property.Name.AsSpan().Equals(name, StringComparison.OrdinalIgnoreCase)
                : System.Text.Ascii.EqualsIgnoreCase(raw, name);
            if (equal) return property.Value;
        }
        return default;
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
    /// <paramref name="destination"/> (at least as long as <paramref name="source"/>). False for a <c>\u</c> escape of a
    /// surrogate (left to the reader, see <see cref="UnescapedUtf8"/>).
    /// </summary>
    /// <remarks>
    /// JSON carried in a string (a Config rule's <c>invokingEvent</c>) escapes every quote: one escape every nine bytes
    /// or so. Sixteen bytes are read at a time; when every backslash among them escapes a quote (the usual case), they
    /// are compacted with a byte shuffle (the backslashes dropped, <see cref="CompactionTable"/>) instead of being handled
    /// one escape at a time. Any other escape in the block is decoded by <see cref="TryUnescapeOne"/>, as before.
    /// </remarks>
    internal static bool TryUnescape(ReadOnlySpan<byte> source, Span<byte> destination, out int written)
    {
        var read = 0;
        written = 0;
        if ((Ssse3.IsSupported || AdvSimd.Arm64.IsSupported) && destination.Length >= source.Length)
        {
            ref var from = ref MemoryMarshal.GetReference(source);
            ref var to = ref MemoryMarshal.GetReference(destination);
            ref var table = ref MemoryMarshal.GetArrayDataReference(CompactionTable);
            var backslash = Vector128.Create((byte)'\\');
            var quote = Vector128.Create((byte)'"');
            var high = Vector128.Create((byte)8);
            // The block and the byte after it are read (a backslash in the last lane escapes that byte); every store
            // ends at or before the end of the block read, and written never passes read.
            while (read + Vector128<byte>.Count < source.Length)
            {
                var block = Vector128.LoadUnsafe(ref from, (nuint)read);
                var escapes = Vector128.Equals(block, backslash).ExtractMostSignificantBits();
                if (escapes == 0)
                {
                    block.StoreUnsafe(ref to, (nuint)written);
                    read += Vector128<byte>.Count;
                    written += Vector128<byte>.Count;
                    continue;
                }
                var quoted = Vector128.Equals(Vector128.LoadUnsafe(ref from, (nuint)(read + 1)), quote).ExtractMostSignificantBits();
                if ((escapes & ~quoted) == 0)
                {
                    // Every backslash here escapes a quote, so none is itself escaped and each is dropped. (The block starts
                    // outside any escape: the loop only ever stops after a whole one.)
                    var low = (int)(escapes & 0xFF);
                    var upper = (int)(escapes >> 8);
                    var lowIndices = Vector128.CreateScalarUnsafe(Unsafe.Add(ref table, low)).AsByte();
                    var upperIndices = Vector128.CreateScalarUnsafe(Unsafe.Add(ref table, upper)).AsByte() + high;
                    Unsafe.WriteUnaligned(ref Unsafe.Add(ref to, written), Shuffle(block, lowIndices).AsUInt64().ToScalar());
                    written += 8 - BitOperations.PopCount((uint)low);
                    Unsafe.WriteUnaligned(ref Unsafe.Add(ref to, written), Shuffle(block, upperIndices).AsUInt64().ToScalar());
                    written += 8 - BitOperations.PopCount((uint)upper);
                    read += Vector128<byte>.Count;
                    continue;
                }
                // Another escape: the plain bytes before the first backslash, then that escape on its own.
                var plain = BitOperations.TrailingZeroCount(escapes);
                block.StoreUnsafe(ref to, (nuint)written);
                read += plain;
                written += plain;
                if (!TryUnescapeOne(source, ref read, destination, ref written)) return false;
            }
        }
        if (!TryUnescapeScalar(source[read..], destination[written..], out var rest)) return false;
        written += rest;
        return true;
    }

    private static Vector128<byte> Shuffle(Vector128<byte> block, Vector128<byte> indices) =>
        Ssse3.IsSupported ? Ssse3.Shuffle(block, indices) : AdvSimd.Arm64.VectorTableLookup(block, indices);

    /// <summary>
    /// For each set of up to eight positions to drop (a bit each), the indices of the bytes kept, in order, then 0x80
    /// (a shuffle writes zero there; the byte is overwritten by what follows).
    /// </summary>
    private static readonly ulong[] CompactionTable = BuildCompactionTable();

    private static ulong[] BuildCompactionTable()
    {
        var table = new ulong[256];
        for (var mask = 0; mask < 256; mask++)
        {
            var entry = 0x8080808080808080UL;
            var slot = 0;
            for (var bit = 0; bit < 8; bit++)
            {
                if ((mask & (1 << bit)) != 0) continue;
                entry &= ~(0xFFUL << (8 * slot));
                entry |= (ulong)bit << (8 * slot);
                slot++;
            }
            table[mask] = entry;
        }
        return table;
    }

    /// <summary>Decodes the escape at <paramref name="read"/> (a backslash); false for a surrogate <c>\u</c> or a malformed one.</summary>
    private static bool TryUnescapeOne(ReadOnlySpan<byte> source, ref int read, Span<byte> destination, ref int written)
    {
        if (read + 1 >= source.Length) return false;
        var consumed = 2;
        switch (source[read + 1])
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
                if (read + 6 > source.Length
                    || !System.Buffers.Text.Utf8Parser.TryParse(source.Slice(read + 2, 4), out ushort unit, out var digits, 'X') || digits != 4
                    || char.IsSurrogate((char)unit))
                    return false;
                written += new Rune(unit).EncodeToUtf8(destination[written..]);
                consumed = 6;
                break;
            default:
                return false;
        }
        read += consumed;
        return true;
    }

    /// <summary>The tail (and every block on hardware without a byte shuffle): plain runs copied whole between backslashes.</summary>
    private static bool TryUnescapeScalar(ReadOnlySpan<byte> source, Span<byte> destination, out int written)
    {
        written = 0;
        var read = 0;
        while (true)
        {
            var next = NextBackslash(source[read..], destination[written..]);
            if (next < 0)
            {
                written += source.Length - read;
                return true;
            }
            read += next;
            written += next;
            if (!TryUnescapeOne(source, ref read, destination, ref written)) return false;
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
