using IsmsServerless.Alerts;
using Microsoft.Extensions.Time.Testing;

namespace IsmsServerless.Tests.Alerts;

public sealed class TokenBucketTests
{
    [Fact]
    public void One_message_per_second_then_waits_for_the_next_token()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.Parse("2026-11-23T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var bucket = new TokenBucket(1, 1, clock);
        Assert.True(bucket.TryTake(out _));
        Assert.False(bucket.TryTake(out var wait));
        Assert.Equal(TimeSpan.FromSeconds(1), wait);
        clock.Advance(TimeSpan.FromMilliseconds(500));
        Assert.False(bucket.TryTake(out wait));
        Assert.Equal(TimeSpan.FromMilliseconds(500), wait);
        clock.Advance(TimeSpan.FromMilliseconds(500));
        Assert.True(bucket.TryTake(out _));
    }

    [Fact]
    public void Idle_time_does_not_build_a_burst_beyond_capacity()
    {
        var clock = new FakeTimeProvider();
        var bucket = new TokenBucket(1, 1, clock);
        clock.Advance(TimeSpan.FromHours(1));
        Assert.True(bucket.TryTake(out _));
        Assert.False(bucket.TryTake(out _));
    }

    [Fact]
    public async Task TakeAsync_completes_only_when_the_clock_reaches_the_next_token()
    {
        var clock = new FakeTimeProvider();
        var bucket = new TokenBucket(0.5, 1, clock);
        await bucket.TakeAsync(CancellationToken.None);
        var second = bucket.TakeAsync(CancellationToken.None);
        Assert.False(second.IsCompleted);
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.False(second.IsCompleted);
        clock.Advance(TimeSpan.FromSeconds(1));
        await second.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(second.IsCompletedSuccessfully);
    }
}
