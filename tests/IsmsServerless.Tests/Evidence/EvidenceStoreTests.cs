using Amazon.DynamoDBv2.Model;
using IsmsServerless.Compliance;
using IsmsServerless.Evidence;
using IsmsServerless.Ledger;
using IsmsServerless.Model;
using IsmsServerless.Policy;
using IsmsServerless.Tests.Ledger;
using IsmsServerless.Tests.Support;

namespace IsmsServerless.Tests.Evidence;

[Collection(DynamoDbCollection.Name)]
public sealed class EvidenceStoreTests(DynamoDbLocalFixture dynamo)
{
    private sealed class Counter
    {
        public int Writes;
        public double Wcu;
        public int Queries;
        public int Reads;

        public void Observe(string operation, ConsumedCapacity? capacity)
        {
            if (operation is "evidence-summaries" or "evidence-rule") Queries++;
            else if (operation == "evidence-get") Reads++;
            else
            {
                Writes++;
                Wcu += capacity?.CapacityUnits ?? 0;
            }
        }
    }

    private async Task<(LedgerTestKit Kit, DynamoDbEvidenceStore Store, Counter Counter)> NewAsync()
    {
        var kit = await LedgerTestKit.CreateAsync(dynamo);
        var counter = new Counter();
        var store = new DynamoDbEvidenceStore(dynamo.Client, kit.Table, "test-1") { Observer = counter.Observe };
        return (kit, store, counter);
    }

    [Fact]
    public async Task Repeated_passing_evaluations_write_once_a_day_not_once_an_evaluation()
    {
        var (kit, store, counter) = await NewAsync();
        var rule = LedgerTestKit.PatchRule;
        for (var i = 0; i < 20; i++)
        {
            kit.Clock.Advance(TimeSpan.FromMinutes(30));
            await store.RecordAsync([LedgerTestKit.Compliant(rule, "i-1", kit.Now)], "aws.ssm", kit.Context);
        }
        // 10 hours of evaluations: the first wrote (one PutItem of the result, whose counters the projector moves from
        // the stream, and the rule's lastEvaluatedAt), the other 19 only read.
        Assert.Equal(2, counter.Writes);
        Assert.Equal(20, counter.Reads);
        var summary = (await store.GetRuleSummariesAsync())[rule.Id];
        Assert.Equal((1L, 1L, 0L), (summary.Evaluated, summary.Passing, summary.Failing));

        kit.Clock.Advance(TimeSpan.FromDays(1));
        await store.RecordAsync([LedgerTestKit.Compliant(rule, "i-1", kit.Now)], "aws.ssm", kit.Context);
        Assert.Equal(4, counter.Writes); // the daily refresh: the item and the rule's lastEvaluatedAt
        Assert.Equal(kit.Now, (await store.GetRuleSummariesAsync())[rule.Id].LastEvaluatedAt);
        Assert.Equal((1L, 1L, 0L), ((await store.GetRuleSummariesAsync())[rule.Id].Evaluated, (await store.GetRuleSummariesAsync())[rule.Id].Passing, 0L));
    }

    [Fact]
    public async Task A_changed_result_moves_the_counters_and_keeps_source_and_policy_version()
    {
        var (kit, store, _) = await NewAsync();
        var rule = LedgerTestKit.PatchRule;
        await store.RecordAsync([LedgerTestKit.Compliant(rule, "i-1", kit.Now), LedgerTestKit.Compliant(rule, "i-2", kit.Now)], "aws.ssm", kit.Context);
        kit.Clock.Advance(TimeSpan.FromMinutes(5));
        var result = await store.RecordAsync([LedgerTestKit.Finding(rule, "i-2", kit.Now)], "aws.inspector2", kit.Context);
        Assert.Equal(1, result.Changed);
        var summary = (await store.GetRuleSummariesAsync())[rule.Id];
        Assert.Equal((2L, 1L, 1L), (summary.Evaluated, summary.Passing, summary.Failing));
        var (items, _) = await store.QueryRuleAsync(rule.Id, 10);
        var i2 = items.Single(r => r.ResourceId == "i-2");
        Assert.Equal(("fail", "aws.inspector2", "test-1"), (i2.Result, i2.Source, i2.PolicyVersion));
    }

