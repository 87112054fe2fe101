using IsmsServerless.Inputs;

namespace IsmsServerless.Engine;

/// <summary>
/// Adds stored state to an input before the rules see it (e.g. the approved baseline snapshot of a resource), so
/// rules stay pure. Runs only in store-backed pipelines (Lambda, <c>./isms replay</c>); <c>./isms evaluate</c> has none.
/// Returns the input unchanged when nothing applies.
/// </summary>
public interface IInputEnricher
{
    ValueTask<RuleInput> EnrichAsync(RuleInput input, EvaluationContext context, CancellationToken cancellationToken);
}
