using IsmsServerless.Engine;
using IsmsServerless.Model;

namespace IsmsServerless.Inputs;

/// <summary>
/// A normalized input: what an adapter makes of one source payload, and all a rule ever sees.
/// Each concrete input dispatches itself to the rules that accept its type, so the engine needs no reflection.
/// </summary>
public abstract record RuleInput
{
    public required string AccountId { get; init; }
    public required string Region { get; init; }

    /// <summary>When the source says the thing happened or was observed.</summary>
    public DateTimeOffset? ObservedAt { get; init; }

    /// <summary>The delivering event's id (EventBridge id, CloudTrail eventID), kept as evidence.</summary>
    public string? SourceEventId { get; init; }

    /// <summary>
    /// What rules may be keyed on to skip inputs they never judge (<see cref="IKeyedRule{TInput}"/>); null: every rule
    /// for the input's type runs.
    /// </summary>
    public virtual string? DispatchKey => null;

    /// <summary>Runs every rule registered for this input's type.</summary>
    public abstract IEnumerable<Evaluation> Dispatch(RuleRegistry registry, EvaluationContext context);
}
