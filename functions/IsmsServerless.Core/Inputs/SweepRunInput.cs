using IsmsServerless.Engine;
using IsmsServerless.Model;

namespace IsmsServerless.Inputs;

/// <summary>One run of the scheduled sweep and the run before it, so a gap in monitoring is judged when the sweep resumes.</summary>
public sealed record SweepRunInput : RuleInput
{
    /// <summary>The previous run's heartbeat; null on the very first run.</summary>
    public DateTimeOffset? PreviousRunAt { get; init; }

    public required DateTimeOffset RunAt { get; init; }

    public override IEnumerable<Evaluation> Dispatch(RuleRegistry registry, EvaluationContext context) =>
        registry.Evaluate(this, context);
}
