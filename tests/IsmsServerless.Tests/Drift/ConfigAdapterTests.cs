using System.Text;
using System.Text.Json.Nodes;
using IsmsServerless.Engine;
using IsmsServerless.Inputs;
using IsmsServerless.Tests.Support;

namespace IsmsServerless.Tests.Drift;

public sealed class ConfigAdapterTests
{
    private readonly RuleEngine _engine = RuleEngine.CreateDefault();
    private static readonly EvaluationContext Context = TestContexts.At("2026-11-23T12:00:00Z");

    private EngineResult Adapt(byte[] payload) => _engine.Adapt(payload, Context);

    [Fact]
    public void Eventbridge_item_change_becomes_a_normalized_config_item()
    {
        var result = Adapt(Fixtures.Shared("config/eb-config-item-change-sqs-create.json"));
        Assert.False(result.Rejected, result.Error);
        Assert.Equal("config", result.Adapter);
        var item = Assert.IsType<ConfigItemInput>(Assert.Single(result.Inputs));
        Assert.Equal("AWS::SQS::Queue", item.ResourceType);
        Assert.Equal("https://sqs.us-east-1.amazonaws.com/644160558196/config-changes", item.ResourceId);
        // The published sample's ARN names another account than the event: the item's own fields win, as captured.
        Assert.Equal("arn:aws:sqs:us-east-1:662108712480:config-changes", item.ResourceKey);
        Assert.Equal("662108712480", item.AccountId);
        Assert.Equal("us-east-1", item.Region);
        Assert.Equal("CREATE", item.ChangeType);
        Assert.Equal("ResourceDiscovered", item.Status);
        Assert.Equal(new DateTimeOffset(2020, 10, 6, 22, 39, 22, 579, TimeSpan.Zero), item.CaptureTime);
        Assert.Equal("345600", IsmsServerless.Drift.Json.Text(item.Configuration, "MessageRetentionPeriod"));
        Assert.True(item.HasConfiguration);
    }

    [Fact]
    public void Rule_invocation_item_is_parsed_from_the_invoking_event_string()
    {
        var result = Adapt(Fixtures.Shared("config/rule-invoke-change-docs-example.json"));
        var item = Assert.IsType<ConfigItemInput>(Assert.Single(result.Inputs));
        Assert.Equal(ConfigItemTrigger.RuleInvocation, item.Trigger);
        Assert.Equal("i-00000000", item.ResourceId);
        Assert.Equal("Bar", item.Tags["Foo"]);
        Assert.Equal("bar", IsmsServerless.Drift.Json.Text(item.Configuration, "foo"));
    }

    [Fact]
    public void Rule_invocation_with_diff_and_thirteen_digit_account_is_accepted_as_published()
    {
        var item = Assert.IsType<ConfigItemInput>(Assert.Single(Adapt(Fixtures.Shared("config/rule-invoke-change-ec2-with-diff.json")).Inputs));
        Assert.Equal("UPDATE", item.ChangeType);
        Assert.Equal("AWS::EC2::Instance", item.ResourceType);
    }

    [Fact]
    public void Oversized_item_is_kept_as_a_summary_that_says_the_full_item_was_not_delivered()
    {
        var result = Adapt(Fixtures.Shared("config/rule-invoke-oversized.json"));
        var item = Assert.IsType<ConfigItemInput>(Assert.Single(result.Inputs));
        Assert.True(item.Oversized);
        Assert.False(item.HasConfiguration);
        Assert.Equal("arn:aws:ec2:us-west-2:123456789012:instance/i-00000000", item.ResourceKey);
        // No baseline is judged on a summary, so nothing is evaluated — and nothing is falsely resolved.
        Assert.Empty(_engine.EvaluateInputs(result, Context).Evaluations);
    }

