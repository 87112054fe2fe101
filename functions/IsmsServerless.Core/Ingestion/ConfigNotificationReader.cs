using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Text;
using System.Text.Json;
using IsmsServerless.Drift;
using IsmsServerless.Model;

namespace IsmsServerless.Ingestion;

/// <summary>
/// A Config change notification read from its bytes in one <see cref="Utf8JsonReader"/> pass (issue 20): a rule
/// invocation's unescaped <c>invokingEvent</c>, instead of a <see cref="JsonDocument"/> of it walked element by element.
/// Only the configuration is made into a document, of its own (GC-owned: nothing to clone or dispose); the other kept
/// values (non-empty supplementary configuration and tags) too; everything else is read as it passes or skipped, and the
/// whole text is still read to its end by the reader, so what is accepted here is what the document path accepts.
/// </summary>
/// <remarks>
/// The configuration (most of an item's bytes) is not tokenized twice: its end is found by <see cref="FindValueEnd"/> (a
/// structural scan, no validation), its bytes parsed as a document with the depth left to it, and the reader resumes at its
/// closing bracket from the state it had after the opening one. Anything not read exactly as
/// <see cref="ConfigAdapter"/>'s document path reads it returns false (that path then reads the text and words any
/// rejection): a name with an escape, a name equal to a read one only ignoring case, a read name twice, a number for a
/// time, a configuration that is not an object or null, supplementary configuration or tags that are neither a JSON value
/// of their kind nor null, a message type other than a change notification with its item or the three periodic ones,
/// and invalid JSON anywhere.
/// </remarks>
internal static class ConfigNotificationReader
{
    /// <summary>What was read; only meaningful when <see cref="TryRead"/> returned true.</summary>
    internal struct Read
    {
        public string? MessageType;
        public bool HasItem;
        public string? DiffChangeType;

        /// <summary>The notificationCreationTime as <c>Timestamps.TryParse</c> reads its string (null: absent, not a string, or not a time).</summary>
        public DateTimeOffset? Created;

        /// <summary>The item's texts and JSON values (<see cref="ConfigAdapter.ItemValues.ChangeType"/> and <c>Captured</c> not yet decided).</summary>
        public ConfigAdapter.ItemValues Item;
        public string? ItemChangeType;

        /// <summary>The configurationItemCaptureTime, read as <see cref="Created"/>.</summary>
        public DateTimeOffset? Captured;
        public bool Periodic => MessageType is "ScheduledNotification" or "ConfigurationSnapshotDeliveryCompleted" or "ConfigurationHistoryDeliveryCompleted";
    }

    private static readonly JsonReaderOptions Options = new() { MaxDepth = 64 };

    /// <summary>A JSON null that outlives every event (what a clone of a null value reads as).</summary>
    private static readonly JsonElement Null = JsonElement.Parse("null"u8);

    /// <summary>Reads an unescaped invokingEvent (the router's options minus comments and trailing commas, as parsed before).</summary>
    public static bool TryRead(ReadOnlySpan<byte> json, out Read read)
    {
        read = default;
        try
        {
            return TryReadNotification(json, ref read);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or ArgumentException or FormatException or IndexOutOfRangeException)
        {
            read = default;
            return false;
        }
    }

    /// <summary>
    /// Reads the notification object the reader is on (an EventBridge detail: its <see cref="JsonTokenType.StartObject"/>),
    /// leaving the reader on its <see cref="JsonTokenType.EndObject"/>. The kept values are parsed from the reader
    /// (<see cref="JsonElement.ParseValue"/>); false for anything not read exactly as the document path reads it. May throw
    /// <see cref="JsonException"/> (invalid JSON) or <see cref="InvalidOperationException"/> (a string that does not decode).
    /// </summary>
    public static bool TryRead(ref Utf8JsonReader reader, out Read read) => TryRead(ref reader, default, out read);

