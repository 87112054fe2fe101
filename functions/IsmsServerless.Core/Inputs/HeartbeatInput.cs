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

    /// <summary>
    /// Whether anything this source reports on is in scope (null: not asked, or unknown: judge as in scope). Set for
    /// <c>aws.backup</c> from the open <c>backup.daily</c> obligations: no resource in scope, no backup is expected.
    /// </summary>
    public bool? InScope { get; init; }

    /// <summary>When the earliest resource still in scope came into scope (its open cycle's start); silence is not counted before it.</summary>
    public DateTimeOffset? InScopeSince { get; init; }

    /// <summary>The start of the current silence: the last heartbeat, else the start of watching; never before the scope began.</summary>
    public DateTimeOffset SilentSince
    {
        get
        {
            var since = LastSeenAt ?? WatchingSince;
            return InScopeSince is { } scope && scope > since ? scope : since;
        }
    }

    public string ResourceId => $"heartbeat/{Source}/{AccountId}/{Region}";

    public override IEnumerable<Evaluation> Dispatch(RuleRegistry registry, EvaluationContext context) =>
        registry.Evaluate(this, context);
}
