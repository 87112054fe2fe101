using System.Globalization;
using System.Text.RegularExpressions;
using Amazon.DynamoDBv2.Model;
using IsmsServerless.Alerts;
using IsmsServerless.Ledger;
using IsmsServerless.Tests.Support;
using static IsmsServerless.Tests.Ledger.LedgerTestKit;

namespace IsmsServerless.Tests.Alerts;

/// <summary>
/// Issue 20 (item sizes): the alert outbox item no longer repeats what its keys hold (the id is <c>PK</c>'s suffix, the
/// creation time is <c>GSI4SK</c>); the Pipe's template reads the keys, so the email, the Slack notifier's parse and every
/// reader see the same alert, and outbox items and texts of the earlier layout still read.
/// </summary>
[Collection(DynamoDbCollection.Name)]
public sealed class AlertItemLayoutTests(DynamoDbLocalFixture dynamo)
{
    [Fact]
    public void The_item_keeps_the_id_and_time_in_its_keys_and_the_pipe_renders_exactly_what_Render_gives()
    {
        var alert = AlertSamples.RootActivity("a-0123456789abcdef0123456789abcdef");
        var item = LedgerItems.AlertItem(alert, 1_800_000_000);
        Assert.False(item.ContainsKey("alertId"));
        Assert.False(item.ContainsKey("createdAt"));
        Assert.Equal("ALERT#" + alert.AlertId, item["PK"].S);
        Assert.Equal(alert.CreatedAt, item["GSI4SK"].S);
        // Issue 20 wave 7: no GSI4PK, so no OUTBOX#<day> index entry.
        Assert.False(item.ContainsKey("GSI4PK"));
        Assert.True(LedgerItems.TryReadAlert(item, out var read, out var problem), problem);
        Assert.Equal(alert, read);

        // What the Pipe does with the enrichment's event for this item (issue 20 wave 8: the enrichment renders it).
        var buffer = new MemoryStream();
        using (var writer = new System.Text.Json.Utf8JsonWriter(buffer)) AlertMessageFormat.WriteEnrichedEvent(writer, read);
        var enriched = System.Text.Json.Nodes.JsonNode.Parse(buffer.ToArray())!;
        var rendered = Regex.Replace(AlertMessageFormat.PipeInputTemplate(), @"<\$\.([A-Za-z0-9]+)>", m => enriched[m.Groups[1].Value]!.GetValue<string>());
        Assert.Equal(AlertMessageFormat.Render(alert), rendered);
        Assert.Contains("Raised at: 2026-11-23T10:00:00Z", rendered.Split('\n'));
        Assert.True(AlertMessageFormat.TryParse(rendered, out var parsed));
        Assert.Equal(alert, parsed);
    }

    [Fact]
    public void Texts_rendered_from_the_earlier_layout_or_by_the_earlier_template_parse_to_the_same_alert()
    {
        var alert = AlertSamples.RootActivity("a-77");
        var current = AlertMessageFormat.Render(alert);
        // The earlier template read the attributes: "Alert: a-77", "Raised at: <createdAt>".
        var earlier = current.Replace("Alert: ALERT#a-77", "Alert: a-77", StringComparison.Ordinal);
        Assert.NotEqual(current, earlier);
        Assert.True(AlertMessageFormat.TryParse(earlier, out var fromEarlier));
        Assert.Equal(alert, fromEarlier);
        // The new template over an item the earlier version wrote during a deployment: GSI4SK was "<createdAt>#<id>".
        var mixed = current.Replace("Raised at: 2026-11-23T10:00:00Z", "Raised at: 2026-11-23T10:00:00Z#a-77", StringComparison.Ordinal);
        Assert.NotEqual(current, mixed);
        Assert.True(AlertMessageFormat.TryParse(mixed, out var fromMixed));
        Assert.Equal(alert, fromMixed);
    }

