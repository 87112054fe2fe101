using Amazon.DynamoDBv2;
using IsmsServerless.Engine;

namespace IsmsServerless.Pipeline;

/// <summary>
/// The enrichers the store-backed pipeline runs, in order (shared list: each area appends its own, e.g. the drift
/// baseline lookup). They read the same table as the ledger.
/// </summary>
public static class InputEnrichers
{
    public static IReadOnlyList<IInputEnricher> Default(IAmazonDynamoDB dynamo, string tableName)
    {
        ArgumentNullException.ThrowIfNull(dynamo);
        ArgumentException.ThrowIfNullOrEmpty(tableName);
        return
        [
            new Drift.ApprovedBaselineEnricher(new Drift.DriftStore(dynamo, tableName)),
            // change: register emergency / manual / out-of-pipeline calls, grouped by session
            new Changes.ChangeRegisterEnricher(dynamo, tableName),
            // monitoring: failed console sign-in counts for the burst rule
            new Monitoring.SignInFailureCounter(dynamo, tableName),
            // access: last activity per principal (once a day) and IAM credential facts, for the access inventory
            new Access.AccessActivityRecorder(new Access.AccessActivityStore(dynamo, tableName)),
        ];
    }
}
