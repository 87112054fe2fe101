using System.Text.Json;
using System.Text.Json.Nodes;
using FsCheck;
using FsCheck.Fluent;
using IsmsServerless.Drift;
using IsmsServerless.Engine;
using IsmsServerless.Tests.Support;

namespace IsmsServerless.Tests.Drift;

public sealed class ConfigurationDiffTests
{
    private static JsonElement Parse(string json) => JsonDocument.Parse(json).RootElement.Clone();

    [Fact]
    public void Scalars_report_from_and_to_and_absent_equals_null()
    {
        var diffs = ConfigurationDiff.Compare("configuration", Parse("{\"a\":true,\"b\":1,\"c\":null}"), Parse("{\"a\":false,\"b\":1,\"d\":\"x\"}"), null);
        Assert.Equal([new("configuration.a", "true", "false"), new("configuration.d", null, "x")], diffs.ToList<IsmsServerless.Model.FieldDiff>());
    }

    [Fact]
    public void Arrays_compare_as_sets_of_elements()
    {
        var before = Parse("{\"rules\":[{\"port\":443,\"cidr\":\"10.0.0.0/8\"},{\"port\":80,\"cidr\":\"10.0.0.0/8\"}]}");
        var reordered = Parse("{\"rules\":[{\"cidr\":\"10.0.0.0/8\",\"port\":80},{\"port\":443,\"cidr\":\"10.0.0.0/8\"}]}");
        Assert.Empty(ConfigurationDiff.Compare("configuration", before, reordered, null));
        var opened = Parse("{\"rules\":[{\"port\":443,\"cidr\":\"10.0.0.0/8\"},{\"port\":80,\"cidr\":\"0.0.0.0/0\"}]}");
        var diffs = ConfigurationDiff.Compare("configuration", before, opened, null);
        Assert.Equal(2, diffs.Count);
        Assert.Contains(diffs, d => d.Path == "configuration.rules[]" && d.Expected == "{\"cidr\":\"10.0.0.0/8\",\"port\":80}" && d.Actual is null);
        Assert.Contains(diffs, d => d.Path == "configuration.rules[]" && d.Expected is null && d.Actual == "{\"cidr\":\"0.0.0.0/0\",\"port\":80}");
    }

    [Fact]
    public void Only_tracked_properties_count()
    {
        var diffs = ConfigurationDiff.Compare("configuration", Parse("{\"encrypted\":true,\"state\":\"in-use\"}"), Parse("{\"Encrypted\":true,\"state\":\"available\"}"), ["encrypted"]);
        Assert.Empty(diffs);
    }

    [Fact]
    public void A_rewrite_of_everything_is_capped()
    {
        var before = new JsonObject();
        var after = new JsonObject();
        for (var i = 0; i < 500; i++)
        {
            before["k" + i] = i;
            after["k" + i] = i + 1;
        }
        Assert.Equal(ConfigurationDiff.MaxDiffs, ConfigurationDiff.Compare("configuration", Parse(before.ToJsonString()), Parse(after.ToJsonString()), null).Count);
    }

    [FsCheck.Xunit.Property(MaxTest = 200)]
    public Property A_configuration_never_drifts_from_itself_in_any_order(int[] ports, string[] names)
    {
        var rules = new JsonArray(ports.Select(p => (JsonNode)new JsonObject { ["port"] = p, ["name"] = names.Length > 0 ? names[Math.Abs(p % names.Length)] : null }).ToArray());
        var original = new JsonObject { ["rules"] = rules, ["flag"] = ports.Length % 2 == 0 };
        var shuffled = new JsonObject { ["flag"] = ports.Length % 2 == 0, ["rules"] = new JsonArray(rules.Reverse().Select(n => n?.DeepClone()).ToArray()) };
        return ConfigurationDiff.Compare("c", Parse(original.ToJsonString()), Parse(shuffled.ToJsonString()), null).Count.Equals(0).ToProperty();
    }

    [Fact]
    public void Rule_invocation_and_eventbridge_delivery_of_one_item_give_the_same_finding()
    {
        var engine = RuleEngine.CreateDefault();
        var context = TestContexts.At("2026-11-23T12:00:00Z");
        var item = DriftPayloads.Item("ci-security-group-configservice-docs.json");
        var viaEventBridge = Assert.Single(engine.Evaluate(DriftPayloads.ItemChange(item), context).Evaluations, e => e.Rule.Id == "drift.security-group-baseline");
        var viaRule = Assert.Single(engine.Evaluate(DriftPayloads.RuleInvocation(item), context).Evaluations, e => e.Rule.Id == "drift.security-group-baseline");
        Assert.Equal(viaEventBridge.FindingId, viaRule.FindingId);
        Assert.Equal(viaEventBridge.Diff, viaRule.Diff);
    }

    [Fact]
    public void Baseline_cli_requires_actor_and_reason()
    {
        var root = new System.CommandLine.RootCommand { IsmsServerless.Cli.BaselineCommand.Create() };
        Assert.NotEmpty(root.Parse(["baseline", "approve", "sg-1"]).Errors);
        Assert.NotEmpty(root.Parse(["baseline", "approve", "sg-1", "--actor", "a"]).Errors);
        // The version seen is required: an approval names the configuration the approver reviewed (issue 15).
        Assert.NotEmpty(root.Parse(["baseline", "approve", "sg-1", "--actor", "a", "--reason", "r", "--dynamodb-endpoint", "http://127.0.0.1:1"]).Errors);
        Assert.Empty(root.Parse(["baseline", "approve", "sg-1", "--actor", "a", "--reason", "r", "--configuration-version", "v", "--dynamodb-endpoint", "http://127.0.0.1:1"]).Errors);
    }

    [Fact]
    public void Every_baseline_requirement_names_its_clause_and_controls()
    {
        var baselines = new[]
        {
            IsmsServerless.Rules.Drift.SecurityGroupBaselineRule.Baseline, IsmsServerless.Rules.Drift.S3BucketBaselineRule.Baseline,
            IsmsServerless.Rules.Drift.RdsInstanceBaselineRule.Baseline, IsmsServerless.Rules.Drift.EbsVolumeBaselineRule.Baseline,
            IsmsServerless.Rules.Drift.DynamodbTableBaselineRule.Baseline, IsmsServerless.Rules.Drift.TrailBaselineRule.Baseline,
            IsmsServerless.Rules.Drift.IamUserBaselineRule.Baseline,
        };
        Assert.Equal(7, baselines.Select(b => b.ResourceType).Distinct().Count());
        Assert.All(baselines.SelectMany(b => b.Requirements), r =>
        {
            Assert.Matches("PROC-002|Qwestly", r.PolicyClause);
            Assert.Contains(r.Controls, c => c.StartsWith("ISO27001:2022 A.", StringComparison.Ordinal));
            Assert.Contains(r.Controls, c => c.StartsWith("SOC2 ", StringComparison.Ordinal));
        });
        Assert.Equal(baselines.SelectMany(b => b.Requirements).Count(), baselines.SelectMany(b => b.Requirements).Select(r => r.Id).Distinct().Count());
    }
}
