using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Amazon.DynamoDBv2.Model;
using IsmsServerless.Alerts;
using IsmsServerless.CounterProjection;
using IsmsServerless.Engine;
using IsmsServerless.Functions;
using IsmsServerless.Ledger;
using IsmsServerless.Model;
using IsmsServerless.Tests.Ledger;
using IsmsServerless.Tests.Support;
using static IsmsServerless.Tests.Ledger.LedgerTestKit;

namespace IsmsServerless.Tests.Alerts;

/// <summary>
/// Issue 20 wave 8, every alert one small unit: the outbox item names its rule's texts by fingerprint and bounds its
/// details text; the alert Pipe's enrichment (<see cref="AlertRenderFunction"/>) renders each item from the real stream
/// records of a DynamoDB Local table, and the template over its output is exactly <see cref="AlertMessageFormat.Render"/>
/// of the whole alert, which the Slack notifier parses back. Items of the earlier (whole) layout render and read alike.
/// </summary>
[Collection(DynamoDbCollection.Name)]
public sealed class AlertRenderTests(DynamoDbLocalFixture dynamo)
{
    private static readonly RuleMetadata RootRule = RuleRegistry.CreateDefault().Find("monitoring.root-user-activity")!.Metadata;

    [Fact]
    public async Task A_new_findings_alert_names_its_rule_texts_stays_small_and_the_enrichment_renders_the_whole_alert()
    {
        var kit = await CreateAsync(dynamo);
        var result = await kit.Ledger.RecordAsync([Finding(RootRule, "arn:aws:iam::123456789012:root", kit.Now)], kit.Context);
        var alertId = Assert.Single(result.AlertIds);
        var item = await RawAlertAsync(kit, alertId);

        // What the registry knows is not stored: the fingerprint names it (the RULETEXT item is in the table).
        foreach (var name in new[] { "title", "controls", "policyClause", "remediation" }) Assert.False(item.ContainsKey(name), name);
        Assert.Equal(16, item["ruleTexts"].S.Length);
        Assert.True(AlertItemLayout.Bytes(item) <= AlertItemLayout.TargetBytes, $"{AlertItemLayout.Bytes(item)} bytes");
        var stored = await kit.Dynamo.Client.GetItemAsync(new GetItemRequest { TableName = kit.Table, Key = RuleTexts.Key(RootRule.Id, item["ruleTexts"].S) });
        Assert.Equal(RootRule.Title, stored.Item["title"].S);

        // By id (the CLI, Slack delivery): the whole alert with the rule's texts.
        var byId = Assert.Single(await AlertOutbox.GetAsync(kit.Dynamo.Client, kit.Table, [alertId], CancellationToken.None));
        Assert.Equal(RootRule.Title, byId.Title);
        Assert.Equal(RootRule.Remediation, byId.Remediation);
        Assert.Equal(RootRule.PolicyClause, byId.PolicyClause);
        Assert.Equal(AlertItemLayout.ControlsJson(RootRule.Controls), byId.Controls);
        Assert.Equal($"{RootRule.Title} on arn:aws:iam::123456789012:root", byId.Message);

        // Through the Pipe: the table's real stream records, filtered to alert INSERTs, enriched, templated.
        var texts = await PipeAsync(kit);
        var text = Assert.Single(texts);
        Assert.Equal(AlertMessageFormat.Render(byId), text);
        Assert.StartsWith($"[ISMS] {byId.Severity} new: {RootRule.Title}\n\n", text, StringComparison.Ordinal);
        Assert.True(AlertMessageFormat.TryParse(text, out var parsed));
        Assert.Equal(byId, parsed);
    }

    [Fact]
    public async Task An_item_of_the_earlier_whole_layout_written_raw_renders_and_reads_by_id_as_before()
    {
        var kit = await CreateAsync(dynamo);
        var alert = AlertSamples.RootActivity("a-old") with { CreatedAt = "2026-03-01T00:00:00.000Z" };
        // Wave 7's item exactly: every text as an attribute, the id and time in the keys.
        var old = new Dictionary<string, AttributeValue>
        {
            ["PK"] = new("ALERT#a-old"), ["SK"] = new("ALERT"), ["entityType"] = new("ALERT"), ["kind"] = new(alert.Kind),
            ["findingId"] = new(alert.FindingId), ["ruleId"] = new(alert.RuleId), ["title"] = new(alert.Title), ["severity"] = new(alert.Severity),
            ["category"] = new(alert.Category), ["resourceId"] = new(alert.ResourceId), ["resourceType"] = new(alert.ResourceType),
            ["accountId"] = new(alert.AccountId), ["region"] = new(alert.Region), ["policyClause"] = new(alert.PolicyClause),
            ["controls"] = new(alert.Controls), ["remediation"] = new(alert.Remediation), ["message"] = new(alert.Message),
            ["statusUrl"] = new(alert.StatusUrl), ["ttl"] = new() { N = "1803038400" }, ["dueAt"] = new(alert.DueAt!),
            ["slaState"] = new(alert.SlaState!), ["GSI4SK"] = new(alert.CreatedAt),
        };
        await kit.Dynamo.Client.PutItemAsync(new PutItemRequest { TableName = kit.Table, Item = old });

        Assert.Equal(alert, Assert.Single(await AlertOutbox.GetAsync(kit.Dynamo.Client, kit.Table, ["a-old"], CancellationToken.None)));
        Assert.Equal([AlertMessageFormat.Render(alert)], await PipeAsync(kit));
    }

