using Amazon.DynamoDBv2;
using IsmsServerless.Engine;
using IsmsServerless.Ledger;

namespace IsmsServerless.Sweep;

/// <summary>Everything a scheduled sweep step may use.</summary>
public sealed record SweepContext(IAmazonDynamoDB Dynamo, string TableName, IFindingLedger Ledger, EvaluationContext Evaluation);

/// <summary>What one step did, for the sweep's log line and the CLI's summary.</summary>
public sealed record SweepStepResult(string Step, int Examined, int Findings, int Resolved, IReadOnlyList<string> Notes)
{
    /// <summary>Alert outbox ids this step raised, so <c>./isms sweep</c> can deliver them before it exits.</summary>
    public IReadOnlyList<string> AlertIds { get; init; } = [];

    public static SweepStepResult Empty(string step) => new(step, 0, 0, 0, []);
}

/// <summary>
/// One duty of the scheduled sweep (SLA escalation, waiver expiry, change-review deadlines, drift re-check,
/// patch silence, heartbeats, digest). Run in order by the sweep function and <c>./isms sweep</c>; a step that
/// fails is logged and the others still run.
/// </summary>
public interface ISweepStep
{
    string Name { get; }

    Task<SweepStepResult> RunAsync(SweepContext context, CancellationToken cancellationToken);
}
