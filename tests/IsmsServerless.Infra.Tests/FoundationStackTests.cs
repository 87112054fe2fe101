using System.Text.Json;
using Amazon.CDK.Assertions;
using IsmsServerless.Ledger;

namespace IsmsServerless.Infra.Tests;

public sealed class FoundationStackTests(StackTemplate stack) : IClassFixture<StackTemplate>
{
    private readonly Template _template = stack.Template;

    private Dictionary<string, JsonElement> Resources(string type)
    {
        var json = JsonSerializer.Serialize(_template.FindResources(type));
        return JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(json)!;
    }

    [Fact]
    public void Every_function_runs_dotnet10_with_a_handler_in_the_published_assembly()
    {
        var functions = Resources("AWS::Lambda::Function");
        Assert.NotEmpty(functions);
        var assembly = typeof(IsmsServerless.Functions.FunctionHost).Assembly;
        foreach (var (_, function) in functions)
        {
            var props = function.GetProperty("Properties");
            Assert.Equal("dotnet10", props.GetProperty("Runtime").GetString());
            var handler = props.GetProperty("Handler").GetString()!.Split("::");
            Assert.Equal(3, handler.Length);
            Assert.Equal("IsmsServerless.Functions", handler[0]);
            var type = assembly.GetType(handler[1]);
            Assert.NotNull(type);
            var method = type!.GetMethod(handler[2]);
            Assert.NotNull(method);
            Assert.Equal(typeof(Task<Stream>), method!.ReturnType);
            Assert.Equal([typeof(Stream)], method.GetParameters().Select(p => p.ParameterType));
        }
    }

    [Fact]
    public void Ledger_table_is_on_demand_encrypted_with_a_cmk_recoverable_and_streamed()
    {
        _template.HasResourceProperties("AWS::DynamoDB::Table", new Dictionary<string, object>
        {
            ["BillingMode"] = "PAY_PER_REQUEST",
            ["PointInTimeRecoverySpecification"] = new Dictionary<string, object> { ["PointInTimeRecoveryEnabled"] = true },
            ["SSESpecification"] = Match.ObjectLike(new Dictionary<string, object> { ["SSEEnabled"] = true, ["SSEType"] = "KMS" }),
            ["StreamSpecification"] = new Dictionary<string, object> { ["StreamViewType"] = "NEW_AND_OLD_IMAGES" },
            ["TimeToLiveSpecification"] = new Dictionary<string, object> { ["AttributeName"] = LedgerSchema.TimeToLive, ["Enabled"] = true },
            ["DeletionProtectionEnabled"] = true,
        });
        _template.HasResource("AWS::DynamoDB::Table", new Dictionary<string, object> { ["DeletionPolicy"] = "Retain" });
    }

    [Fact]
    public void One_eventbridge_rule_per_trigger_source_and_a_schedule()
    {
        _template.HasResourceProperties("AWS::Events::Rule", new Dictionary<string, object>
        {
            ["EventPattern"] = Match.ObjectLike(new Dictionary<string, object> { ["source"] = new[] { "aws.config" } }),
        });
        _template.HasResourceProperties("AWS::Events::Rule", new Dictionary<string, object>
        {
            ["EventPattern"] = Match.ObjectLike(new Dictionary<string, object> { ["detail-type"] = new[] { "AWS API Call via CloudTrail" } }),
        });
        _template.HasResourceProperties("AWS::Events::Rule", new Dictionary<string, object>
        {
            ["EventPattern"] = Match.ObjectLike(new Dictionary<string, object> { ["detail-type"] = Match.ArrayWith(new object[] { "AWS Console Sign In via CloudTrail" }) }),
        });
        _template.HasResourceProperties("AWS::Events::Rule", new Dictionary<string, object>
        {
            ["ScheduleExpression"] = Match.StringLikeRegexp("^rate\\("),
        });
    }

    [Fact]
    public void Rule_targets_retry_and_dead_letter()
    {
        foreach (var (_, rule) in Resources("AWS::Events::Rule"))
        {
            foreach (var target in rule.GetProperty("Properties").GetProperty("Targets").EnumerateArray())
            {
                Assert.True(target.TryGetProperty("DeadLetterConfig", out _), "every rule target has a dead-letter queue");
                Assert.True(target.GetProperty("RetryPolicy").GetProperty("MaximumRetryAttempts").GetInt32() > 0);
            }
        }
    }

    [Fact]
    public void Alert_topic_is_encrypted()
    {
        _template.HasResourceProperties("AWS::SNS::Topic", new Dictionary<string, object> { ["KmsMasterKeyId"] = Match.AnyValue() });
    }

    [Fact]
    public void Invalid_context_fails_synth_with_every_problem_listed()
    {
        var ex = Assert.Throws<ArgumentException>(() => StackTemplate.Synthesize(new Dictionary<string, object>
        {
            ["isms"] = new Dictionary<string, object> { ["environment"] = "qa", ["atRiskShare"] = 2 },
        }));
        Assert.Contains("environment must be 'prod' or 'staging'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("atRiskShare", ex.Message, StringComparison.Ordinal);
    }
}