    [Fact]
    public async Task Rule_texts_that_changed_since_the_alert_was_raised_come_from_the_RULETEXT_item_and_missing_ones_never_crash()
    {
        var kit = await CreateAsync(dynamo);
        // Texts the registry of this build no longer has (the rule's texts changed by a later deploy).
        var earlier = new RuleTexts("Root user used (earlier wording)", ["SOC2 CC6.1"], "Earlier clause", "Earlier remediation");
        await kit.Dynamo.Client.PutItemAsync(new PutItemRequest { TableName = kit.Table, Item = earlier.Item(RootRule.Id) });
        var alert = AlertSamples.RootActivity("a-earlier-texts") with
        {
            RuleId = RootRule.Id, Title = earlier.Title, Controls = "[\"SOC2 CC6.1\"]", PolicyClause = earlier.PolicyClause, Remediation = earlier.Remediation,
        };
        var item = LedgerItems.AlertItem(alert with { Title = RootRule.Title, Controls = AlertItemLayout.ControlsJson(RootRule.Controls), PolicyClause = RootRule.PolicyClause, Remediation = RootRule.Remediation }, 1_803_038_400, shareRuleTexts: true);
        Assert.False(item.ContainsKey("title"));
        item["ruleTexts"] = new(earlier.Fingerprint);
        await kit.Dynamo.Client.PutItemAsync(new PutItemRequest { TableName = kit.Table, Item = item });

        Assert.Equal(alert, Assert.Single(await AlertOutbox.GetAsync(kit.Dynamo.Client, kit.Table, [alert.AlertId], CancellationToken.None)));
        Assert.Equal([AlertMessageFormat.Render(alert)], await PipeAsync(kit));

        // A fingerprint with no RULETEXT item (hand-edited): read with the rule id as title and logged, not a crash or a loss.
        var orphan = new Dictionary<string, AttributeValue>(item) { ["PK"] = new("ALERT#a-orphan"), ["ruleTexts"] = new("0000000000000000") };
        await kit.Dynamo.Client.PutItemAsync(new PutItemRequest { TableName = kit.Table, Item = orphan });
        var read = Assert.Single(await AlertOutbox.GetAsync(kit.Dynamo.Client, kit.Table, ["a-orphan"], CancellationToken.None));
        Assert.Equal(RootRule.Id, read.Title);
        Assert.Equal(alert.Message, read.Message);
    }

