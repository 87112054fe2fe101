using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using IsmsServerless.Engine;
using IsmsServerless.Ledger;
using IsmsServerless.Model;
using IsmsServerless.Observability;
using IsmsServerless.Settings;

namespace IsmsServerless.CounterProjection;

/// <summary>
/// The repair for counters that lost a stream record (a batch that kept failing for the stream's 24 hours is described on
/// the projector's failure queue): rebuilds every rule counter item from the findings themselves, found through the
/// indexes (GSI2 <c>RULE#&lt;ruleId&gt;</c> of every registry rule and every rule a counter item names, and the legacy GSI1
/// <c>STATUS#…</c> partitions), never the counters. Each counter item is put whole (the same attributes the projector's
/// ADDs give it), counter items no finding counts in (and <c>SHARD#</c> items of the earliest layout) are deleted. Costs
/// one key-only Query page per 1 MB of index entries and one GetItem per finding, plus one write per counter item: run it
/// with the projector caught up (IteratorAge 0) and ingestion quiet, since a write between this read and its put would be
/// counted by the projector as well. <c>./isms counters rebuild</c>.
/// </summary>
public static class CounterRebuild
{
    public sealed record Result(int Findings, int CounterItems, int Removed);

    public static async Task<Result> RebuildAsync(IAmazonDynamoDB dynamo, string tableName, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dynamo);
        var ledger = new DynamoDbFindingLedger(dynamo, tableName, IsmsSettings.Default) { CounterCatchUp = null };
        var existing = await QueryAllAsync(dynamo, new QueryRequest
        {
            TableName = tableName,
            KeyConditionExpression = "#pk = :pk",
            ExpressionAttributeNames = new() { ["#pk"] = LedgerSchema.PartitionKey },
            ExpressionAttributeValues = new() { [":pk"] = new AttributeValue { S = LedgerKeys.StatsPartition } },
            ConsistentRead = true,
        }, cancellationToken).ConfigureAwait(false);
        var rules = new SortedSet<string>(RuleRegistry.DefaultRules().Select(r => r.Metadata.Id), StringComparer.Ordinal);
        foreach (var item in existing) if (item.GetValueOrDefault("ruleId")?.S is { } rule) rules.Add(rule);

        var ids = new SortedSet<string>(StringComparer.Ordinal);
        void Collect(IEnumerable<Dictionary<string, AttributeValue>> entries)
        {
            foreach (var entry in entries)
            {
                if (entry.GetValueOrDefault(LedgerSchema.PartitionKey)?.S is { } pk && pk.StartsWith(LedgerKeys.FindingPrefix, StringComparison.Ordinal)
                    && entry.GetValueOrDefault(LedgerSchema.SortKey)?.S == LedgerKeys.Meta)
                    ids.Add(pk[LedgerKeys.FindingPrefix.Length..]);
            }
        }
        foreach (var rule in rules)
            Collect(await QueryAllAsync(dynamo, IndexQuery(tableName, LedgerSchema.Gsi2, LedgerSchema.Gsi2PartitionKey, LedgerKeys.RulePartition(rule)), cancellationToken).ConfigureAwait(false));
        foreach (var status in Enum.GetValues<FindingStatus>())
            Collect(await QueryAllAsync(dynamo, IndexQuery(tableName, LedgerSchema.Gsi1, LedgerSchema.Gsi1PartitionKey, LedgerKeys.StatusPartition(status)), cancellationToken).ConfigureAwait(false));

        var counters = new Dictionary<string, (FindingRecord Example, long[] Counts)>(StringComparer.Ordinal);
        var findings = 0;
        foreach (var id in ids)
        {
            if (await ledger.GetAsync(id, cancellationToken).ConfigureAwait(false) is not { } finding) continue;
            findings++;
            var key = LedgerCounters.SortKey(finding);
            var contribution = LedgerCounters.Deltas(null, finding);
            if (!counters.TryGetValue(key, out var entry)) counters[key] = entry = (finding, new long[contribution.Length]);
            for (var i = 0; i < contribution.Length; i++) entry.Counts[i] += contribution[i];
        }
        foreach (var (sortKey, (example, counts)) in counters)
        {
            var item = LedgerCounters.Description(example);
            item[LedgerSchema.PartitionKey] = new AttributeValue { S = LedgerKeys.StatsPartition };
            item[LedgerSchema.SortKey] = new AttributeValue { S = sortKey };
            foreach (var (name, value) in LedgerCounters.Named(counts)) item[name] = new AttributeValue { N = value.ToString(System.Globalization.CultureInfo.InvariantCulture) };
            await dynamo.PutItemAsync(new PutItemRequest { TableName = tableName, Item = item }, cancellationToken).ConfigureAwait(false);
        }
        var removed = 0;
        foreach (var item in existing)
        {
            if (item.GetValueOrDefault(LedgerSchema.SortKey)?.S is not { } sortKey || counters.ContainsKey(sortKey)) continue;
            await dynamo.DeleteItemAsync(new DeleteItemRequest
            {
                TableName = tableName,
                Key = new() { [LedgerSchema.PartitionKey] = item[LedgerSchema.PartitionKey], [LedgerSchema.SortKey] = item[LedgerSchema.SortKey] },
            }, cancellationToken).ConfigureAwait(false);
            removed++;
        }
        Log.Info("counters.rebuilt", ("table", tableName), ("findings", findings), ("counterItems", counters.Count), ("removed", removed));
        return new Result(findings, counters.Count, removed);
    }

    private static QueryRequest IndexQuery(string tableName, string index, string partitionAttribute, string partition) => new()
    {
        TableName = tableName,
        IndexName = index,
        KeyConditionExpression = "#pk = :pk",
        ExpressionAttributeNames = new() { ["#pk"] = partitionAttribute },
        ExpressionAttributeValues = new() { [":pk"] = new AttributeValue { S = partition } },
    };

    private static async Task<List<Dictionary<string, AttributeValue>>> QueryAllAsync(IAmazonDynamoDB dynamo, QueryRequest request, CancellationToken cancellationToken)
    {
        var items = new List<Dictionary<string, AttributeValue>>();
        do
        {
            var page = await dynamo.QueryAsync(request, cancellationToken).ConfigureAwait(false);
            items.AddRange(page.Items ?? []);
            request.ExclusiveStartKey = page.LastEvaluatedKey is { Count: > 0 } next ? next : null;
        }
        while (request.ExclusiveStartKey is not null);
        return items;
    }
}