    [Fact]
    public void Oversized_eventbridge_item_records_where_the_full_item_is()
    {
        var payload = new JsonObject
        {
            ["version"] = "0", ["id"] = "x", ["detail-type"] = "Config Configuration Item Change", ["source"] = "aws.config",
            ["account"] = "123456789012", ["time"] = "2026-11-23T12:00:00Z", ["region"] = "us-east-1",
            ["detail"] = new JsonObject
            {
                ["messageType"] = "OversizedConfigurationItemChangeNotification",
                ["configurationItemSummary"] = new JsonObject
                {
                    ["changeType"] = "UPDATE", ["resourceType"] = "AWS::EC2::SecurityGroup", ["resourceId"] = "sg-1",
                    ["ARN"] = "arn:aws:ec2:us-east-1:123456789012:security-group/sg-1", ["awsRegion"] = "us-east-1",
                    ["awsAccountId"] = "123456789012", ["configurationItemStatus"] = "OK", ["configurationItemCaptureTime"] = "2026-11-23T11:59:00Z",
                },
                ["s3DeliverySummary"] = new JsonObject { ["s3BucketLocation"] = "config-bucket/AWSLogs/123456789012/Config/oversized.json.gz" },
            },
        };
        var item = Assert.IsType<ConfigItemInput>(Assert.Single(Adapt(DriftPayloads.Bytes(payload)).Inputs));
        Assert.True(item.Oversized);
        Assert.Equal("config-bucket/AWSLogs/123456789012/Config/oversized.json.gz", item.FullItemLocation);
    }

