using System.Globalization;
using Amazon.DynamoDBv2.Model;
using IsmsServerless.CounterProjection;
using IsmsServerless.Engine;
using IsmsServerless.Evidence;
using IsmsServerless.Ledger;
using IsmsServerless.Model;
using IsmsServerless.Tests.Ledger;
using IsmsServerless.Tests.Support;

namespace IsmsServerless.Tests.Evidence;

/// <summary>
/// The passing-evidence counters maintained by the counter projector from real DynamoDB Local stream records: the result
/// write is one conditional PutItem flagged <c>cs</c> (the writer's shard count), the projector moves the result's counter
/// shard by the old and new image's contributions, a redelivered batch counts once, and results an older version wrote
/// (no flag; its transaction ADDed the counters) are never counted twice.
/// </summary>
[Collection(DynamoDbCollection.Name)]
public sealed class EvidenceCounterProjectionTests(DynamoDbLocalFixture dynamo)
{
    private const int Shards = 4;

    private CounterProjector Projector(string table) => new(dynamo.Client, table, [new EvidenceCounterSource()], TimeProvider.System);

    /// <summary>Passes, fails, flips, an older delivery, a deletion and a re-creation over two rules, with the projector off.</summary>
    private async Task<(LedgerTestKit Kit, DynamoDbEvidenceStore Store)> WriteAsync(int shards = Shards)
    {
        var kit = await LedgerTestKit.CreateAsync(dynamo);
        var store = new DynamoDbEvidenceStore(dynamo.Client, kit.Table, "test-1") { Shards = shards, CounterCatchUp = null };
        var at = kit.Now;
        var evaluations = new List<Evaluation>();
        for (var i = 0; i < 12; i++)
        {
            evaluations.Add(i % 3 == 0 ? LedgerTestKit.Finding(LedgerTestKit.PatchRule, $"i-{i}", at) : LedgerTestKit.Compliant(LedgerTestKit.PatchRule, $"i-{i}", at));
            evaluations.Add(LedgerTestKit.Compliant(LedgerTestKit.MonitoringRule, $"arn:aws:iam::12345678901{i % 10}:role/r{i}", at));
        }
        await store.RecordAsync(evaluations, "aws.config", kit.Context);
        kit.Clock.Advance(TimeSpan.FromMinutes(5));
        var later = kit.Now;
        await store.RecordAsync(
            [
                LedgerTestKit.Compliant(LedgerTestKit.PatchRule, "i-0", later), // fail → pass
                LedgerTestKit.Finding(LedgerTestKit.PatchRule, "i-1", later), // pass → fail
                LedgerTestKit.Compliant(LedgerTestKit.PatchRule, "i-3", at.AddMinutes(-1)), // older: dropped
            ], "aws.config", kit.Context);
        var gone = LedgerTestKit.Compliant(LedgerTestKit.PatchRule, "i-2", at);
        await store.ForgetAsync([new GoneResult(gone.Rule.Id, gone.FindingId, gone.ResourceId, gone.ResourceType, gone.SubKey)], later, "aws.config");
        var back = LedgerTestKit.Compliant(LedgerTestKit.PatchRule, "i-4", at);
        await store.ForgetAsync([new GoneResult(back.Rule.Id, back.FindingId, back.ResourceId, back.ResourceType, back.SubKey)], later, "aws.config");
        kit.Clock.Advance(TimeSpan.FromMinutes(5));
        await store.RecordAsync([LedgerTestKit.Finding(LedgerTestKit.PatchRule, "i-4", kit.Now)], "aws.config", kit.Context); // re-created
        return (kit, store);
    }

    /// <summary>Each rule's counters (evaluated, passing, failing), its counter items summed; with <paramref name="perItem"/>, each item's.</summary>
    private async Task<SortedDictionary<string, (long, long, long)>> CountersAsync(string table, bool perItem = false)
    {
        var response = await dynamo.Client.QueryAsync(new QueryRequest
        {
            TableName = table,
            KeyConditionExpression = "PK = :pk",
            ExpressionAttributeValues = new() { [":pk"] = new AttributeValue { S = "EVIDENCE" } },
            ConsistentRead = true,
        });
        static long N(Dictionary<string, AttributeValue> item, string name) => item.TryGetValue(name, out var v) ? long.Parse(v.N, CultureInfo.InvariantCulture) : 0;
        var result = new SortedDictionary<string, (long, long, long)>(StringComparer.Ordinal);
        foreach (var item in response.Items)
        {
            var key = perItem ? item["SK"].S : item["ruleId"].S;
            var (e, p, f) = result.GetValueOrDefault(key);
            result[key] = (e + N(item, "evaluated"), p + N(item, "passing"), f + N(item, "failing"));
        }
        return result;
    }

