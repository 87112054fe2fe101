using IsmsServerless.Inputs;

namespace IsmsServerless.Engine;

/// <summary>
/// A rule that can only ever judge inputs carrying one of <see cref="DispatchKeys"/> (<see cref="RuleInput.DispatchKey"/>:
/// a CloudTrail record's <c>eventSource</c>). The registry then does not call it for other inputs, which saves the call
/// and its iterator for most of the CloudTrail rules on every record (Cloud Custodian's cloudtrail mode maps events to
/// policies the same way). Declare keys only when the rule's own first check already returns nothing for every other
/// key: the keys are a dispatch shortcut, never a second place where the rule's scope is decided
/// (<c>KeyedRuleTests</c> runs each keyed rule on every other source and expects nothing).
/// </summary>
public interface IKeyedRule<in TInput> where TInput : RuleInput
{
    IReadOnlyList<string> DispatchKeys { get; }
}
