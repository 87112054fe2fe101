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

/// <summary>
/// A recorded hook that also needs the inputs the evaluations came from (the backup obligations open a resource's first
/// cycle from an in-scope Config item, and close its cycles when the resource is gone). Runs after
/// <see cref="IRecordedHook.RecordedAsync"/>, with every adapted input, <see cref="Inputs.ResourceGoneInput"/> included.
/// </summary>
public interface IRecordedInputsHook
{
    Task InputsRecordedAsync(IReadOnlyList<Inputs.RuleInput> inputs, EvaluationContext context, CancellationToken cancellationToken);
}

/// <summary>The hooks the store-backed pipeline runs after recording (shared list: each area appends its own).</summary>
public static class RecordedHooks
{
    public static IReadOnlyList<IRecordedHook> Default(Amazon.DynamoDBv2.IAmazonDynamoDB dynamo, string tableName, Settings.IsmsSettings settings) =>
    [
        // incidents: the acknowledge / document / review obligations of every incident finding
        new Incidents.IncidentObligationRecorder(new Obligations.DynamoObligationStore(dynamo, tableName, settings), settings),
        // backups: each critical resource's daily backup, cross-region copy and restore-test cycles
        new Backups.BackupObligationRecorder(new Obligations.DynamoObligationStore(dynamo, tableName, settings), settings),
    ];
}
