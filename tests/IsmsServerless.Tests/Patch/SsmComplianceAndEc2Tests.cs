using System.Globalization;
using System.Text;
using IsmsServerless.Engine;
using IsmsServerless.Inputs;
using IsmsServerless.Model;
using IsmsServerless.Tests.Support;

namespace IsmsServerless.Tests.Patch;

public sealed class SsmComplianceAndEc2Tests
{
    private static readonly RuleEngine Engine = RuleEngine.CreateDefault();

    private static EngineResult Evaluate(byte[] payload) => Engine.Evaluate(payload, TestContexts.At("2017-07-18T00:00:00Z"));

    [Fact]
    public void Non_compliant_patch_event_is_a_critical_finding_on_the_instance_from_the_event_time()
    {
        var result = Evaluate(Fixtures.Shared(PatchEvents.SsmNonCompliant));
        Assert.Equal("ssm-compliance", result.Adapter);
        var evaluation = Assert.Single(result.Evaluations);
        Assert.Equal("patch.instance-patch-compliance", evaluation.Rule.Id);
        Assert.Equal(Outcome.Finding, evaluation.Outcome);
        Assert.Equal(Severity.Critical, evaluation.Severity);
        Assert.Equal("i-01234567890abcdef", evaluation.ResourceId);
        Assert.Equal("", evaluation.SubKey);
        Assert.Equal(("123456789012", "us-east-2"), (evaluation.AccountId, evaluation.Region));
        Assert.Equal(DateTimeOffset.Parse("2017-07-17T19:02:31Z", CultureInfo.InvariantCulture), evaluation.ClockStart);
        Assert.Equal("PB789", evaluation.Evidence["baselineId"]);
    }

    [Fact]
    public void The_docs_compliant_example_with_its_typo_source_is_not_trusted_as_ssm()
    {
        var result = Evaluate(Fixtures.Shared(PatchEvents.SsmCompliantTypo));
        Assert.Null(result.Adapter);
        Assert.Empty(result.Evaluations);
        Assert.Contains("aws.123456789012", result.IgnoredReason, StringComparison.Ordinal);
    }

    [Fact]
    public void The_compliant_event_from_aws_ssm_resolves_the_same_finding()
    {
        var text = Encoding.UTF8.GetString(Fixtures.Shared(PatchEvents.SsmCompliantTypo)).Replace("\"aws.123456789012\"", "\"aws.ssm\"", StringComparison.Ordinal);
        var compliant = Assert.Single(Evaluate(Encoding.UTF8.GetBytes(text)).Evaluations);
        var finding = Assert.Single(Evaluate(Fixtures.Shared(PatchEvents.SsmNonCompliant)).Evaluations);
        Assert.Equal(Outcome.Compliant, compliant.Outcome);
        Assert.Equal(finding.FindingId, compliant.FindingId);
    }

    [Fact]
    public void Association_compliance_is_not_patch_compliance()
    {
        var result = Evaluate(PatchEvents.Edited(PatchEvents.SsmNonCompliant, d => d["compliance-type"] = "Association"));
        Assert.False(result.Rejected);
        Assert.Empty(result.Inputs);
        Assert.Empty(result.Evaluations);
    }

    [Theory]
    [InlineData("unspecified", Severity.Medium)]
    [InlineData("HIGH", Severity.High)]
    [InlineData("informational", Severity.Informational)]
    public void Severity_words_map_to_ours(string ssmSeverity, Severity expected)
    {
        var evaluation = Assert.Single(Evaluate(PatchEvents.Edited(PatchEvents.SsmNonCompliant, d => d["severity"] = ssmSeverity)).Evaluations);
        Assert.Equal(expected, evaluation.Severity);
    }

    [Theory]
    [InlineData("resource-id", "i-0123'; DROP TABLE findings;--", "no managed instance id")]
    [InlineData("resource-id", "<script>alert(1)</script>", "no managed instance id")]
    [InlineData("compliance-status", "sort_of", "unknown compliance-status")]
    public void Malformed_compliance_events_are_rejected(string field, string value, string reason)
    {
        var result = Evaluate(PatchEvents.Edited(PatchEvents.SsmNonCompliant, d => d[field] = value));
        Assert.True(result.Rejected);
        Assert.Contains(reason, result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Hybrid_managed_nodes_are_accepted()
    {
        var evaluation = Assert.Single(Evaluate(PatchEvents.Edited(PatchEvents.SsmNonCompliant, d => d["resource-id"] = "mi-0123456789abcdef0")).Evaluations);
        Assert.Equal("AWS::SSM::ManagedInstanceInventory", evaluation.ResourceType);
    }

    [Fact]
    public void Terminated_instance_becomes_resource_gone_for_the_ledger_to_close_its_findings()
    {
        var result = Evaluate(Fixtures.Local("patch/eb-ec2-state-change-terminated.json"));
        Assert.Equal("ec2-state", result.Adapter);
        var gone = Assert.IsType<ResourceGoneInput>(Assert.Single(result.Inputs));
        Assert.Equal("i-1234567890abcdef0", gone.ResourceId);
        Assert.Equal("AWS::EC2::Instance", gone.ResourceType);
        Assert.Equal("EC2 instance terminated", gone.Reason);
        Assert.Equal(("123456789012", "us-east-1"), (gone.AccountId, gone.Region));
        Assert.Empty(result.Evaluations);
    }

    [Theory]
    [InlineData("stopped")]
    [InlineData("shutting-down")]
    [InlineData("running")]
    public void Other_instance_states_close_nothing(string state)
    {
        var node = System.Text.Json.Nodes.JsonNode.Parse(Fixtures.Local("patch/eb-ec2-state-change-terminated.json"))!;
        node["detail"]!["state"] = state;
        var result = Evaluate(PatchEvents.Bytes(node));
        Assert.False(result.Rejected);
        Assert.Empty(result.Inputs);
    }

    [Fact]
    public void A_state_change_without_an_instance_id_is_rejected()
    {
        var node = System.Text.Json.Nodes.JsonNode.Parse(Fixtures.Local("patch/eb-ec2-state-change-terminated.json"))!;
        node["detail"]!["instance-id"] = "sg-12345678";
        var result = Evaluate(PatchEvents.Bytes(node));
        Assert.True(result.Rejected);
        Assert.Contains("no instance id", result.Error, StringComparison.Ordinal);
    }
}