    [Theory]
    [InlineData("config/rule-invoke-scheduled.json")]
    [InlineData("config/rule-invoke-periodic-docs-example.json")]
    [InlineData("config/rule-invoke-snapshot-delivery-bom.json")]
    public void Periodic_and_snapshot_notifications_name_no_resource_and_are_ignored_with_a_reason(string fixture)
    {
        var result = _engine.Evaluate(Fixtures.Shared(fixture), Context);
        Assert.False(result.Rejected, result.Error);
        Assert.Empty(result.Inputs);
        Assert.Contains("nothing to evaluate", result.IgnoredReason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ResourceDeleted")]
    [InlineData("ResourceDeletedNotRecorded")]
    [InlineData("ResourceNotRecorded")]
    public void Deleted_resources_become_resource_gone(string status)
    {
        var item = DriftPayloads.Item("ci-dynamodb-table-rdk.json");
        item["configurationItemStatus"] = status;
        item["configuration"] = null;
        var inputs = Adapt(DriftPayloads.ItemChange(item, "DELETE")).Inputs;
        Assert.Equal(2, inputs.Count);
        var gone = Assert.IsType<ResourceGoneInput>(inputs[0]);
        Assert.Equal("arn:aws:dynamodb:us-east-2:123456789012:table/test", gone.ResourceId);
        // The companion notice tells the drift store to forget the resource (the pipeline never enriches gone inputs).
        Assert.Equal(gone.ResourceId, Assert.IsType<ConfigResourceRemovedInput>(inputs[1]).ResourceKey);
        Assert.Equal("AWS::DynamoDB::Table", gone.ResourceType);
        Assert.Contains(status, gone.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Event_left_scope_becomes_resource_gone()
    {
        var gone = Assert.Single(Adapt(DriftPayloads.RuleInvocation(DriftPayloads.Item("ci-cloudtrail-trail-rdk.json"), eventLeftScope: true)).Inputs.OfType<ResourceGoneInput>());
        Assert.Equal("arn:aws:cloudtrail:ap-southeast-1:123456789012:trail/APJCCloudTrail", gone.ResourceId);
        Assert.Contains("eventLeftScope", gone.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Api_shape_item_with_configuration_as_a_json_string_and_epoch_capture_time_is_read()
    {
        var item = Assert.IsType<ConfigItemInput>(Assert.Single(Adapt(DriftPayloads.ItemChange(DriftPayloads.Item("ci-security-group-configservice-docs.json"))).Inputs));
        Assert.True(item.HasConfiguration);
        Assert.Equal("sg-6fbb3807", IsmsServerless.Drift.Json.Text(item.Configuration, "groupId"));
        Assert.Equal("605053316265", item.AccountId);
        Assert.Equal(2014, item.CaptureTime!.Value.Year);
    }

    [Fact]
    public void Supplementary_configuration_json_strings_are_parsed()
    {
        var item = Assert.IsType<ConfigItemInput>(Assert.Single(Adapt(DriftPayloads.ItemChange(DriftPayloads.Parse(Encoding.UTF8.GetString(Fixtures.Shared("config/ci-s3-bucket-rdk.json"))))).Inputs));
        Assert.Equal(System.Text.Json.JsonValueKind.Object, IsmsServerless.Drift.Json.Get(item.SupplementaryConfiguration, "AccessControlList").ValueKind);
    }

    [Fact]
    public void Compliance_change_becomes_a_compliance_input()
    {
        var result = Adapt(ComplianceChange("NON_COMPLIANT"));
        var input = Assert.IsType<ConfigComplianceInput>(Assert.Single(result.Inputs));
        Assert.Equal("cloudtrail-enabled", input.ConfigRuleName);
        Assert.Equal("NON_COMPLIANT", input.ComplianceType);
        Assert.Equal("NON_COMPLIANT", input.PreviousComplianceType);
        Assert.Equal("AWS::::Account", input.ResourceType);
        Assert.Equal("us-east-2", input.Region);
    }

    [Theory]
    [InlineData("{\"detail-type\":\"Config Configuration Item Change\",\"source\":\"aws.config\",\"detail\":{\"messageType\":\"ConfigurationItemChangeNotification\"}}", "no configurationItem")]
    [InlineData("{\"detail-type\":\"Config Configuration Item Change\",\"source\":\"aws.config\",\"detail\":{\"configurationItem\":{\"resourceId\":\"x\"}}}", "no resourceType")]
    [InlineData("{\"detail-type\":\"Config Configuration Item Change\",\"source\":\"aws.config\",\"detail\":[]}", "no detail object")]
    [InlineData("{\"invokingEvent\":\"{not json\",\"configRuleName\":\"r\"}", "invokingEvent is not valid JSON")]
    [InlineData("{\"invokingEvent\":\"[1]\",\"configRuleName\":\"r\"}", "not a JSON object")]
    [InlineData("{\"invokingEvent\":42,\"configRuleName\":\"r\"}", "no invokingEvent")]
    [InlineData("{\"detail-type\":\"Config Rules Compliance Change\",\"source\":\"aws.config\",\"detail\":{\"configRuleName\":\"r\",\"resourceType\":\"AWS::S3::Bucket\",\"resourceId\":\"b\"}}", "complianceType")]
    public void Malformed_config_payloads_are_rejected_with_a_reason(string payload, string expected)
    {
        var result = _engine.Evaluate(Encoding.UTF8.GetBytes(payload), Context);
        Assert.True(result.Rejected);
        Assert.Contains(expected, result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Absurdly_long_resource_key_is_rejected_not_stored()
    {
        var item = DriftPayloads.Item("ci-dynamodb-table-rdk.json");
        item["arn"] = "arn:" + new string('a', 5000);
        var result = _engine.Evaluate(DriftPayloads.ItemChange(item), Context);
        Assert.True(result.Rejected);
        Assert.Contains("resource key", result.Error, StringComparison.Ordinal);
    }

    /// <summary>The documented ComplianceChangeNotification body as the detail of an EventBridge "Config Rules Compliance Change".</summary>
    internal static byte[] ComplianceChange(string compliance, string? ruleName = null, string? resourceType = null, string? resourceId = null)
    {
        var sns = JsonNode.Parse(Fixtures.Shared("sns/config-sns-compliance-change-cloudtrail-enabled.json"))!;
        var detail = sns["Message"]!.DeepClone().AsObject();
        detail["newEvaluationResult"]!["complianceType"] = compliance;
        if (ruleName is not null) detail["configRuleName"] = ruleName;
        if (resourceType is not null) detail["resourceType"] = resourceType;
        if (resourceId is not null) detail["resourceId"] = resourceId;
        return DriftPayloads.Bytes(new JsonObject
        {
            ["version"] = "0", ["id"] = "c0ffee00-0000-0000-0000-000000000000", ["detail-type"] = "Config Rules Compliance Change",
            ["source"] = "aws.config", ["account"] = "123456789012", ["time"] = "2016-09-27T19:48:42Z", ["region"] = "us-east-2",
            ["resources"] = new JsonArray(), ["detail"] = detail,
        });
    }
}