    /// <summary>
    /// <see cref="TryRead(ref Utf8JsonReader, out Read)"/> with the bytes the reader reads (<paramref name="text"/>, indexed
    /// by its token positions; empty when not known): the kept values are then parsed from their bytes, the configuration's
    /// end found by <see cref="FindValueEnd"/>, and the reader may be replaced by one over <paramref name="text"/> that
    /// resumes after it. Their bytes are parsed without comments or trailing commas (as an invokingEvent's): a value holding
    /// either throws, and the payload takes the document path.
    /// </summary>
    public static bool TryRead(ref Utf8JsonReader reader, ReadOnlySpan<byte> text, out Read read)
    {
        read = default;
        var offset = 0;
        return TryReadObject(ref reader, text, ref offset, ref read);
    }

    private static bool TryReadNotification(ReadOnlySpan<byte> json, ref Read read)
    {
        var reader = new Utf8JsonReader(json, Options);
        var offset = 0;
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return false;
        if (!TryReadObject(ref reader, json, ref offset, ref read)) return false;
        // The root closed: nothing but white space may follow (Read throws otherwise).
        return !reader.Read();
    }

    /// <summary>
    /// The notification object the reader is on; <paramref name="json"/> is the whole text the reader reads from
    /// <paramref name="offset"/> on (empty when it is not known: kept values are then parsed from the reader).
    /// </summary>
    private static bool TryReadObject(ref Utf8JsonReader reader, ReadOnlySpan<byte> json, ref int offset, ref Read read)
    {
        var seen = 0u;
        while (true)
        {
            var field = NextField(ref reader, ConfigAdapter.NotificationTable, ref seen);
            if (field == Declined) return false;
            if (field == Ended) break;
            switch ((ConfigAdapter.NotificationField)field)
            {
                case ConfigAdapter.NotificationField.MessageType:
                    read.MessageType = KnownText(ref reader);
                    break;
                case ConfigAdapter.NotificationField.ConfigurationItem:
                    if (reader.TokenType != JsonTokenType.StartObject)
                    {
                        reader.Skip();
                        break;
                    }
                    read.HasItem = true;
                    if (!TryReadItem(ref reader, json, ref offset, ref read)) return false;
                    break;
                case ConfigAdapter.NotificationField.ConfigurationItemDiff:
                    if (reader.TokenType != JsonTokenType.StartObject)
                    {
                        reader.Skip();
                        break;
                    }
                    if (!TryReadDiff(ref reader, ref read)) return false;
                    break;
                case ConfigAdapter.NotificationField.NotificationCreationTime:
                    if (!TryTime(ref reader, out read.Created)) return false;
                    break;
                default:
                    // The summary and the S3 delivery summary: only an oversized notification reads them (declined below).
                    reader.Skip();
                    break;
            }
        }
        if (read.Periodic) return true;
        return read.MessageType is null or "ConfigurationItemChangeNotification" && read.HasItem;
    }

    private static bool TryReadDiff(ref Utf8JsonReader reader, ref Read read)
    {
        var seen = false;
        while (true)
        {
            if (!reader.Read()) return false;
            if (reader.TokenType == JsonTokenType.EndObject) return true;
            if (reader.ValueIsEscaped) return false;
            var name = reader.ValueSpan;
            if (name.SequenceEqual("changeType"u8))
            {
                if (seen || !reader.Read()) return false;
                seen = true;
                read.DiffChangeType = KnownText(ref reader);
                continue;
            }
            if (Ascii.EqualsIgnoreCase(name, "changeType"u8)) return false;
            reader.Skip();
        }
    }