    [Fact]
    public async Task An_older_evaluation_delivered_late_does_not_overwrite_a_newer_one()
    {
        var (kit, store, _) = await NewAsync();
        var rule = LedgerTestKit.PatchRule;
        var early = kit.Now;
        kit.Clock.Advance(TimeSpan.FromHours(1));
        await store.RecordAsync([LedgerTestKit.Compliant(rule, "i-1", kit.Now)], "aws.ssm", kit.Context);
        await store.RecordAsync([LedgerTestKit.Finding(rule, "i-1", early)], "aws.ssm", kit.Context);
        var summary = (await store.GetRuleSummariesAsync())[rule.Id];
        Assert.Equal((1L, 1L, 0L), (summary.Evaluated, summary.Passing, summary.Failing));
        Assert.Equal("pass", (await store.QueryRuleAsync(rule.Id, 10)).Items.Single().Result);
    }

    [Fact]
    public async Task Concurrent_duplicates_and_flips_leave_exact_counters()
    {
        var (kit, store, _) = await NewAsync();
        var rule = LedgerTestKit.PatchRule;
        var at = kit.Now;
        // 8 workers deliver the same evaluations of 10 resources (redelivery + concurrency).
        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() =>
            store.RecordAsync(Enumerable.Range(0, 10).Select(i => LedgerTestKit.Compliant(rule, $"i-{i}", at)).ToList(), "aws.ssm", kit.Context))));
        kit.Clock.Advance(TimeSpan.FromMinutes(1));
        var later = kit.Now;
        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() =>
            store.RecordAsync(Enumerable.Range(0, 4).Select(i => LedgerTestKit.Finding(rule, $"i-{i}", later)).ToList(), "aws.ssm", kit.Context))));
        var summary = (await store.GetRuleSummariesAsync())[rule.Id];
        Assert.Equal((10L, 6L, 4L), (summary.Evaluated, summary.Passing, summary.Failing));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(16)]
    public async Task Eight_concurrent_writers_on_distinct_resources_keep_counts_exact_on_sharded_counters(int shards)
    {
        var kit = await LedgerTestKit.CreateAsync(dynamo);
        var store = new DynamoDbEvidenceStore(dynamo.Client, kit.Table, "test-1") { Shards = shards };
        var rule = LedgerTestKit.PatchRule;
        var at = kit.Now;
        // 8 workers, 25 resources each, one evaluation per call (as the ingest workers write): all pass first...
        await Task.WhenAll(Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < 25; i++)
                await store.RecordAsync([LedgerTestKit.Compliant(rule, $"i-{w}-{i}", at)], "aws.config", kit.Context);
        })));
        // The next hour: lastEvaluatedAt holds the hour of the latest evaluation (LastEvaluatedResolution).
        kit.Clock.Advance(TimeSpan.FromHours(1));
        var later = kit.Now;
        // ...then every worker flips its first 10 to failing while another worker redelivers its passes (older: dropped).
        await Task.WhenAll(Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < 10; i++)
            {
                await store.RecordAsync([LedgerTestKit.Finding(rule, $"i-{w}-{i}", later)], "aws.config", kit.Context);
                await store.RecordAsync([LedgerTestKit.Compliant(rule, $"i-{(w + 1) % 8}-{i}", at)], "aws.config", kit.Context);
            }
        })));
        var summary = (await store.GetRuleSummariesAsync())[rule.Id];
        Assert.Equal((200L, 120L, 80L), (summary.Evaluated, summary.Passing, summary.Failing));
        Assert.Equal(later, summary.LastEvaluatedAt);
        Console.WriteLine($"evidence counters: shards={shards} retries={store.Retries}");
    }

    [Fact]
    public async Task The_rules_last_evaluation_moves_only_forward_across_writers()
    {
        // Two writers (two Lambda instances: separate knowledge of what the counter holds) on one counter item.
        var kit = await LedgerTestKit.CreateAsync(dynamo);
        var a = new Counter();
        var b = new Counter();
        var first = new DynamoDbEvidenceStore(dynamo.Client, kit.Table, "test-1") { Shards = 1, Observer = a.Observe };
        var second = new DynamoDbEvidenceStore(dynamo.Client, kit.Table, "test-1") { Shards = 1, Observer = b.Observe };
        var rule = LedgerTestKit.PatchRule;
        var early = kit.Now;
        kit.Clock.Advance(TimeSpan.FromHours(1));
        var late = kit.Now;

        await first.RecordAsync([LedgerTestKit.Compliant(rule, "i-1", late)], "aws.ssm", kit.Context);
        Assert.Equal(2, a.Writes); // the result's PutItem and the rule's lastEvaluatedAt (the projector moves the counters)
        // The other writer does not know the counter is later: its touch fails its condition (not a write; it learns the
        // stored hour from the failure), the result stands. Nothing is counted twice, nothing moves back.
        await second.RecordAsync([LedgerTestKit.Finding(rule, "i-2", early)], "aws.ssm", kit.Context);
        Assert.Equal((1, 0L), (b.Writes, second.Retries));
        var summary = (await first.GetRuleSummariesAsync())[rule.Id];
        Assert.Equal((2L, 1L, 1L, late), (summary.Evaluated, summary.Passing, summary.Failing, summary.LastEvaluatedAt));

        // A later change of its own, in a later hour, moves it forward.
        kit.Clock.Advance(TimeSpan.FromHours(1));
        var later = kit.Now;
        await second.RecordAsync([LedgerTestKit.Compliant(rule, "i-2", later)], "aws.ssm", kit.Context);
        Assert.Equal((3, 0L), (b.Writes, second.Retries));
        summary = (await first.GetRuleSummariesAsync())[rule.Id];
        Assert.Equal((2L, 2L, 0L, later), (summary.Evaluated, summary.Passing, summary.Failing, summary.LastEvaluatedAt));
    }

    [Fact]
    public async Task Lost_answers_and_retried_transactions_count_every_result_once()
    {
        // Every third request is applied and its answer lost (the SDK retries it: the transaction's idempotency token
        // makes the retry a no-op), or fails before or after the store saw it; whole calls are retried as the pipeline's
        // caller would. The counters must equal a clean run's.
        var kit = await LedgerTestKit.CreateAsync(dynamo);
        var rule = LedgerTestKit.PatchRule;
        await using var proxy = new IsmsServerless.Tests.Robustness.FaultProxy(new Uri(dynamo.Endpoint),
            IsmsServerless.Tests.Robustness.FaultPlan.Random(0.33, seed: 20,
                IsmsServerless.Tests.Robustness.Fault.DropAfterForward, IsmsServerless.Tests.Robustness.Fault.ErrorAfterForward,
                IsmsServerless.Tests.Robustness.Fault.DropBeforeForward));
        using var client = new Amazon.DynamoDBv2.AmazonDynamoDBClient(new Amazon.Runtime.BasicAWSCredentials("local", "local"),
            new Amazon.DynamoDBv2.AmazonDynamoDBConfig { ServiceURL = proxy.Endpoint, AuthenticationRegion = "us-east-1", MaxErrorRetry = 3 });
        var faulty = new DynamoDbEvidenceStore(client, kit.Table, "test-1") { Shards = 2 };
        var at = kit.Now;
        kit.Clock.Advance(TimeSpan.FromHours(3));
        async Task RecordWithRetriesAsync(Evaluation e)
        {
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    await faulty.RecordAsync([e], "aws.config", kit.Context);
                    return;
                }
                catch (Exception) when (attempt < 40)
                {
                    // The invocation failed; the event is delivered again.
                }
            }
        }
        for (var i = 0; i < 30; i++) await RecordWithRetriesAsync(LedgerTestKit.Compliant(rule, $"i-{i}", at));
        for (var i = 0; i < 12; i++) await RecordWithRetriesAsync(LedgerTestKit.Finding(rule, $"i-{i}", at.AddHours(1)));
        for (var i = 0; i < 5; i++) await RecordWithRetriesAsync(LedgerTestKit.Compliant(rule, $"i-{i}", at.AddHours(2)));

        Assert.True(proxy.Injected(IsmsServerless.Tests.Robustness.Fault.DropAfterForward) > 0, proxy.Summary);
        var summary = (await new DynamoDbEvidenceStore(dynamo.Client, kit.Table, "test-1").GetRuleSummariesAsync())[rule.Id];
        Assert.Equal((30L, 23L, 7L), (summary.Evaluated, summary.Passing, summary.Failing));
        Assert.Equal(at.AddHours(2), summary.LastEvaluatedAt);
    }

    [Fact]
    public async Task The_controls_view_costs_the_same_queries_for_10_and_1000_resources()
    {
        var (kit, store, counter) = await NewAsync();
        var rule = LedgerTestKit.PatchRule;
        var service = new ControlsService(store, kit.Ledger, NoDutyStates.Instance, IsmsServerless.Engine.RuleRegistry.CreateDefault());
        await store.RecordAsync(Enumerable.Range(0, 10).Select(i => LedgerTestKit.Compliant(rule, $"i-{i}", kit.Now)).ToList(), "aws.ssm", kit.Context);
        counter.Queries = 0;
        await service.GetAsync(kit.Now);
        var small = counter.Queries;
        await store.RecordAsync(Enumerable.Range(10, 990).Select(i => LedgerTestKit.Compliant(rule, $"i-{i}", kit.Now)).ToList(), "aws.ssm", kit.Context);
        counter.Queries = 0;
        await service.GetAsync(kit.Now);
        Assert.Equal(1, small);
        Assert.Equal(small, counter.Queries);
        Assert.Equal(1000L, (await store.GetRuleSummariesAsync())[rule.Id].Passing);
    }

    [Fact]
    public async Task Change_ignored_and_rejected_outcomes_are_not_evidence()
    {
        var (kit, store, counter) = await NewAsync();
        var rule = LedgerTestKit.PatchRule;
        var result = await store.RecordAsync([LedgerTestKit.Finding(rule, "i-1", kit.Now, outcome: Outcome.Change), LedgerTestKit.Finding(rule, "i-2", kit.Now, outcome: Outcome.Ignored)], "x", kit.Context);
        Assert.Equal(new EvidenceWriteResult(0, 0, 0), result);
        Assert.Equal(0, counter.Writes);
        Assert.Empty(await store.GetRuleSummariesAsync());
    }

    [Fact]
    public async Task On_equal_source_times_the_failing_result_is_kept_whatever_arrives_last()
    {
        // Issue 14, item 4: a pass and a fail observed at one instant leave the fail, in both delivery orders.
        foreach (var passLast in new[] { true, false })
        {
            var (kit, store, _) = await NewAsync();
            var rule = LedgerTestKit.PatchRule;
            var at = kit.Now.AddMinutes(-5);
            Evaluation[] order = passLast
                ? [LedgerTestKit.Finding(rule, "i-1", at), LedgerTestKit.Compliant(rule, "i-1", at)]
                : [LedgerTestKit.Compliant(rule, "i-1", at), LedgerTestKit.Finding(rule, "i-1", at)];
            foreach (var e in order) await store.RecordAsync([e], "aws.ssm", kit.Context);
            var summary = (await store.GetRuleSummariesAsync())[rule.Id];
            Assert.Equal((1L, 0L, 1L), (summary.Evaluated, summary.Passing, summary.Failing));
        }
    }
}

[Collection(DynamoDbCollection.Name)]
public sealed class PolicyVersionStampTests(DynamoDbLocalFixture dynamo)
{
    [Fact]
    public async Task Every_finding_carries_the_policy_version_in_force()
    {
        var kit = await LedgerTestKit.CreateAsync(dynamo);
        var e = LedgerTestKit.Finding(LedgerTestKit.PatchRule, "i-9", kit.Now);
        await kit.Ledger.RecordAsync([e], kit.Context);
        var stored = await kit.Ledger.GetAsync(e.FindingId);
        Assert.Equal(PolicyDocument.Embedded.Version, stored!.Evidence["policyVersion"]);
        Assert.Equal("e-" + kit.Now.ToUnixTimeSeconds(), stored.Evidence["eventId"]); // the rule's own evidence is kept
    }
}