    /// <summary>What each rule's counters must say: the stored results, counted one by one (scan).</summary>
    private async Task<SortedDictionary<string, (long, long, long)>> ExpectedAsync(string table)
    {
        var expected = new SortedDictionary<string, (long, long, long)>(StringComparer.Ordinal);
        Dictionary<string, AttributeValue>? start = null;
        do
        {
            var page = await dynamo.Client.ScanAsync(new ScanRequest { TableName = table, ExclusiveStartKey = start, ConsistentRead = true });
            foreach (var item in page.Items.Where(i => i["PK"].S.StartsWith("EVIDENCE#", StringComparison.Ordinal) && i["SK"].S.StartsWith("RES#", StringComparison.Ordinal)))
            {
                var sk = item["ruleId"].S;
                var c = DynamoDbEvidenceStore.Contribution(item["result"].S);
                var (e, p, f) = expected.GetValueOrDefault(sk);
                expected[sk] = (e + c[0], p + c[1], f + c[2]);
            }
            start = page.LastEvaluatedKey is { Count: > 0 } next ? next : null;
        }
        while (start is not null);
        return expected;
    }

    [Fact]
    public async Task The_change_is_one_put_and_the_projected_counters_equal_the_stored_results_and_a_redelivered_batch_counts_once()
    {
        var (kit, store) = await WriteAsync();
        var raw = await dynamo.Client.GetItemAsync(kit.Table, new() { ["PK"] = new AttributeValue { S = "EVIDENCE#" + LedgerTestKit.PatchRule.Id },
            ["SK"] = new AttributeValue { S = "RES#" + LedgerTestKit.Compliant(LedgerTestKit.PatchRule, "i-5", kit.Now).FindingId } });
        Assert.Equal(Shards.ToString(CultureInfo.InvariantCulture), raw.Item["cs"].N);
        var records = await LocalStreamProjection.ForEndpoint(dynamo.Client, kit.Table)!.ReadAllAsync();
        Assert.Contains(records, EvidenceCounterSource.IsEvidence);

        var first = await Projector(kit.Table).ApplyAsync(records);
        var counted = await CountersAsync(kit.Table, perItem: true);
        var again = await Projector(kit.Table).ApplyAsync(records);

        Assert.Null(first.FailedAt);
        Assert.True(first.Applied >= 24, $"applied {first.Applied}");
        Assert.Equal(0, again.Applied);
        Assert.Equal(first.Applied, again.AlreadyApplied);
        Assert.Equal(counted, await CountersAsync(kit.Table, perItem: true));
        Assert.Equal(await ExpectedAsync(kit.Table), await CountersAsync(kit.Table));
        var summaries = await store.GetRuleSummariesAsync();
        // PatchRule: 12 written; i-2 gone; i-4 gone then back failing: 11 evaluated; fails: i-1, i-3, i-4, i-6, i-9; i-0 passes now.
        Assert.Equal((11L, 6L, 5L), (summaries[LedgerTestKit.PatchRule.Id].Evaluated, summaries[LedgerTestKit.PatchRule.Id].Passing, summaries[LedgerTestKit.PatchRule.Id].Failing));
        Assert.Equal((12L, 12L, 0L), (summaries[LedgerTestKit.MonitoringRule.Id].Evaluated, summaries[LedgerTestKit.MonitoringRule.Id].Passing, summaries[LedgerTestKit.MonitoringRule.Id].Failing));
        // The hour of the latest evaluation (kit.Now is ten minutes past it).
        Assert.Equal(DynamoDbEvidenceStore.LastEvaluatedBucket(kit.Now), summaries[LedgerTestKit.PatchRule.Id].LastEvaluatedAt);
        Assert.NotEqual(kit.Now, summaries[LedgerTestKit.PatchRule.Id].LastEvaluatedAt);
    }

