using System.Text.Json.Nodes;
using Amazon.DynamoDBv2.Model;
using IsmsServerless.CounterProjection;
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
/// Issue 20 wave 10: a failing evaluation with no stored result is held by the finding the ledger creates (its <c>cs</c> 2),
/// no <c>EVIDENCE#</c> / <c>RES#</c> item is written for it, and every reader counts it: the controls view's figures (the
/// projector), <c>./isms counters rebuild</c>, the drill-down. A result written later for the identity takes the failure over
/// (<c>hf</c>). Each test fails on the layout before (the result item written, no flag).
/// </summary>
[Collection(DynamoDbCollection.Name)]
public sealed class HeldEvidenceTests(DynamoDbLocalFixture dynamo)
{
    private const string Rule = "drift.security-group-baseline";
    private const string Group = "arn:aws:ec2:us-east-2:012345678912:security-group/default";

    private readonly FakeTimeProvider _clock = TestContexts.ClockAt("2026-11-23T10:00:00Z");

    private EvaluationContext Context => new(IsmsSettings.Default, _clock);

    private sealed record Harness(string Table, DynamoDbFindingLedger Ledger, DynamoDbEvidenceStore Evidence, IngestPipeline Pipeline);

    private async Task<Harness> NewAsync()
    {
        var table = await dynamo.NewTableAsync("held");
        var ledger = new DynamoDbFindingLedger(dynamo.Client, table, IsmsSettings.Default);
        var evidence = new DynamoDbEvidenceStore(dynamo.Client, table, "test");
        return new Harness(table, ledger, evidence, new IngestPipeline(RuleEngine.CreateDefault(), InputEnrichers.Default(dynamo.Client, table), ledger, evidence));
    }

    private static JsonObject Item(string captured, bool open, string arn = Group)
    {
        var item = DriftPayloads.Item("ci-security-group-configservice-docs.json");
        item["configurationItemCaptureTime"] = captured;
        item["arn"] = arn;
        item["resourceId"] = arn[(arn.LastIndexOf('/') + 1)..];
        if (!open)
        {
            var configuration = JsonNode.Parse(item["configuration"]!.GetValue<string>())!.AsObject();
            configuration["ipPermissions"] = new JsonArray();
            item["configuration"] = configuration;
        }
        return item;
    }

    private async Task DeliverAsync(Harness h, JsonObject item)
    {
        _clock.Advance(TimeSpan.FromMinutes(1));
        await h.Pipeline.ProcessAsync(DriftPayloads.ItemChange(item), Context);
    }

    private async Task<string> FiguresAsync(Harness h)
    {
        var summaries = await h.Evidence.GetRuleSummariesAsync();
        return summaries.TryGetValue(Rule, out var s) ? $"{s.Evaluated}/{s.Passing}/{s.Failing}" : "none";
    }

    private async Task<Dictionary<string, AttributeValue>?> ResultItemAsync(Harness h, string arn = Group)
    {
        var finding = (await h.Ledger.QueryByResourceAsync(arn, 10)).Items.Single(f => f.RuleId == Rule);
        var item = (await dynamo.Client.GetItemAsync(new GetItemRequest
        {
            TableName = h.Table,
            Key = new()
            {
                [LedgerSchema.PartitionKey] = new AttributeValue { S = DynamoDbEvidenceStore.ResultPartitionPrefix + Rule },
                [LedgerSchema.SortKey] = new AttributeValue { S = DynamoDbEvidenceStore.ResultSortPrefix + finding.Id },
            },
            ConsistentRead = true,
        })).Item;
        return item is { Count: > 0 } ? item : null;
    }

    private async Task<FindingRecord> FindingAsync(Harness h, string arn = Group) =>
        (await h.Ledger.QueryByResourceAsync(arn, 10)).Items.Single(f => f.RuleId == Rule);

