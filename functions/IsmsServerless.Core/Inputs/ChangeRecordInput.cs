using IsmsServerless.Changes;
using IsmsServerless.Engine;
using IsmsServerless.Model;

namespace IsmsServerless.Inputs;

/// <summary>
/// A change record (all calls of one session, and its review if any) as the deadline rules see it. Built by the
/// register's sweep step from the store, and by <c>./isms evaluate</c> from the events it was given.
/// </summary>
public sealed record ChangeRecordInput : RuleInput
{
    public required ChangeRecord Change { get; init; }

    public static ChangeRecordInput From(ChangeRecord change) => new()
    {
        Change = change,
        AccountId = change.AccountId,
        Region = change.Region,
        ObservedAt = change.LastCallAt,
        SourceEventId = change.ChangeId,
    };

    public override IEnumerable<Evaluation> Dispatch(RuleRegistry registry, EvaluationContext context) =>
        registry.Evaluate(this, context);
}
