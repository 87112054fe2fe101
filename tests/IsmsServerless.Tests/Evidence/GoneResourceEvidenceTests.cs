using IsmsServerless.Engine;
using IsmsServerless.Evidence;
using IsmsServerless.Ledger;
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
}
