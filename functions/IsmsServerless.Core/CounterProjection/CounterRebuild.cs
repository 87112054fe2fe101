using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using IsmsServerless.Engine;
using IsmsServerless.Evidence;
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
/// The passing-evidence counters (<c>EVIDENCE</c> / <c>RULE#&lt;ruleId&gt;#…</c>) are rebuilt as well, from the result items
/// (<see cref="RebuildEvidenceAsync"/>).
/// </summary>
public static class CounterRebuild
{
    /// <param name="Findings">Findings counted.</param>
    /// <param name="CounterItems">Finding counter items put.</param>
    /// <param name="Removed">Finding counter items deleted.</param>
    /// <param name="EvidenceResults">Passing-evidence result items read (every result, gone ones included).</param>
    /// <param name="EvidenceCounterItems">Evidence counter items put (one per rule).</param>
    /// <param name="EvidenceRemoved">Evidence counter items deleted (the other shards of the earlier layout).</param>
    public sealed record Result(int Findings, int CounterItems, int Removed, int EvidenceResults = 0, int EvidenceCounterItems = 0, int EvidenceRemoved = 0);

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
        var held = new Dictionary<string, List<FindingRecord>>(StringComparer.Ordinal);
        var findings = 0;
        foreach (var id in ids)
        {
            if (await ledger.GetAsync(id, cancellationToken).ConfigureAwait(false) is not { } finding) continue;
            findings++;
            if (finding.HoldsEvidence)
            {
                if (!held.TryGetValue(finding.RuleId, out var ofRule)) held[finding.RuleId] = ofRule = [];
                ofRule.Add(finding);
            }
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
        var evidence = await RebuildEvidenceAsync(dynamo, tableName, held, cancellationToken).ConfigureAwait(false);
        Log.Info("counters.rebuilt", ("table", tableName), ("findings", findings), ("counterItems", counters.Count), ("removed", removed),
            ("evidenceResults", evidence.Results), ("evidenceCounterItems", evidence.CounterItems), ("evidenceRemoved", evidence.Removed));
        return new Result(findings, counters.Count, removed, evidence.Results, evidence.CounterItems, evidence.Removed);
    }

    /// <summary>
    /// Rebuilds every rule's passing-evidence counter item from its result items (<c>EVIDENCE#&lt;ruleId&gt;</c> /
    /// <c>RES#…</c>, read with one Query per rule of the registry or named by a counter item), never the counters: the
    /// rule's one counter item (<c>RULE#&lt;ruleId&gt;#00</c>, the layout since issue 20 wave 8) is put whole with the sum of
    /// the results' contributions (<see cref="DynamoDbEvidenceStore.Contribution"/>: pass and fail count, gone does not)
    /// and a <c>lastEvaluatedAt</c> that never moves back (the latest of the rule's counter items and the hour of its latest
    /// pass or fail result); the rule's other counter items (shards of the earlier layout, an unsharded item) are deleted.
    /// The same conditions as the finding counters' rebuild apply (projector caught up, ingestion quiet).
    /// Since issue 20 wave 10 an identity's result is its result item when one exists (whatever its <c>hf</c>), else a fail
    /// when its finding holds it (<paramref name="held"/>: the rule's findings with <see cref="FindingRecord.HoldsEvidence"/>,
    /// whatever their status), else nothing; a held failure counts at the hour of its source time.
    /// </summary>
    public static async Task<(int Results, int CounterItems, int Removed)> RebuildEvidenceAsync(IAmazonDynamoDB dynamo, string tableName,
        IReadOnlyDictionary<string, List<FindingRecord>> held, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dynamo);
        ArgumentNullException.ThrowIfNull(held);
        var existing = await QueryAllAsync(dynamo, new QueryRequest
        {
            TableName = tableName,
            KeyConditionExpression = "#pk = :pk AND begins_with(#sk, :rule)",
            ExpressionAttributeNames = new() { ["#pk"] = LedgerSchema.PartitionKey, ["#sk"] = LedgerSchema.SortKey },
            ExpressionAttributeValues = new()
            {
                [":pk"] = new AttributeValue { S = DynamoDbEvidenceStore.SummaryPartition },
                [":rule"] = new AttributeValue { S = "RULE#" },
            },
            ConsistentRead = true,
        }, cancellationToken).ConfigureAwait(false);
        var rules = new SortedSet<string>(RuleRegistry.DefaultRules().Select(r => r.Metadata.Id), StringComparer.Ordinal);
        foreach (var item in existing) if (item.GetValueOrDefault("ruleId")?.S is { Length: > 0 } rule) rules.Add(rule);
        foreach (var rule in held.Keys) rules.Add(rule);

