using System.Globalization;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using IsmsServerless.Ledger;
using IsmsServerless.Model;

namespace IsmsServerless.Inventory;

/// <summary>How far a snapshot's back-fill got: every item up to <see cref="Watermark"/> (0-based, in file order) is done.</summary>
/// <param name="Ahead">
/// Items after the watermark already done when an invocation stopped (concurrent items finish out of order; at most the
/// back-fill's concurrency of them): the retry skips them too, so no item is judged twice. Null when none.
/// </param>
public sealed record SnapshotCheckpoint(long Watermark, bool Done, IReadOnlySet<long>? Ahead = null)
{
    /// <summary>True when the item at <paramref name="index"/> was done by an earlier invocation.</summary>
    public bool Covers(long index) => index <= Watermark || Ahead?.Contains(index) == true;

    public bool Equals(SnapshotCheckpoint? other) =>
        other is not null && Watermark == other.Watermark && Done == other.Done
        && (Ahead ?? new HashSet<long>()).SetEquals(other.Ahead ?? new HashSet<long>());

    public override int GetHashCode() => HashCode.Combine(Watermark, Done, Ahead?.Count ?? 0);
}

/// <summary>
/// Back-fill checkpoints in the ledger table (<c>PK=SNAPSHOT#&lt;snapshot id&gt; SK=CHECKPOINT</c>, expiring after 7 days):
/// a Lambda that times out on a large snapshot resumes, at its retry, after the last contiguous item it finished.
/// Writes only move the watermark forward (conditional), so a slow, older invocation never moves it back.
/// </summary>
public sealed class SnapshotCheckpointStore(IAmazonDynamoDB dynamo, string tableName)
{
    /// <summary>Most items ahead of the watermark kept (the back-fill's concurrency bounds them well below this).</summary>
    public const int MaxAhead = 256;

    public async Task<SnapshotCheckpoint?> GetAsync(string snapshotId, CancellationToken cancellationToken = default)
    {
        var response = await dynamo.GetItemAsync(new GetItemRequest { TableName = tableName, Key = Key(snapshotId), ConsistentRead = true }, cancellationToken).ConfigureAwait(false);
        if (response.Item is not { Count: > 0 } item || !item.TryGetValue("watermark", out var w) || !long.TryParse(w.N, NumberStyles.Integer, CultureInfo.InvariantCulture, out var watermark)) return null;
        var ahead = item.TryGetValue("ahead", out var a) && a.NS is { Count: > 0 } numbers
            ? numbers.Select(n => long.TryParse(n, NumberStyles.Integer, CultureInfo.InvariantCulture, out var i) ? i : -1).Where(i => i > watermark).ToHashSet()
            : null;
        return new SnapshotCheckpoint(watermark, item.TryGetValue("done", out var d) && d.BOOL == true, ahead is { Count: > 0 } ? ahead : null);
    }

    /// <summary>
    /// Stores <paramref name="watermark"/> (and the items done beyond it, <paramref name="ahead"/>) unless a later one is
    /// stored; <paramref name="done"/> marks the whole file read.
    /// </summary>
    public Task SaveAsync(string snapshotId, long watermark, bool done, DateTimeOffset now, CancellationToken cancellationToken = default) =>
        SaveAsync(snapshotId, watermark, done, now, null, cancellationToken);

    /// <inheritdoc cref="SaveAsync(string, long, bool, DateTimeOffset, CancellationToken)"/>
    public async Task SaveAsync(string snapshotId, long watermark, bool done, DateTimeOffset now, IReadOnlyCollection<long>? ahead, CancellationToken cancellationToken = default)
    {
        List<long> beyond = done || ahead is null ? [] : ahead.Where(i => i > watermark).Distinct().Take(MaxAhead).ToList();
        var values = new Dictionary<string, AttributeValue>
        {
            [":w"] = new() { N = watermark.ToString(CultureInfo.InvariantCulture) },
            [":d"] = new() { BOOL = done },
            [":false"] = new() { BOOL = false },
            [":at"] = new() { S = Timestamps.ToWire(now) },
            [":et"] = new() { S = "SNAPSHOT_CHECKPOINT" },
            [":ttl"] = new() { N = now.AddDays(7).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture) },
        };
        if (beyond.Count > 0) values[":ahead"] = new() { NS = beyond.Select(i => i.ToString(CultureInfo.InvariantCulture)).ToList() };
        try
        {
            await dynamo.UpdateItemAsync(new UpdateItemRequest
            {
                TableName = tableName,
                Key = Key(snapshotId),
                UpdateExpression = "SET watermark = :w, done = :d, updatedAt = :at, #et = :et, #ttl = :ttl" + (beyond.Count > 0 ? ", ahead = :ahead" : " REMOVE ahead"),
                // Equal watermark: a not-done checkpoint may be rewritten (more items ahead, or done).
                ConditionExpression = "attribute_not_exists(watermark) OR watermark < :w OR (watermark = :w AND done = :false)",
                ExpressionAttributeNames = new Dictionary<string, string> { ["#et"] = LedgerSchema.EntityType, ["#ttl"] = LedgerSchema.TimeToLive },
                ExpressionAttributeValues = values,
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
