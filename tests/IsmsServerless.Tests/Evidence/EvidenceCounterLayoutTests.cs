using System.Text;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using IsmsServerless.Model;
using IsmsServerless.Evidence;
using IsmsServerless.Tests.Ledger;
using IsmsServerless.Tests.Robustness;
using IsmsServerless.Tests.Support;

namespace IsmsServerless.Tests.Evidence;

/// <summary>
/// Issue 20 wave 8: new passing-evidence results count in one counter item per rule (shard <c>00</c>, flag <c>cs</c>=1)
/// while the shards an earlier version wrote keep counting; and the rule's <c>lastEvaluatedAt</c> holds the hour of its
/// latest evaluation (<see cref="DynamoDbEvidenceStore.LastEvaluatedResolution"/>), written at most once per rule and hour
/// by a process, whatever order the evaluations arrive in. Against DynamoDB Local, with the local stream projection.
/// </summary>
[Collection(DynamoDbCollection.Name)]
public sealed class EvidenceCounterLayoutTests(DynamoDbLocalFixture dynamo)
{
    private async Task<List<Dictionary<string, AttributeValue>>> CounterItemsAsync(string table)
    {
        var response = await dynamo.Client.QueryAsync(new QueryRequest
        {
            TableName = table,
            KeyConditionExpression = "PK = :pk",
            ExpressionAttributeValues = new() { [":pk"] = new AttributeValue { S = "EVIDENCE" } },
            ConsistentRead = true,
        });
        return response.Items;
    }

    private async Task<Dictionary<string, AttributeValue>> ResultAsync(string table, Evaluation e) =>
        (await dynamo.Client.GetItemAsync(new GetItemRequest
        {
            TableName = table,
            Key = new() { ["PK"] = new AttributeValue { S = "EVIDENCE#" + e.Rule.Id }, ["SK"] = new AttributeValue { S = "RES#" + e.FindingId } },
            ConsistentRead = true,
        })).Item;

