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
}
