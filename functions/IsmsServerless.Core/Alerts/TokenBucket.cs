namespace IsmsServerless.Alerts;

/// <summary>
/// A token bucket on a <see cref="TimeProvider"/>: <see cref="Capacity"/> tokens, refilled at
/// <see cref="RatePerSecond"/>. Slack allows about one message per second per incoming webhook; the notifier takes
/// one token per POST. Thread-safe; waiters are served as tokens arrive.
/// </summary>
public sealed class TokenBucket
{
    private readonly TimeProvider _clock;
    private readonly Lock _gate = new();
    private double _tokens;
    private long _lastTimestamp;

    public TokenBucket(double ratePerSecond, double capacity, TimeProvider clock)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(ratePerSecond, 0);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentNullException.ThrowIfNull(clock);
        RatePerSecond = ratePerSecond;
        Capacity = capacity;
        _clock = clock;
        _tokens = capacity;
        _lastTimestamp = clock.GetTimestamp();
    }

    public double RatePerSecond { get; }

    public double Capacity { get; }

    /// <summary>Takes a token if one is available now; otherwise returns how long until one will be.</summary>
    public bool TryTake(out TimeSpan wait)
    {
        lock (_gate)
        {
            Refill();
            if (_tokens >= 1)
            {
                _tokens -= 1;
                wait = TimeSpan.Zero;
                return true;
            }
            wait = TimeSpan.FromSeconds((1 - _tokens) / RatePerSecond);
            return false;
        }
    }

    /// <summary>Waits (on the bucket's clock) until a token is available, then takes it.</summary>
    public async Task TakeAsync(CancellationToken cancellationToken)
    {
        while (!TryTake(out var wait))
            await Task.Delay(wait, _clock, cancellationToken).ConfigureAwait(false);
    }

    private void Refill()
    {
        var now = _clock.GetTimestamp();
        var elapsed = _clock.GetElapsedTime(_lastTimestamp, now);
        _lastTimestamp = now;
        _tokens = Math.Min(Capacity, _tokens + elapsed.TotalSeconds * RatePerSecond);
    }
}
