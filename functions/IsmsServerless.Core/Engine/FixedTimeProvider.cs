namespace IsmsServerless.Engine;

/// <summary>A clock stopped at one instant: what <c>--at</c> means to the CLI. Tests use FakeTimeProvider instead.</summary>
public sealed class FixedTimeProvider(DateTimeOffset now) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => now.ToUniversalTime();
}
