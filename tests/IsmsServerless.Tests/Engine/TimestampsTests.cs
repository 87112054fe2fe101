using IsmsServerless.Model;

namespace IsmsServerless.Tests.Engine;

public sealed class TimestampsTests
{
    [Theory]
    [InlineData("2024-09-04T16:59:44Z", "2024-09-04T16:59:44.000Z")]
    [InlineData("2024-09-04T16:59:44.356Z", "2024-09-04T16:59:44.356Z")]
    [InlineData("2024-09-04T09:59:44-07:00", "2024-09-04T16:59:44.000Z")]
    [InlineData("2024-09-05T01:59:44+09:00", "2024-09-04T16:59:44.000Z")]
    [InlineData("Wed Sep 04 16:59:44.356 UTC 2024", "2024-09-04T16:59:44.356Z")]
    [InlineData("Mar 24, 2014 9:11:59 PM", "2014-03-24T21:11:59.000Z")]
    [InlineData("1725469184", "2024-09-04T16:59:44.000Z")]
    [InlineData("1725469184356", "2024-09-04T16:59:44.356Z")]
    [InlineData("1725469184.356", "2024-09-04T16:59:44.356Z")]
    public void Real_formats_parse_to_the_same_instant(string text, string expected)
    {
        Assert.True(Timestamps.TryParse(text, out var value));
        Assert.Equal(expected, Timestamps.ToWire(value));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("yesterday")]
    [InlineData("2024-09-04T16:59:44")] // no zone: ambiguous
    [InlineData("1970-01-01T00:00:00+00:00")] // SSM's never-installed sentinel
    [InlineData("9999-12-31T23:59:59Z")]
    [InlineData("NaN")]
    [InlineData("-5")]
    public void Untrustworthy_values_are_refused(string? text) => Assert.False(Timestamps.TryParse(text, out _));

    [Fact]
    public void The_wire_format_is_the_custom_format_string_it_replaced_for_any_instant()
    {
        var random = new Random(20261126);
        DateTimeOffset[] edges =
        [
            DateTimeOffset.MinValue, DateTimeOffset.MaxValue, DateTimeOffset.UnixEpoch,
            new DateTimeOffset(1, 1, 1, 0, 0, 0, TimeSpan.Zero).AddDays(1), new(999, 12, 31, 23, 59, 59, 999, TimeSpan.Zero),
            new(2024, 2, 29, 23, 59, 59, 999, TimeSpan.FromHours(-12)), new DateTimeOffset(2026, 1, 15, 12, 0, 0, TimeSpan.Zero).AddTicks(9_999),
        ];
        var instants = edges.Concat(Enumerable.Range(0, 20_000).Select(_ =>
            new DateTimeOffset(random.NextInt64(DateTimeOffset.UnixEpoch.Ticks - TimeSpan.TicksPerDay * 365 * 1900, DateTimeOffset.MaxValue.Ticks - TimeSpan.TicksPerDay), TimeSpan.Zero)
                .ToOffset(TimeSpan.FromMinutes(random.Next(-14 * 60, 14 * 60 + 1)))));
        foreach (var instant in instants)
            Assert.Equal(instant.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture), Timestamps.ToWire(instant));
    }

    [Fact]
    public void The_canonical_fast_path_reads_what_the_general_parser_reads()
    {
        var random = new Random(7);
        var texts = new List<string>
        {
            "2024-02-29T23:59:59Z", "2023-02-29T00:00:00Z", "2024-13-01T00:00:00Z", "2024-00-10T00:00:00Z", "2024-01-32T00:00:00Z",
            "2024-01-01T24:00:00Z", "2024-01-01T23:60:00Z", "2024-12-31T23:59:60Z", "0000-01-01T00:00:00Z", "1989-12-31T23:59:59.999Z",
            "1990-01-01T00:00:00.000Z", "2099-12-31T23:59:59.999Z", "2100-01-01T00:00:00Z", "2024-01-01T00:00:00.12Z", "2024-01-01T00:00:00.1234Z",
            "2024-01-01t00:00:00Z", "2024-01-01T00:00:00z", "2024-01-01 00:00:00Z", "2024-01-01T00:00:00+00:00", "2024-1-01T00:00:00.000Z",
            "٢٠٢٤-01-01T00:00:00Z", "2024-01-01T00:00:00,123Z", "+024-01-01T00:00:00Z", " 2024-01-01T00:00:00Z ",
        };
        for (var i = 0; i < 20_000; i++)
        {
            var t = new DateTime(1985, 1, 1).AddTicks(random.NextInt64(TimeSpan.TicksPerDay * 365 * 120));
            var text = i % 2 == 0 ? t.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture) : t.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture);
            // And single-character corruptions of it.
            if (i % 5 == 0) text = text.Remove(i % text.Length, 1).Insert(i % text.Length, ((char)('0' + (i / 5) % 12)).ToString());
            texts.Add(text);
        }
        var fast = 0;
        foreach (var text in texts)
        {
            // Where the fast path answers, the general parser (all TryParse used before it) must give the same instant;
            // where it does not, TryParse runs the code it ran before, unchanged.
            if (!Timestamps.TryParseCanonicalUtc(text.Trim(), out var quick)) continue;
            fast++;
            Assert.True(DateTimeOffset.TryParse(text.Trim(), System.Globalization.CultureInfo.InvariantCulture,
                System.Globalization.DateTimeStyles.AssumeUniversal | System.Globalization.DateTimeStyles.AdjustToUniversal, out var general), $"'{text}': the general parser rejects it");
            general = general.ToUniversalTime();
            Assert.Equal(general, quick);
            Assert.Equal(general.Offset, quick.Offset);
            var inRange = general >= new DateTimeOffset(1990, 1, 1, 0, 0, 0, TimeSpan.Zero) && general < new DateTimeOffset(2100, 1, 1, 0, 0, 0, TimeSpan.Zero);
            Assert.Equal(inRange, Timestamps.TryParse(text, out var value));
            if (inRange) Assert.Equal(general, value);
        }
        Assert.True(fast > 15_000, $"only {fast} texts took the fast path");
    }
}
