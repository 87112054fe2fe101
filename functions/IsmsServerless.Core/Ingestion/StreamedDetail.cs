using System.Globalization;
using System.Text;
using System.Text.Json;
using IsmsServerless.Events;
using IsmsServerless.Model;

namespace IsmsServerless.Ingestion;

/// <summary>
/// What the patch adapters' streamed reads (<see cref="IStreamingDetailAdapter.TryReadDetail"/>) share: a property name
/// matched as the binder (<see cref="JsonElementBinder"/>) matches it, and a value read as the binder's lenient string read
/// (<see cref="LenientStringConverter"/>, <c>ElementBindingPlan.LenientString</c>) reads it, from a
/// <see cref="Utf8JsonReader"/> instead of an element. Whatever is not read exactly so declines: <see cref="Decline"/>
/// (a <see cref="JsonException"/> the router catches), and the payload takes the document path.
/// </summary>
/// <remarks>
/// A reader-based twin of <c>EventStrings.Lenient</c>, kept here (Events/ belongs to the CloudTrail path): a plain ASCII
/// value of up to <see cref="EventStrings.MaxLength"/> bytes is one of <see cref="EventStrings.Known"/>' strings when it is
/// one of them, else its bytes widened; the per-event slots are not used (no string recurs within these details often
/// enough to pay for them, and they are not observable: only text is compared).
/// </remarks>
internal static class StreamedDetail
{
    /// <summary>Thrown for anything the streamed read does not read exactly as the binder: the router declines.</summary>
    public static JsonException Decline() => new("streamed detail read declined");

    /// <summary>
    /// Which of <paramref name="declared"/> (the record's JSON names, ASCII, no two equal ignoring case) the property name
    /// the reader is on is, as the binder finds it: the name with its ASCII case folded (the exact spelling is the caller's
    /// fast path); -1 for none. A name with an escape or a byte outside ASCII declines (the binder unescapes it and compares
    /// with <see cref="StringComparer.OrdinalIgnoreCase"/>, under which <c>ſ</c> is <c>S</c>).
    /// </summary>
    public static int IndexIgnoringCase(ref Utf8JsonReader reader, ReadOnlySpan<byte> name, byte[][] declared)
    {
        if (reader.ValueIsEscaped || !Ascii.IsValid(name)) throw Decline();
        for (var i = 0; i < declared.Length; i++)
        {
            if (Ascii.EqualsIgnoreCase(name, declared[i])) return i;
        }
        return -1;
    }

    /// <summary>The names of a record's properties as the binder's plan holds them, in declaration order (tests compare them).</summary>
    public static byte[][] Names(params string[] names) => [.. names.Select(Encoding.UTF8.GetBytes)];

    /// <summary>
    /// <see cref="Lenient(ref Utf8JsonReader)"/> for a field AWS fills from a short list (a status, a severity, a type): a
    /// plain string spelled exactly as one of <paramref name="known"/> is that constant (the same text, no new string per
    /// event); anything else is read as <see cref="Lenient(ref Utf8JsonReader)"/> reads it. Every constant is ASCII and
    /// starts with a visible character, so it is the text the lenient read returns for its bytes.
    /// </summary>
    public static string? Lenient(ref Utf8JsonReader reader, string[] known)
    {
        if (reader.TokenType == JsonTokenType.String && !reader.ValueIsEscaped)
        {
            var body = reader.ValueSpan;
            foreach (var constant in known)
            {
                if (body.Length == constant.Length && Ascii.Equals(body, constant)) return constant;
            }
        }
        return Lenient(ref reader);
    }

    /// <summary>
    /// The value the reader is on (it has just read the property's name and then the value's first token), read as the
    /// binder's lenient string read: a string as its text (blank as null), <c>true</c>/<c>false</c> as text, a number as
    /// its <see cref="long"/> or round-trip <see cref="double"/> text, null, an object or an array as null (skipped to its
    /// end). A number that is not a finite double declines (the element and the reader parse it the same way only when
    /// it is one).
    /// </summary>
    public static string? Lenient(ref Utf8JsonReader reader)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.String:
                return reader.ValueIsEscaped ? Present.OrNull(reader.GetString()) : LenientPlain(reader.ValueSpan);
            case JsonTokenType.True: return "true";
            case JsonTokenType.False: return "false";
            case JsonTokenType.Null: return null;
            case JsonTokenType.StartObject or JsonTokenType.StartArray:
                reader.Skip();
                return null;
            case JsonTokenType.Number:
                if (reader.TryGetInt64(out var integer)) return integer.ToString(CultureInfo.InvariantCulture);
                if (reader.TryGetDouble(out var real)) return real.ToString("R", CultureInfo.InvariantCulture);
                throw Decline();
            default: throw Decline();
        }
    }

    /// <summary>
    /// <see cref="Lenient"/>, as <paramref name="earlier"/> itself when the value is a plain string of the same text (a new
    /// finding's <c>updatedAt</c> is its <c>firstObservedAt</c>): one string, as the document path's per-event slots give.
    /// </summary>
    public static string? Lenient(ref Utf8JsonReader reader, string? earlier)
    {
        if (earlier is not null && reader.TokenType == JsonTokenType.String && !reader.ValueIsEscaped
            && reader.ValueSpan.Length == earlier.Length && Ascii.Equals(reader.ValueSpan, earlier))
            return earlier;
        return Lenient(ref reader);
    }

    /// <summary>
    /// The lenient read of a string whose UTF-8 body (between the quotes) holds no escape: the bytes' text, null when blank
    /// (<see cref="Present.OrNull"/>), a known value's one string object when it is one (<c>EventStrings.Lenient</c>'s
    /// table), plain ASCII widened rather than decoded.
    /// </summary>
    public static string? LenientPlain(ReadOnlySpan<byte> body)
    {
        if (body.IsEmpty) return null;
        if (!Ascii.IsValid(body)) return Present.OrNull(Encoding.UTF8.GetString(body));
        string text;
        if (body.Length > EventStrings.MaxLength) text = Widen(body);
        else text = EventStrings.Known.Find(body, EventStrings.Hash(body)) ?? Widen(body);
        // A first character from '!' to '~' is neither white space, a control nor a format character: not blank.
        return (uint)(body[0] - 0x21) < 0x5E ? text : Present.OrNull(text);
    }

    /// <summary>Plain ASCII bytes as a string: each byte widened to its char (what the ASCII and UTF-8 decoders return).</summary>
    private static string Widen(ReadOnlySpan<byte> ascii) =>
        string.Create(ascii.Length, ascii, static (chars, bytes) => Ascii.ToUtf16(bytes, chars, out _));
}
