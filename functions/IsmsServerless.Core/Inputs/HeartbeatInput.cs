using IsmsServerless.Engine;
using IsmsServerless.Model;

namespace IsmsServerless.Inputs;

/// <summary>
/// What the sweep knows about one watched source in one account and region: when it last spoke (null: never since
/// monitoring started). Silence rules judge it against their thresholds; they never read the clock themselves.
/// </summary>
public sealed record HeartbeatInput : RuleInput
{
    /// <summary>A <see cref="Heartbeats.HeartbeatSources"/> name.</summary>
    public required string Source { get; init; }

    public DateTimeOffset? LastSeenAt { get; init; }

    /// <summary>When the sweep started watching; silence of a never-heard source is measured from here.</summary>
    public required DateTimeOffset WatchingSince { get; init; }

    public string? LastDetailType { get; init; }

    /// <summary>The start of the current silence: the last heartbeat, else the start of watching.</summary>
    public DateTimeOffset SilentSince => LastSeenAt ?? WatchingSince;

    public string ResourceId => $"heartbeat/{Source}/{AccountId}/{Region}";

    public override IEnumerable<Evaluation> Dispatch(RuleRegistry registry, EvaluationContext context) =>
        registry.Evaluate(this, context);
}
