using System.Text.Json;

namespace IsmsServerless.Infra.Tests;

public sealed class LedgerStackTests(StackTemplate stack) : IClassFixture<StackTemplate>
{
    private Dictionary<string, JsonElement> Resources(string type) =>
        JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(JsonSerializer.Serialize(stack.Template.FindResources(type)))!;

    [Fact]
    public void Schedule_rule_targets_the_sweep_function_not_the_ingest_function()
    {
        var functions = Resources("AWS::Lambda::Function");
        var sweep = Assert.Single(functions, f => f.Value.GetProperty("Properties").GetProperty("Handler").GetString()!.EndsWith("SweepFunction::HandleAsync", StringComparison.Ordinal));
        var schedule = Assert.Single(Resources("AWS::Events::Rule"), r => r.Value.GetProperty("Properties").TryGetProperty("ScheduleExpression", out _));
        var targets = schedule.Value.GetProperty("Properties").GetProperty("Targets");
        var target = Assert.Single(targets.EnumerateArray());
        Assert.Equal(sweep.Key, target.GetProperty("Arn").GetProperty("Fn::GetAtt")[0].GetString());
        var environment = sweep.Value.GetProperty("Properties").GetProperty("Environment").GetProperty("Variables");
        Assert.True(environment.TryGetProperty("TABLE_NAME", out _));
        Assert.False(environment.TryGetProperty("ISMS_DYNAMODB_ENDPOINT", out _));
    }

    [Fact]
    public void Sweep_function_may_query_and_write_the_ledger_but_never_scan_it()
    {
        var functions = Resources("AWS::Lambda::Function");
        var sweep = functions.Single(f => f.Value.GetProperty("Properties").GetProperty("Handler").GetString()!.EndsWith("SweepFunction::HandleAsync", StringComparison.Ordinal));
        var role = sweep.Value.GetProperty("Properties").GetProperty("Role").GetProperty("Fn::GetAtt")[0].GetString();
        var actions = Resources("AWS::IAM::Policy")
            .Where(p => p.Value.GetProperty("Properties").GetProperty("Roles").EnumerateArray().Any(r => r.GetProperty("Ref").GetString() == role))
            .SelectMany(p => p.Value.GetProperty("Properties").GetProperty("PolicyDocument").GetProperty("Statement").EnumerateArray())
            .SelectMany(s => s.GetProperty("Action").ValueKind == JsonValueKind.Array ? s.GetProperty("Action").EnumerateArray().Select(a => a.GetString()!) : [s.GetProperty("Action").GetString()!])
            .ToHashSet();
        Assert.Contains("dynamodb:Query", actions);
        Assert.Contains("dynamodb:PutItem", actions);
        Assert.DoesNotContain("dynamodb:Scan", actions);
        Assert.DoesNotContain(actions, a => a.EndsWith('*') && !a.StartsWith("kms:", StringComparison.Ordinal));
    }
}