    [Fact]
    public async Task A_result_the_previous_writer_made_is_not_counted_again_and_the_next_change_moves_its_count()
    {
        var kit = await LedgerTestKit.CreateAsync(dynamo);
        var rule = LedgerTestKit.PatchRule;
        var e = LedgerTestKit.Compliant(rule, "i-legacy", kit.Now);
        var counterKey = DynamoDbEvidenceStore.CounterKey(rule.Id, e.FindingId, 16);
        // The previous version's write, kept here as it was: the result without the flag, its counters ADDed in the same transaction.
        await dynamo.Client.TransactWriteItemsAsync(new TransactWriteItemsRequest
        {
            TransactItems =
            [
                new TransactWriteItem { Put = new Put { TableName = kit.Table, Item = new()
                {
                    ["PK"] = new AttributeValue { S = "EVIDENCE#" + rule.Id }, ["SK"] = new AttributeValue { S = "RES#" + e.FindingId },
                    [LedgerSchema.EntityType] = new AttributeValue { S = "EVIDENCE" }, ["ruleId"] = new AttributeValue { S = rule.Id },
                    ["resourceId"] = new AttributeValue { S = e.ResourceId }, ["resourceType"] = new AttributeValue { S = e.ResourceType },
                    ["subKey"] = new AttributeValue { S = e.SubKey }, ["result"] = new AttributeValue { S = "pass" },
                    ["evaluatedAt"] = new AttributeValue { S = Timestamps.ToWire(kit.Now) }, ["observedAt"] = new AttributeValue { S = Timestamps.ToWire(kit.Now) },
                    ["source"] = new AttributeValue { S = "aws.config" }, ["policyVersion"] = new AttributeValue { S = "test-0" },
                } } },
                new TransactWriteItem { Update = new Update
                {
                    TableName = kit.Table, Key = counterKey,
                    UpdateExpression = "SET ruleId = :id, #et = :et, lastEvaluatedAt = :at ADD evaluated :one, passing :one, failing :zero",
                    ExpressionAttributeNames = new() { ["#et"] = LedgerSchema.EntityType },
                    ExpressionAttributeValues = new() { [":id"] = new AttributeValue { S = rule.Id }, [":et"] = new AttributeValue { S = "EVIDENCE_RULE" },
                        [":at"] = new AttributeValue { S = Timestamps.ToWire(kit.Now) }, [":one"] = new AttributeValue { N = "1" }, [":zero"] = new AttributeValue { N = "0" } },
                } },
            ],
        });
        var store = new DynamoDbEvidenceStore(dynamo.Client, kit.Table, "test-1") { Shards = Shards };
        var summary = (await store.GetRuleSummariesAsync())[rule.Id]; // drains the stream first: the legacy image counts nothing
        Assert.Equal((1L, 1L, 0L), (summary.Evaluated, summary.Passing, summary.Failing));

        kit.Clock.Advance(TimeSpan.FromHours(1));
        await store.RecordAsync([LedgerTestKit.Finding(rule, "i-legacy", kit.Now), LedgerTestKit.Compliant(rule, "i-new", kit.Now)], "aws.config", kit.Context);
        summary = (await store.GetRuleSummariesAsync())[rule.Id];
        Assert.Equal((2L, 1L, 1L, kit.Now), (summary.Evaluated, summary.Passing, summary.Failing, summary.LastEvaluatedAt));
        // A second catch-up (a new process starting at the trim horizon) changes nothing.
        Assert.Equal(await CountersAsync(kit.Table, perItem: true), await ReprojectAsync(kit.Table));
    }

    /// <summary>Every evidence counter item, whole (every attribute), keyed by sort key.</summary>
    private async Task<SortedDictionary<string, string>> CounterItemsAsync(string table)
    {
        var response = await dynamo.Client.QueryAsync(new QueryRequest
        {
            TableName = table,
            KeyConditionExpression = "PK = :pk",
            ExpressionAttributeValues = new() { [":pk"] = new AttributeValue { S = "EVIDENCE" } },
            ConsistentRead = true,
        });
        return new SortedDictionary<string, string>(response.Items.ToDictionary(i => i["SK"].S,
            i => string.Join(";", i.OrderBy(a => a.Key, StringComparer.Ordinal).Select(a => $"{a.Key}={a.Value.S ?? a.Value.N}"))), StringComparer.Ordinal);
    }

    [Fact]
    public async Task The_repair_rebuilds_evidence_counters_from_the_results_into_the_items_a_clean_run_leaves()
    {
        // A clean run of the current writer: one counter item per rule, every stream record projected.
        var (clean, _) = await WriteAsync(DynamoDbEvidenceStore.CounterShards);
        await Projector(clean.Table).ApplyAsync(await LocalStreamProjection.ForEndpoint(dynamo.Client, clean.Table)!.ReadAllAsync());
        var expected = await CounterItemsAsync(clean.Table);
        Assert.Equal(2, expected.Count);

        // The same results written in the earlier 16-shard layout, and one counting stream record lost for good.
        var (damaged, _) = await WriteAsync(DynamoDbEvidenceStore.EarlierCounterShards);
        var records = await LocalStreamProjection.ForEndpoint(dynamo.Client, damaged.Table)!.ReadAllAsync();
        var lost = records.FindIndex(r => r.EventName == "INSERT" && EvidenceCounterSource.IsEvidence(r));
        await Projector(damaged.Table).ApplyAsync([.. records[..lost], .. records[(lost + 1)..]]);
        var before = await CountersAsync(damaged.Table);
        Assert.NotEqual(await ExpectedAsync(damaged.Table), before);
        Assert.True((await CounterItemsAsync(damaged.Table)).Count > 2);

        var result = await CounterRebuild.RebuildAsync(dynamo.Client, damaged.Table);

        Assert.Equal((24, 2), (result.EvidenceResults, result.EvidenceCounterItems)); // 12 results of each rule (a gone one included)
        Assert.True(result.EvidenceRemoved > 0);
        Assert.Equal(await ExpectedAsync(damaged.Table), await CountersAsync(damaged.Table));
        // Item for item what the clean run left (counters, description and lastEvaluatedAt), in one item per rule.
        Assert.Equal(expected, await CounterItemsAsync(damaged.Table));
        // Run again: nothing changes.
        await CounterRebuild.RebuildAsync(dynamo.Client, damaged.Table);
        Assert.Equal(expected, await CounterItemsAsync(damaged.Table));
    }

    private async Task<SortedDictionary<string, (long, long, long)>> ReprojectAsync(string table)
    {
        var records = await LocalStreamProjection.ForEndpoint(dynamo.Client, table)!.ReadAllAsync();
        var result = await Projector(table).ApplyAsync(records);
        Assert.Equal(0, result.Applied);
        return await CountersAsync(table, perItem: true);
    }
}
