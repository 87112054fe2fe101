using System.Text.Json;
using System.Text.Json.Nodes;
using Amazon.CDK.Assertions;
using IsmsServerless.Infra.Constructs;

namespace IsmsServerless.Infra.Tests;

/// <summary>
/// Issue 19's infrastructure: the CloudFormation stack drift rule and its role, the read-only role-assumption rule, the
/// Jira token grants, and, on real payloads, that the synthesized EventBridge rules deliver the sts / signin / Config
/// events the change rules need to the ingest function (EventBridge's matching, including the rule state that read-only
/// management events need).
/// </summary>
public sealed class ChangeSignalsTests(StackTemplate stack) : IClassFixture<StackTemplate>
{
    private readonly Template _template = stack.Template;

    private static string Fixture(string relative) =>
        File.ReadAllText(Path.Combine(Preflight.PreflightTemplates.RepositoryRoot, "tests", "IsmsServerless.Tests", "Fixtures", relative));

    /// <summary>A raw CloudTrail record in the envelope EventBridge delivers it in (the documented shape).</summary>
    private static JsonObject Envelope(string record, string source, string detailType) => new()
    {
        ["version"] = "0",
        ["id"] = "6f87d04b-9f74-4f04-a780-7acf4b0a9b38",
        ["detail-type"] = detailType,
        ["source"] = source,
        ["account"] = "776613361644",
        ["time"] = "2020-09-17T19:04:10Z",
        ["region"] = "us-east-1",
        ["resources"] = new JsonArray(),
        ["detail"] = JsonNode.Parse(record),
    };

    private sealed record DeployedRule(string LogicalId, JsonElement Pattern, string State, bool TargetsIngest);

    private List<DeployedRule> Rules()
    {
        var json = JsonSerializer.Serialize(_template.FindResources("AWS::Events::Rule"));
        return JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(json)!
            .Select(kv => (kv.Key, Properties: kv.Value.GetProperty("Properties")))
            .Where(r => r.Properties.TryGetProperty("EventPattern", out _))
            .Select(r => new DeployedRule(r.Key, r.Properties.GetProperty("EventPattern"),
                r.Properties.TryGetProperty("State", out var s) ? s.GetString()! : "ENABLED",
                r.Properties.TryGetProperty("Targets", out var t) && t.ToString().Contains("IngestionIngestFunction", StringComparison.Ordinal)))
            .ToList();
    }

    /// <summary>
    /// The rules that deliver <paramref name="evt"/> to the ingest function. EventBridge hands a read-only management event
    /// from CloudTrail only to rules in the ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS state (EventBridge user guide,
    /// "Receiving read-only management events from AWS services").
    /// </summary>
    private List<DeployedRule> Delivering(JsonObject evt)
    {
        var element = JsonDocument.Parse(evt.ToJsonString()).RootElement;
        var readOnly = element.GetProperty("detail").TryGetProperty("readOnly", out var ro) && ro.ValueKind == JsonValueKind.True;
        return Rules().Where(r => r.TargetsIngest && EventPatternMatcher.Matches(r.Pattern, element)
            && (r.State == ChangeSignals.ReadOnlyManagementEventsState || (r.State == "ENABLED" && !readOnly))).ToList();
    }

    [Fact]
    public void A_real_console_SwitchRole_reaches_the_ingest_function_exactly_once()
    {
        var evt = Envelope(Fixture("changes/raw-signin-switchrole-crossaccount-davxiao.json"), "aws.signin", "AWS Console Sign In via CloudTrail");
        Assert.Single(Delivering(evt));
    }

    [Fact]
    public void A_role_assumption_reaches_the_ingest_function_exactly_once_whether_or_not_CloudTrail_marks_it_read_only()
    {
        var record = Fixture("changes/raw-sts-assumerole-console-switch-davxiao.json");
        // As published (eventVersion 1.05, no readOnly field): the main CloudTrail rule.
        var published = Delivering(Envelope(record, "aws.sts", "AWS API Call via CloudTrail"));
        Assert.Single(published);
        // EDIT stated: the same record with readOnly true / false, as newer records carry the field. A read-only one reaches
        // only the all-management-events rule; a mutating one only the main rule: never lost, never delivered twice.
        foreach (var readOnly in new[] { true, false })
        {
            var evt = Envelope(record, "aws.sts", "AWS API Call via CloudTrail");
            evt["detail"]!["readOnly"] = readOnly;
            var delivering = Assert.Single(Delivering(evt));
            Assert.Equal(readOnly ? ChangeSignals.ReadOnlyManagementEventsState : "ENABLED", delivering.State);
        }
    }

