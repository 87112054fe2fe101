using IsmsServerless.Engine;
using IsmsServerless.Model;
using IsmsServerless.Obligations;

namespace IsmsServerless.Inputs;

/// <summary>An obligation as the overdue rule sees it, built by the sweep's obligations step from the store.</summary>
public sealed record ObligationInput : RuleInput
{
    public required Obligation Obligation { get; init; }

    public static ObligationInput From(Obligation obligation) => new()
    {
        Obligation = obligation,
        AccountId = obligation.Spec.AccountId,
        Region = obligation.Spec.Region,
        ObservedAt = obligation.Attestation?.At ?? obligation.DueAt,
        SourceEventId = obligation.Id,
    };

    public override IEnumerable<Evaluation> Dispatch(RuleRegistry registry, EvaluationContext context) =>
        registry.Evaluate(this, context);
}