        int results = 0, written = 0, removed = 0;
        foreach (var rule in rules)
        {
            var stored = await QueryAllAsync(dynamo, new QueryRequest
            {
                TableName = tableName,
                KeyConditionExpression = "#pk = :pk AND begins_with(#sk, :res)",
                ProjectionExpression = "#r, evaluatedAt, #sk",
                ExpressionAttributeNames = new() { ["#pk"] = LedgerSchema.PartitionKey, ["#sk"] = LedgerSchema.SortKey, ["#r"] = "result" },
                ExpressionAttributeValues = new()
                {
                    [":pk"] = new AttributeValue { S = DynamoDbEvidenceStore.ResultPartitionPrefix + rule },
                    [":res"] = new AttributeValue { S = DynamoDbEvidenceStore.ResultSortPrefix },
                },
                ConsistentRead = true,
            }, cancellationToken).ConfigureAwait(false);
            var items = existing.Where(i => i.GetValueOrDefault("ruleId")?.S == rule).ToList();
            var storedIds = new HashSet<string>(stored.Select(r => r.GetValueOrDefault(LedgerSchema.SortKey)?.S ?? "")
                .Where(sk => sk.StartsWith(DynamoDbEvidenceStore.ResultSortPrefix, StringComparison.Ordinal))
                .Select(sk => sk[DynamoDbEvidenceStore.ResultSortPrefix.Length..]), StringComparer.Ordinal);
            var heldFailures = held.TryGetValue(rule, out var ofRule) ? ofRule.Where(f => !storedIds.Contains(f.Id)).ToList() : [];
            if (stored.Count == 0 && items.Count == 0 && heldFailures.Count == 0) continue;
            results += stored.Count;
            var counts = new long[DynamoDbEvidenceStore.CounterNames.Length];
            DateTimeOffset? last = null;
            foreach (var result in stored)
            {
                var outcome = result.GetValueOrDefault("result")?.S;
                var contribution = DynamoDbEvidenceStore.Contribution(outcome);
                for (var i = 0; i < counts.Length; i++) counts[i] += contribution[i];
                if (outcome is DynamoDbEvidenceStore.Pass or DynamoDbEvidenceStore.Fail && ReadTime(result, "evaluatedAt") is { } at)
                    last = Later(last, DynamoDbEvidenceStore.LastEvaluatedBucket(at));
            }
            foreach (var finding in heldFailures)
            {
                var contribution = DynamoDbEvidenceStore.Contribution(DynamoDbEvidenceStore.Fail);
                for (var i = 0; i < counts.Length; i++) counts[i] += contribution[i];
                last = Later(last, DynamoDbEvidenceStore.LastEvaluatedBucket(HeldFailures.HeldAt(finding)));
            }
            foreach (var item in items) last = Later(last, ReadTime(item, "lastEvaluatedAt"));

            var key = DynamoDbEvidenceStore.CounterKey(rule, "", DynamoDbEvidenceStore.CounterShards);
            var counter = DynamoDbEvidenceStore.CounterDescription(rule);
            foreach (var (name, value) in key) counter[name] = value;
            for (var i = 0; i < counts.Length; i++)
                counter[DynamoDbEvidenceStore.CounterNames[i]] = new AttributeValue { N = counts[i].ToString(System.Globalization.CultureInfo.InvariantCulture) };
            if (last is { } l) counter["lastEvaluatedAt"] = new AttributeValue { S = Timestamps.ToWire(l) };
            await dynamo.PutItemAsync(new PutItemRequest { TableName = tableName, Item = counter }, cancellationToken).ConfigureAwait(false);
            written++;
            foreach (var item in items)
            {
                if (item.GetValueOrDefault(LedgerSchema.SortKey)?.S is not { } sortKey || sortKey == key[LedgerSchema.SortKey].S) continue;
                await dynamo.DeleteItemAsync(new DeleteItemRequest
                {
                    TableName = tableName,
                    Key = new() { [LedgerSchema.PartitionKey] = item[LedgerSchema.PartitionKey], [LedgerSchema.SortKey] = item[LedgerSchema.SortKey] },
                }, cancellationToken).ConfigureAwait(false);
                removed++;
            }
        }
        return (results, written, removed);
    }

    private static DateTimeOffset? Later(DateTimeOffset? a, DateTimeOffset? b) => a is null ? b : b is null ? a : a >= b ? a : b;

    private static DateTimeOffset? ReadTime(Dictionary<string, AttributeValue> item, string name) =>
        item.GetValueOrDefault(name)?.S is { } text && DateTimeOffset.TryParse(text, System.Globalization.CultureInfo.InvariantCulture,
            System.Globalization.DateTimeStyles.AssumeUniversal, out var at) ? at : null;

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
