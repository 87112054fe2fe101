using Amazon.DynamoDBv2;
using IsmsServerless.Ledger;
using IsmsServerless.Settings;

namespace IsmsServerless.Cli;

/// <summary>
/// The findings ledger the CLI's review resolves overdue findings through. Null until the DynamoDB ledger
/// (branch <c>ledger</c>) is merged: then the review is stored, and the record keeps a sweep timer so the sweep
/// resolves the finding once a ledger is configured.
/// </summary>
internal static class CliLedger
{
    public static IFindingLedger? Create(IAmazonDynamoDB dynamo, string tableName, IsmsSettings settings, TimeProvider clock)
    {
        _ = (dynamo, tableName, settings, clock);
        return null;
    }
}
