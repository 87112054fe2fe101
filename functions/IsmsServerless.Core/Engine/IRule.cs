using IsmsServerless.Inputs;
using IsmsServerless.Model;

namespace IsmsServerless.Engine;

/// <summary>A rule: metadata plus a pure evaluation. Found through <see cref="RuleRegistry"/>.</summary>
public interface IRule
{
    RuleMetadata Metadata { get; }
}

/// <summary>A rule over one kind of normalized input. Must not call AWS, read the clock directly, or throw on odd data.</summary>
public interface IRule<in TInput> : IRule where TInput : RuleInput
{
    IEnumerable<Evaluation> Evaluate(TInput input, EvaluationContext context);
}
