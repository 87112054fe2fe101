using System.Globalization;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using IsmsServerless.Ledger;
using IsmsServerless.Model;

namespace IsmsServerless.Inventory;

/// <summary>How far a snapshot's back-fill got: every item up to <see cref="Watermark"/> (0-based, in file order) is done.</summary>
public sealed record SnapshotCheckpoint(long Watermark, bool Done);

/// <summary>
/// Back-fill checkpoints in the ledger table (<c>PK=SNAPSHOT#&lt;snapshot id&gt; SK=CHECKPOINT</c>, expiring after 7 days):
/// a Lambda that times out on a large snapshot resumes, at its retry, after the last contiguous item it finished.
/// Writes only move the watermark forward (conditional), so a slow, older invocation never moves it back.
/// </summary>
public sealed class SnapshotCheckpointStore(IAmazonDynamoDB dynamo, string tableName)
{
    public async Task<SnapshotCheckpoint?> GetAsync(string snapshotId, CancellationToken cancellationToken = default)
    {
        var response = await dynamo.GetItemAsync(new GetItemRequest { TableName = tableName, Key = Key(snapshotId), ConsistentRead = true }, cancellationToken).ConfigureAwait(false);
        if (response.Item is not { Count: > 0 } item || !item.TryGetValue("watermark", out var w) || !long.TryParse(w.N, NumberStyles.Integer, CultureInfo.InvariantCulture, out var watermark)) return null;
        return new SnapshotCheckpoint(watermark, item.TryGetValue("done", out var d) && d.BOOL == true);
    }

    /// <summary>Stores <paramref name="watermark"/> unless a later one is stored; <paramref name="done"/> marks the whole file read.</summary>
    public async Task SaveAsync(string snapshotId, long watermark, bool done, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        try
        {
            await dynamo.UpdateItemAsync(new UpdateItemRequest
            {
                TableName = tableName,
                Key = Key(snapshotId),
                UpdateExpression = "SET watermark = :w, done = :d, updatedAt = :at, #et = :et, #ttl = :ttl",
                ConditionExpression = "attribute_not_exists(watermark) OR watermark < :w OR (watermark = :w AND done = :false)",
                ExpressionAttributeNames = new Dictionary<string, string> { ["#et"] = LedgerSchema.EntityType, ["#ttl"] = LedgerSchema.TimeToLive },
                ExpressionAttributeValues = new Dictionary<string, AttributeValue>
                {
                    [":w"] = new() { N = watermark.ToString(CultureInfo.InvariantCulture) },
                    [":d"] = new() { BOOL = done },
                    [":false"] = new() { BOOL = false },
                    [":at"] = new() { S = Timestamps.ToWire(now) },
                    [":et"] = new() { S = "SNAPSHOT_CHECKPOINT" },
                    [":ttl"] = new() { N = now.AddDays(7).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture) },
                },
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (ConditionalCheckFailedException)
        {
            // A later checkpoint is already stored: nothing to do.
        }
    }

    private static Dictionary<string, AttributeValue> Key(string snapshotId) => new()
    {
        [LedgerSchema.PartitionKey] = new() { S = "SNAPSHOT#" + (snapshotId.Length <= 512 ? snapshotId : snapshotId[..512]) },
        [LedgerSchema.SortKey] = new() { S = "CHECKPOINT" },
    };
}
