using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using IsmsServerless.Ledger;

namespace IsmsServerless.Heartbeats;

/// <summary>Every heartbeat and the watch-start marker; what the sweep judges and the status page shows.</summary>
public sealed record HeartbeatSnapshot(IReadOnlyList<HeartbeatItem> Heartbeats, DateTimeOffset? WatchStarted);

/// <summary>Reads the heartbeat items with one paginated Query on <c>PK=HEARTBEAT</c> (never a Scan).</summary>
public static class HeartbeatReader
{
    public static async Task<HeartbeatSnapshot> ReadAsync(IAmazonDynamoDB dynamo, string tableName, CancellationToken cancellationToken = default)
    {
        var heartbeats = new List<HeartbeatItem>();
        DateTimeOffset? watchStarted = null;
        Dictionary<string, AttributeValue>? start = null;
        do
        {
            var page = await dynamo.QueryAsync(new QueryRequest
            {
                TableName = tableName,
                KeyConditionExpression = "#pk = :pk",
                ExpressionAttributeNames = new Dictionary<string, string> { ["#pk"] = LedgerSchema.PartitionKey },
                ExpressionAttributeValues = new Dictionary<string, AttributeValue> { [":pk"] = new() { S = HeartbeatItem.PartitionKeyValue } },
                ExclusiveStartKey = start,
            }, cancellationToken).ConfigureAwait(false);
            foreach (var item in page.Items ?? [])
            {
                var sortKey = item.TryGetValue(LedgerSchema.SortKey, out var sk) ? sk.S : null;
                if (sortKey == HeartbeatItem.WatchStartedSortKey)
                    watchStarted = HeartbeatItem.ParseTime(item.TryGetValue("startedAt", out var at) ? at.S : null);
                else if (HeartbeatItem.FromAttributes(item) is { } heartbeat)
                    heartbeats.Add(heartbeat);
            }
            start = page.LastEvaluatedKey is { Count: > 0 } next ? next : null;
        }
        while (start is not null);
        return new HeartbeatSnapshot(heartbeats, watchStarted);
    }
}
