using IsmsServerless.Access;
using IsmsServerless.Engine;
using IsmsServerless.Model;

namespace IsmsServerless.Inputs;

/// <summary>
/// A revoke or reduce decision of an access review campaign, with the principal as the access inventory shows it now
/// (<see cref="Current"/> null: Config no longer shows the principal). Built when the decision is taken and by the
/// sweep's access-review re-check.
/// </summary>
public sealed record AccessDecisionInput : RuleInput
{
    public required AccessReviewDecision Decision { get; init; }

    public AccessPrincipal? Current { get; init; }

    public override IEnumerable<Evaluation> Dispatch(RuleRegistry registry, EvaluationContext context) =>
        registry.Evaluate(this, context);
}
