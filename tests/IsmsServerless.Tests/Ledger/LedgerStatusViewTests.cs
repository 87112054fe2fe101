using System.Globalization;
using Amazon.DynamoDBv2.Model;
using IsmsServerless.Ledger;
using IsmsServerless.Model;
using IsmsServerless.Tests.Support;
using static IsmsServerless.Tests.Ledger.LedgerTestKit;

namespace IsmsServerless.Tests.Ledger;

/// <summary>
/// The by-status view served from the GSI2 rule partitions (issue 20: new finding items carry no GSI1 keys), items of
/// the older layouts written raw into DynamoDB Local (GSI1 status keys, MEMBER items, SHARD# counters) listed exactly
/// once, old cursors continuing, and the rule partitions read only where the counters show findings in the status.
/// </summary>
[Collection(DynamoDbCollection.Name)]
public sealed class LedgerStatusViewTests(DynamoDbLocalFixture dynamo)
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.Parse("2026-02-28T00:00:00Z", CultureInfo.InvariantCulture);

    private static readonly RuleMetadata HighDrift = new("drift.test-open-ingress", "World-open ingress", Category.Drift, Severity.High,
        "AWS::EC2::SecurityGroup", "PROC-002", [Controls.IsoNetworkSecurity], "Exposure", "Close it");

    /// <summary>A rule whose only finding predates both the rule counter items and the GSI2 rule key (the SHARD# era).</summary>
    private static readonly RuleMetadata ShardEraRule = new("patch.test-shard-era", "Old patch finding", Category.Patch, Severity.Medium,
        "AWS::EC2::Instance", "PROC-002", [Controls.IsoVulnerabilities], "Exposure", "Patch it");

    [Fact]
    public async Task A_new_finding_item_carries_no_status_index_keys_only_its_rule_and_resource_keys()
    {
        var kit = await CreateAsync(dynamo);
        var e = Finding(PatchRule, "i-1", T0);
        await kit.Ledger.RecordAsync([e], kit.Context);
        await kit.Ledger.RecordAsync([Compliant(PatchRule, "i-1", T0.AddDays(1))], kit.Context);

        var raw = await kit.RawFindingAsync(e.FindingId);
        Assert.False(raw.ContainsKey("GSI1PK"));
        Assert.False(raw.ContainsKey("GSI1SK"));
        Assert.Equal("RULE#" + PatchRule.Id, raw["GSI2PK"].S);
        Assert.StartsWith("3#0#", raw["GSI2SK"].S, StringComparison.Ordinal);
        Assert.StartsWith("RESOURCE#", raw["GSI3PK"].S, StringComparison.Ordinal);
        Assert.Equal([e.FindingId], (await kit.Ledger.QueryByStatusAsync(FindingStatus.Resolved, 10)).Items.Select(f => f.Id));
        Assert.Empty((await kit.Ledger.QueryByStatusAsync(FindingStatus.Open, 10)).Items);
    }

    [Fact]
    public async Task Items_of_older_layouts_are_listed_once_in_page_order_and_lose_their_status_keys_on_their_next_write()
    {
        var kit = await CreateAsync(dynamo);
        // New-layout findings over three rules, deadlines spread so severity, then due date, then id decide the order.
        var evaluations = new List<Evaluation>();
        for (var i = 0; i < 4; i++)
        {
            evaluations.Add(Finding(PatchRule, $"i-{i}", T0.AddHours(-7 * i)));
            evaluations.Add(Finding(HighDrift, $"sg-{i}", T0.AddHours(-5 * i)));
            evaluations.Add(Finding(MonitoringRule, $"arn:aws:iam::12345678901{i}:root", T0.AddHours(i)));
        }
        var mainShape = Finding(PatchRule, "i-main-shape", T0.AddHours(-3));
        var preRuleShape = Finding(HighDrift, "sg-pre-rule", T0.AddHours(-11));
        var shardEra = Finding(ShardEraRule, "i-shard-era", T0.AddHours(-2));
        await kit.Ledger.RecordAsync([.. evaluations, mainShape, preRuleShape, shardEra], kit.Context);

        // Rewrite three of them raw as older versions stored them:
        // - the last version's (gsi6's baseline): GSI1 STATUS# keys beside the GSI2 rule key;
        await PutRawAsync(kit, WithStatusKeys(await kit.RawFindingAsync(mainShape.FindingId)));
        // - before the GSI2 rule key: GSI1 keys, no GSI2 key on the item, one MEMBER item per control and category;
        var preRule = WithStatusKeys(await kit.RawFindingAsync(preRuleShape.FindingId));
        preRule.Remove("GSI2PK");
        preRule.Remove("GSI2SK");
        await PutRawAsync(kit, preRule);
        foreach (var member in LedgerItems.MemberItems((await kit.Ledger.GetAsync(preRuleShape.FindingId))!, null)) await PutRawAsync(kit, member);
        // - before the rule counter items: as above, and counted only in a SHARD# counter item (its rule has no item).
        var shard = WithStatusKeys(await kit.RawFindingAsync(shardEra.FindingId));
        shard.Remove("GSI2PK");
        shard.Remove("GSI2SK");
        await PutRawAsync(kit, shard);
        foreach (var member in LedgerItems.MemberItems((await kit.Ledger.GetAsync(shardEra.FindingId))!, null)) await PutRawAsync(kit, member);
        await kit.DrainAsync();
        await DeleteRuleCountersAsync(kit, ShardEraRule.Id);
        await PutRawAsync(kit, new()
        {
            ["PK"] = S("STATS"),
            ["SK"] = S("SHARD#3"),
            ["entityType"] = S("STATS"),
            ["c|all|*|open"] = N(1),
            ["c|category|patch|open"] = N(1),
            ["c|severity|MEDIUM|open"] = N(1),
        });

        var expected = await ExpectedOrderAsync(kit, [.. evaluations.Select(e => e.FindingId), mainShape.FindingId, preRuleShape.FindingId, shardEra.FindingId]);
        Assert.Equal(15, expected.Count);
        await AssertPagesAsync(kit, FindingStatus.Open, expected);
        Assert.Equal(15, (await kit.Ledger.GetOverviewAsync()).Total.Open);

        // Their next write (a re-detection: no transition) drops the GSI1 keys, gives the item its rule key and deletes the
        // memberships; the SHARD#-era finding's rule gets its counter item (ADD 0), so it stays listed.
        var later = T0.AddHours(1);
        await kit.Ledger.RecordAsync([Finding(PatchRule, "i-main-shape", later), Finding(HighDrift, "sg-pre-rule", later), Finding(ShardEraRule, "i-shard-era", later)], kit.Context);
        foreach (var id in new[] { mainShape.FindingId, preRuleShape.FindingId, shardEra.FindingId })
        {
            var raw = await kit.RawFindingAsync(id);
            Assert.False(raw.ContainsKey("GSI1PK"), id);
            Assert.StartsWith("RULE#", raw["GSI2PK"].S, StringComparison.Ordinal);
        }
        await kit.DrainAsync();
        var counters = await StatsItemsAsync(kit);
        Assert.Contains(counters, i => i.GetValueOrDefault("ruleId")?.S == ShardEraRule.Id);
        Assert.Equal(15, (await kit.Ledger.GetOverviewAsync()).Total.Open);
        await AssertPagesAsync(kit, FindingStatus.Open, expected);

        // A transition moves them between views like any other finding.
        await kit.Ledger.RecordAsync([Compliant(ShardEraRule, "i-shard-era", T0.AddDays(1)), Compliant(HighDrift, "sg-pre-rule", T0.AddDays(1))], kit.Context);
        await AssertPagesAsync(kit, FindingStatus.Open, [.. expected.Where(id => id != shardEra.FindingId && id != preRuleShape.FindingId)]);
        Assert.Equal(
            await ExpectedOrderAsync(kit, [shardEra.FindingId, preRuleShape.FindingId]),
            (await kit.Ledger.QueryByStatusAsync(FindingStatus.Resolved, 10)).Items.Select(f => f.Id));
    }

    [Fact]
    public async Task A_finding_still_carrying_status_keys_is_listed_once_with_the_severity_filter_and_in_its_status_only()
    {
        var kit = await CreateAsync(dynamo);
        var old = Finding(HighDrift, "sg-old", T0);
        var fresh = Finding(HighDrift, "sg-new", T0.AddHours(1));
        await kit.Ledger.RecordAsync([old, fresh, Finding(PatchRule, "i-1", T0)], kit.Context);
        await PutRawAsync(kit, WithStatusKeys(await kit.RawFindingAsync(old.FindingId)));

        Assert.Equal([old.FindingId, fresh.FindingId], (await kit.Ledger.QueryFindingsAsync(new FindingQuery { Severity = Severity.High })).Items.Select(f => f.Id));
        Assert.Single((await kit.Ledger.QueryFindingsAsync(new FindingQuery { Severity = Severity.Critical })).Items);
        Assert.Empty((await kit.Ledger.QueryFindingsAsync(new FindingQuery { Severity = Severity.Low })).Items);
        Assert.Empty((await kit.Ledger.QueryByStatusAsync(FindingStatus.Acknowledged, 10)).Items);
        Assert.Equal([old.FindingId, fresh.FindingId], (await kit.Ledger.QueryFindingsAsync(new FindingQuery { Category = Category.Drift })).Items.Select(f => f.Id));
    }

    [Fact]
    public async Task A_cursor_handed_out_by_the_status_index_query_continues_after_its_entry()
    {
        var kit = await CreateAsync(dynamo);
        var evaluations = Enumerable.Range(0, 5).Select(i => Finding(PatchRule, $"i-{i}", T0.AddHours(i))).ToList();
        await kit.Ledger.RecordAsync(evaluations, kit.Context);
        var all = (await kit.Ledger.QueryByStatusAsync(FindingStatus.Open, 50)).Items;
        Assert.Equal(5, all.Count);

        // What the GSI1 query returned as LastEvaluatedKey after the second finding (the table's and the index's keys).
        var second = all[1];
        var old = PageCursor.Encode(new()
        {
            ["PK"] = S("FINDING#" + second.Id),
            ["SK"] = S("META"),
            ["GSI1PK"] = S("STATUS#open"),
            ["GSI1SK"] = S($"0#{Timestamps.ToWire(second.DueAt!.Value)}#{second.Id}"),
        });
        var page = await kit.Ledger.QueryByStatusAsync(FindingStatus.Open, 2, old);
        Assert.Equal(all.Skip(2).Take(2).Select(f => f.Id), page.Items.Select(f => f.Id));
        var rest = await kit.Ledger.QueryByStatusAsync(FindingStatus.Open, 2, page.NextCursor);
        Assert.Equal([all[4].Id], rest.Items.Select(f => f.Id));
        Assert.Null(rest.NextCursor);

        // A cursor that decodes and names ledger keys but no position in the view is refused, not read as "first page".
        var nowhere = PageCursor.Encode(new() { ["PK"] = S("FINDING#" + second.Id), ["SK"] = S("META") });
        await Assert.ThrowsAsync<ArgumentException>(() => kit.Ledger.QueryByStatusAsync(FindingStatus.Open, 2, nowhere));
        await Assert.ThrowsAsync<ArgumentException>(() => kit.Ledger.QueryByControlAsync(Controls.IsoVulnerabilities, 2, nowhere));
    }

    [Fact]
    public async Task The_status_view_queries_only_the_rules_whose_counters_hold_findings_in_the_status_unless_shard_counters_exist()
    {
        var kit = await CreateAsync(dynamo);
        await kit.Ledger.RecordAsync([Finding(PatchRule, "i-1", T0), Finding(HighDrift, "sg-1", T0), Finding(MonitoringRule, "arn:aws:iam::123456789012:root", T0)], kit.Context);
        await kit.Ledger.RecordAsync([Compliant(MonitoringRule, "arn:aws:iam::123456789012:root", T0.AddDays(1))], kit.Context);

        // Open: the patch and drift rule partitions and the legacy GSI1 partition; resolved: the monitoring rule's and GSI1.
        Assert.Equal((2, 3), await PartitionQueriesAsync(kit, FindingStatus.Open, null));
        Assert.Equal((1, 2), await PartitionQueriesAsync(kit, FindingStatus.Resolved, null));
        Assert.Equal((1, 2), await PartitionQueriesAsync(kit, FindingStatus.Open, Severity.High));
        Assert.Equal((0, 1), await PartitionQueriesAsync(kit, FindingStatus.Suppressed, null));

        // A table that still holds SHARD#-layout counters: their findings are in no rule's counts, so every rule is read.
        await PutRawAsync(kit, new() { ["PK"] = S("STATS"), ["SK"] = S("SHARD#0"), ["entityType"] = S("STATS"), ["c|all|*|open"] = N(0) });
        Assert.Equal((2, 4), await PartitionQueriesAsync(kit, FindingStatus.Open, null));
        Assert.Equal((1, 4), await PartitionQueriesAsync(kit, FindingStatus.Resolved, null));
    }

    [Fact]
    public async Task Pages_read_the_sources_in_windows_and_stay_exact_when_one_rule_holds_most_of_the_status()
    {
        var kit = await CreateAsync(dynamo);
        // 40 patch findings (one partition far larger than its window), 3 drift, 2 monitoring, 1 still keyed in GSI1.
        var evaluations = Enumerable.Range(0, 40).Select(i => Finding(PatchRule, $"i-{i:D2}", T0.AddMinutes(-37 * i % 500)))
            .Concat(Enumerable.Range(0, 3).Select(i => Finding(HighDrift, $"sg-{i}", T0.AddHours(-i))))
            .Concat(Enumerable.Range(0, 2).Select(i => Finding(MonitoringRule, $"arn:aws:iam::12345678901{i}:root", T0))).ToList();
        await kit.Ledger.RecordAsync(evaluations, kit.Context);
        await PutRawAsync(kit, WithStatusKeys(await kit.RawFindingAsync(evaluations[7].FindingId)));
        var expected = await ExpectedOrderAsync(kit, evaluations.Select(e => e.FindingId));
        await AssertPagesAsync(kit, FindingStatus.Open, expected);
        foreach (var size in new[] { 7, 25 })
        {
            var seen = new List<string>();
            string? cursor = null;
            do
            {
                var page = await kit.Ledger.QueryByStatusAsync(FindingStatus.Open, size, cursor);
                seen.AddRange(page.Items.Select(f => f.Id));
                cursor = page.NextCursor;
            }
            while (cursor is not null);
            Assert.Equal(expected, seen);
        }

        // The first page of 50: four sources (three rules, GSI1) read in windows of 25; the patch partition needs a second.
        Assert.Equal((45, 5), await PartitionQueriesAsync(kit, FindingStatus.Open, null));
        // The patch area alone: one rule partition and the legacy CATEGORY# one.
        var patch = await kit.Ledger.QueryFindingsAsync(new FindingQuery { Category = Category.Patch, Limit = 10 });
        Assert.Equal(expected.Where(id => evaluations.First(e => e.FindingId == id).Rule == PatchRule).Take(10), patch.Items.Select(f => f.Id));
    }

    /// <summary>(findings listed, index Queries made) for one first page of a status view.</summary>
    private static async Task<(int Listed, int Queries)> PartitionQueriesAsync(LedgerTestKit kit, FindingStatus status, Severity? severity)
    {
        var queries = 0;
        kit.Ledger.CapacityObserver = (operation, _) => { if (operation == "findings-by-status") Interlocked.Increment(ref queries); };
        try
        {
            var page = await kit.Ledger.QueryFindingsAsync(new FindingQuery { Status = status, Severity = severity, Limit = 50 });
            return (page.Items.Count, queries);
        }
        finally
        {
            kit.Ledger.CapacityObserver = null;
        }
    }

    /// <summary>Pages of 1, 2, 4 and 50 each list exactly <paramref name="expected"/>, in order, no finding twice.</summary>
    private static async Task AssertPagesAsync(LedgerTestKit kit, FindingStatus status, List<string> expected)
    {
        foreach (var size in new[] { 1, 2, 4, 50 })
        {
            var seen = new List<string>();
            string? cursor = null;
            var pages = 0;
            do
            {
                var page = await kit.Ledger.QueryByStatusAsync(status, size, cursor);
                seen.AddRange(page.Items.Select(f => f.Id));
                cursor = page.NextCursor;
                Assert.True(++pages <= expected.Count + 2, "paging does not end");
            }
            while (cursor is not null);
            Assert.Equal(expected, seen);
        }
    }

    /// <summary>The status page's order of the given findings as stored: severity (most severe first), due date, id.</summary>
    private static async Task<List<string>> ExpectedOrderAsync(LedgerTestKit kit, IEnumerable<string> ids)
    {
        var records = new List<FindingRecord>();
        foreach (var id in ids) records.Add((await kit.Ledger.GetAsync(id))!);
        return records
            .OrderByDescending(f => f.Severity)
            .ThenBy(f => f.DueAt ?? DateTimeOffset.MaxValue)
            .ThenBy(f => f.Id, StringComparer.Ordinal)
            .Select(f => f.Id).ToList();
    }

    /// <summary>The GSI1 keys the finding item carried before issue 20's gsi6 change, added to a raw item.</summary>
    private static Dictionary<string, AttributeValue> WithStatusKeys(Dictionary<string, AttributeValue> stored)
    {
        // Items with status keys were written before issue 20's item sizes too: every attribute plain (the logical item).
        Assert.True(FindingItemLayout.TryExpand(stored, out var item, out var problem), problem);
        // ...and before the counters came from the stream: their write ADDed its own counter delta (no counted mark).
        item.Remove("cs");
        var severityRank = item["severity"].S switch { "CRITICAL" => 0, "HIGH" => 1, "MEDIUM" => 2, "LOW" => 3, _ => 4 };
        var due = item.GetValueOrDefault("dueAt")?.S ?? "9999-12-31T23:59:59.999Z";
        item["GSI1PK"] = S("STATUS#" + item["status"].S);
        item["GSI1SK"] = S($"{severityRank}#{due}#{item["id"].S}");
        return item;
    }

    private static async Task DeleteRuleCountersAsync(LedgerTestKit kit, string ruleId)
    {
        foreach (var item in (await StatsItemsAsync(kit)).Where(i => i.GetValueOrDefault("ruleId")?.S == ruleId))
        {
            await kit.Dynamo.Client.DeleteItemAsync(new DeleteItemRequest
            {
                TableName = kit.Table,
                Key = new() { ["PK"] = item["PK"], ["SK"] = item["SK"] },
            });
        }
    }

    private static async Task<List<Dictionary<string, AttributeValue>>> StatsItemsAsync(LedgerTestKit kit) =>
        (await kit.Dynamo.Client.QueryAsync(new QueryRequest
        {
            TableName = kit.Table,
            KeyConditionExpression = "PK = :pk",
            ExpressionAttributeValues = new() { [":pk"] = S("STATS") },
            ConsistentRead = true,
        })).Items;

    private static Task<PutItemResponse> PutRawAsync(LedgerTestKit kit, Dictionary<string, AttributeValue> item) =>
        kit.Dynamo.Client.PutItemAsync(new PutItemRequest { TableName = kit.Table, Item = item });

    private static AttributeValue S(string value) => new() { S = value };

    private static AttributeValue N(long value) => new() { N = value.ToString(CultureInfo.InvariantCulture) };
}
