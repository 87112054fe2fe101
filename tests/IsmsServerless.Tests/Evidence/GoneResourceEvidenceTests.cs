using Amazon.DynamoDBv2.Model;
using IsmsServerless.Engine;
using IsmsServerless.Evidence;
using IsmsServerless.Ledger;
using IsmsServerless.Model;
using IsmsServerless.Pipeline;
using IsmsServerless.Settings;
using IsmsServerless.Tests.Drift;
using IsmsServerless.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace IsmsServerless.Tests.Evidence;

/// <summary>
/// A deleted resource neither passes nor fails: its results leave the counters, so a failing resource that was deleted
/// no longer fails its control forever, and a late delivery of an evaluation from before the deletion does not bring it back.
/// </summary>
[Collection(DynamoDbCollection.Name)]
public sealed class GoneResourceEvidenceTests(DynamoDbLocalFixture dynamo)
{
    private readonly FakeTimeProvider _clock = TestContexts.ClockAt("2026-11-23T09:00:00Z");

    private EvaluationContext Context => new(IsmsSettings.Default, _clock);

    [Fact]
    public async Task A_deleted_resources_results_leave_the_counters_and_a_late_older_evaluation_does_not_bring_them_back()
    {
        var table = await dynamo.NewTableAsync("goneev");
        var evidence = new DynamoDbEvidenceStore(dynamo.Client, table, "test");
        var pipeline = new IngestPipeline(RuleEngine.CreateDefault(), InputEnrichers.Default(dynamo.Client, table),
            new DynamoDbFindingLedger(dynamo.Client, table, IsmsSettings.Default), evidence);
        var created = DriftPayloads.ItemChange(DriftPayloads.Item("ci-security-group-configservice-docs.json"));
        await pipeline.ProcessAsync(created, Context);
        var before = await evidence.GetRuleSummariesAsync();
        // The default group is open to the world: its baseline fails.
        Assert.Equal(1, before["drift.security-group-baseline"].Failing);
        var rulesThatJudgedIt = before.Values.Where(s => s.Evaluated > 0).Select(s => s.RuleId).ToList();

        _clock.Advance(TimeSpan.FromHours(1));
        var deleted = DriftPayloads.Item("ci-security-group-configservice-docs.json");
        deleted["configurationItemStatus"] = "ResourceDeleted";
        deleted["configuration"] = null;
        deleted["configurationItemCaptureTime"] = "2026-11-23T09:30:00Z";
        var result = await pipeline.ProcessAsync(DriftPayloads.ItemChange(deleted, "DELETE"), Context);
        Assert.Equal(1, result.ResourcesGone);

        var after = await evidence.GetRuleSummariesAsync();
        foreach (var rule in rulesThatJudgedIt)
        {
            Assert.Equal((0L, 0L, 0L), (after[rule].Evaluated, after[rule].Passing, after[rule].Failing));
            Assert.Empty((await evidence.QueryRuleAsync(rule, 10)).Items);
        }

        // The creation event redelivered after the deletion: older than the deletion, dropped.
        _clock.Advance(TimeSpan.FromHours(1));
        var late = await pipeline.ProcessAsync(created, Context);
        Assert.Equal(0, late.ResourcesGone);
        var final = await evidence.GetRuleSummariesAsync();
        foreach (var rule in rulesThatJudgedIt) Assert.Equal(0L, final[rule].Evaluated);
    }

    private sealed class Requests
    {
        private readonly System.Collections.Concurrent.ConcurrentDictionary<string, int> _byName = new(StringComparer.Ordinal);

        public void Observe(string operation, ConsumedCapacity? capacity) => _byName.AddOrUpdate(operation, 1, (_, n) => n + 1);

        public int this[string operation] => _byName.GetValueOrDefault(operation);
    }

    private static async Task<List<string>> EvidenceItemsAsync(Amazon.DynamoDBv2.IAmazonDynamoDB client, string table, IEnumerable<string> partitions)
    {
        var items = new List<string>();
        foreach (var pk in partitions)
        {
            var response = await client.QueryAsync(new QueryRequest
            {
                TableName = table,
                KeyConditionExpression = "PK = :pk",
                ExpressionAttributeValues = new() { [":pk"] = new AttributeValue { S = pk } },
                ConsistentRead = true,
            });
            items.AddRange(response.Items.Select(i => string.Join(";", i.OrderBy(a => a.Key, StringComparer.Ordinal).Select(a => $"{a.Key}={a.Value.S ?? a.Value.N}"))));
        }
        return items.Order(StringComparer.Ordinal).ToList();
    }

