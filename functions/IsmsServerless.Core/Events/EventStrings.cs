using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace IsmsServerless.Events;

/// <summary>
/// The text of a JSON string read from an event, without a new string where the same text was already read:
/// <list type="bullet">
/// <item>values AWS sends in event after event (regions, CloudTrail event types and versions, identity types, service
/// hosts, Config statuses) come from a fixed table, the same string object each time;</item>
/// <item>within one event (<see cref="BeginEvent"/>, called by <c>RuleEngine.Adapt</c>), a value read again (a CloudTrail
/// record names its account four times, a role ARN twice) is the string read the first time.</item>
/// </list>
/// Only plain ASCII values of up to <see cref="MaxLength"/> bytes without escapes are looked up (every other value is
/// decoded as before), and a hit is always confirmed by comparing the whole text, so the result equals
/// <see cref="JsonElement.GetString"/>'s in every case. Bounded: a fixed table and a fixed number of slots per thread;
/// an attacker-chosen value can take a slot from another value, never grow anything. Scoped per event so a benchmark that
/// evaluates one payload again and again shares nothing between its evaluations that production would not.
/// </summary>
internal static class EventStrings
{
    /// <summary>The longest value looked up (an ARN or a user agent longer than this is decoded as before).</summary>
    public const int MaxLength = 64;

    private const int SlotCount = 64;

    /// <summary>Bytes that end the plain-ASCII fast path: a backslash (an escape follows) and anything not ASCII.</summary>
    private static readonly System.Buffers.SearchValues<byte> NotPlain = System.Buffers.SearchValues.Create(
        [(byte)'\\', .. Enumerable.Range(0x80, 0x80).Select(b => (byte)b)]);

    // The slots and the current event's number in one per-thread object: a thread-static read is a call into the
    // runtime's TLS on Linux, so a string looked up costs one, not two.
    [ThreadStatic] private static ThreadSlots? t_state;

    private sealed class ThreadSlots
    {
        public readonly Slot[] Slots = new Slot[SlotCount];
        public int Event;
    }

    private struct Slot
    {
        public int Event;
        public string? Value;
    }

    /// <summary>Starts a new event on this thread: values read for earlier events are no longer shared.</summary>
    public static void BeginEvent() => (t_state ??= new ThreadSlots()).Event++;

    /// <summary><see cref="JsonElement.GetString"/> of a <see cref="JsonValueKind.String"/> element.</summary>
    public static string GetString(JsonElement value)
    {
        var raw = JsonMarshal.GetRawUtf8Value(value);
        if (raw.Length < 2 || raw.Length > MaxLength + 2) return value.GetString()!;
        var body = raw[1..^1];
        if (body.IndexOfAny(NotPlain) >= 0) return value.GetString()!;
        var hash = Hash(body);
        if (Known.Find(body, hash) is { } known) return known;
        var state = t_state ??= new ThreadSlots();
        var current = state.Event;
        ref var slot = ref state.Slots[hash & (SlotCount - 1)];
        if (slot.Event == current && slot.Value is { } seen && seen.Length == body.Length && Ascii.Equals(body, seen)) return seen;
        // Plain ASCII without escapes: the text is the bytes widened (what GetString returns, without its escape scan).
        var text = Encoding.ASCII.GetString(body);
        slot.Event = current;
        slot.Value = text;
        return text;
    }

    /// <summary>
    /// Exactly <see cref="ElementBindingPlan.LenientString"/> (<see cref="LenientStringConverter.Read"/> from an element)
    /// with one read of the element's metadata, not two: the value's raw bytes tell its kind by their first byte (a
    /// string's quote, <c>t</c>rue, <c>f</c>alse, <c>n</c>ull, an object's or array's bracket, else a number). A string
    /// of plain ASCII without escapes is its bytes widened (what <see cref="JsonElement.GetString"/> returns), at any
    /// length, looked up as <see cref="GetString"/> looks it up up to <see cref="MaxLength"/> bytes; one that starts with a
    /// visible ASCII character is not blank (<see cref="Model.Present.IsBlank"/> stops at its first character), so only
    /// the others are tested. Anything else takes <see cref="ElementBindingPlan.LenientString"/>'s own path.
    /// </summary>
    public static string? Lenient(JsonElement value)
    {
        var raw = JsonMarshal.GetRawUtf8Value(value);
        switch (raw[0])
        {
            case (byte)'"':
                break;
            case (byte)'t': return "true";
            case (byte)'f': return "false";
            case (byte)'n' or (byte)'{' or (byte)'[': return null;
            default: return ElementBindingPlan.LenientString(value);
        }
        var body = raw[1..^1];
        if (body.Length == 0) return null;
        if (body.IndexOfAny(NotPlain) >= 0) return Model.Present.OrNull(value.GetString());
        return LenientAscii(body);
    }

