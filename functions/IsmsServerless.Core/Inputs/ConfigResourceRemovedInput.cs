using IsmsServerless.Engine;
using IsmsServerless.Model;

namespace IsmsServerless.Inputs;

/// <summary>
/// Sent alongside a <see cref="ResourceGoneInput"/> when AWS Config reports a resource deleted or out of scope, for the
/// store-backed enrichers that keep per-resource state: the drift store forgets the resource's latest configuration so
/// the sweep stops re-judging it (and cannot reopen the findings the pipeline just closed). No rule takes it; the pipeline
/// hands <see cref="ResourceGoneInput"/> itself to the ledger only, never to enrichers.
/// </summary>
public sealed record ConfigResourceRemovedInput : RuleInput
{
    public required string ResourceKey { get; init; }
    public string ResourceType { get; init; } = "";

    public override IEnumerable<Evaluation> Dispatch(RuleRegistry registry, EvaluationContext context) => [];
}
