using System.Text.Json.Nodes;

namespace IsmsServerless.Infra.Tests.Preflight;

/// <summary>
/// The two deploy blockers and the least-privilege changes, on the templates synthesized with cdk.json's context
/// (feature flags included: the cycle came from <c>@aws-cdk/aws-sns-subscriptions:restrictSqsDescryption</c>, which
/// the older template tests never set).
/// </summary>
public sealed class DeployFixesTests(PreflightTemplates templates) : IClassFixture<PreflightTemplates>
{
    private JsonObject Resources(string key) => JsonNode.Parse(File.ReadAllText(templates.Files[key]))!["Resources"]!.AsObject();

    private static IEnumerable<(string Id, JsonObject Resource)> OfType(JsonObject resources, string type) =>
        resources.Where(r => r.Value!["Type"]!.GetValue<string>() == type).Select(r => (r.Key, r.Value!.AsObject()));

    private static string? RefOf(JsonNode? node) => node switch
    {
        JsonObject o when o["Ref"] is { } r => r.GetValue<string>(),
        JsonObject o when o["Fn::GetAtt"] is JsonArray a => a[0]!.GetValue<string>(),
        _ => null,
    };

    [Fact]
    public void The_slack_queue_has_its_own_key_so_the_key_policy_can_name_the_topic_without_a_cycle()
    {
        var resources = Resources("default/IsmsServerless");
        var (topicId, topic) = Assert.Single(OfType(resources, "AWS::SNS::Topic"));
        var topicKey = RefOf(topic["Properties"]!["KmsMasterKeyId"]);
        var subscription = Assert.Single(OfType(resources, "AWS::SNS::Subscription"), s => s.Resource["Properties"]!["Protocol"]!.GetValue<string>() == "sqs");
        var queueId = RefOf(subscription.Resource["Properties"]!["Endpoint"])!;
        var queueKey = RefOf(resources[queueId]!["Properties"]!["KmsMasterKeyId"])!;

        Assert.NotEqual(topicKey, queueKey);
        // The flag's restriction is kept: SNS may use the queue key only for this topic.
        var statements = resources[queueKey]!["Properties"]!["KeyPolicy"]!["Statement"]!.AsArray();
        Assert.Contains(statements, s => s!["Principal"]?["Service"]?.ToString() == "sns.amazonaws.com"
            && RefOf(s["Condition"]?["ArnEquals"]?["aws:SourceArn"]) == topicId);
        // And the topic's key names no topic.
        Assert.DoesNotContain(topicId, resources[topicKey!]!["Properties"]!["KeyPolicy"]!.ToJsonString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Default_plan_is_Plus_with_threat_protection_and_essentials_turns_it_off()
    {
        var plus = Assert.Single(OfType(Resources("default/IsmsServerless"), "AWS::Cognito::UserPool")).Resource["Properties"]!;
        Assert.Equal("PLUS", plus["UserPoolTier"]!.GetValue<string>());
        Assert.Equal("ENFORCED", plus["UserPoolAddOns"]!["AdvancedSecurityMode"]!.GetValue<string>());

        var (_, pool) = Assert.Single(OfType(Resources("organization/IsmsServerless"), "AWS::Cognito::UserPool"));
        Assert.Equal("ESSENTIALS", pool["Properties"]!["UserPoolTier"]!.GetValue<string>());
        Assert.Equal("OFF", pool["Properties"]!["UserPoolAddOns"]!["AdvancedSecurityMode"]!.GetValue<string>());
        Assert.Contains("AwsSolutions-COG8", pool["Metadata"]!["cdk_nag"]!.ToJsonString(), StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_feature_plan_is_refused_at_synth()
    {
        var error = Assert.Throws<ArgumentException>(() => PreflightTemplates.Synthesize(new Dictionary<string, object> { ["statusPageFeaturePlan"] = "premium" }));
        Assert.Contains("statusPageFeaturePlan must be 'plus'", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("default/IsmsServerless")]
    [InlineData("full/IsmsServerless")]
    public void Each_function_writes_only_to_its_own_log_group_and_uses_no_managed_policy(string key)
    {
        var resources = Resources(key);
        foreach (var (roleId, role) in OfType(resources, "AWS::IAM::Role"))
            Assert.False(role["Properties"]!["ManagedPolicyArns"]?.ToJsonString().Contains("AWSLambdaBasicExecutionRole", StringComparison.Ordinal) ?? false, roleId);
        var functions = OfType(resources, "AWS::Lambda::Function").ToList();
        Assert.NotEmpty(functions);
        foreach (var (functionId, function) in functions)
        {
            var roleId = RefOf(function["Properties"]!["Role"])!;
            var logGroup = RefOf(function["Properties"]!["LoggingConfig"]!["LogGroup"])!;
            var logStatements = OfType(resources, "AWS::IAM::Policy")
                .Where(p => p.Resource["Properties"]!["Roles"]!.AsArray().Any(r => RefOf(r) == roleId))
                .SelectMany(p => p.Resource["Properties"]!["PolicyDocument"]!["Statement"]!.AsArray())
                .Where(s => s!["Action"]!.ToJsonString().Contains("logs:", StringComparison.Ordinal)).ToList();
            var statement = Assert.Single(logStatements);
            Assert.Equal(logGroup, RefOf(statement!["Resource"]));
            Assert.Equal("""["logs:CreateLogStream","logs:PutLogEvents"]""", statement["Action"]!.ToJsonString());
            _ = functionId;
        }
    }

    [Theory]
    [InlineData("default/IsmsServerless")]
    [InlineData("full/IsmsServerless")]
    public void Identity_policies_grant_no_wildcard_actions_and_no_index_wildcard(string key)
    {
        foreach (var (policyId, policy) in OfType(Resources(key), "AWS::IAM::Policy"))
        {
            foreach (var statement in policy["Properties"]!["PolicyDocument"]!["Statement"]!.AsArray())
            {
                var actions = statement!["Action"] is JsonArray a ? a.Select(x => x!.GetValue<string>()).ToList() : [statement["Action"]!.GetValue<string>()];
                Assert.DoesNotContain(actions, x => x.Contains('*', StringComparison.Ordinal));
                Assert.DoesNotContain("/index/*", statement["Resource"]!.ToJsonString(), StringComparison.Ordinal);
                _ = policyId;
            }
        }
    }
}
