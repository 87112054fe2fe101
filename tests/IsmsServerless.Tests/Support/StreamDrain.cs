using Amazon.DynamoDBv2;
using IsmsServerless.CounterProjection;

namespace IsmsServerless.Tests.Support;

/// <summary>
/// Drains a table's DynamoDB Local stream through the counter projector (the same one Lambda runs), so a test that reads
/// or compares counters sees every write made before it. Not a sleep: it reads each shard to its end.
/// </summary>
public static class StreamDrain
{
    public static Task DrainAsync(IAmazonDynamoDB client, string table) =>
        (LocalStreamProjection.ForEndpoint(client, table) ?? throw new InvalidOperationException("not a DynamoDB Local client")).CatchUpAsync();
}
