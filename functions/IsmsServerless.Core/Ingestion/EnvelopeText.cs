using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using IsmsServerless.Model;

namespace IsmsServerless.Ingestion;

/// <summary>
/// The EventBridge envelope's text fields read without a new string where AWS sends the same value in event after event
/// (the <c>source</c> and <c>detail-type</c> of every event this system reads, the region), and its <c>time</c> read
/// from the UTF-8 bytes when it has CloudTrail's and Config's canonical spelling. Each read returns exactly what the
/// router's lenient read returned before (<c>EventRouter.LenientString</c>, then <see cref="Timestamps.ParseOrNull"/>):
/// a value with an escape, another kind, or any other text takes that path itself.
/// </summary>
/// <remarks>
/// Unlike a general intern table, nothing is hashed: the few constants of the value's byte length are compared whole
/// (usually none or one), which costs less than decoding the value (issue 20 wave 7).
/// </remarks>
internal static class EnvelopeText
{
    /// <summary>Sources, detail types and regions, as AWS spells them; one string object each.</summary>
    internal static readonly string[] Values =
    [
        // source
        "aws.config", "aws.ssm", "aws.inspector2", "aws.ec2", "aws.guardduty", "aws.securityhub", "aws.backup", "aws.events",
        "aws.s3", "aws.signin", "aws.iam", "aws.sts", "aws.kms", "aws.cloudtrail", "aws.rds", "aws.dynamodb", "aws.lambda",
        "aws.sso", "aws.organizations", "aws.health",
        // detail-type
        "Config Configuration Item Change", "Config Rules Compliance Change", "Configuration Compliance State Change",
        "Inspector2 Finding", "EC2 Instance State-change Notification", "AWS API Call via CloudTrail",
        "AWS Console Sign In via CloudTrail", "AWS Service Event via CloudTrail", "AWS Console Action via CloudTrail",
        "AWS Insight via CloudTrail", "GuardDuty Finding", "GuardDuty Runtime Protection Healthy",
        "GuardDuty Runtime Protection Unhealthy", "Security Hub Findings - Imported", "Findings Imported V2",
        "Backup Job State Change", "Copy Job State Change", "Recovery Point State Change", "Restore Job State Change",
        "Scheduled Event",
        // region
        "us-east-1", "us-east-2", "us-west-1", "us-west-2", "af-south-1", "ap-east-1", "ap-east-2", "ap-south-1", "ap-south-2",
        "ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-4", "ap-southeast-5", "ap-southeast-7",
        "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ca-central-1", "ca-west-1", "eu-central-1", "eu-central-2",
        "eu-west-1", "eu-west-2", "eu-west-3", "eu-south-1", "eu-south-2", "eu-north-1", "il-central-1", "me-south-1",
        "me-central-1", "mx-central-1", "sa-east-1", "us-gov-east-1", "us-gov-west-1", "cn-north-1", "cn-northwest-1",
    ];

    private const int MaxLength = 64;

    /// <summary>The values by their length (ASCII: bytes = characters).</summary>
    private static readonly string[][] ByLength = Build();

    private static string[][] Build()
    {
        var table = new string[MaxLength + 1][];
        for (var length = 0; length <= MaxLength; length++) table[length] = [.. Values.Where(v => v.Length == length).Distinct(StringComparer.Ordinal)];
        return table;
    }

    /// <summary>
    /// The envelope field's text: what <c>EventRouter.LenientString</c> returns (strings as text, blank as null, numbers and
    /// booleans as text, anything else null), as one of <see cref="Values"/> when the string is one of them.
    /// </summary>
    public static string? Read(JsonElement value)
    {
        if (value.ValueKind == JsonValueKind.String)
        {
            var raw = JsonMarshal.GetRawUtf8Value(value);
            var body = raw.Length >= 2 ? raw[1..^1] : default;
            // Plain text only: with an escape, the bytes are not the text (decoded below, as before).
            if (body.Length is > 0 and <= MaxLength && body.IndexOf((byte)'\\') < 0)
            {
                foreach (var candidate in ByLength[body.Length])
                {
                    if (Ascii.Equals(body, candidate)) return candidate;
                }
            }
        }
        return Lenient(value);
    }

    /// <summary>
    /// <see cref="Read"/> of a string value whose UTF-8 body (between the quotes) holds no escape, from that body: the same
    /// constant, or the same text.
    /// </summary>
    public static string? ReadPlain(ReadOnlySpan<byte> body)
    {
        if (body.Length is > 0 and <= MaxLength)
        {
            foreach (var candidate in ByLength[body.Length])
            {
                if (Ascii.Equals(body, candidate)) return candidate;
            }
        }
        return LenientPlain(body);
    }

    /// <summary><see cref="Lenient"/> of a string value whose UTF-8 body holds no escape, from that body.</summary>
    public static string? LenientPlain(ReadOnlySpan<byte> body) => body.IsEmpty ? null : Present.OrNull(Encoding.UTF8.GetString(body));

    /// <summary><see cref="Time"/> of a string value whose UTF-8 body holds no escape, from that body.</summary>
    public static DateTimeOffset? TimePlain(ReadOnlySpan<byte> body)
    {
        if (body.Length is 20 or 24 && TryCanonicalUtc(body, out var at)) return Timestamps.InAcceptedRange(at) ? at : null;
        return Timestamps.ParseOrNull(LenientPlain(body));
    }

    /// <summary>The router's lenient read, unchanged: strings, numbers and booleans as text; objects and arrays as null.</summary>
    internal static string? Lenient(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => Present.OrNull(value.GetString()),
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        JsonValueKind.Number => value.TryGetInt64(out var l) ? l.ToString(System.Globalization.CultureInfo.InvariantCulture)
            : value.TryGetDouble(out var d) ? d.ToString("R", System.Globalization.CultureInfo.InvariantCulture) : value.GetRawText(),
        _ => null,
    };

    /// <summary>
    /// <see cref="Timestamps.ParseOrNull"/> of the field's lenient text. A string spelled exactly <c>yyyy-MM-ddTHH:mm:ssZ</c>
    /// or <c>yyyy-MM-ddTHH:mm:ss.fffZ</c> (what AWS sends) is read from its bytes, with the same checks as
    /// <c>Timestamps.TryParseCanonicalUtc</c> and the same accepted range; any other value goes through the text as before.
    /// </summary>
    public static DateTimeOffset? Time(JsonElement value)
    {
        if (value.ValueKind == JsonValueKind.String)
        {
            var raw = JsonMarshal.GetRawUtf8Value(value);
            if (raw.Length is 22 or 26 && TryCanonicalUtc(raw[1..^1], out var at)) return Timestamps.InAcceptedRange(at) ? at : null;
        }
        return Timestamps.ParseOrNull(Lenient(value));
    }

    /// <summary>
    /// <c>Timestamps.TryParseCanonicalUtc</c> over UTF-8 bytes: the bytes widened to chars on the stack (a byte above 0x7F
    /// becomes a Latin-1 char, which is no digit or separator either; an escaped value never matches: <c>\</c> is no digit).
    /// </summary>
    internal static bool TryCanonicalUtc(ReadOnlySpan<byte> text, out DateTimeOffset value)
    {
        value = default;
        if (text.Length is not (20 or 24)) return false;
        Span<char> chars = stackalloc char[24];
        for (var i = 0; i < text.Length; i++) chars[i] = (char)text[i];
        return Timestamps.TryParseCanonicalUtc(chars[..text.Length], out value);
    }
}
