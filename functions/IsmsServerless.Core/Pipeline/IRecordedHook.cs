using IsmsServerless.Engine;
using IsmsServerless.Model;

namespace IsmsServerless.Pipeline;

/// <summary>
/// A step the ingest pipeline runs after the ledger write, with the evaluations it recorded (the incident obligations
/// open here). Store failures propagate: the invocation fails and the retry repeats the (idempotent) ledger write and hook.
/// </summary>
public interface IRecordedHook
{
    Task RecordedAsync(IReadOnlyList<Evaluation> evaluations, EvaluationContext context, CancellationToken cancellationToken);
}

/// <summary>The hooks the store-backed pipeline runs after recording (shared list: each area appends its own).</summary>
public static class RecordedHooks
{
    public static IReadOnlyList<IRecordedHook> Default(Amazon.DynamoDBv2.IAmazonDynamoDB dynamo, string tableName, Settings.IsmsSettings settings) =>
    [
        // incidents: the acknowledge / document / review obligations of every incident finding
        new Incidents.IncidentObligationRecorder(new Obligations.DynamoObligationStore(dynamo, tableName, settings), settings),
    ];
}
