using IsmsServerless.Cli;
using IsmsServerless.Drift;
using IsmsServerless.Engine;
using IsmsServerless.Evidence;
using IsmsServerless.Inputs;
using IsmsServerless.Settings;
using IsmsServerless.Sweep;
using IsmsServerless.Tests.Drift;
using IsmsServerless.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace IsmsServerless.Tests.Evidence;

/// <summary>
/// The sweep's evaluations are passing evidence too (issue 16 §3: "for each rule and resource, the latest result"):
/// what the drift re-check (and the other evaluating steps) judge is recorded like the ingest path's results, with the
/// source <c>sweep:&lt;step&gt;</c>, throttled the same way.
/// </summary>
[Collection(DynamoDbCollection.Name)]
public sealed class SweepEvidenceTests(DynamoDbLocalFixture dynamo)
{
    private readonly FakeTimeProvider _clock = TestContexts.ClockAt("2026-11-23T09:00:00Z");

    private EvaluationContext Context => new(IsmsSettings.Default, _clock);

    /// <summary>Two real configuration items stored as the drift store keeps them, with nothing in the ledger or the evidence.</summary>
    private async Task<string> StoredConfigurationsAsync()
    {
        var table = await dynamo.NewTableAsync("sweepev");
        var store = new DriftStore(dynamo.Client, table);
        var engine = RuleEngine.CreateDefault();
        foreach (var name in new[] { "ci-dynamodb-table-rdk.json", "ci-cloudtrail-trail-rdk.json" })
        {
            var input = Assert.IsType<ConfigItemInput>(Assert.Single(engine.Adapt(DriftPayloads.ItemChange(DriftPayloads.Item(name)), Context).Inputs));
            Assert.True(await store.PutLatestAsync(input, Context.Now));
        }
        return table;
    }

    [Fact]
    public async Task The_sweep_records_the_drift_rechecks_results_as_evidence_with_its_source()
    {
        var table = await StoredConfigurationsAsync();
        var code = await SweepCommand.RunAsync(Context, dynamo.Client, table, [new DriftRecheckStep()], TextWriter.Null, TextWriter.Null);
        Assert.Equal(0, code);

        var evidence = new DynamoDbEvidenceStore(dynamo.Client, table, "test");
        var summaries = await evidence.GetRuleSummariesAsync();
        // The DynamoDB table has no point-in-time recovery: its baseline fails. Other rules judged the trail and the table.
        Assert.Equal(1, summaries["drift.dynamodb-table-baseline"].Failing);
        Assert.Contains(summaries.Values, s => s.Passing > 0);
        Assert.All(summaries.Values, s => Assert.Equal(s.Evaluated, s.Passing + s.Failing));
        Assert.All(summaries.Values, s => Assert.Equal(Context.Now, s.LastEvaluatedAt));
        var (items, _) = await evidence.QueryRuleAsync("drift.dynamodb-table-baseline", 10);
        var item = Assert.Single(items);
        // A first failure is held by the finding the sweep created (issue 20 wave 10): no result item, the drill-down lists it
        // from the finding. The passing results are the sweep's items.
        Assert.Equal(DynamoDbEvidenceStore.HeldSource, item.Source);
        Assert.Equal("fail", item.Result);
        Assert.Contains(summaries.Keys, rule => evidence.QueryRuleAsync(rule, 10).Result.Items.Any(r => r.Result == "pass" && r.Source == "sweep:drift-recheck"));
        Assert.Equal("arn:aws:dynamodb:us-east-2:123456789012:table/test", item.ResourceId);

        // The controls view sees the sweep's evidence: A.8.9 (configuration management) has evaluated resources.
        var views = await ControlsCommand.ReadAsync(dynamo.Client, table, Context.Now);
        Assert.True(views.Single(v => v.Control.Key == "ISO27001:2022 A.8.9").Evaluated > 0);
    }

    [Fact]
    public async Task A_second_sweep_within_the_day_writes_no_evidence_and_a_sweep_without_an_evidence_store_writes_none()
    {
        var table = await StoredConfigurationsAsync();
        var evidence = new DynamoDbEvidenceStore(dynamo.Client, table, "test");
        var step = new DriftRecheckStep();
        var ledger = new IsmsServerless.Ledger.DynamoDbFindingLedger(dynamo.Client, table, IsmsSettings.Default);

        await step.RunAsync(new SweepContext(dynamo.Client, table, ledger, Context), CancellationToken.None);
        Assert.Empty(await evidence.GetRuleSummariesAsync());

        await step.RunAsync(new SweepContext(dynamo.Client, table, ledger, Context) { Evidence = evidence }, CancellationToken.None);
        var first = await evidence.GetRuleSummariesAsync();
        Assert.NotEmpty(first);

        _clock.Advance(TimeSpan.FromHours(1));
        var counting = new DynamoDbEvidenceStore(dynamo.Client, table, "test");
        var writes = 0;
        counting.Observer = (operation, _) => { if (operation != "evidence-get") Interlocked.Increment(ref writes); };
        await step.RunAsync(new SweepContext(dynamo.Client, table, ledger, Context) { Evidence = counting }, CancellationToken.None);
        Assert.Equal(0, writes);
        Assert.Equal(first.Values.Select(s => (s.RuleId, s.Evaluated, s.Passing, s.Failing)).Order(),
            (await evidence.GetRuleSummariesAsync()).Values.Select(s => (s.RuleId, s.Evaluated, s.Passing, s.Failing)).Order());
    }

