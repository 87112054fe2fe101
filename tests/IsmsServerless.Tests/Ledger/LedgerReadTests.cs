using System.Globalization;
using Amazon.DynamoDBv2.Model;
using IsmsServerless.Ledger;
using IsmsServerless.Model;
using IsmsServerless.Tests.Support;
using static IsmsServerless.Tests.Ledger.LedgerTestKit;

namespace IsmsServerless.Tests.Ledger;

[Collection(DynamoDbCollection.Name)]
public sealed class LedgerReadTests(DynamoDbLocalFixture dynamo)
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.Parse("2026-02-28T00:00:00Z", CultureInfo.InvariantCulture);

    private static readonly RuleMetadata HighDrift = new("drift.test-open-ingress", "World-open ingress", Category.Drift, Severity.High,
        "AWS::EC2::SecurityGroup", "PROC-002", [Controls.IsoNetworkSecurity], "Exposure", "Close it");

    [Fact]
    public async Task Status_page_queries_order_by_severity_then_due_and_filter_by_category_severity_control_and_page()
    {
        var kit = await CreateAsync(dynamo);
        await kit.Ledger.RecordAsync(
        [
            Finding(HighDrift, "sg-1", T0),
            Finding(PatchRule, "i-late", T0.AddDays(1)),
            Finding(PatchRule, "i-early", T0),
            Finding(MonitoringRule, "arn:aws:iam::123456789012:root", T0),
        ], kit.Context);

        var open = await kit.Ledger.QueryByStatusAsync(FindingStatus.Open, 50);
        Assert.Equal(["i-early", "i-late", "sg-1", "arn:aws:iam::123456789012:root"], open.Items.Select(f => f.ResourceId));
        Assert.Null(open.NextCursor);

        var first = await kit.Ledger.QueryByStatusAsync(FindingStatus.Open, 2);
        Assert.NotNull(first.NextCursor);
        var second = await kit.Ledger.QueryByStatusAsync(FindingStatus.Open, 2, first.NextCursor);
        Assert.Equal(open.Items.Select(f => f.Id), first.Items.Concat(second.Items).Select(f => f.Id));

        var patch = await kit.Ledger.QueryFindingsAsync(new FindingQuery { Category = Category.Patch, Limit = 10 });
        Assert.Equal(["i-early", "i-late"], patch.Items.Select(f => f.ResourceId));
        var high = await kit.Ledger.QueryFindingsAsync(new FindingQuery { Severity = Severity.High });
        Assert.Equal(["sg-1"], high.Items.Select(f => f.ResourceId));
        var patchHigh = await kit.Ledger.QueryFindingsAsync(new FindingQuery { Category = Category.Patch, Severity = Severity.High });
        Assert.Empty(patchHigh.Items);
        var byControl = await kit.Ledger.QueryByControlAsync(Controls.IsoVulnerabilities, 10);
        Assert.Equal(2, byControl.Items.Count);

        // The category filter follows status changes (the finding item's own GSI2 sort key moves with it).
        await kit.Ledger.RecordAsync([Compliant(PatchRule, "i-early", T0.AddDays(2))], kit.Context);
        Assert.Equal(["i-late"], (await kit.Ledger.QueryFindingsAsync(new FindingQuery { Category = Category.Patch })).Items.Select(f => f.ResourceId));
        Assert.Equal(["i-early"], (await kit.Ledger.QueryFindingsAsync(new FindingQuery { Category = Category.Patch, Status = FindingStatus.Resolved })).Items.Select(f => f.ResourceId));

        var overview = await kit.Ledger.GetOverviewAsync();
        Assert.Equal((3L, 1L), (overview.Total.Open, overview.Total.Resolved));
        Assert.Equal((1L, 1L), (overview.ByCategory["patch"].Open, overview.ByCategory["patch"].Resolved));
        Assert.Equal(1, overview.ByControl[Controls.IsoNetworkSecurity].Open);
    }

    [Fact]
    public async Task Control_and_category_views_merge_the_claiming_rules_in_page_order_and_page_through_the_merge()
    {
        var kit = await CreateAsync(dynamo);
        // Two rules claim A.8.8 (patch and a high drift rule), a third claims another control only; the category view
        // merges the two patch-category rules.
        var driftVuln = HighDrift with { Id = "drift.test-vuln-drift", Controls = [Controls.IsoVulnerabilities] };
        var patchLow = PatchRule with { Id = "patch.test-low", Severity = Severity.Low };
        await kit.Ledger.RecordAsync(
        [
            Finding(PatchRule, "i-1", T0), Finding(PatchRule, "i-2", T0.AddHours(1)), Finding(PatchRule, "i-3", T0.AddHours(2)),
            Finding(driftVuln, "sg-a", T0), Finding(driftVuln, "sg-b", T0.AddHours(3)),
            Finding(patchLow, "i-low", T0),
            Finding(HighDrift, "sg-other", T0),
        ], kit.Context);
        await kit.Ledger.RecordAsync([Compliant(PatchRule, "i-2", T0.AddDays(1))], kit.Context);

        var all = await kit.Ledger.QueryByControlAsync(Controls.IsoVulnerabilities, 50);
        Assert.Null(all.NextCursor);
        // Status first (open before resolved), then severity (CRITICAL patch before HIGH drift before LOW), then due date.
        Assert.Equal(["i-1", "i-3", "sg-a", "sg-b", "i-low", "i-2"], all.Items.Select(f => f.ResourceId));
        foreach (var size in new[] { 1, 2, 4 })
        {
            var paged = new List<string>();
            string? cursor = null;
            do
            {
                var page = await kit.Ledger.QueryByControlAsync(Controls.IsoVulnerabilities, size, cursor);
                Assert.True(page.Items.Count <= size);
                paged.AddRange(page.Items.Select(f => f.ResourceId));
                cursor = page.NextCursor;
            }
            while (cursor is not null);
            Assert.Equal(all.Items.Select(f => f.ResourceId), paged);
        }

        var patchOpen = new List<string>();
        string? next = null;
        do
        {
            var page = await kit.Ledger.QueryFindingsAsync(new FindingQuery { Category = Category.Patch, Limit = 1, Cursor = next });
            patchOpen.AddRange(page.Items.Select(f => f.ResourceId));
            next = page.NextCursor;
        }
        while (next is not null);
        Assert.Equal(["i-1", "i-3", "i-low"], patchOpen);
        Assert.Equal(["i-low"], (await kit.Ledger.QueryFindingsAsync(new FindingQuery { Category = Category.Patch, Severity = Severity.Low })).Items.Select(f => f.ResourceId));
        Assert.Equal(["sg-other"], (await kit.Ledger.QueryByControlAsync(Controls.IsoNetworkSecurity, 10)).Items.Select(f => f.ResourceId));

        // No per-control or per-category items: a finding is its item and its history (the index key is on the item).
        var scan = await dynamo.Client.ScanAsync(new ScanRequest { TableName = kit.Table, ConsistentRead = true });
        Assert.DoesNotContain(scan.Items, i => i.GetValueOrDefault("entityType")?.S == "MEMBER");
        Assert.All(scan.Items.Where(i => i.GetValueOrDefault("entityType")?.S == "FINDING"),
            i => Assert.StartsWith("RULE#", i["GSI2PK"].S, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_finding_stored_with_legacy_membership_items_is_listed_once_and_migrated_by_its_next_write()
    {
        var kit = await CreateAsync(dynamo);
        var legacy = Finding(PatchRule, "i-legacy", T0);
        await kit.Ledger.RecordAsync([legacy, Finding(PatchRule, "i-new", T0.AddHours(1))], kit.Context);
        // Rewrite the first as the MEMBER layout stored it: no GSI2 key on the item, one membership item per control and category.
        // (that layout stored every attribute plain: the item's logical form, without the compressed detail of issue 20)
        Assert.True(FindingItemLayout.TryExpand(await kit.RawFindingAsync(legacy.FindingId), out var stored, out _));
        stored.Remove("GSI2PK");
        stored.Remove("GSI2SK");
        await dynamo.Client.PutItemAsync(new PutItemRequest { TableName = kit.Table, Item = stored });
        var record = (await kit.Ledger.GetAsync(legacy.FindingId))!;
        foreach (var member in LedgerItems.MemberItems(record, null))
            await dynamo.Client.PutItemAsync(new PutItemRequest { TableName = kit.Table, Item = member });

        Assert.Equal(["i-legacy", "i-new"], (await kit.Ledger.QueryByControlAsync(Controls.IsoVulnerabilities, 10)).Items.Select(f => f.ResourceId));
        Assert.Equal(["i-legacy", "i-new"], (await kit.Ledger.QueryFindingsAsync(new FindingQuery { Category = Category.Patch })).Items.Select(f => f.ResourceId));

        // Its next write (here a resolution) deletes the memberships and gives the item its rule key, in one transaction.
        await kit.Ledger.RecordAsync([Compliant(PatchRule, "i-legacy", T0.AddDays(1))], kit.Context);
        var partition = await dynamo.Client.QueryAsync(new QueryRequest
        {
            TableName = kit.Table,
            KeyConditionExpression = "PK = :pk",
            ExpressionAttributeValues = new() { [":pk"] = new AttributeValue { S = "FINDING#" + legacy.FindingId } },
            ConsistentRead = true,
        });
        Assert.DoesNotContain(partition.Items, i => i["SK"].S.StartsWith("MEMBER#", StringComparison.Ordinal));
        Assert.Equal("RULE#" + PatchRule.Id, (await kit.RawFindingAsync(legacy.FindingId))["GSI2PK"].S);
        Assert.Equal(["i-new", "i-legacy"], (await kit.Ledger.QueryByControlAsync(Controls.IsoVulnerabilities, 10)).Items.Select(f => f.ResourceId));
        Assert.Equal(["i-legacy"], (await kit.Ledger.QueryFindingsAsync(new FindingQuery { Category = Category.Patch, Status = FindingStatus.Resolved })).Items.Select(f => f.ResourceId));
    }

    [Fact]
    public async Task Hostile_cursor_is_rejected_with_an_argument_exception()
    {
        var kit = await CreateAsync(dynamo);
        await Assert.ThrowsAsync<ArgumentException>(() => kit.Ledger.QueryByStatusAsync(FindingStatus.Open, 10, "not-base64-%%%"));
        var forged = Convert.ToBase64String("{\"password\":\"x\"}"u8.ToArray());
        await Assert.ThrowsAsync<ArgumentException>(() => kit.Ledger.QueryByStatusAsync(FindingStatus.Open, 10, forged));
    }

    [Fact]
    public async Task Trend_snapshots_are_written_per_day_and_read_back_in_order()
    {
        var kit = await CreateAsync(dynamo, "2026-03-01T23:00:00Z");
        await kit.Ledger.RecordAsync([Finding(PatchRule, "i-trend", kit.Now)], kit.Context);
        await kit.Ledger.WriteTrendSnapshotAsync(kit.Now);
        kit.Clock.Advance(TimeSpan.FromHours(2));
        await kit.Ledger.RecordAsync([Compliant(PatchRule, "i-trend", kit.Now)], kit.Context);
        await kit.Ledger.WriteTrendSnapshotAsync(kit.Now);

        var trend = await kit.Ledger.GetTrendAsync(new DateOnly(2026, 2, 1), new DateOnly(2026, 3, 31));

        Assert.Equal([new DateOnly(2026, 3, 1), new DateOnly(2026, 3, 2)], trend.Select(p => p.Day));
        Assert.Equal((1L, 0L), (trend[0].Total.Open, trend[0].Total.Resolved));
        Assert.Equal((0L, 1L), (trend[1].Total.Open, trend[1].Total.Resolved));
        Assert.Equal(1, trend[1].ByCategory["patch"].Resolved);
    }

    [Fact]
    public async Task Malformed_stored_items_are_skipped_by_readers_and_never_overwritten_by_writers()
    {
        var kit = await CreateAsync(dynamo);
        var good = Finding(PatchRule, "i-good", T0);
        var victim = Finding(PatchRule, "i-corrupt", T0);
        await kit.Ledger.RecordAsync([good, victim], kit.Context);

        // Corrupt one finding in place: version becomes a string, severity disappears (GSI keys stay, so queries return it).
        await dynamo.Client.UpdateItemAsync(new UpdateItemRequest
        {
            TableName = kit.Table,
            Key = new() { ["PK"] = new AttributeValue { S = "FINDING#" + victim.FindingId }, ["SK"] = new AttributeValue { S = "META" } },
            UpdateExpression = "SET version = :bad REMOVE severity",
            ExpressionAttributeValues = new() { [":bad"] = new AttributeValue { S = "seven" } },
        });
        // A hand-written item with the wrong types in the status and timer indexes, and a broken history line.
        await dynamo.Client.PutItemAsync(new PutItemRequest
        {
            TableName = kit.Table,
            Item = new()
            {
                ["PK"] = new AttributeValue { S = "FINDING#f-handmade" },
                ["SK"] = new AttributeValue { S = "META" },
                ["GSI1PK"] = new AttributeValue { S = "STATUS#open" },
                ["GSI1SK"] = new AttributeValue { S = "0#0000#f-handmade" },
                ["GSI4PK"] = new AttributeValue { S = "TIMER" },
                ["GSI4SK"] = new AttributeValue { S = "2000-01-01T00:00:00.000Z#f-handmade" },
                ["id"] = new AttributeValue { N = "12" },
                ["firstSeenAt"] = new AttributeValue { S = "yesterday" },
            },
        });
        await dynamo.Client.PutItemAsync(new PutItemRequest
        {
            TableName = kit.Table,
            Item = new()
            {
                ["PK"] = new AttributeValue { S = "FINDING#" + good.FindingId },
                ["SK"] = new AttributeValue { S = "HIST#000099" },
                ["sequence"] = new AttributeValue { S = "ninety-nine" },
            },
        });

        var open = await kit.Ledger.QueryByStatusAsync(FindingStatus.Open, 50);
        Assert.Equal([good.FindingId], open.Items.Select(f => f.Id));
        Assert.Null(await kit.Ledger.GetAsync(victim.FindingId));
        Assert.Single(await kit.Ledger.GetHistoryAsync(good.FindingId));

        var write = await kit.Ledger.RecordAsync([Compliant(PatchRule, "i-corrupt", T0.AddDays(1))], kit.Context);
        Assert.Equal(1, write.Malformed);
        Assert.Equal("seven", (await kit.RawFindingAsync(victim.FindingId))["version"].S);

        var sweep = await kit.Ledger.AdvanceTimersAsync(kit.Context);
        Assert.Equal(1, sweep.Malformed);
        await Assert.ThrowsAsync<InvalidDataException>(() => kit.Ledger.AcknowledgeAsync(victim.FindingId, "x", "y", kit.Now));
    }
}