    [Fact]
    public void An_alert_shaped_like_the_replays_most_common_one_is_one_write_unit()
    {
        // monitoring.root-user-activity in the scale replay: 1,015–1,059 bytes in the earlier layout (2 units).
        var alert = AlertSamples.RootActivity("a-9839494ac23109b25adcb7a960bd6a08") with
        {
            FindingId = "f-ab262a68471a4d9bff056f7fc56fd346",
            Title = "Root user activity (sign-in or API call)",
            PolicyClause = "Qwestly Operations Security Policy, Access Control: \"Root account credentials are locked away and used only in emergencies\"",
            Remediation = "Confirm who used the root user and why; rotate its credentials, enable MFA and use an IAM role instead.",
            Message = "Root user activity: ConsoleLogin by arn:aws:iam::644160558196:root from 203.0.113.7 (eventId 3cda2b5f-a6c7-4c68-4444-93b0f6e1963c)",
            StatusUrl = "http://127.0.0.1:8080/findings/f-ab262a68471a4d9bff056f7fc56fd346",
            CreatedAt = "2026-01-15T12:00:00.000Z",
            DueAt = null,
            SlaState = null,
        };
        var item = LedgerItems.AlertItem(alert, 1_803_038_400);
        var earlier = new Dictionary<string, AttributeValue>(item)
        {
            ["alertId"] = new() { S = alert.AlertId },
            ["createdAt"] = new() { S = alert.CreatedAt },
            ["GSI4SK"] = new() { S = alert.CreatedAt + "#" + alert.AlertId },
            ["GSI4PK"] = new() { S = "OUTBOX#2026-01-15" },
        };
        Assert.True(Bytes(earlier) > 1024, $"earlier layout {Bytes(earlier)} bytes");
        Assert.True(Bytes(item) <= 1024, $"{Bytes(item)} bytes");
    }

    [Fact]
    public async Task Outbox_items_of_the_earlier_layout_read_beside_new_ones_in_a_stable_order()
    {
        var kit = await CreateAsync(dynamo);
        var day = DateOnly.FromDateTime(kit.Now.UtcDateTime);
        var at = kit.Now.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
        var old = AlertSamples.RootActivity("a-old") with { CreatedAt = at };
        var oldItem = LedgerItems.AlertItem(old, kit.Now.AddDays(400).ToUnixTimeSeconds());
        oldItem["alertId"] = new() { S = old.AlertId };
        oldItem["createdAt"] = new() { S = old.CreatedAt };
        oldItem["GSI4SK"] = new() { S = old.CreatedAt + "#" + old.AlertId };
        oldItem["GSI4PK"] = new() { S = "OUTBOX#" + day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) };
        await kit.Dynamo.Client.PutItemAsync(new PutItemRequest { TableName = kit.Table, Item = oldItem });
        // Two new-layout alerts raised in the same millisecond (their sort keys are equal), written in reverse order.
        foreach (var id in new[] { "a-new-2", "a-new-1" })
        {
            var item = LedgerItems.AlertItem(AlertSamples.RootActivity(id) with { CreatedAt = at }, kit.Now.AddDays(400).ToUnixTimeSeconds());
            await kit.Dynamo.Client.PutItemAsync(new PutItemRequest { TableName = kit.Table, Item = item });
        }