    [Fact]
    public async Task A_tombstone_over_nothing_counted_is_a_single_put_and_lost_answers_leave_the_clean_runs_items()
    {
        // Issue 20: forgetting a rule's result that was never counted (no result, or an earlier tombstone) needs no
        // transaction (the counter's ADD 0 is idempotent): at most one UpdateItem per counter item and process, then one
        // conditional put. A counted result still leaves the counters in one transaction.
        var kit = await IsmsServerless.Tests.Ledger.LedgerTestKit.CreateAsync(dynamo);
        var rule = IsmsServerless.Tests.Ledger.LedgerTestKit.PatchRule;
        var at = kit.Now;
        GoneResult Gone(int i) => new(rule.Id, FindingIdentity.Compute(rule.Id, "123456789012", "eu-west-1", $"i-{i}", ""), $"i-{i}", rule.ResourceType, "");
        var counted = Enumerable.Range(0, 6).Select(i => IsmsServerless.Tests.Ledger.LedgerTestKit.Compliant(rule, $"i-{i}", at)).ToList();
        var gone = Enumerable.Range(0, 20).Select(Gone).ToList();
        var goneAt = at.AddMinutes(10);

        async Task RunAsync(DynamoDbEvidenceStore store, bool retryCalls)
        {
            foreach (var e in counted) await WithRetriesAsync(() => store.RecordAsync([e], "aws.config", kit.Context), retryCalls);
            foreach (var g in gone) await WithRetriesAsync(() => store.ForgetAsync([g], goneAt, "aws.config"), retryCalls);
            // A second deletion later: every result is a tombstone already, nothing counted.
            foreach (var g in gone) await WithRetriesAsync(() => store.ForgetAsync([g], goneAt.AddMinutes(5), "aws.config"), retryCalls);
        }

        var clean = new Requests();
        var cleanTable = await dynamo.NewTableAsync("gonez");
        var store = new DynamoDbEvidenceStore(dynamo.Client, cleanTable, "test-1") { Shards = 2, Observer = clean.Observe };
        await RunAsync(store, retryCalls: false);
        // 6 counted results left in a transaction each; 14 + 20 tombstones over nothing counted: one put each, and the
        // two counter items (2 shards) known to this process after the first transactions, so no ensure.
        Assert.Equal(6, clean["evidence-gone"]);
        Assert.Equal(34, clean["evidence-gone-put"]);
        Assert.Equal(0, clean["evidence-counter-ensure"]);
        var summary = (await store.GetRuleSummariesAsync())[rule.Id];
        Assert.Equal((0L, 0L, 0L), (summary.Evaluated, summary.Passing, summary.Failing));

        // A fresh process that never saw the counters ensures each (ADD 0) once, then puts.
        var fresh = new Requests();
        var freshTable = await dynamo.NewTableAsync("gonez");
        var onlyGone = new DynamoDbEvidenceStore(dynamo.Client, freshTable, "test-1") { Shards = 2, Observer = fresh.Observe };
        foreach (var g in gone) await onlyGone.ForgetAsync([g], goneAt, "aws.config");
        Assert.Equal(0, fresh["evidence-gone"]);
        Assert.Equal(20, fresh["evidence-gone-put"]);
        Assert.True(fresh["evidence-counter-ensure"] is >= 1 and <= 2, $"{fresh["evidence-counter-ensure"]} ensures");
        Assert.Equal((0L, 0L, 0L), ((await onlyGone.GetRuleSummariesAsync())[rule.Id] is var s ? (s.Evaluated, s.Passing, s.Failing) : default));

        // The same run through lost answers, errors after the store applied a request, and dropped connections (the
        // SDK retries; whole calls are retried as the pipeline's caller would): the same items, item for item.
        await using var proxy = new IsmsServerless.Tests.Robustness.FaultProxy(new Uri(dynamo.Endpoint),
            IsmsServerless.Tests.Robustness.FaultPlan.Random(0.33, seed: 21,
                IsmsServerless.Tests.Robustness.Fault.DropAfterForward, IsmsServerless.Tests.Robustness.Fault.ErrorAfterForward,
                IsmsServerless.Tests.Robustness.Fault.DropBeforeForward));
        using var client = new Amazon.DynamoDBv2.AmazonDynamoDBClient(new Amazon.Runtime.BasicAWSCredentials("local", "local"),
            new Amazon.DynamoDBv2.AmazonDynamoDBConfig { ServiceURL = proxy.Endpoint, AuthenticationRegion = "us-east-1", MaxErrorRetry = 3 });
        var faultyTable = await dynamo.NewTableAsync("gonez");
        await RunAsync(new DynamoDbEvidenceStore(client, faultyTable, "test-1") { Shards = 2 }, retryCalls: true);
        Assert.True(proxy.Injected(IsmsServerless.Tests.Robustness.Fault.DropAfterForward) > 0, proxy.Summary);
        string[] partitions = ["EVIDENCE", "EVIDENCE#" + rule.Id];
        // The counters the projector maintains from each table's stream, caught up before they are compared.
        await IsmsServerless.Tests.Support.StreamDrain.DrainAsync(dynamo.Client, cleanTable);
        await IsmsServerless.Tests.Support.StreamDrain.DrainAsync(dynamo.Client, faultyTable);
        Assert.Equal(await EvidenceItemsAsync(dynamo.Client, cleanTable, partitions), await EvidenceItemsAsync(dynamo.Client, faultyTable, partitions));
    }

    private static async Task WithRetriesAsync(Func<Task> call, bool retry)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await call();
                return;
            }
            catch (Exception) when (retry && attempt < 40)
            {
                // The invocation failed; the event is delivered again.
            }
        }
    }
}
