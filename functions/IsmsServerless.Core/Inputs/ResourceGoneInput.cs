using IsmsServerless.Engine;
using IsmsServerless.Model;

namespace IsmsServerless.Inputs;

/// <summary>
/// A resource no longer exists or left the recorded scope (Config <c>ResourceDeleted</c>/<c>ResourceNotRecorded</c>,
/// <c>eventLeftScope</c>, an EC2 instance terminated). Adapters emit it; rules do not see it: the store-backed pipeline
/// resolves every open finding on the resource through <see cref="Ledger.IFindingLedger.CloseResourceFindingsAsync"/>.
/// </summary>
public sealed record ResourceGoneInput : RuleInput
{
    public required string ResourceId { get; init; }
    public string ResourceType { get; init; } = "";
    public required string Reason { get; init; }

    public override IEnumerable<Evaluation> Dispatch(RuleRegistry registry, EvaluationContext context) => [];
}