    private async Task<List<EvidenceRecord>> DrillDownAsync(Harness h, int limit)
    {
        var all = new List<EvidenceRecord>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var (items, next) = await h.Evidence.QueryRuleAsync(Rule, limit, cursor);
            all.AddRange(items);
            cursor = next;
            Assert.True(++pages < 20, "the drill-down's pages end");
        }
        while (cursor is not null);
        return all;
    }

    [Fact]
    public async Task A_first_failure_writes_no_result_item_and_the_figures_the_rebuild_and_the_drill_down_count_it_held_by_its_finding()
    {
        var h = await NewAsync();
        await DeliverAsync(h, Item("2026-11-23T09:00:00Z", open: true));
        await DeliverAsync(h, Item("2026-11-23T09:05:00Z", open: true));

        Assert.Equal("1/0/1", await FiguresAsync(h));
        Assert.Null(await ResultItemAsync(h));
        var finding = await FindingAsync(h);
        Assert.True(finding.HoldsEvidence);
        var held = Assert.Single(await DrillDownAsync(h, 10));
        Assert.Equal(("fail", Group, DynamoDbEvidenceStore.HeldSource), (held.Result, held.ResourceId, held.Source));
        Assert.Equal(DateTimeOffset.Parse("2026-11-23T09:05:00Z", System.Globalization.CultureInfo.InvariantCulture), held.EvaluatedAt);

        // The rebuild counts the held failure as the projector did.
        await RebuildAsync(h);
        Assert.Equal("1/0/1", await FiguresAsync(h));

        // The fix is a result item that takes the failure over: the rule passes, the drill-down lists the pass only.
        await DeliverAsync(h, Item("2026-11-23T09:10:00Z", open: false));
        Assert.Equal("1/1/0", await FiguresAsync(h));
        var stored = await ResultItemAsync(h);
        Assert.NotNull(stored);
        Assert.True(DynamoDbEvidenceStore.TakesOver(stored));
        Assert.Equal(["pass"], (await DrillDownAsync(h, 10)).Select(r => r.Result));
        await RebuildAsync(h);
        Assert.Equal("1/1/0", await FiguresAsync(h));

        // A recurrence: the result item says fail again (still taking the finding's failure over, so it counts once).
        await DeliverAsync(h, Item("2026-11-23T09:20:00Z", open: true));
        Assert.Equal("1/0/1", await FiguresAsync(h));
        Assert.Equal(["fail"], (await DrillDownAsync(h, 10)).Select(r => r.Result));
        await RebuildAsync(h);
        Assert.Equal("1/0/1", await FiguresAsync(h));
    }

    /// <summary>Deletes the rule's evidence counter items (a lost stream record, say) and rebuilds them from the table.</summary>
    private async Task RebuildAsync(Harness h)
    {
        await h.Evidence.GetRuleSummariesAsync();
        await dynamo.Client.DeleteItemAsync(new DeleteItemRequest
        {
            TableName = h.Table,
            Key = DynamoDbEvidenceStore.CounterKey(Rule, "", DynamoDbEvidenceStore.CounterShards),
        });
        await CounterRebuild.RebuildAsync(dynamo.Client, h.Table);
    }

    [Fact]
    public async Task The_drill_down_pages_through_the_stored_results_then_the_held_failures()
    {
        var h = await NewAsync();
        string Arn(int i) => $"arn:aws:ec2:us-east-2:012345678912:security-group/sg-{i:D4}";
        for (var i = 0; i < 3; i++) await DeliverAsync(h, Item("2026-11-23T09:00:00Z", open: true, Arn(i)));
        for (var i = 3; i < 5; i++)
        {
            await DeliverAsync(h, Item("2026-11-23T09:00:00Z", open: true, Arn(i)));
            await DeliverAsync(h, Item("2026-11-23T09:10:00Z", open: false, Arn(i)));
        }
        Assert.Equal("5/2/3", await FiguresAsync(h));
        foreach (var limit in new[] { 1, 2, 3, 50 })
        {
            var listed = await DrillDownAsync(h, limit);
            Assert.Equal(
                ["fail " + Arn(0), "fail " + Arn(1), "fail " + Arn(2), "pass " + Arn(3), "pass " + Arn(4)],
                listed.Select(r => r.Result + " " + r.ResourceId).Order(StringComparer.Ordinal));
        }
        await Assert.ThrowsAsync<ArgumentException>(() => h.Evidence.QueryRuleAsync(Rule, 1,
            PageCursor.Encode(new() { [LedgerSchema.Gsi2PartitionKey] = new AttributeValue { S = LedgerKeys.RulePartition("another.rule") } })));
    }

    [Fact]
    public async Task A_failure_stored_by_an_earlier_version_under_a_finding_created_anew_is_taken_over_and_counted_once()
    {
        var h = await NewAsync();
        // The layout before: the result item written for the failure (no ledger call holding it), counted by the projector.
        var payload = DriftPayloads.ItemChange(Item("2026-11-23T09:00:00Z", open: true));
        var evaluations = RuleEngine.CreateDefault().Evaluate(payload, Context).Evaluations.Where(e => e.Rule.Id == Rule).ToList();
        Assert.Equal(Outcome.Finding, Assert.Single(evaluations).Outcome);
        await h.Evidence.RecordAsync(evaluations, "aws.config", Context);
        Assert.Equal("1/0/1", await FiguresAsync(h));

        // The same failure reaches this version's pipeline: the ledger creates the finding (holding the failure), and the
        // stored result takes it over, so the rule still counts one failure.
        await DeliverAsync(h, Item("2026-11-23T09:00:00Z", open: true));
        Assert.True((await FindingAsync(h)).HoldsEvidence);
        Assert.True(DynamoDbEvidenceStore.TakesOver(await ResultItemAsync(h)));
        Assert.Equal("1/0/1", await FiguresAsync(h));
        Assert.Equal(["fail"], (await DrillDownAsync(h, 10)).Select(r => r.Result));
        await RebuildAsync(h);
        Assert.Equal("1/0/1", await FiguresAsync(h));

        await DeliverAsync(h, Item("2026-11-23T09:10:00Z", open: false));
        Assert.Equal("1/1/0", await FiguresAsync(h));
    }

    [Fact]
    public async Task A_violation_older_than_a_recorded_pass_is_created_superseded_and_the_rule_keeps_the_pass()
    {
        var h = await NewAsync();
        await DeliverAsync(h, Item("2026-11-23T09:10:00Z", open: false));
        Assert.Equal("1/1/0", await FiguresAsync(h));
        await DeliverAsync(h, Item("2026-11-23T09:00:00Z", open: true));

        var finding = await FindingAsync(h);
        Assert.Equal(FindingStatus.Resolved, finding.Status);
        Assert.True(finding.HoldsEvidence);
        Assert.True(DynamoDbEvidenceStore.TakesOver(await ResultItemAsync(h)));
        Assert.Equal("1/1/0", await FiguresAsync(h));
        Assert.Equal(["pass"], (await DrillDownAsync(h, 10)).Select(r => r.Result));
        await RebuildAsync(h);
        Assert.Equal("1/1/0", await FiguresAsync(h));
    }

    [Fact]
    public async Task A_violation_older_than_a_compliant_verdict_only_the_ledger_saw_is_created_superseded_and_counts_nothing()
    {
        var h = await NewAsync();
        // A compliant verdict recorded in the ledger only (as a baseline approval or an access review records them): a
        // marker, no result item.
        var fixedPayload = DriftPayloads.ItemChange(Item("2026-11-23T09:10:00Z", open: false));
        var compliant = RuleEngine.CreateDefault().Evaluate(fixedPayload, Context).Evaluations.Where(e => e.Rule.Id == Rule).ToList();
        Assert.Equal(Outcome.Compliant, Assert.Single(compliant).Outcome);
        await h.Ledger.RecordAsync(compliant, Context);

        await DeliverAsync(h, Item("2026-11-23T09:00:00Z", open: true));
        var finding = await FindingAsync(h);
        Assert.Equal(FindingStatus.Resolved, finding.Status);
        Assert.True(finding.HoldsEvidence);
        // As before (the superseded violation wrote no result): nothing evaluated, nothing listed. The tombstone taking the
        // finding's failure over is the result item.
        Assert.Equal(DynamoDbEvidenceStore.Gone, (await ResultItemAsync(h))?.GetValueOrDefault("result")?.S);
        Assert.Equal("0/0/0", await FiguresAsync(h));
        Assert.Empty(await DrillDownAsync(h, 10));
        await RebuildAsync(h);
        Assert.Equal("0/0/0", await FiguresAsync(h));

        // A newer failure counts once.
        await DeliverAsync(h, Item("2026-11-23T09:20:00Z", open: true));
        Assert.Equal("1/0/1", await FiguresAsync(h));
    }

    [Fact]
    public async Task The_status_pages_control_detail_lists_a_held_failure_with_the_rules_results()
    {
        var h = await NewAsync();
        var other = "arn:aws:ec2:us-east-2:012345678912:security-group/sg-fixed";
        await DeliverAsync(h, Item("2026-11-23T09:00:00Z", open: true));
        await DeliverAsync(h, Item("2026-11-23T09:00:00Z", open: true, other));
        await DeliverAsync(h, Item("2026-11-23T09:10:00Z", open: false, other));
        Assert.Null(await ResultItemAsync(h));

        await using var server = await IsmsServerless.Cli.Local.StatusServer.StartAsync(
            IsmsServerless.StatusPage.StatusPageComposition.Create(dynamo.Client, h.Table, IsmsSettings.Default, _clock), 0, _clock);
        using var http = new HttpClient { BaseAddress = server.Url };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/control?id=" + Uri.EscapeDataString("ISO27001:2022 A.8.9"));
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", server.Issuer.Issue("reader@example.com", []));
        using var response = await http.SendAsync(request);
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        using var detail = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var rule = detail.RootElement.GetProperty("rules").EnumerateArray().Single(r => r.GetProperty("ruleId").GetString() == Rule);
        Assert.False(rule.GetProperty("more").GetBoolean());
        Assert.Equal(
            ["fail " + Group + " " + DynamoDbEvidenceStore.HeldSource, "pass " + other + " aws.config"],
            rule.GetProperty("resources").EnumerateArray()
                .Select(r => $"{r.GetProperty("result").GetString()} {r.GetProperty("resourceId").GetString()} {r.GetProperty("source").GetString()}")
                .Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Eight_concurrent_writers_of_the_same_first_failures_and_fixes_count_each_identity_once()
    {
        var h = await NewAsync();
        string Arn(int i) => $"arn:aws:ec2:us-east-2:012345678912:security-group/sg-c{i:D3}";
        var context = Context;
        async Task Worker(bool open, string captured)
        {
            var pipeline = new IngestPipeline(RuleEngine.CreateDefault(), InputEnrichers.Default(dynamo.Client, h.Table),
                new DynamoDbFindingLedger(dynamo.Client, h.Table, IsmsSettings.Default), new DynamoDbEvidenceStore(dynamo.Client, h.Table, "test"));
            for (var i = 0; i < 6; i++) await pipeline.ProcessAsync(DriftPayloads.ItemChange(Item(captured, open, Arn(i))), context);
        }
        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => Worker(open: true, "2026-11-23T09:00:00Z"))));
        Assert.Equal("6/0/6", await FiguresAsync(h));
        await Task.WhenAll(Enumerable.Range(0, 8).Select(w => Task.Run(() => Worker(open: w % 2 == 0, w % 2 == 0 ? "2026-11-23T09:00:00Z" : "2026-11-23T09:10:00Z"))));
        Assert.Equal("6/6/0", await FiguresAsync(h));
        await RebuildAsync(h);
        Assert.Equal("6/6/0", await FiguresAsync(h));
    }
}