    private static bool TryReadItem(ref Utf8JsonReader reader, ReadOnlySpan<byte> json, ref int offset, ref Read read)
    {
        var seen = 0u;
        ref var item = ref read.Item;
        while (true)
        {
            var field = NextField(ref reader, ConfigAdapter.ItemTable, ref seen);
            if (field == Declined) return false;
            if (field == Ended) return true;
            switch ((ConfigAdapter.ItemField)field)
            {
                case ConfigAdapter.ItemField.ResourceType: item.ResourceType = Text(ref reader); break;
                case ConfigAdapter.ItemField.ResourceId: item.ResourceId = Text(ref reader); break;
                case ConfigAdapter.ItemField.AwsRegion: item.Region = Text(ref reader); break;
                case ConfigAdapter.ItemField.Status: item.Status = KnownText(ref reader); break;
                case ConfigAdapter.ItemField.ResourceName: item.ResourceName = Text(ref reader); break;
                case ConfigAdapter.ItemField.ChangeType: read.ItemChangeType = KnownText(ref reader); break;
                case ConfigAdapter.ItemField.CaptureTime:
                    if (!TryTime(ref reader, out read.Captured)) return false;
                    break;
                // The first present of each pair, as Json.Get(item, "ARN", "arn") and Json.Get(item, "awsAccountId", "accountId").
                case ConfigAdapter.ItemField.Arn: item.Arn = Text(ref reader); break;
                case ConfigAdapter.ItemField.AwsAccountId: item.Account = Text(ref reader); break;
                case ConfigAdapter.ItemField.ArnLower:
                {
                    var arn = Text(ref reader);
                    if ((seen & (1u << (int)ConfigAdapter.ItemField.Arn)) == 0) item.Arn = arn;
                    break;
                }
                case ConfigAdapter.ItemField.AccountId:
                {
                    var account = Text(ref reader);
                    if ((seen & (1u << (int)ConfigAdapter.ItemField.AwsAccountId)) == 0) item.Account = account;
                    break;
                }
                case ConfigAdapter.ItemField.Configuration:
                    if (reader.TokenType == JsonTokenType.Null) item.Configuration = Null;
                    else if (reader.TokenType != JsonTokenType.StartObject) return false;
                    else if (json.IsEmpty) item.Configuration = JsonElement.ParseValue(ref reader);
                    else if (!TryReadConfiguration(ref reader, json, ref offset, out item.Configuration)) return false;
                    break;
                case ConfigAdapter.ItemField.Supplementary:
                    if (reader.TokenType == JsonTokenType.Null) item.Supplementary = Null;
                    else if (reader.TokenType == JsonTokenType.StartObject) item.Supplementary = Value(ref reader, json, offset);
                    else return false;
                    break;
                case ConfigAdapter.ItemField.Tags:
                    if (reader.TokenType == JsonTokenType.Null) item.Tags = Null;
                    else if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray) item.Tags = Value(ref reader, json, offset);
                    else return false;
                    break;
            }
        }
    }

    /// <summary>
    /// The configuration object the reader is on (its opening bracket): parsed as a document of its own with the depth the
    /// whole text leaves it, and the reader moved to its closing bracket without tokenizing what is between.
    /// </summary>
    private static bool TryReadConfiguration(ref Utf8JsonReader reader, ReadOnlySpan<byte> json, ref int offset, out JsonElement configuration)
    {
        configuration = default;
        var start = offset + checked((int)reader.TokenStartIndex);
        var end = FindValueEnd(json, start);
        if (end < 0 || json[end - 1] != (byte)'}') return false;
        // Its opening bracket is at depth d of the whole text, where the limit is 64: 64 - d levels are left to it.
        configuration = JsonElement.Parse(json[start..end], new JsonDocumentOptions { MaxDepth = 64 - reader.CurrentDepth });
        var state = reader.CurrentState;
        offset = end - 1;
        reader = new Utf8JsonReader(json[offset..], isFinalBlock: true, state);
        return reader.Read() && reader.TokenType == JsonTokenType.EndObject;
    }

    /// <summary>The object or array the reader is on, read through by the reader and kept as a document of its own.</summary>
    private static JsonElement Value(ref Utf8JsonReader reader, ReadOnlySpan<byte> json, int offset)
    {
        if (json.IsEmpty) return JsonElement.ParseValue(ref reader);
        var start = offset + checked((int)reader.TokenStartIndex);
        reader.Skip();
        var end = offset + checked((int)reader.BytesConsumed);
        // "{}" or "[]" (most items' tags and many supplementary configurations): a shared empty value, not a document each.
        // The adapter reads an empty object or array as no tags and as its shared empty supplementary configuration.
        if (end - start == 2) return json[start] == (byte)'{' ? EmptyObject : EmptyArray;
        return JsonElement.Parse(json[start..end]);
    }

    /// <summary>An empty object and an empty array that outlive every event (elements only read them).</summary>
    private static readonly JsonElement EmptyObject = JsonElement.Parse("{}"u8), EmptyArray = JsonElement.Parse("[]"u8);

    /// <summary><see cref="Json.Text(JsonElement)"/> of the value the reader is on (an object or array is read through).</summary>
    internal static string? Text(ref Utf8JsonReader reader)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.String: return Present.OrNull(reader.GetString());
            case JsonTokenType.Number: return Encoding.UTF8.GetString(reader.ValueSpan);
            case JsonTokenType.True: return "true";
            case JsonTokenType.False: return "false";
            case JsonTokenType.StartObject or JsonTokenType.StartArray:
                reader.Skip();
                return null;
            default: return null;
        }
    }

    /// <summary>
    /// A time as <c>Timestamps.TryParse</c> reads its string (what Timestamps.TryParse(JsonElement) reads; null when it is
    /// not a string or not a time); false for a number. AWS's own spelling (<c>yyyy-MM-ddTHH:mm:ss[.fff]Z</c>, no escape) is
    /// read from its bytes with the same checks and range (<see cref="EnvelopeText.TryCanonicalUtc"/>), without a string.
    /// </summary>
    private static bool TryTime(ref Utf8JsonReader reader, out DateTimeOffset? time)
    {
        time = null;
        if (reader.TokenType == JsonTokenType.Number) return false;
        if (reader.TokenType == JsonTokenType.String)
        {
            if (!reader.ValueIsEscaped && EnvelopeText.TryCanonicalUtc(reader.ValueSpan, out var canonical))
                time = Timestamps.InAcceptedRange(canonical) ? canonical : null;
            else if (Timestamps.TryParse(reader.GetString(), out var parsed))
                time = parsed;
        }
        reader.Skip();
        return true;
    }

    /// <summary>
    /// The values of the message type, the change type and the item status AWS sends: read as these strings (the same text
    /// <see cref="Text"/> gives) rather than a new string each.
    /// </summary>
    private static readonly string[] Known =
    [
        "ConfigurationItemChangeNotification", "OversizedConfigurationItemChangeNotification", "ScheduledNotification",
        "ConfigurationSnapshotDeliveryCompleted", "ConfigurationHistoryDeliveryCompleted", "CREATE", "UPDATE", "DELETE", "OK",
        "ResourceDiscovered", "ResourceDeleted", "ResourceNotRecorded", "ResourceDeletedNotRecorded",
    ];

    private static readonly byte[][] KnownUtf8 = [.. Known.Select(Encoding.UTF8.GetBytes)];

    /// <summary><see cref="Text"/>, as one of <see cref="Known"/> when the value is spelled exactly so.</summary>
    private static string? KnownText(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.String && !reader.ValueIsEscaped)
        {
            var value = reader.ValueSpan;
            for (var i = 0; i < KnownUtf8.Length; i++)
            {
                if (value.SequenceEqual(KnownUtf8[i])) return Known[i];
            }
        }
        return Text(ref reader);
    }

    private const int Declined = -1, Ended = -2;

    /// <summary>
    /// The next field of the object the reader is in that <paramref name="table"/> reads, with the reader on its value (others
    /// are skipped); <see cref="Ended"/> at the object's end; <see cref="Declined"/> for what the document path reads
    /// otherwise: an escaped name, a name equal to a read one only ignoring case, a read name a second time.
    /// </summary>
    private static int NextField(ref Utf8JsonReader reader, ConfigAdapter.FieldTable table, ref uint seen)
    {
        while (true)
        {
            if (!reader.Read()) return Declined;
            if (reader.TokenType == JsonTokenType.EndObject) return Ended;
            if (reader.ValueIsEscaped) return Declined;
            var field = Match(table, reader.ValueSpan, out var folded);
            if (folded) return Declined;
            if (field < 0)
            {
                reader.Skip();
                continue;
            }
            if ((seen & (1u << field)) != 0) return Declined;
            seen |= 1u << field;
            return reader.Read() ? field : Declined;
        }
    }

    /// <summary>The index of the table's name equal to <paramref name="name"/>, or -1; <paramref name="folded"/> when there is none but one equals it ignoring ASCII case.</summary>
    private static int Match(ConfigAdapter.FieldTable table, ReadOnlySpan<byte> name, out bool folded)
    {
        folded = false;
        var byLength = table.ByLength;
        if (name.Length >= byLength.Length) return -1;
        foreach (var i in byLength[name.Length])
        {
            if (name.SequenceEqual(table.Names[i]))
            {
                // "arn" folds to "ARN" but is itself a name read: exact beats folded, whatever the table's order.
                folded = false;
                return i;
            }
            if (Ascii.EqualsIgnoreCase(name, table.Names[i])) folded = true;
        }
        return -1;
    }

    /// <summary>
    /// The index just past the object or array opening at <paramref name="start"/>, found by counting brackets outside
    /// strings (no validation: the caller parses the bytes found), or -1 when the text ends first. Sixty-four bytes at a time
    /// when they hold no backslash: quotes give the strings by a prefix XOR, and only a block where the depth may reach zero
    /// is walked bracket by bracket; a block with a backslash is read byte by byte.
    /// </summary>
    internal static int FindValueEnd(ReadOnlySpan<byte> json, int start)
    {
        var depth = 0;
        var inString = false;
        var i = start;
        ref var origin = ref MemoryMarshal.GetReference(json);
        while (true)
        {
            if (Vector128.IsHardwareAccelerated && i + 64 <= json.Length)
            {
                ref var at = ref Unsafe.Add(ref origin, i);
                var b0 = Vector128.LoadUnsafe(ref at);
                var b1 = Vector128.LoadUnsafe(ref at, 16);
                var b2 = Vector128.LoadUnsafe(ref at, 32);
                var b3 = Vector128.LoadUnsafe(ref at, 48);
                var backslash = Vector128.Create((byte)'\\');
                if (Mask(b0, b1, b2, b3, backslash) == 0)
                {
                    var quotes = Mask(b0, b1, b2, b3, Vector128.Create((byte)'"'));
                    // '{' and '[' (0x7B, 0x5B), '}' and ']' (0x7D, 0x5D) differ only in 0x20.
                    var case20 = Vector128.Create((byte)0x20);
                    var opens = Mask(b0 | case20, b1 | case20, b2 | case20, b3 | case20, Vector128.Create((byte)'{'));
                    var closes = Mask(b0 | case20, b1 | case20, b2 | case20, b3 | case20, Vector128.Create((byte)'}'));
                    var strings = PrefixXor(quotes);
                    if (inString) strings = ~strings;
                    inString = (strings >> 63) != 0;
                    opens &= ~strings;
                    closes &= ~strings;
                    if (closes != 0 && depth - BitOperations.PopCount(closes) <= 0)
                    {
                        var brackets = opens | closes;
                        while (brackets != 0)
                        {
                            var bit = BitOperations.TrailingZeroCount(brackets);
                            if (((opens >> bit) & 1) != 0) depth++;
                            else if (--depth == 0) return i + bit + 1;
                            brackets &= brackets - 1;
                        }
                    }
                    else
                    {
                        depth += BitOperations.PopCount(opens) - BitOperations.PopCount(closes);
                    }
                    i += 64;
                    continue;
                }
            }
            var stop = Math.Min(json.Length, i + 64);
            for (; i < stop; i++)
            {
                var c = json[i];
                if (inString)
                {
                    if (c == (byte)'\\') i++;
                    else if (c == (byte)'"') inString = false;
                }
                else if (c == (byte)'"') inString = true;
                else if (c is (byte)'{' or (byte)'[') depth++;
                else if (c is (byte)'}' or (byte)']' && --depth == 0) return i + 1;
            }
            if (i >= json.Length) return -1;
        }
    }

    private static ulong Mask(Vector128<byte> b0, Vector128<byte> b1, Vector128<byte> b2, Vector128<byte> b3, Vector128<byte> value) =>
        Vector128.Equals(b0, value).ExtractMostSignificantBits()
        | ((ulong)Vector128.Equals(b1, value).ExtractMostSignificantBits() << 16)
        | ((ulong)Vector128.Equals(b2, value).ExtractMostSignificantBits() << 32)
        | ((ulong)Vector128.Equals(b3, value).ExtractMostSignificantBits() << 48);

    /// <summary>Bit i set when an odd number of bits 0..i are set: inside a string from its opening quote to before its closing one.</summary>
    private static ulong PrefixXor(ulong bits)
    {
        bits ^= bits << 1;
        bits ^= bits << 2;
        bits ^= bits << 4;
        bits ^= bits << 8;
        bits ^= bits << 16;
        bits ^= bits << 32;
        return bits;
    }
}