        var alerts = await kit.Ledger.QueryAlertsAsync(day);
        Assert.Equal(["a-new-1", "a-new-2", "a-old"], alerts.Select(a => a.AlertId));
        Assert.All(alerts, a => Assert.Equal(at, a.CreatedAt));
        Assert.Equal(old, alerts[2]);
        var byId = await AlertOutbox.GetAsync(kit.Dynamo.Client, kit.Table, ["a-old", "a-new-1"], CancellationToken.None);
        Assert.Equal(["a-old", "a-new-1"], byId.Select(a => a.AlertId));
        Assert.Equal(old, byId[0]);
    }

    [Fact]
    public async Task A_new_alert_is_in_no_index_while_items_of_the_earlier_layouts_keep_their_entry_and_every_layout_reads_by_id()
    {
        var kit = await CreateAsync(dynamo);
        var day = DateOnly.FromDateTime(kit.Now.UtcDateTime);
        var at = kit.Now.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
        var outboxDay = "OUTBOX#" + day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        // Wave 6 layout: the time only in GSI4SK, indexed under OUTBOX#<day>.
        var wave6 = LedgerItems.AlertItem(AlertSamples.RootActivity("a-wave6") with { CreatedAt = at }, kit.Now.AddDays(400).ToUnixTimeSeconds());
        wave6["GSI4PK"] = new() { S = outboxDay };
        // Before issue 20's item sizes: alertId and createdAt as attributes, the id in the sort key.
        var first = LedgerItems.AlertItem(AlertSamples.RootActivity("a-first") with { CreatedAt = at }, kit.Now.AddDays(400).ToUnixTimeSeconds());
        first["GSI4PK"] = new() { S = outboxDay };
        first["GSI4SK"] = new() { S = at + "#a-first" };
        first["alertId"] = new() { S = "a-first" };
        first["createdAt"] = new() { S = at };
        var current = LedgerItems.AlertItem(AlertSamples.RootActivity("a-now") with { CreatedAt = at }, kit.Now.AddDays(400).ToUnixTimeSeconds());
        foreach (var item in new[] { wave6, first, current })
            await kit.Dynamo.Client.PutItemAsync(new PutItemRequest { TableName = kit.Table, Item = item });

        // DynamoDB Local indexes only the items that carry both GSI4 keys: the new one is not in the day's partition.
        var indexed = await kit.Dynamo.Client.QueryAsync(new QueryRequest
        {
            TableName = kit.Table,
            IndexName = "GSI4",
            KeyConditionExpression = "GSI4PK = :day",
            ExpressionAttributeValues = new() { [":day"] = new() { S = outboxDay } },
        });
        Assert.Equal(["ALERT#a-first", "ALERT#a-wave6"], indexed.Items.Select(i => i["PK"].S).Order(StringComparer.Ordinal));

        // Every layout reads the same by id (delivery, the CLI) and in the test listing.
        var byId = await AlertOutbox.GetAsync(kit.Dynamo.Client, kit.Table, ["a-first", "a-wave6", "a-now"], CancellationToken.None);
        Assert.Equal(["a-first", "a-wave6", "a-now"], byId.Select(a => a.AlertId));
        Assert.All(byId, a => Assert.Equal(AlertSamples.RootActivity(a.AlertId) with { CreatedAt = at }, a));
        Assert.Equal(["a-first", "a-now", "a-wave6"], (await kit.Ledger.QueryAlertsAsync(day)).Select(a => a.AlertId));
    }

    [Fact]
    public async Task A_new_findings_write_puts_its_alert_without_an_index_entry()
    {
        var kit = await CreateAsync(dynamo);
        var result = await kit.Ledger.RecordAsync([Finding(PatchRule, "i-0abc", kit.Now)], kit.Context);
        var alertId = Assert.Single(result.AlertIds);
        var stored = await kit.Dynamo.Client.GetItemAsync(new GetItemRequest
        {
            TableName = kit.Table,
            Key = new() { ["PK"] = new() { S = "ALERT#" + alertId }, ["SK"] = new() { S = "ALERT" } },
            ConsistentRead = true,
        });
        Assert.False(stored.Item.ContainsKey("GSI4PK"));
        Assert.Equal(LedgerKeys.Instant(kit.Now), stored.Item["GSI4SK"].S);
        // The whole index holds no alert item (the finding's timer entry is all a new finding puts there).
        var scan = await kit.Dynamo.Client.ScanAsync(new ScanRequest { TableName = kit.Table, IndexName = "GSI4" });
        Assert.DoesNotContain(scan.Items, i => i["PK"].S.StartsWith("ALERT#", StringComparison.Ordinal));
    }

    private static int Bytes(Dictionary<string, AttributeValue> item) =>
        item.Sum(a => System.Text.Encoding.UTF8.GetByteCount(a.Key)
            + (a.Value.S is not null ? System.Text.Encoding.UTF8.GetByteCount(a.Value.S) : (a.Value.N!.Length + 1) / 2 + 1));
}