    [Fact]
    public async Task New_results_count_in_one_counter_item_per_rule()
    {
        var kit = await LedgerTestKit.CreateAsync(dynamo);
        var store = new DynamoDbEvidenceStore(dynamo.Client, kit.Table, "test-1");
        var evaluations = new List<Evaluation>();
        for (var i = 0; i < 25; i++)
        {
            evaluations.Add(i % 4 == 0 ? LedgerTestKit.Finding(LedgerTestKit.PatchRule, $"i-{i}", kit.Now) : LedgerTestKit.Compliant(LedgerTestKit.PatchRule, $"i-{i}", kit.Now));
            evaluations.Add(LedgerTestKit.Compliant(LedgerTestKit.MonitoringRule, $"arn:aws:iam::123456789012:role/r{i}", kit.Now));
        }
        await store.RecordAsync(evaluations, "aws.config", kit.Context);
        var gone = evaluations[2];
        kit.Clock.Advance(TimeSpan.FromHours(1));
        await store.ForgetAsync([new GoneResult(gone.Rule.Id, gone.FindingId, gone.ResourceId, gone.ResourceType, gone.SubKey)], kit.Now, "aws.config");

        var summaries = await store.GetRuleSummariesAsync(); // drains the stream through the counter projector
        Assert.Equal((24L, 17L, 7L), (summaries[LedgerTestKit.PatchRule.Id].Evaluated, summaries[LedgerTestKit.PatchRule.Id].Passing, summaries[LedgerTestKit.PatchRule.Id].Failing));
        Assert.Equal((25L, 25L, 0L), (summaries[LedgerTestKit.MonitoringRule.Id].Evaluated, summaries[LedgerTestKit.MonitoringRule.Id].Passing, summaries[LedgerTestKit.MonitoringRule.Id].Failing));
        Assert.Equal("1", (await ResultAsync(kit.Table, evaluations[0]))["cs"].N);
        Assert.Equal("1", (await ResultAsync(kit.Table, gone))["cs"].N);
        // One item per rule, whatever the number of resources (the writer's lastEvaluatedAt and the tombstone's ensure
        // land on it too).
        Assert.Equal(
            [$"RULE#{LedgerTestKit.MonitoringRule.Id}#00", $"RULE#{LedgerTestKit.PatchRule.Id}#00"],
            (await CounterItemsAsync(kit.Table)).Select(i => i["SK"].S).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Counter_shards_an_earlier_version_wrote_keep_counting_beside_the_one_item()
    {
        var kit = await LedgerTestKit.CreateAsync(dynamo);
        var rule = LedgerTestKit.PatchRule;
        // The previous version: 16 shards per rule, its results flagged cs=16, projected into the shard the id hashes to.
        var earlier = new DynamoDbEvidenceStore(dynamo.Client, kit.Table, "test-0") { Shards = DynamoDbEvidenceStore.EarlierCounterShards };
        await earlier.RecordAsync(Enumerable.Range(0, 20).Select(i => i % 4 == 0 ? LedgerTestKit.Finding(rule, $"i-{i}", kit.Now) : LedgerTestKit.Compliant(rule, $"i-{i}", kit.Now)).ToList(), "aws.config", kit.Context);
        Assert.Equal((20L, 15L, 5L), Triple((await earlier.GetRuleSummariesAsync())[rule.Id]));
        var shardsBefore = (await CounterItemsAsync(kit.Table)).Select(i => i["SK"].S).ToHashSet(StringComparer.Ordinal);
        Assert.True(shardsBefore.Count > 4, string.Join(",", shardsBefore));
        Assert.Equal("16", (await ResultAsync(kit.Table, LedgerTestKit.Compliant(rule, "i-1", kit.Now)))["cs"].N);

        // The current version (another process) flips five of them, adds three, and one resource is deleted.
        kit.Clock.Advance(TimeSpan.FromHours(1));
        var store = new DynamoDbEvidenceStore(dynamo.Client, kit.Table, "test-1");
        var flips = Enumerable.Range(0, 5).Select(i => i % 4 == 0 ? LedgerTestKit.Compliant(rule, $"i-{i}", kit.Now) : LedgerTestKit.Finding(rule, $"i-{i}", kit.Now));
        var added = Enumerable.Range(20, 3).Select(i => LedgerTestKit.Compliant(rule, $"i-{i}", kit.Now));
        await store.RecordAsync([.. flips, .. added], "aws.config", kit.Context);
        var gone = LedgerTestKit.Compliant(rule, "i-7", kit.Now);
        await store.ForgetAsync([new GoneResult(gone.Rule.Id, gone.FindingId, gone.ResourceId, gone.ResourceType, gone.SubKey)], kit.Now, "aws.config");

        // 22 evaluated (20 + 3 - 1 gone); i-0 and i-4 now pass, i-1..i-3 now fail (failing: i-1, 2, 3, 8, 12, 16); i-7 (pass) is gone.
        var summary = (await store.GetRuleSummariesAsync())[rule.Id];
        Assert.Equal((22L, 16L, 6L), Triple(summary));
        Assert.Equal(kit.Now, summary.LastEvaluatedAt);
        Assert.Equal("1", (await ResultAsync(kit.Table, LedgerTestKit.Compliant(rule, "i-1", kit.Now)))["cs"].N);
        // The new writes moved only shard 00 (which may go negative on its own: only sums are read); no other item appeared.
        var shardsAfter = (await CounterItemsAsync(kit.Table)).Select(i => i["SK"].S).ToHashSet(StringComparer.Ordinal);
        Assert.Subset(shardsBefore.Append($"RULE#{rule.Id}#00").ToHashSet(StringComparer.Ordinal), shardsAfter);
        // Another process reads the same sums.
        Assert.Equal(summary, (await new DynamoDbEvidenceStore(dynamo.Client, kit.Table, "test-1").GetRuleSummariesAsync())[rule.Id]);
    }

    [Fact]
    public async Task A_rules_last_evaluation_is_the_hour_of_the_latest_written_once_an_hour_by_a_process()
    {
        var kit = await LedgerTestKit.CreateAsync(dynamo, "2026-03-01T10:05:00Z");
        var rule = LedgerTestKit.PatchRule;
        // Count the rule's lastEvaluatedAt requests as DynamoDB receives them (refused ones included: they cost a write too).
        var touches = 0;
        await using var proxy = new FaultProxy(new Uri(dynamo.Endpoint), (_, operation, request) =>
        {
            if (operation.EndsWith(".UpdateItem", StringComparison.Ordinal) && Encoding.UTF8.GetString(request).Contains("lastEvaluatedAt", StringComparison.Ordinal))
                Interlocked.Increment(ref touches);
            return Fault.None;
        });
        using var client = new AmazonDynamoDBClient(new Amazon.Runtime.BasicAWSCredentials("local", "local"),
            new AmazonDynamoDBConfig { ServiceURL = proxy.Endpoint, AuthenticationRegion = "us-east-1" });
        var first = new DynamoDbEvidenceStore(client, kit.Table, "test-1");
        async Task<DateTimeOffset?> LastAsync() => (await first.GetRuleSummariesAsync())[rule.Id].LastEvaluatedAt;
        DateTimeOffset At(string time) => DateTimeOffset.Parse("2026-03-01T" + time + "Z", System.Globalization.CultureInfo.InvariantCulture);

        await first.RecordAsync([LedgerTestKit.Compliant(rule, "i-1", kit.Now)], "aws.ssm", kit.Context);
        Assert.Equal((1, At("10:00:00")), (touches, await LastAsync()));
        // Later in the same hour: the results are written with their exact times, the rule's hour is not written again.
        kit.Clock.Advance(TimeSpan.FromMinutes(15));
        await first.RecordAsync([LedgerTestKit.Finding(rule, "i-2", kit.Now)], "aws.ssm", kit.Context);
        kit.Clock.Advance(TimeSpan.FromMinutes(39));
        await first.RecordAsync([LedgerTestKit.Compliant(rule, "i-3", kit.Now)], "aws.ssm", kit.Context);
        Assert.Equal((1, At("10:00:00")), (touches, await LastAsync()));
        Assert.Equal(At("10:59:00"), (await first.QueryRuleAsync(rule.Id, 10)).Items.Single(r => r.ResourceId == "i-3").EvaluatedAt);
        // The next hour moves it.
        kit.Clock.Advance(TimeSpan.FromMinutes(2));
        await first.RecordAsync([LedgerTestKit.Compliant(rule, "i-4", kit.Now)], "aws.ssm", kit.Context);
        Assert.Equal((2, At("11:00:00")), (touches, await LastAsync()));

        // Another process (it knows nothing yet) writes an evaluation of the previous hour: its one request is refused, it
        // learns the stored hour from the refusal, and sends nothing for the rest of that hour.
        var second = new DynamoDbEvidenceStore(client, kit.Table, "test-1");
        await second.RecordAsync([LedgerTestKit.Compliant(rule, "i-5", At("10:30:00"))], "aws.ssm", kit.Context);
        Assert.Equal((3, At("11:00:00")), (touches, await LastAsync()));
        kit.Clock.Advance(TimeSpan.FromMinutes(29));
        await second.RecordAsync([LedgerTestKit.Compliant(rule, "i-6", kit.Now)], "aws.ssm", kit.Context);
        Assert.Equal((3, At("11:00:00")), (touches, await LastAsync()));
        kit.Clock.Advance(TimeSpan.FromMinutes(30));
        await second.RecordAsync([LedgerTestKit.Finding(rule, "i-7", kit.Now)], "aws.ssm", kit.Context);
        Assert.Equal((4, At("12:00:00")), (touches, await LastAsync()));
        Assert.Equal((7L, 5L, 2L), Triple((await first.GetRuleSummariesAsync())[rule.Id]));
    }

    [Fact]
    public async Task A_rules_last_evaluation_is_the_same_in_every_delivery_order()
    {
        // Evaluations of distinct resources spread over three hours, delivered in three orders, each to a fresh table and
        // a fresh process: the rule's counter item is the same, item for item (lastEvaluatedAt included).
        var times = new[] { "09:10:00", "11:59:59", "10:00:00", "11:00:00", "09:59:00", "11:30:00" };
        string[][] orders = [times, times.Reverse().ToArray(), [times[3], times[1], times[0], times[5], times[2], times[4]]];
        var items = new List<string>();
        foreach (var order in orders)
        {
            var kit = await LedgerTestKit.CreateAsync(dynamo, "2026-03-01T12:00:00Z");
            var store = new DynamoDbEvidenceStore(dynamo.Client, kit.Table, "test-1");
            foreach (var time in order)
            {
                var at = DateTimeOffset.Parse("2026-03-01T" + time + "Z", System.Globalization.CultureInfo.InvariantCulture);
                await store.RecordAsync([LedgerTestKit.Compliant(LedgerTestKit.PatchRule, "i-" + time, at)], "aws.config", kit.Context);
            }
            await store.GetRuleSummariesAsync();
            var item = Assert.Single(await CounterItemsAsync(kit.Table));
            items.Add(string.Join(";", item.OrderBy(a => a.Key, StringComparer.Ordinal).Select(a => $"{a.Key}={a.Value.S ?? a.Value.N}")));
        }
        Assert.Contains("lastEvaluatedAt=2026-03-01T11:00:00", items[0], StringComparison.Ordinal);
        Assert.Contains("evaluated=6", items[0], StringComparison.Ordinal);
        Assert.All(items, i => Assert.Equal(items[0], i));
    }

    [Fact]
    public async Task A_write_to_the_one_counter_item_that_meets_the_projectors_transaction_is_retried()
    {
        // The one counter item per rule is also what the projector's transaction holds: the writer's lastEvaluatedAt update
        // and a tombstone's ensure (UpdateItem) are answered TransactionConflictException twice each, with the SDK's own
        // retries off, and the writes still complete.
        var kit = await LedgerTestKit.CreateAsync(dynamo);
        var rule = LedgerTestKit.PatchRule;
        var conflicts = 0;
        await using var proxy = new FaultProxy(new Uri(dynamo.Endpoint), (_, operation, _) =>
            operation.EndsWith(".UpdateItem", StringComparison.Ordinal) && Interlocked.Increment(ref conflicts) % 3 != 0 ? Fault.TransactionConflict : Fault.None);
        using var client = new AmazonDynamoDBClient(new Amazon.Runtime.BasicAWSCredentials("local", "local"),
            new AmazonDynamoDBConfig { ServiceURL = proxy.Endpoint, AuthenticationRegion = "us-east-1", MaxErrorRetry = 0 });
        var store = new DynamoDbEvidenceStore(client, kit.Table, "test-1") { CounterCatchUp = null };

        await store.RecordAsync([LedgerTestKit.Compliant(rule, "i-1", kit.Now)], "aws.ssm", kit.Context);
        var gone = LedgerTestKit.Compliant(LedgerTestKit.MonitoringRule, "arn:aws:iam::123456789012:role/r", kit.Now);
        Assert.Equal(0, await store.ForgetAsync([new GoneResult(gone.Rule.Id, gone.FindingId, gone.ResourceId, gone.ResourceType, gone.SubKey)], kit.Now, "aws.config"));

        Assert.Equal(4, proxy.Injected(Fault.TransactionConflict));
        Assert.Equal(4, store.Retries);
        var summaries = await new DynamoDbEvidenceStore(dynamo.Client, kit.Table, "test-1").GetRuleSummariesAsync();
        Assert.Equal((1L, 1L, 0L, kit.Now), (summaries[rule.Id].Evaluated, summaries[rule.Id].Passing, summaries[rule.Id].Failing, summaries[rule.Id].LastEvaluatedAt));
        Assert.Equal((0L, 0L, 0L), Triple(summaries[LedgerTestKit.MonitoringRule.Id]));
    }

    [Fact]
    public async Task A_process_killed_between_the_result_and_the_rules_hour_is_made_whole_by_the_redelivery()
    {
        // The first process writes the result, then dies before its lastEvaluatedAt update reaches the table (every such
        // request fails, no SDK retries: the exception ends the write, as a SIGKILL would). The redelivered evaluation finds
        // the result already stored ("unchanged"), and the rule's hour must still be recorded, as a clean run records it
        // (KillMidBatchTests saw the item without it). A refused touch by a third process costs no further state.
        var kit = await LedgerTestKit.CreateAsync(dynamo, "2026-03-01T10:05:00Z");
        var rule = LedgerTestKit.PatchRule;
        await using var proxy = new FaultProxy(new Uri(dynamo.Endpoint), (_, operation, request) =>
            operation.EndsWith(".UpdateItem", StringComparison.Ordinal) && Encoding.UTF8.GetString(request).Contains("lastEvaluatedAt", StringComparison.Ordinal)
                ? Fault.InternalError : Fault.None);
        using var dying = new AmazonDynamoDBClient(new Amazon.Runtime.BasicAWSCredentials("local", "local"),
            new AmazonDynamoDBConfig { ServiceURL = proxy.Endpoint, AuthenticationRegion = "us-east-1", MaxErrorRetry = 0 });
        var evaluation = LedgerTestKit.Finding(rule, "i-1", kit.Now);
        await Assert.ThrowsAnyAsync<AmazonDynamoDBException>(() =>
            new DynamoDbEvidenceStore(dying, kit.Table, "test-1") { CounterCatchUp = null }.RecordAsync([evaluation], "aws.ssm", kit.Context));
        Assert.Equal("fail", (await ResultAsync(kit.Table, evaluation))["result"].S);
        Assert.DoesNotContain(await CounterItemsAsync(kit.Table), item => item.ContainsKey("lastEvaluatedAt"));

        var redelivery = new DynamoDbEvidenceStore(dynamo.Client, kit.Table, "test-1");
        await redelivery.RecordAsync([evaluation], "aws.ssm", kit.Context);
        var summary = (await redelivery.GetRuleSummariesAsync())[rule.Id];
        Assert.Equal((1L, 0L, 1L), Triple(summary));
        Assert.Equal(DateTimeOffset.Parse("2026-03-01T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture), summary.LastEvaluatedAt);

        // The same end state as one clean write of the same evaluation, counter item for counter item.
        var clean = await LedgerTestKit.CreateAsync(dynamo, "2026-03-01T10:05:00Z");
        var cleanStore = new DynamoDbEvidenceStore(dynamo.Client, clean.Table, "test-1");
        await cleanStore.RecordAsync([LedgerTestKit.Finding(rule, "i-1", clean.Now)], "aws.ssm", clean.Context);
        await cleanStore.GetRuleSummariesAsync();
        static string Render(List<Dictionary<string, AttributeValue>> items) => string.Join("\n", items.Select(i =>
            string.Join(";", i.OrderBy(a => a.Key, StringComparer.Ordinal).Select(a => a.Key + "=" + (a.Value.S ?? a.Value.N)))));
        Assert.Equal(Render(await CounterItemsAsync(clean.Table)), Render(await CounterItemsAsync(kit.Table)));
    }

    private static (long, long, long) Triple(RuleEvidenceSummary s) => (s.Evaluated, s.Passing, s.Failing);
}
