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
/// A Config custom rule invocation read from its bytes in one pass (issue 20 wave 12), instead of a
/// <see cref="JsonDocument"/> of the whole payload (<see cref="EventRouter.ClassifyPrepared"/>) from which
/// <see cref="ConfigAdapter"/> then takes the invokingEvent string and unescapes it. Most of a rule invocation is that
/// string (JSON text with every quote escaped): the document's parse validated it escape by escape, one byte at a time,
/// and the unescape walked it again. Here the top level is read by a <see cref="Utf8JsonReader"/> with the router's
/// options, except the invokingEvent's string, which is found, checked and unescaped by vectorized passes
/// (<see cref="FindStringEnd"/>, <see cref="Json.TryUnescape"/>); the reader then resumes after it in the state it has
/// after any string value there.
/// </summary>
/// <remarks>
/// Only what the document path classifies as a rule invocation and reads exactly as here is accepted; anything else returns
/// false, with nothing observable, and takes the document path (the reference): a top-level name with an escape, a name
/// of the EventBridge test (<c>source</c>, <c>detail-type</c>) or of the SNS test (<c>Type</c>, <c>Message</c>,
/// <c>TopicArn</c>), a read name twice (<c>invokingEvent</c>, <c>eventLeftScope</c>, <c>configRuleArn</c>,
/// <c>accountId</c>), a name equal to <c>eventLeftScope</c> or <c>configRuleArn</c> only ignoring ASCII case (the adapter's
/// lenient lookup), an invokingEvent that is not a string, a string with a raw control byte or an escape the fast
/// unescape does not decode (a surrogate <c>\u</c>, a malformed one), no <c>configRuleName</c> nor <c>resultToken</c>,
/// and invalid JSON anywhere. The invokingEvent's text is then read by <see cref="ConfigNotificationReader"/>; when that
/// declines, the unescaped text is kept and parsed as the document path parses it (<see cref="ConfigAdapter"/>'s
/// <c>AdaptRead</c>).
/// </remarks>
internal static class ConfigInvocationReader
{
    /// <summary>What was read from a rule invocation: the adapter's state for <see cref="ConfigAdapter.AdaptRead"/>.</summary>
    internal sealed class Invocation
    {
        /// <summary>The notification read in one pass, when <see cref="Text"/> is null.</summary>
        public ConfigNotificationReader.Read Read;

        /// <summary>The unescaped (and repaired) invokingEvent, when its one-pass read declined: parsed as a document.</summary>
        public byte[]? Text;

        public bool LeftScope;
        public string? Account;
        public string? ConfigRuleArn;
    }

    [Flags]
    private enum Name
    {
        InvokingEvent = 1, EventLeftScope = 2, ConfigRuleArn = 4, AccountId = 8, ConfigRuleName = 16, ResultToken = 32,
        /// <summary>A name the document path's EventBridge or SNS test reads.</summary>
        Declines = 64,
        /// <summary>Equal to <c>eventLeftScope</c> or <c>configRuleArn</c> only ignoring ASCII case.</summary>
        Folded = 128,
        /// <summary>Any other name (its value is skipped).</summary>
        Other = 256,
    }

    /// <summary>
    /// Whether a top-level name is one AWS Config's rule invocations have and neither an EventBridge envelope nor a bare
    /// configuration item has (<c>version</c> and <c>accountId</c> are in both): the router's cue to read the payload as a
    /// rule invocation (<see cref="StreamingRouter"/>). A bare item starts <c>version</c>, <c>accountId</c>, ... and must
    /// not be read to its end here before it declines.
    /// </summary>
    public static bool IsInvocationName(ReadOnlySpan<byte> name) => name.Length switch
    {
        11 => name.SequenceEqual("resultToken"u8),
        12 => name.SequenceEqual("configRuleId"u8),
        13 => name.SequenceEqual("invokingEvent"u8) || name.SequenceEqual("configRuleArn"u8),
        14 => name.SequenceEqual("configRuleName"u8) || name.SequenceEqual("ruleParameters"u8) || name.SequenceEqual("eventLeftScope"u8)
            || name.SequenceEqual("evaluationMode"u8),
        16 => name.SequenceEqual("executionRoleArn"u8),
        _ => false,
    };

    private static Name NameOf(ReadOnlySpan<byte> name) => name.Length switch
    {
        4 when name.SequenceEqual("Type"u8) => Name.Declines,
        6 when name.SequenceEqual("source"u8) => Name.Declines,
        7 when name.SequenceEqual("Message"u8) => Name.Declines,
        8 when name.SequenceEqual("TopicArn"u8) => Name.Declines,
        9 when name.SequenceEqual("accountId"u8) => Name.AccountId,
        11 when name.SequenceEqual("resultToken"u8) => Name.ResultToken,
        11 when name.SequenceEqual("detail-type"u8) => Name.Declines,
        13 when name.SequenceEqual("invokingEvent"u8) => Name.InvokingEvent,
        13 when name.SequenceEqual("configRuleArn"u8) => Name.ConfigRuleArn,
        13 when Ascii.EqualsIgnoreCase(name, "configRuleArn"u8) => Name.Folded,
        14 when name.SequenceEqual("configRuleName"u8) => Name.ConfigRuleName,
        14 when name.SequenceEqual("eventLeftScope"u8) => Name.EventLeftScope,
        14 when Ascii.EqualsIgnoreCase(name, "eventLeftScope"u8) => Name.Folded,
        _ => Name.Other,
    };

