using IsmsServerless.Settings;
using IsmsServerless.Sla;

namespace IsmsServerless.Engine;

/// <summary>What rules may consult besides their input: the settings and the clock. Nothing else.</summary>
public sealed class EvaluationContext(IsmsSettings settings, TimeProvider clock)
{
    public IsmsSettings Settings { get; } = settings;
    public TimeProvider Clock { get; } = clock;
    public SlaClock Sla { get; } = new(settings);
    public DateTimeOffset Now => Clock.GetUtcNow();
}
