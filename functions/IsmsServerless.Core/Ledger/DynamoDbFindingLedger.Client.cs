using Amazon.DynamoDBv2;

namespace IsmsServerless.Ledger;

public sealed partial class DynamoDbFindingLedger
{
    /// <summary>The ledger's DynamoDB client, for tests and local tooling that inspect its table (never a production read path).</summary>
    internal IAmazonDynamoDB Client => dynamo;
}
