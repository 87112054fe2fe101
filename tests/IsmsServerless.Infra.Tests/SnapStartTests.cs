using System.Text.Json;

namespace IsmsServerless.Infra.Tests;

/// <summary>
/// SnapStart only helps an invocation of a published version: a function with SnapStart must be published, aliased,
/// and every trigger (API Gateway integration, invoke permission, EventBridge target, SQS mapping, schedule) must point
/// at the alias, or Lambda would run <c>$LATEST</c> from a full cold start and the snapshot would be paid for in vain.
/// </summary>
[Collection(StatusPageSynthCollection.Name)]
public sealed class SnapStartTests(StackTemplate stack) : IClassFixture<StackTemplate>
{
    private readonly Dictionary<string, JsonElement> _resources =
        JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(JsonSerializer.Serialize(stack.Template.ToJSON()))!
            ["Resources"].Deserialize<Dictionary<string, JsonElement>>()!;

    private IEnumerable<(string Id, JsonElement Properties)> OfType(string type) =>
        _resources.Where(r => r.Value.GetProperty("Type").GetString() == type)
            .Select(r => (r.Key, r.Value.TryGetProperty("Properties", out var p) ? p : default));

    private List<string> SnapStartFunctions() =>
        [.. OfType("AWS::Lambda::Function")
            .Where(f => f.Properties.TryGetProperty("SnapStart", out var s) && s.GetProperty("ApplyOn").GetString() == "PublishedVersions")
            .Select(f => f.Id)];

    [Fact]
    public void Status_page_function_snapshots_published_versions()
    {
        var (id, _) = OfType("AWS::Lambda::Function").Single(f =>
            f.Properties.GetProperty("Handler").GetString()!.Contains("StatusPageFunction", StringComparison.Ordinal));
        Assert.Equal([id], SnapStartFunctions());
    }

    [Fact]
    public void Every_snapstart_function_has_a_published_version_and_a_live_alias_on_it()
    {
        var functions = SnapStartFunctions();
        Assert.NotEmpty(functions);
        foreach (var function in functions)
        {
            var versions = OfType("AWS::Lambda::Version").Where(v => RefersTo(v.Properties.GetProperty("FunctionName"), function)).ToList();
            var version = Assert.Single(versions);
            var alias = Assert.Single(OfType("AWS::Lambda::Alias"), a => RefersTo(a.Properties.GetProperty("FunctionName"), function));
            Assert.Equal("live", alias.Properties.GetProperty("Name").GetString());
            // The alias follows the version CloudFormation publishes for the current code and configuration.
            Assert.True(RefersTo(alias.Properties.GetProperty("FunctionVersion"), version.Id), alias.Properties.GetProperty("FunctionVersion").ToString());
        }
    }

    [Fact]
    public void Triggers_of_a_snapstart_function_invoke_its_alias_never_the_unqualified_function()
    {
        var functions = SnapStartFunctions();
        var aliases = OfType("AWS::Lambda::Alias").Where(a => functions.Any(f => RefersTo(a.Properties.GetProperty("FunctionName"), f))).Select(a => a.Id).ToList();
        var triggers = new List<(string Where, JsonElement Target)>();
        triggers.AddRange(OfType("AWS::ApiGatewayV2::Integration").Select(i => ($"integration {i.Id}", i.Properties.GetProperty("IntegrationUri"))));
        triggers.AddRange(OfType("AWS::Lambda::Permission").Select(p => ($"permission {p.Id}", p.Properties.GetProperty("FunctionName"))));
        triggers.AddRange(OfType("AWS::Lambda::EventSourceMapping").Select(m => ($"event source mapping {m.Id}", m.Properties.GetProperty("FunctionName"))));
        foreach (var (id, rule) in OfType("AWS::Events::Rule"))
        {
            if (rule.TryGetProperty("Targets", out var targets))
                triggers.AddRange(targets.EnumerateArray().Select(t => ($"rule {id}", t.GetProperty("Arn"))));
        }
        foreach (var (id, schedule) in OfType("AWS::Scheduler::Schedule"))
            triggers.Add(($"schedule {id}", schedule.GetProperty("Target").GetProperty("Arn")));

        var aliasTriggers = 0;
        foreach (var (where, target) in triggers)
        {
            foreach (var function in functions)
                Assert.False(RefersTo(target, function), $"{where} invokes SnapStart function {function} unqualified ({target}); it must target the alias");
            if (aliases.Any(a => RefersTo(target, a))) aliasTriggers++;
        }
        // The API integration and API Gateway's invoke permission both name the alias.
        Assert.True(aliasTriggers >= 2, $"only {aliasTriggers} triggers target a SnapStart alias");
    }

    /// <summary>Whether a CloudFormation value is a Ref or Fn::GetAtt of <paramref name="logicalId"/>.</summary>
    private static bool RefersTo(JsonElement value, string logicalId) => value.ValueKind switch
    {
        JsonValueKind.Object when value.TryGetProperty("Ref", out var r) => r.GetString() == logicalId,
        JsonValueKind.Object when value.TryGetProperty("Fn::GetAtt", out var a) => a[0].GetString() == logicalId,
        JsonValueKind.Object => value.EnumerateObject().Any(p => RefersTo(p.Value, logicalId)),
        JsonValueKind.Array => value.EnumerateArray().Any(v => RefersTo(v, logicalId)),
        _ => false,
    };
}