    [Fact]
    public async Task A_recheck_keeps_an_old_state_fresh_and_a_newer_event_still_replaces_it()
    {
        var kit = await IsmsServerless.Tests.Ledger.LedgerTestKit.CreateAsync(dynamo);
        var store = new DynamoDbEvidenceStore(dynamo.Client, kit.Table, "test");
        var rule = IsmsServerless.Tests.Ledger.LedgerTestKit.PatchRule;
        var captured = kit.Now.AddDays(-90);
        // The sweep judges a configuration captured 90 days ago, today: evaluated now, so within any freshness window.
        await store.RecordRecheckAsync([IsmsServerless.Tests.Ledger.LedgerTestKit.Compliant(rule, "i-old", captured)], "sweep:drift-recheck", kit.Context);
        var (items, _) = await store.QueryRuleAsync(rule.Id, 10);
        Assert.Equal(kit.Now, Assert.Single(items).EvaluatedAt);
        Assert.Equal(kit.Now, (await store.GetRuleSummariesAsync())[rule.Id].LastEvaluatedAt);

        // An event observed after that capture but delivered later (its source time is before the sweep's now) still
        // replaces the older state: deliveries are ordered by the state's time, not by when it was judged.
        var changed = await store.RecordAsync([IsmsServerless.Tests.Ledger.LedgerTestKit.Finding(rule, "i-old", captured.AddDays(1))], "aws.config", kit.Context);
        Assert.Equal(1, changed.Changed);
        (items, _) = await store.QueryRuleAsync(rule.Id, 10);
        Assert.Equal(("fail", kit.Now), (Assert.Single(items).Result, items[0].EvaluatedAt));
        // And an event older than the re-checked state is dropped.
        var older = await store.RecordAsync([IsmsServerless.Tests.Ledger.LedgerTestKit.Compliant(rule, "i-old", captured.AddDays(-1))], "aws.config", kit.Context);
        Assert.Equal(1, older.Skipped);
        var summary = (await store.GetRuleSummariesAsync())[rule.Id];
        Assert.Equal((1L, 0L, 1L), (summary.Evaluated, summary.Passing, summary.Failing));
    }

    [Fact]
    public async Task A_counters_last_evaluation_is_not_rewritten_when_this_process_already_moved_it_as_far()
    {
        var kit = await IsmsServerless.Tests.Ledger.LedgerTestKit.CreateAsync(dynamo);
        var writes = 0;
        // One counter item (one shard), ten new resources evaluated at the same instant: ten result PutItems (the
        // projector moves the counters from the stream) and one update of lastEvaluatedAt: the other nine know it is set.
        var store = new DynamoDbEvidenceStore(dynamo.Client, kit.Table, "test") { Shards = 1 };
        store.Observer = (operation, _) => { if (operation is "evidence-touch" or "evidence-change") Interlocked.Increment(ref writes); };
        var rule = IsmsServerless.Tests.Ledger.LedgerTestKit.PatchRule;
        for (var i = 0; i < 10; i++)
            await store.RecordAsync([IsmsServerless.Tests.Ledger.LedgerTestKit.Compliant(rule, $"i-{i}", kit.Now)], "aws.ssm", kit.Context);
        Assert.Equal(11, writes);
        // A later evaluation, in a later hour (LastEvaluatedResolution), still moves it (and an earlier one never moves it back).
        kit.Clock.Advance(TimeSpan.FromHours(1));
        await store.RecordAsync([IsmsServerless.Tests.Ledger.LedgerTestKit.Compliant(rule, "i-late", kit.Now)], "aws.ssm", kit.Context);
        await store.RecordAsync([IsmsServerless.Tests.Ledger.LedgerTestKit.Compliant(rule, "i-early", kit.Now.AddMinutes(-10))], "aws.ssm", kit.Context);
        Assert.Equal(11 + 2 + 1, writes); // the late one's put and its lastEvaluatedAt; the early one's put only
        var summary = (await store.GetRuleSummariesAsync())[rule.Id];
        Assert.Equal((12L, 12L, kit.Now), (summary.Evaluated, summary.Passing, summary.LastEvaluatedAt!.Value));
        // Another process (a fresh store) reads the same counters.
        Assert.Equal(summary, (await new DynamoDbEvidenceStore(dynamo.Client, kit.Table, "test").GetRuleSummariesAsync())[rule.Id]);
    }
}

