using IsmsServerless.Engine;
using IsmsServerless.Model;
using IsmsServerless.Output;
using IsmsServerless.Tests.Support;

namespace IsmsServerless.Tests.Monitoring;

/// <summary>GuardDuty Runtime Monitoring coverage events (PROC-002 Antivirus protection) through the one engine path.</summary>
public sealed class RuntimeCoverageTests
{
    private static readonly RuleEngine Engine = RuleEngine.CreateDefault();
    private const string At = "2026-03-02T13:00:00Z";

    private static EngineResult Run(string fixture) => Engine.Evaluate(Fixtures.Local("monitoring/" + fixture), TestContexts.At(At));

    [Fact]
    public void An_unhealthy_coverage_event_is_an_anti_malware_finding_on_the_instance_and_the_healthy_one_resolves_it()
    {
        var unhealthy = Run("eb-guardduty-runtime-unhealthy-ec2-filled.json");
        Assert.Null(unhealthy.Error);
        Assert.Equal("guardduty-coverage", unhealthy.Adapter);
        var finding = Assert.Single(unhealthy.Evaluations);
        Assert.Equal("monitoring.runtime-coverage-unhealthy", finding.Rule.Id);
        Assert.Equal(Outcome.Finding, finding.Outcome);
        Assert.Equal("guardduty-runtime/EC2/i-0d6c314027f74dc82", finding.ResourceId);
        Assert.Equal("111122223333", finding.AccountId);
        Assert.Equal("eu-west-1", finding.Region);
        Assert.Equal(DateTimeOffset.Parse("2026-03-02T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture), finding.ClockStart);
        Assert.Equal("Agent not reporting", finding.Evidence["issue"]);
        Assert.Contains("ISO27001:2022 A.8.7", finding.Rule.Controls);
        Assert.Contains("SOC2 CC6.8", finding.Rule.Controls);
        // Same category and controls as the other anti-malware rules.
        Assert.Equal(new IsmsServerless.Rules.Monitoring.AntiMalwareAgentRule().Metadata.Category, finding.Rule.Category);

        var line = Assert.Single(OutcomeLine.From("unhealthy.json", unhealthy, TestContexts.At(At)));
        Assert.Equal("finding", line.Outcome);
        Assert.Equal("monitoring.runtime-coverage-unhealthy", line.RuleId);

        var healthy = Run("eb-guardduty-runtime-healthy-ec2-filled.json");
        var resolved = Assert.Single(healthy.Evaluations);
        Assert.Equal(Outcome.Compliant, resolved.Outcome);
        Assert.Equal(finding.FindingId, resolved.FindingId);
        Assert.Null(resolved.ClockStart);
    }

    [Theory]
    [InlineData("eb-guardduty-runtime-unhealthy-ec2-awsdocs.json")]
    [InlineData("eb-guardduty-runtime-unhealthy-unknown-type-edited.json")]
    public void The_documented_placeholder_and_an_unknown_resource_type_are_rejected_with_a_reason(string fixture)
    {
        var result = Run(fixture);
        Assert.NotNull(result.Error);
        Assert.Empty(result.Evaluations);
        Assert.DoesNotContain("Exception", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_GuardDuty_finding_still_goes_to_the_finding_adapter() =>
        Assert.Equal("guardduty", Engine.Evaluate(Fixtures.Local("incident/eb-guardduty-sshbruteforce-sev8-derived.json"), TestContexts.At(At)).Adapter);
}
