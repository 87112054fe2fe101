using System.Globalization;
using System.Text.Json;

namespace IsmsServerless.Model;

/// <summary>
/// Reads the date formats AWS sources really emit. ISO 8601 with Z or an offset (CloudTrail, Config, SSM),
/// Inspector's EventBridge form <c>Wed Sep 04 16:59:44.356 UTC 2024</c>, epoch seconds or milliseconds (SDK
/// responses), and the old <c>Mar 24, 2014 9:11:59 PM</c> of eventVersion 1.0. A value that matches none is
/// untrustworthy and yields false: callers fall back to a later, known time rather than guess.
/// </summary>
public static class Timestamps
{
    private static readonly string[] InspectorFormats =
    [
        "ddd MMM dd HH:mm:ss.fff 'UTC' yyyy",
        "ddd MMM dd HH:mm:ss 'UTC' yyyy",
        "ddd MMM d HH:mm:ss.fff 'UTC' yyyy",
        "ddd MMM d HH:mm:ss 'UTC' yyyy",
    ];

    // The console-style "Dec 3, 2021, 6:02:30 PM" (comma after the year) is what the ECR docs' Inspector2 sample carries.
    private static readonly string[] LegacyFormats = ["MMM d, yyyy h:mm:ss tt", "MMM dd, yyyy h:mm:ss tt", "MMM d, yyyy, h:mm:ss tt"];

