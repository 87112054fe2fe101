using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using IsmsServerless.Tests.Support;

namespace IsmsServerless.Tests.Drift;

/// <summary>
/// Builds deliveries around real configuration items. The items are published fixtures; the EventBridge envelope and
/// the rule-invocation wrapper are the documented AWS shapes put around them (as Config itself does), not invented data.
/// </summary>
internal static class DriftPayloads
{
    public static JsonObject Item(string localFixture) =>
        JsonNode.Parse(Fixtures.Local("drift/" + localFixture))!.AsObject();

    /// <summary>An EventBridge "Config Configuration Item Change" carrying <paramref name="item"/>.</summary>
    public static byte[] ItemChange(JsonObject item, string changeType = "UPDATE", string? account = null, string? region = null) =>
        Encoding.UTF8.GetBytes(new JsonObject
        {
            ["version"] = "0",
            ["id"] = "11111111-2222-3333-4444-555555555555",
            ["detail-type"] = "Config Configuration Item Change",
            ["source"] = "aws.config",
            ["account"] = account ?? "123456789012",
            ["time"] = "2026-11-23T12:00:00Z",
            ["region"] = region ?? "us-east-1",
            ["resources"] = new JsonArray(),
            ["detail"] = new JsonObject
            {
                ["recordVersion"] = "1.3",
                ["messageType"] = "ConfigurationItemChangeNotification",
                ["configurationItemDiff"] = new JsonObject { ["changedProperties"] = new JsonObject(), ["changeType"] = changeType },
                ["notificationCreationTime"] = "2026-11-23T12:00:00.000Z",
                ["configurationItem"] = item.DeepClone(),
            },
        }.ToJsonString());

    /// <summary>A custom Config rule invocation whose invokingEvent (a JSON string) carries <paramref name="item"/>.</summary>
    public static byte[] RuleInvocation(JsonObject item, bool eventLeftScope = false) =>
        Encoding.UTF8.GetBytes(new JsonObject
        {
            ["version"] = "1.0",
            ["invokingEvent"] = new JsonObject
            {
                ["configurationItem"] = item.DeepClone(),
                ["messageType"] = "ConfigurationItemChangeNotification",
                ["notificationCreationTime"] = "2026-11-23T12:00:00.000Z",
                ["recordVersion"] = "1.3",
            }.ToJsonString(),
            ["ruleParameters"] = "{}",
            ["resultToken"] = "token",
            ["eventLeftScope"] = eventLeftScope,
            ["executionRoleArn"] = "arn:aws:iam::123456789012:role/config-role",
            ["configRuleArn"] = "arn:aws:config:us-east-1:123456789012:config-rule/config-rule-0123456",
            ["configRuleName"] = "isms-drift",
            ["configRuleId"] = "config-rule-0123456",
            ["accountId"] = "123456789012",
        }.ToJsonString());

    /// <summary>An EventBridge "AWS API Call via CloudTrail" around a raw record fixture.</summary>
    public static byte[] ApiCall(string localFixture, Action<JsonObject>? edit = null)
    {
        var record = Item(localFixture);
        edit?.Invoke(record);
        return Encoding.UTF8.GetBytes(new JsonObject
        {
            ["version"] = "0",
            ["id"] = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
            ["detail-type"] = "AWS API Call via CloudTrail",
            ["source"] = "aws." + (record["eventSource"]?.GetValue<string>() ?? "x").Split('.')[0],
            ["account"] = record["recipientAccountId"]?.DeepClone() ?? "123456789012",
            ["time"] = record["eventTime"]?.DeepClone(),
            ["region"] = record["awsRegion"]?.DeepClone(),
            ["resources"] = new JsonArray(),
            ["detail"] = record,
        }.ToJsonString());
    }

    public static byte[] Bytes(JsonNode node) => Encoding.UTF8.GetBytes(node.ToJsonString());

    public static JsonObject Parse(string json) => JsonNode.Parse(json)!.AsObject();

    public static string Canonical(JsonElement e) => IsmsServerless.Drift.Json.Canonical(e);
}
