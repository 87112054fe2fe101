using System.Text;
using IsmsServerless.Engine;
using IsmsServerless.Model;
using IsmsServerless.Settings;
using IsmsServerless.Tests.Support;

namespace IsmsServerless.Tests.Monitoring;

public sealed class EventBridgeRuleDisabledRuleTests
{
    private const string RuleId = "monitoring.event-bridge-rule-disabled";
    private static readonly RuleEngine Engine = RuleEngine.CreateDefault();

    private static List<Evaluation> Evaluate(byte[] payload, IsmsSettings? settings = null) =>
        Engine.Evaluate(payload, TestContexts.At("2015-11-18T01:00:00Z", settings)).Evaluations.Where(e => e.Rule.Id == RuleId).ToList();

    private static byte[] Disable() => Fixtures.Local("monitoring/raw-events-disablerule-derived.json");

    [Fact]
    public void Disabling_one_of_our_rules_is_a_finding_naming_the_actor_and_the_rule()
    {
        var finding = Assert.Single(Evaluate(Disable()));
        Assert.Equal(Outcome.Finding, finding.Outcome);
        Assert.Equal("arn:aws:events:us-east-1:123456789012:rule/IsmsServerless-IngestionCloudTrailApiCalls1A2B3C-Q1W2E3R4T5Y6", finding.ResourceId);
        Assert.Contains("arn:aws:sts::123456789012:assumed-role/Admin/jdoe called DisableRule", finding.Message, StringComparison.Ordinal);
        Assert.Equal("49d14f36-6450-44a5-a501-b0fdcdfaeb99", finding.Evidence["eventId"]);
    }

    [Theory]
    [InlineData("DeleteRule")]
    [InlineData("RemoveTargets")]
    public void Deleting_or_emptying_our_rule_is_a_finding(string eventName)
    {
        var json = Encoding.UTF8.GetString(Disable()).Replace("\"DisableRule\"", $"\"{eventName}\"", StringComparison.Ordinal);
        if (eventName == "RemoveTargets") json = json.Replace("\"name\":", "\"rule\":", StringComparison.Ordinal);
        Assert.Equal(Outcome.Finding, Assert.Single(Evaluate(Encoding.UTF8.GetBytes(json))).Outcome);
    }

    [Fact]
    public void Re_enabling_resolves_the_same_finding()
    {
        var json = Encoding.UTF8.GetString(Disable()).Replace("\"DisableRule\"", "\"EnableRule\"", StringComparison.Ordinal);
        var compliant = Assert.Single(Evaluate(Encoding.UTF8.GetBytes(json)));
        Assert.Equal(Outcome.Compliant, compliant.Outcome);
        Assert.Equal(Assert.Single(Evaluate(Disable())).FindingId, compliant.FindingId);
    }

    [Fact]
    public void Rules_of_other_stacks_are_none_of_our_business()
    {
        // The AWS documentation's PutRule record: rule cttest2, not ours.
        Assert.Empty(Evaluate(Fixtures.Local("monitoring/raw-events-putrule-docs.json")));
    }

    [Fact]
    public void A_putrule_that_enables_our_rule_is_compliant_and_one_that_disables_it_a_finding()
    {
        var ours = IsmsSettings.Parse("""{"ownRuleNamePrefixes":["cttest"]}""");
        var enabled = Fixtures.Local("monitoring/raw-events-putrule-docs.json");
        Assert.Equal(Outcome.Compliant, Assert.Single(Evaluate(enabled, ours)).Outcome);
        var disabled = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(enabled).Replace("\"ENABLED\"", "\"DISABLED\"", StringComparison.Ordinal));
        Assert.Equal(Outcome.Finding, Assert.Single(Evaluate(disabled, ours)).Outcome);
    }

    [Fact]
    public void A_failed_attempt_changes_nothing()
    {
        var json = Encoding.UTF8.GetString(Disable()).Replace("\"responseElements\":null", "\"responseElements\":null,\"errorCode\":\"AccessDenied\"", StringComparison.Ordinal);
        Assert.Empty(Evaluate(Encoding.UTF8.GetBytes(json)));
    }

    [Fact]
    public void A_name_that_is_not_a_string_is_ignored_not_a_crash()
    {
        var json = Encoding.UTF8.GetString(Disable()).Replace("\"name\":\"IsmsServerless-IngestionCloudTrailApiCalls1A2B3C-Q1W2E3R4T5Y6\"", "\"name\":{\"$gt\":\"\"}", StringComparison.Ordinal);
        var result = Engine.Evaluate(Encoding.UTF8.GetBytes(json), TestContexts.At("2015-11-18T01:00:00Z"));
        Assert.False(result.Rejected);
        Assert.DoesNotContain(result.Evaluations, e => e.Rule.Id == RuleId);
    }
}