    /// <summary>Reads a payload that has been through <see cref="EventRouter.Prepare"/>; false to take the document path. May throw <see cref="JsonException"/>.</summary>
    public static bool TryRead(ReadOnlySpan<byte> payload, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Invocation? invocation)
    {
        invocation = null;
        byte[]? buffer = null;
        try
        {
            var reader = new Utf8JsonReader(payload, EventRouter.ReaderOptions);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return false;
            var offset = 0;
            var length = 0;
            Name seen = 0;
            bool leftScope = false;
            string? arn = null, account = null;
            while (true)
            {
                if (!reader.Read()) return false;
                if (reader.TokenType == JsonTokenType.EndObject) break;
                if (reader.ValueIsEscaped) return false;
                var name = NameOf(reader.ValueSpan);
                if (name == Name.Other)
                {
                    reader.Skip();
                    continue;
                }
                if (name is Name.Declines or Name.Folded) return false;
                // A read name twice: the document path reads the last (TryGetProperty); declined rather than read twice.
                if ((seen & name) != 0 && (name & (Name.InvokingEvent | Name.EventLeftScope | Name.ConfigRuleArn | Name.AccountId)) != 0) return false;
                seen |= name;
                switch (name)
                {
                    case Name.InvokingEvent:
                        if (!TryInvokingEvent(ref reader, payload, ref offset, out buffer, out length)) return false;
                        break;
                    case Name.EventLeftScope:
                        if (!reader.Read()) return false;
                        // Json.Bool: true and false, and the strings bool.TryParse reads; anything else is no value (false).
                        leftScope = reader.TokenType switch
                        {
                            JsonTokenType.True => true,
                            JsonTokenType.String => bool.TryParse(reader.GetString(), out var b) && b,
                            _ => false,
                        };
                        reader.Skip();
                        break;
                    case Name.ConfigRuleArn:
                        if (!reader.Read()) return false;
                        arn = ConfigNotificationReader.Text(ref reader);
                        break;
                    case Name.AccountId:
                        if (!reader.Read()) return false;
                        account = reader.TokenType == JsonTokenType.String ? Present.OrNull(reader.GetString()) : null;
                        reader.Skip();
                        break;
                    default:
                        reader.Skip();
                        break;
                }
            }
            // The root closed: the rest may only be white space or comments (Read throws otherwise).
            if (reader.CurrentDepth != 0 || reader.Read()) return false;
            // EventRouter.Classify's test: an invokingEvent, and a configRuleName or a resultToken.
            if ((seen & Name.InvokingEvent) == 0 || (seen & (Name.ConfigRuleName | Name.ResultToken)) == 0 || buffer is null) return false;

            // The embedded document gets the router's repair too (its escapes were one level down), as in the document path.
            var text = LoneSurrogates.Repair(buffer.AsMemory(0, length), out _);
            var read = new Invocation { LeftScope = leftScope, Account = account, ConfigRuleArn = arn };
            if (ConfigNotificationReader.TryRead(text.Span, out read.Read)) read.Text = null;
            else read.Text = text.ToArray();
            invocation = read;
            return true;
        }
        finally
        {
            if (buffer is not null) System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// The invokingEvent's value (the reader is on its name): a string unescaped into a rented <paramref name="buffer"/>,
    /// the reader left on it (or, when it was found by <see cref="FindStringEnd"/>, replaced by one that resumes after it).
    /// </summary>
    private static bool TryInvokingEvent(ref Utf8JsonReader reader, ReadOnlySpan<byte> payload, ref int offset, out byte[]? buffer, out int length)
    {
        buffer = null;
        length = 0;
        // The name's token ends after its colon; the value follows after white space (a comment: the reader reads it).
        var at = offset + checked((int)reader.BytesConsumed);
        while (at < payload.Length && payload[at] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n') at++;
        if (at < payload.Length && payload[at] == (byte)'"')
        {
            var end = FindStringEnd(payload, at + 1);
            if (end < 0) return false;
            var body = payload[(at + 1)..end];
            buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(Math.Max(1, body.Length));
            if (!Json.TryUnescape(body, buffer, out length)) return false;
            // The reader's state after a string value here, from the reader's own state machine: a reader in the state after
            // the name reads an empty string. Only positions differ from a read of the real string (used in error messages).
            var empty = new Utf8JsonReader("\"\""u8, isFinalBlock: false, reader.CurrentState);
            if (!empty.Read() || empty.TokenType != JsonTokenType.String) return false;
            offset = end + 1;
            reader = new Utf8JsonReader(payload[offset..], isFinalBlock: true, empty.CurrentState);
            return true;
        }
        if (!reader.Read() || reader.TokenType != JsonTokenType.String) return false;
        var raw = reader.ValueSpan;
        buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(Math.Max(1, raw.Length));
        return Json.TryUnescape(raw, buffer, out length);
    }

    /// <summary>
    /// The index of the quote closing the JSON string whose body starts at <paramref name="start"/>, or -1 when the text
    /// ends first or the body holds a byte below 0x20 (which the reader rejects). A backslash escapes the byte after it;
    /// whether the escapes are well formed is left to the unescape, which decodes only well-formed ones. 32 or 16 bytes at
    /// a time (<see cref="Block"/>): a backslash followed by a quote (JSON carried in a string escapes every quote) is taken in the block; any
    /// other backslash is stepped over on its own.
    /// </summary>
    internal static int FindStringEnd(ReadOnlySpan<byte> json, int start)
    {
        var i = start;
        // Whether the block's first byte is escaped by a backslash that ended the block before.
        var carry = 0u;
        if (Vector256.IsHardwareAccelerated)
        {
            // The same walk 32 bytes at a time where the hardware has them (x86-64 with AVX2); the 16-byte walk below finishes.
            ref var origin = ref MemoryMarshal.GetReference(json);
            var backslash = Vector256.Create((byte)'\\');
            var quote = Vector256.Create((byte)'"');
            var space = Vector256.Create((byte)0x20);
            while (i + Vector256<byte>.Count < json.Length)
            {
                var block = Vector256.LoadUnsafe(ref origin, (nuint)i);
                var end = Block(Vector256.Equals(block, backslash).ExtractMostSignificantBits(), Vector256.Equals(block, quote).ExtractMostSignificantBits(),
                    Vector256.LessThan(block, space).ExtractMostSignificantBits(),
                    Vector256.Equals(Vector256.LoadUnsafe(ref origin, (nuint)(i + 1)), quote).ExtractMostSignificantBits(), Vector256<byte>.Count, ref i, ref carry);
                if (end != InString) return end;
            }
        }
        if (Vector128.IsHardwareAccelerated)
        {
            ref var origin = ref MemoryMarshal.GetReference(json);
            var backslash = Vector128.Create((byte)'\\');
            var quote = Vector128.Create((byte)'"');
            var space = Vector128.Create((byte)0x20);
            // The block and the byte after it are read.
            while (i + Vector128<byte>.Count < json.Length)
            {
                var block = Vector128.LoadUnsafe(ref origin, (nuint)i);
                var end = Block(Vector128.Equals(block, backslash).ExtractMostSignificantBits(), Vector128.Equals(block, quote).ExtractMostSignificantBits(),
                    Vector128.LessThan(block, space).ExtractMostSignificantBits(),
                    Vector128.Equals(Vector128.LoadUnsafe(ref origin, (nuint)(i + 1)), quote).ExtractMostSignificantBits(), Vector128<byte>.Count, ref i, ref carry);
                if (end != InString) return end;
            }
        }
        // The rest byte by byte (after an escaped quote that began the next block: past it).
        for (i += (int)carry; i < json.Length; i++)
        {
            var c = json[i];
            if (c == (byte)'"') return i;
            if (c < 0x20) return -1;
            if (c == (byte)'\\') i++;
        }
        return -1;
    }

    // Block's answer when the string goes on past the block (or past an escape in it): the walk continues at i.
    private const int InString = int.MinValue;

    /// <summary>
    /// One block of <see cref="FindStringEnd"/> at <paramref name="i"/>, <paramref name="width"/> bytes wide, from its masks
    /// (bit n: byte n is a backslash, a quote, below 0x20; byte n + 1 is a quote): the closing quote's index, -1 for a
    /// control byte, or <see cref="InString"/> with <paramref name="i"/> moved past the block or past the block's first
    /// escape that is not of a quote, and <paramref name="carry"/> set when the block's last byte escapes the next one.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Block(uint backslashes, uint quotes, uint controls, uint quotedNext, int width, ref int i, ref uint carry)
    {
        backslashes &= ~carry;
        quotes &= ~carry;
        // Backslashes escaping a quote; until the first other backslash, each one is itself unescaped.
        var escapesQuote = backslashes & quotedNext;
        var other = backslashes & ~quotedNext;
        var closing = quotes & ~(escapesQuote << 1);
        var stop = closing | other | controls;
        if (stop == 0)
        {
            carry = (escapesQuote >> (width - 1)) & 1;
            i += width;
            return InString;
        }
        var bit = BitOperations.TrailingZeroCount(stop);
        if (((controls >> bit) & 1) != 0) return -1;
        if (((closing >> bit) & 1) != 0) return i + bit;
        // Another escape: the backslash and the byte it escapes (a \u's hex digits are plain bytes).
        i += bit + 2;
        carry = 0;
        return InString;
    }
}