    /// <summary>
    /// <see cref="Lenient(JsonElement)"/> of the value the reader is on, read from its bytes (issue 20 wave 11: a record read
    /// in the router's one pass, <see cref="CloudTrailRecordStreamReader"/>): the same text, table and per-event strings;
    /// an object or array is skipped (the reader ends on its last token) and read as null. False for a number that is not
    /// an <see cref="long"/> (the element path formats its double: the caller declines to that path).
    /// </summary>
    public static bool TryLenient(ref Utf8JsonReader reader, out string? text)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.String:
                if (reader.ValueIsEscaped)
                {
                    text = Model.Present.OrNull(reader.GetString());
                    return true;
                }
                var body = reader.ValueSpan;
                if (body.Length == 0) text = null;
                // Not escaped: no backslash in the body (the reader marks every string holding one), so plain is ASCII.
                else if (!Ascii.IsValid(body)) text = Model.Present.OrNull(reader.GetString());
                else text = LenientAscii(body);
                return true;
            case JsonTokenType.True:
                text = "true";
                return true;
            case JsonTokenType.False:
                text = "false";
                return true;
            case JsonTokenType.Null:
                text = null;
                return true;
            case JsonTokenType.StartObject or JsonTokenType.StartArray:
                reader.Skip();
                text = null;
                return true;
            case JsonTokenType.Number when reader.TryGetInt64(out var number):
                text = number.ToString(System.Globalization.CultureInfo.InvariantCulture);
                return true;
            default:
                text = null;
                return false;
        }
    }

    /// <summary>The lenient text of a non-empty plain ASCII string body without escapes (the table, the slots, the blank test).</summary>
    private static string? LenientAscii(ReadOnlySpan<byte> body)
    {
        string text;
        if (body.Length > MaxLength) text = Widen(body);
        else
        {
            var hash = Hash(body);
            if (Known.Find(body, hash) is { } known) return known;
            var state = t_state ??= new ThreadSlots();
            var current = state.Event;
            ref var slot = ref state.Slots[hash & (SlotCount - 1)];
            if (slot.Event == current && slot.Value is { } seen && seen.Length == body.Length && Ascii.Equals(body, seen)) text = seen;
            else
            {
                text = Widen(body);
                slot.Event = current;
                slot.Value = text;
            }
        }
        // A first character from '!' to '~' is neither white space, a control nor a format character: not blank.
        return (uint)(body[0] - 0x21) < 0x5E ? text : Model.Present.OrNull(text);
    }

    /// <summary>Plain ASCII bytes as a string: each byte widened to its char (what the ASCII and UTF-8 decoders return).</summary>
    private static string Widen(ReadOnlySpan<byte> ascii) =>
        string.Create(ascii.Length, ascii, static (chars, bytes) => Ascii.ToUtf16(bytes, chars, out _));

    /// <summary>A slot index for ASCII text: its length, first and last eight bytes mixed (collisions only cost a miss).</summary>
    internal static int Hash(ReadOnlySpan<byte> text)
    {
        ulong head, tail;
        if (text.Length >= 8)
        {
            head = MemoryMarshal.Read<ulong>(text);
            tail = MemoryMarshal.Read<ulong>(text[^8..]);
        }
        else
        {
            head = 0;
            for (var i = 0; i < text.Length; i++) head |= (ulong)text[i] << (8 * i);
            tail = 0;
        }
        var mixed = (head * 0x9E3779B97F4A7C15UL) ^ (tail * 0xC2B2AE3D27D4EB4FUL) ^ (ulong)text.Length;
        return (int)((mixed ^ (mixed >> 29)) * 0x165667B19E3779F9UL >> 40);
    }

    /// <summary>Values that recur in every account's events: one string object each, found by open addressing.</summary>
    internal static class Known
    {
        private const int TableSize = 1024;

        internal static readonly string[] Values =
        [
            "true", "false",
            "1.0", "1.01", "1.02", "1.03", "1.04", "1.05", "1.06", "1.07", "1.08", "1.09", "1.10", "1.11",
            "AwsApiCall", "AwsServiceEvent", "AwsConsoleAction", "AwsConsoleSignIn", "AwsVpceEvent",
            "Management", "Data", "NetworkActivity",
            "Root", "IAMUser", "AssumedRole", "FederatedUser", "AWSAccount", "AWSService", "Role", "IdentityCenterUser",
            "SAMLUser", "WebIdentityUser", "Directory", "Unknown",
            "us-east-1", "us-east-2", "us-west-1", "us-west-2", "af-south-1", "ap-east-1", "ap-east-2", "ap-south-1", "ap-south-2",
            "ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-4", "ap-southeast-5", "ap-southeast-7",
            "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ca-central-1", "ca-west-1", "eu-central-1", "eu-central-2",
            "eu-west-1", "eu-west-2", "eu-west-3", "eu-south-1", "eu-south-2", "eu-north-1", "il-central-1", "me-south-1",
            "me-central-1", "mx-central-1", "sa-east-1", "us-gov-east-1", "us-gov-west-1", "cn-north-1", "cn-northwest-1",
            "AWS Internal", "console.amazonaws.com", "signin.amazonaws.com", "cloudtrail.amazonaws.com", "config.amazonaws.com",
            "dynamodb.amazonaws.com", "ec2.amazonaws.com", "events.amazonaws.com", "iam.amazonaws.com", "rds.amazonaws.com",
            "s3.amazonaws.com", "sts.amazonaws.com", "sso.amazonaws.com", "kms.amazonaws.com", "lambda.amazonaws.com",
            "logs.amazonaws.com", "monitoring.amazonaws.com", "sns.amazonaws.com", "sqs.amazonaws.com", "ssm.amazonaws.com",
            "secretsmanager.amazonaws.com", "guardduty.amazonaws.com", "securityhub.amazonaws.com", "organizations.amazonaws.com",
            "autoscaling.amazonaws.com", "elasticloadbalancing.amazonaws.com", "cloudformation.amazonaws.com",
            "backup.amazonaws.com", "inspector2.amazonaws.com", "access-analyzer.amazonaws.com", "ecr.amazonaws.com",
            "ecs.amazonaws.com", "eks.amazonaws.com", "route53.amazonaws.com", "elasticfilesystem.amazonaws.com",
            "OK", "ResourceDiscovered", "ResourceDeleted", "ResourceNotRecorded", "ResourceDeletedNotRecorded",
            "CREATE", "UPDATE", "DELETE", "COMPLIANT", "NON_COMPLIANT", "NOT_APPLICABLE", "INSUFFICIENT_DATA",
        ];

        private static readonly string?[] Table = Build();

        private static string?[] Build()
        {
            var table = new string?[TableSize];
            foreach (var value in Values)
            {
                var at = Hash(Encoding.ASCII.GetBytes(value)) & (TableSize - 1);
                while (table[at] is { } taken)
                {
                    if (taken == value) break;
                    at = (at + 1) & (TableSize - 1);
                }
                table[at] = value;
            }
            return table;
        }

        /// <summary>The table's string equal to <paramref name="text"/> (ASCII), or null.</summary>
        public static string? Find(ReadOnlySpan<byte> text, int hash)
        {
            for (var at = hash & (TableSize - 1); Table[at] is { } candidate; at = (at + 1) & (TableSize - 1))
            {
                if (candidate.Length == text.Length && Ascii.Equals(text, candidate)) return candidate;
            }
            return null;
        }
    }
}
