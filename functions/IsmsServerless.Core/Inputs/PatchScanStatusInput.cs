using IsmsServerless.Engine;
using IsmsServerless.Model;

namespace IsmsServerless.Inputs;

/// <summary>
/// When a managed instance last reported a patch scan (or install) to Systems Manager, from the sweep. An instance
/// that stops reporting can hide any number of missing patches, so silence is judged on its own.
/// </summary>
public sealed record PatchScanStatusInput : RuleInput
{
    public required string InstanceId { get; init; }

    /// <summary><c>OperationEndTime</c> of the last scan or install; null when SSM has no patch state for the instance.</summary>
    public DateTimeOffset? LastOperationEndedAt { get; init; }

    /// <summary><c>Scan</c> or <c>Install</c>.</summary>
    public string? LastOperation { get; init; }

    /// <summary>When the instance registered with Systems Manager (the clock start for one that never reported).</summary>
    public DateTimeOffset? RegisteredAt { get; init; }

    /// <summary><c>Online</c> | <c>ConnectionLost</c> | <c>Inactive</c>.</summary>
    public string PingStatus { get; init; } = "";

    public string Platform { get; init; } = "";

    public override IEnumerable<Evaluation> Dispatch(RuleRegistry registry, EvaluationContext context) =>
        registry.Evaluate(this, context);
}
