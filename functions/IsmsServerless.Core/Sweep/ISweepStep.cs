using Amazon.DynamoDBv2;
using IsmsServerless.Engine;
using IsmsServerless.Evidence;
using IsmsServerless.Ledger;

namespace IsmsServerless.Sweep;

/// <summary>Everything a scheduled sweep step may use.</summary>
public sealed record SweepContext(IAmazonDynamoDB Dynamo, string TableName, IFindingLedger Ledger, EvaluationContext Evaluation)
{
    /// <summary>
    /// Where the sweep's rule results go as passing evidence (pass and fail per rule and resource), as the ingest path's
    /// do. The sweep function and <c>./isms sweep</c> set it; null records none (tests of one step).
    /// </summary>
    public IEvidenceStore? Evidence { get; init; }

    /// <summary>
    /// Records a step's evaluations in the ledger, then (when <see cref="Evidence"/> is set) their results as passing
    /// evidence with the source <c>sweep:&lt;step&gt;</c>, evaluated now (a re-check of a stored state keeps it fresh). Evidence after the ledger, as in the ingest pipeline: a store
    /// failure fails the step and the next sweep records both again idempotently.
    /// </summary>
    public async Task<LedgerWriteResult> RecordAsync(IReadOnlyList<Model.Evaluation> evaluations, string step, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(evaluations);
        var written = await Ledger.RecordAsync(evaluations, Evaluation, holdEvidence: Evidence is not null, cancellationToken).ConfigureAwait(false);
        // The findings that hold their evidence failure (issue 20 wave 10); a re-check records superseded evaluations as before.
        if (Evidence is not null && evaluations.Count > 0)
            await Evidence.RecordRecheckAsync(evaluations, "sweep:" + step, Evaluation, new EvidenceHolding { Holding = written.HoldingEvidence }, cancellationToken).ConfigureAwait(false);
        return written;
    }
}

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