    // Earliest and latest instants we accept as real event times; anything outside is a placeholder or garbage
    // (SSM's 1970-01-01 "never installed" sentinel, year 9999). The floor is generous on purpose: anonymised real
    // CloudTrail records (e.g. fivexl's, dated 2000-01-03) must still be evaluated, and an old time only makes a
    // finding more overdue, never hides it.
    private static readonly DateTimeOffset Earliest = new(1990, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Latest = new(2100, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static bool TryParse(string? text, out DateTimeOffset value)
    {
        value = default;
        if (string.IsNullOrWhiteSpace(text) || text.Length > 64) return false;
        text = text.Trim();
        // CloudTrail's and Config's own spelling, read without the general parser (same result: TimestampsTests).
        if (TryParseCanonicalUtc(text, out value)) return value >= Earliest && value < Latest;
        const DateTimeStyles utc = DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal;
        if (char.IsDigit(text[0]) && text.Contains('-', StringComparison.Ordinal))
        {
            // ISO 8601: require an explicit zone; a zoneless local time is ambiguous and AWS never sends one.
            var hasZone = text.EndsWith('Z') || text.EndsWith('z') || HasOffset(text);
            if (!hasZone && text.Contains('T', StringComparison.Ordinal)) return false;
            if (!DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, utc, out value)) return false;
        }
        else if (long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var epoch))
        {
            return TryFromEpoch(epoch, out value);
        }
        else if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var epochSeconds))
        {
            if (double.IsNaN(epochSeconds) || double.IsInfinity(epochSeconds) || epochSeconds is < 0 or > 4_102_444_800) return false;
            value = DateTimeOffset.FromUnixTimeMilliseconds((long)(epochSeconds * 1000));
        }
        else if (!DateTimeOffset.TryParseExact(text, InspectorFormats, CultureInfo.InvariantCulture, utc, out value)
                 && !DateTimeOffset.TryParseExact(text, LegacyFormats, CultureInfo.InvariantCulture, utc, out value))
        {
            return false;
        }
        value = value.ToUniversalTime();
        return value >= Earliest && value < Latest;
    }

    /// <summary>
    /// Exactly <c>yyyy-MM-ddTHH:mm:ssZ</c> or <c>yyyy-MM-ddTHH:mm:ss.fffZ</c> with every field in its ordinary range;
    /// anything else (other fraction lengths, offsets, a leap second, lower-case z) is left to the general parser.
    /// </summary>
    internal static bool TryParseCanonicalUtc(ReadOnlySpan<char> text, out DateTimeOffset value)
    {
        value = default;
        if (text.Length is not (20 or 24) || text[4] != '-' || text[7] != '-' || text[10] != 'T' || text[13] != ':' || text[16] != ':'
            || text[^1] != 'Z' || (text.Length == 24 && text[19] != '.'))
            return false;
        var millisecond = 0;
        if (!Number(text, 0, 4, out var year) || !Number(text, 5, 2, out var month) || !Number(text, 8, 2, out var day)
            || !Number(text, 11, 2, out var hour) || !Number(text, 14, 2, out var minute) || !Number(text, 17, 2, out var second)
            || (text.Length == 24 && !Number(text, 20, 3, out millisecond)))
            return false;
        if (year < 1 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month) || hour > 23 || minute > 59 || second > 59) return false;
        value = new DateTimeOffset(year, month, day, hour, minute, second, millisecond, TimeSpan.Zero);
        return true;
    }

    private static bool Number(ReadOnlySpan<char> text, int start, int length, out int value)
    {
        value = 0;
        for (var i = start; i < start + length; i++)
        {
            if (!char.IsAsciiDigit(text[i])) return false;
            value = value * 10 + (text[i] - '0');
        }
        return true;
    }

    /// <summary>Reads a timestamp from a JSON string or number.</summary>
    public static bool TryParse(JsonElement element, out DateTimeOffset value)
    {
        value = default;
        return element.ValueKind switch
        {
            JsonValueKind.String => TryParse(element.GetString(), out value),
            JsonValueKind.Number when element.TryGetDouble(out var d) => TryParse(d.ToString("R", CultureInfo.InvariantCulture), out value),
            _ => false,
        };
    }

    public static DateTimeOffset? ParseOrNull(string? text) => TryParse(text, out var v) ? v : null;

    /// <summary>Whether <see cref="TryParse(string?, out DateTimeOffset)"/> accepts this instant as a real event time.</summary>
    internal static bool InAcceptedRange(DateTimeOffset value) => value >= Earliest && value < Latest;

    /// <summary>ISO 8601 in UTC with milliseconds, sortable as text: the one format the ledger writes.</summary>
    /// (Written digit by digit: the same text as the custom format string "yyyy-MM-dd'T'HH:mm:ss.fff'Z'", which
    /// <c>TimestampsTests</c> compares it with, without parsing that format on every evidence line.)
    public static string ToWire(DateTimeOffset value) =>
        string.Create(24, value.UtcDateTime, static (text, t) =>
        {
            Digits(text[..4], t.Year);
            text[4] = '-';
            Digits(text.Slice(5, 2), t.Month);
            text[7] = '-';
            Digits(text.Slice(8, 2), t.Day);
            text[10] = 'T';
            Digits(text.Slice(11, 2), t.Hour);
            text[13] = ':';
            Digits(text.Slice(14, 2), t.Minute);
            text[16] = ':';
            Digits(text.Slice(17, 2), t.Second);
            text[19] = '.';
            Digits(text.Slice(20, 3), t.Millisecond);
            text[23] = 'Z';
        });

    private static void Digits(Span<char> into, int value)
    {
        for (var i = into.Length - 1; i >= 0; i--)
        {
            into[i] = (char)('0' + value % 10);
            value /= 10;
        }
    }

    private static bool TryFromEpoch(long epoch, out DateTimeOffset value)
    {
        value = default;
        // Seconds until 2100 fit in 10 digits; anything larger is milliseconds.
        if (epoch is < 0 or > 4_102_444_800_000) return false;
        value = epoch > 4_102_444_800 ? DateTimeOffset.FromUnixTimeMilliseconds(epoch) : DateTimeOffset.FromUnixTimeSeconds(epoch);
        return value >= Earliest && value < Latest;
    }

    private static bool HasOffset(string text)
    {
        // "+hh:mm" / "-hh:mm" / "+hhmm" after the time part.
        var t = text.IndexOf('T', StringComparison.Ordinal);
        if (t < 0) t = text.IndexOf(' ', StringComparison.Ordinal);
        if (t < 0) return false;
        var tail = text.AsSpan(t);
        return tail.LastIndexOfAny('+', '-') > 0;
    }
}