    [Fact]
    public void Read_only_calls_other_than_role_assumptions_are_not_delivered()
    {
        var evt = Envelope(Fixture("changes/raw-sts-assumerole-console-switch-davxiao.json").Replace("\"AssumeRole\"", "\"GetCallerIdentity\"", StringComparison.Ordinal),
            "aws.sts", "AWS API Call via CloudTrail");
        evt["detail"]!["readOnly"] = true;
        Assert.Empty(Delivering(evt));
    }

    [Fact]
    public void The_stack_drift_rules_compliance_change_reaches_the_ingest_function()
    {
        // AWS's documented compliance-change body (fixtures/events SOURCES.md) as the stack drift rule sends it: rule name,
        // resource type and a stack ARN swapped in (edit stated).
        var sns = JsonNode.Parse(File.ReadAllText(Path.Combine(Preflight.PreflightTemplates.RepositoryRoot, "fixtures", "events", "sns", "config-sns-compliance-change-cloudtrail-enabled.json")))!;
        var detail = sns["Message"]!.DeepClone().AsObject();
        detail["configRuleName"] = "isms-cloudformation-stack-drift-detection-check";
        detail["resourceType"] = "AWS::CloudFormation::Stack";
        detail["resourceId"] = "arn:aws:cloudformation:us-east-2:123456789012:stack/web-prod/6c1f4a70-8d2e-11e5-a8b5-50d5ca63262a";
        var evt = new JsonObject
        {
            ["version"] = "0", ["id"] = "c0ffee00-0000-0000-0000-000000000000", ["detail-type"] = "Config Rules Compliance Change",
            ["source"] = "aws.config", ["account"] = "123456789012", ["time"] = "2016-09-27T19:48:42Z", ["region"] = "us-east-2",
            ["resources"] = new JsonArray(), ["detail"] = detail,
        };
        Assert.Single(Delivering(evt));
    }

    [Fact]
    public void The_stack_drift_rule_is_deployed_with_a_config_role_that_may_only_detect_drift_on_stacks()
    {
        _template.HasResourceProperties("AWS::Config::ConfigRule", new Dictionary<string, object>
        {
            ["ConfigRuleName"] = "isms-cloudformation-stack-drift-detection-check",
            ["Source"] = new Dictionary<string, object> { ["Owner"] = "AWS", ["SourceIdentifier"] = "CLOUDFORMATION_STACK_DRIFT_DETECTION_CHECK" },
            ["Scope"] = new Dictionary<string, object> { ["ComplianceResourceTypes"] = new[] { "AWS::CloudFormation::Stack" } },
            ["InputParameters"] = Match.ObjectLike(new Dictionary<string, object> { ["cloudformationRoleArn"] = Match.AnyValue() }),
        });
        _template.HasResourceProperties("AWS::IAM::Role", new Dictionary<string, object>
        {
            ["AssumeRolePolicyDocument"] = Match.ObjectLike(new Dictionary<string, object>
            {
                ["Statement"] = new[] { Match.ObjectLike(new Dictionary<string, object> { ["Principal"] = new Dictionary<string, object> { ["Service"] = "config.amazonaws.com" } }) },
            }),
            ["Description"] = Match.StringLikeRegexp("cloudformation-stack-drift-detection-check"),
        });
    }

    [Fact]
    public void Without_jira_the_sweep_gets_no_ssm_or_kms_decrypt_grant()
    {
        var policies = JsonSerializer.Serialize(_template.FindResources("AWS::IAM::Policy"));
        Assert.DoesNotContain("ReadJiraToken", policies, StringComparison.Ordinal);
        Assert.DoesNotContain("DecryptJiraTokenThroughSsm", policies, StringComparison.Ordinal);
        Assert.DoesNotContain("parameter/isms/jira", policies, StringComparison.Ordinal);
    }

