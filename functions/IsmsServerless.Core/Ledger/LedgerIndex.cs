using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;

namespace IsmsServerless.Ledger;

/// <summary>
/// Reads through the ledger table's GSIs, which project keys only (<see cref="LedgerSchema.IndexProjection"/>): a
/// write to an indexed item costs one small index entry per GSI instead of a second copy of a 1–3 KB item, and a
/// reader that needs the item's attributes fetches the page's items from the table with BatchGetItem (order kept).
/// </summary>
public static class LedgerIndex
{
    private const int MaxAttempts = 12;

    /// <summary>
    /// Queries a GSI, then replaces each returned key-only entry with the table's current item, in index order.
    /// Entries whose item is gone (deleted or expired since the index was updated) are dropped; the page's
    /// <see cref="QueryResponse.LastEvaluatedKey"/> is the query's, so paging is unchanged.
    /// </summary>
    public static Task<QueryResponse> QueryItemsAsync(this IAmazonDynamoDB dynamo, QueryRequest request, CancellationToken cancellationToken = default) =>
        QueryItemsAsync(dynamo, request, null, "query", cancellationToken);

    /// <summary>Same, reporting every request's consumed capacity to <paramref name="observe"/> (benchmarks, diagnostics).</summary>
    public static async Task<QueryResponse> QueryItemsAsync(this IAmazonDynamoDB dynamo, QueryRequest request,
        Action<string, ConsumedCapacity>? observe, string operation, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dynamo);
        ArgumentNullException.ThrowIfNull(request);
        var response = await dynamo.QueryAsync(request, cancellationToken).ConfigureAwait(false);
        if (observe is not null && response.ConsumedCapacity is { } capacity) observe(operation, capacity);
        response.Items ??= [];
        if (request.IndexName is null || response.Items.Count == 0) return response;
        response.Items = await GetItemsAsync(dynamo, request.TableName, response.Items, observe, operation + ".batch-get", cancellationToken).ConfigureAwait(false);
        return response;
    }

    /// <summary>The table's items for the given keys (any extra attributes ignored), in the keys' order, missing ones dropped.</summary>
    public static async Task<List<Dictionary<string, AttributeValue>>> GetItemsAsync(IAmazonDynamoDB dynamo, string tableName,
        IReadOnlyList<Dictionary<string, AttributeValue>> keyed, Action<string, ConsumedCapacity>? observe = null, string operation = "batch-get",
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dynamo);
        ArgumentNullException.ThrowIfNull(keyed);
        var order = new List<(string Pk, string Sk)>(keyed.Count);
        foreach (var item in keyed)
        {
            if (item.TryGetValue(LedgerSchema.PartitionKey, out var pk) && pk.S is not null
                && item.TryGetValue(LedgerSchema.SortKey, out var sk) && sk.S is not null)
                order.Add((pk.S, sk.S));
        }
        var found = new Dictionary<(string, string), Dictionary<string, AttributeValue>>();
        foreach (var chunk in order.Distinct().Chunk(100))
        {
            var keys = chunk.Select(k => new Dictionary<string, AttributeValue>
            {
                [LedgerSchema.PartitionKey] = new() { S = k.Pk },
                [LedgerSchema.SortKey] = new() { S = k.Sk },
            }).ToList();
            for (var attempt = 1; keys.Count > 0; attempt++)
            {
                var response = await dynamo.BatchGetItemAsync(new BatchGetItemRequest
                {
                    RequestItems = new() { [tableName] = new KeysAndAttributes { Keys = keys } },
                    ReturnConsumedCapacity = observe is null ? null : ReturnConsumedCapacity.TOTAL,
                }, cancellationToken).ConfigureAwait(false);
                if (observe is not null && response.ConsumedCapacity is { } capacities)
                    foreach (var c in capacities) observe(operation, c);
                foreach (var item in response.Responses?.GetValueOrDefault(tableName) ?? [])
                {
                    if (item.TryGetValue(LedgerSchema.PartitionKey, out var pk) && item.TryGetValue(LedgerSchema.SortKey, out var sk))
                        found[(pk.S, sk.S)] = item;
                }
                keys = response.UnprocessedKeys?.GetValueOrDefault(tableName)?.Keys ?? [];
                if (keys.Count > 0)
                {
                    if (attempt >= MaxAttempts) throw new LedgerConflictException($"BatchGetItem left {keys.Count} keys unprocessed after {attempt} attempts");
                    await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(5, Math.Min(1000, 25 << Math.Min(attempt, 6)))), cancellationToken).ConfigureAwait(false);
                }
            }
        }
        return order.Select(k => found.GetValueOrDefault(k)).OfType<Dictionary<string, AttributeValue>>().ToList();
    }
}
