using Amazon.DynamoDBv2;
using IsmsServerless.Ledger;
using IsmsServerless.Settings;

namespace IsmsServerless.StatusPage;

/// <summary>Wires the status page's services over one ledger: the Lambda host and <c>./isms serve</c> both call this.</summary>
public static class StatusPageComposition
{
    public static StatusPageServices Services(IFindingLedger ledger) => new()
    {
        Ledger = ledger,
        Overview = new LedgerPagingOverview(ledger),
        Changes = new LedgerChangeReviewQueue(ledger),
        Baselines = null,
    };

    /// <summary>The ledger implementation the status page runs on (the ledger branch's DynamoDB ledger).</summary>
    public static IFindingLedger CreateLedger(IAmazonDynamoDB dynamo, string tableName, IsmsSettings settings) =>
        throw new NotSupportedException($"the DynamoDB ledger is not merged into this branch yet (table {tableName}, {dynamo.GetType().Name}, {settings.Environment})");
}