    [Fact]
    public void With_jira_the_sweep_may_read_exactly_the_token_parameter_and_decrypt_only_through_ssm()
    {
        var (_, template) = StackTemplate.Synthesize(new Dictionary<string, object>
        {
            ["isms"] = new Dictionary<string, object>
            {
                ["changeManagement"] = new Dictionary<string, object>
                {
                    ["jira"] = new Dictionary<string, object>
                    {
                        ["enabled"] = true, ["siteUrl"] = "https://qwestly.atlassian.net", ["projectKey"] = "OPS",
                        ["userEmail"] = "isms-bot@qwestly.example", ["tokenParameterName"] = "/isms/jira/api-token",
                    },
                },
            },
        });
        var policies = JsonSerializer.Serialize(template.FindResources("AWS::IAM::Policy"));
        // cdk-nag clean with Jira on too (the KMS wildcard is suppressed with its reason).
        var file = Path.Combine(Path.GetTempPath(), $"isms-jira-{Guid.NewGuid():N}.template.json");
        File.WriteAllText(file, JsonSerializer.Serialize(template.ToJSON()));
        try
        {
            var (exit, output) = Preflight.Preflight.Run([file], "--only", "nag");
            Assert.True(exit == 0, output);
        }
        finally
        {
            File.Delete(file);
        }
        Assert.Contains("ReadJiraToken", policies, StringComparison.Ordinal);
        Assert.Contains(":parameter/isms/jira/api-token", policies, StringComparison.Ordinal);
        Assert.Contains("ssm.eu-west-1.amazonaws.com", policies, StringComparison.Ordinal);
        Assert.Contains("kms:EncryptionContext:PARAMETER_ARN", policies, StringComparison.Ordinal);
        Assert.DoesNotContain("\"ssm:GetParameters\"", policies, StringComparison.Ordinal);
        Assert.DoesNotContain(":parameter/*", policies, StringComparison.Ordinal);
    }
}

/// <summary>
/// EventBridge pattern matching as the EventBridge user guide defines it, for the operators the stack uses: arrays of
/// literal values (a match on any; an array in the event matches if any element does), <c>prefix</c>,
/// <c>anything-but</c>, <c>exists</c>, nested objects (every field must match).
/// </summary>
internal static class EventPatternMatcher
{
    public static bool Matches(JsonElement pattern, JsonElement evt)
    {
        foreach (var field in pattern.EnumerateObject())
        {
            var value = default(JsonElement);
            var present = evt.ValueKind == JsonValueKind.Object && evt.TryGetProperty(field.Name, out value);
            if (field.Value.ValueKind == JsonValueKind.Object)
            {
                if (!present || value.ValueKind != JsonValueKind.Object || !Matches(field.Value, value)) return false;
                continue;
            }
            var values = !present ? [] : value.ValueKind == JsonValueKind.Array ? value.EnumerateArray().ToList() : [value];
            if (!field.Value.EnumerateArray().Any(rule => MatchesRule(rule, values, present))) return false;
        }
        return true;
    }

    private static bool MatchesRule(JsonElement rule, List<JsonElement> values, bool present)
    {
        if (rule.ValueKind != JsonValueKind.Object) return values.Any(v => Same(rule, v));
        var op = rule.EnumerateObject().Single();
        return op.Name switch
        {
            "prefix" => values.Any(v => v.ValueKind == JsonValueKind.String && v.GetString()!.StartsWith(op.Value.GetString()!, StringComparison.Ordinal)),
            "exists" => op.Value.GetBoolean() == present,
            "anything-but" => present && values.All(v => op.Value.ValueKind == JsonValueKind.Array ? !op.Value.EnumerateArray().Any(x => Same(x, v)) : !Same(op.Value, v)),
            _ => throw new NotSupportedException($"pattern operator {op.Name} is not modelled by this test"),
        };
    }

    private static bool Same(JsonElement a, JsonElement b) => a.ValueKind == b.ValueKind && a.ValueKind switch
    {
        JsonValueKind.String => a.GetString() == b.GetString(),
        JsonValueKind.Number => a.GetDecimal() == b.GetDecimal(),
        _ => true,
    };
}