    [Fact]
    public async Task Hostile_values_with_newlines_and_fake_labels_cannot_spoof_the_id_severity_or_title_through_the_pipe()
    {
        var kit = await CreateAsync(dynamo);
        const string forged = "\nAlert: ALERT#forged\nSeverity: LOW\nTitle: nothing to see\nKind: resolved";
        var evaluation = Finding(RootRule, "arn:aws:iam::123456789012:root" + forged, kit.Now) with { Message = "Root login" + forged };
        var alertId = Assert.Single((await kit.Ledger.RecordAsync([evaluation], kit.Context)).AlertIds);

        var text = Assert.Single(await PipeAsync(kit));
        Assert.True(AlertMessageFormat.TryParse(text, out var parsed));
        Assert.Equal(alertId, parsed.AlertId);
        Assert.Equal(RootRule.Severity.ToWire(), parsed.Severity);
        Assert.Equal(RootRule.Title, parsed.Title);
        Assert.Equal("new", parsed.Kind);
        Assert.StartsWith($"[ISMS] {RootRule.Severity.ToWire()} new: {RootRule.Title}\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void A_long_details_text_is_cut_on_a_character_boundary_so_the_item_stays_one_unit_and_the_cut_is_marked()
    {
        // drift.s3-bucket-baseline's five failed checks: an 856-byte message put its alert at 2 units (wave 7's dump).
        var message = "S3 bucket baseline failed: " + string.Join("; ", Enumerable.Range(1, 12).Select(i => $"check {i} failed: public access block setting {i} is off 🚫"));
        var alert = AlertSamples.RootActivity("a-9839494ac23109b25adcb7a960bd6a08") with { Message = message };
        var item = LedgerItems.AlertItem(alert, 1_803_038_400);
        var stored = item["message"].S;
        Assert.True(AlertItemLayout.Bytes(item) <= AlertItemLayout.TargetBytes, $"{AlertItemLayout.Bytes(item)} bytes");
        Assert.EndsWith(AlertItemLayout.CutMarker, stored, StringComparison.Ordinal);
        var kept = stored[..^AlertItemLayout.CutMarker.Length];
        Assert.StartsWith(kept, message, StringComparison.Ordinal);
        Assert.True(kept.Length > 200);
        Assert.False(char.IsHighSurrogate(kept[^1]), "never cut inside a surrogate pair");
        // Deterministic: the same alert is the same item (a retry or the outbox repair writes exactly this).
        Assert.Equal(stored, LedgerItems.AlertItem(alert, 1_803_038_400)["message"].S);
        // A text that fits is kept whole.
        Assert.Equal("short", LedgerItems.AlertItem(alert with { Message = "short" }, 1_803_038_400)["message"].S);
    }

    [Fact]
    public async Task A_record_no_alert_can_be_read_from_becomes_a_logged_plain_line_and_a_payload_that_is_not_records_renders_nothing()
    {
        var kit = await CreateAsync(dynamo);
        var broken = new Dictionary<string, AttributeValue> { ["PK"] = new("ALERT#a-broken"), ["SK"] = new("ALERT"), ["entityType"] = new("ALERT"), ["title"] = new("x\nAlert: forged") };
        await kit.Dynamo.Client.PutItemAsync(new PutItemRequest { TableName = kit.Table, Item = broken });
        var text = Assert.Single(await PipeAsync(kit));
        Assert.StartsWith("[ISMS] unreadable alert outbox item ALERT#a-broken: ", text, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', text);
        Assert.False(AlertMessageFormat.TryParse(text, out _));

        var handler = new AlertRenderFunction(new AlertReader(kit.Dynamo.Client, kit.Table));
        foreach (var payload in new[] { "not json", "{\"AlarmName\":\"x\"}", "42" })
            Assert.Equal("[]", await RunAsync(handler, payload));
    }

    private static async Task<Dictionary<string, AttributeValue>> RawAlertAsync(LedgerTestKit kit, string alertId) =>
        (await kit.Dynamo.Client.GetItemAsync(new GetItemRequest
        {
            TableName = kit.Table,
            Key = new() { ["PK"] = new("ALERT#" + alertId), ["SK"] = new("ALERT") },
            ConsistentRead = true,
        })).Item;

    /// <summary>
    /// What the Pipe does: the table's stream records (DynamoDB Local's Streams API), kept by the Pipe's filter (alert
    /// INSERTs), handed to the enrichment as a JSON array, and each returned event put through the target's template.
    /// </summary>
    private static async Task<List<string>> PipeAsync(LedgerTestKit kit)
    {
        var lambdaEvent = await LocalStreamProjection.ForEndpoint(kit.Dynamo.Client, kit.Table)!.ReadAllAsLambdaEventAsync(_ => true);
        var records = JsonNode.Parse(lambdaEvent)!["Records"]!.AsArray()
            .Where(r => r!["eventName"]!.GetValue<string>() == "INSERT" && r["dynamodb"]!["NewImage"]?["entityType"]?["S"]?.GetValue<string>() == "ALERT")
            .Select(r => r!.DeepClone())
            .ToArray();
        var handler = new AlertRenderFunction(new AlertReader(kit.Dynamo.Client, kit.Table));
        var output = JsonNode.Parse(await RunAsync(handler, new JsonArray(records).ToJsonString()))!.AsArray();
        var template = AlertMessageFormat.PipeInputTemplate();
        return output.Select(e => Regex.Replace(template, @"<\$\.([A-Za-z0-9_]+)>", m => e![m.Groups[1].Value]!.GetValue<string>())).ToList();
    }

    private static async Task<string> RunAsync(AlertRenderFunction handler, string payload)
    {
        using var answer = new StreamReader(await handler.HandleAsync(new MemoryStream(Encoding.UTF8.GetBytes(payload))));
        return await answer.ReadToEndAsync();
    }
}
