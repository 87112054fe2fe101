using System.Text.Json;
using Amazon.CDK.Assertions;
using IsmsServerless.Drift;

namespace IsmsServerless.Infra.Tests;

public sealed class DriftConfigRulesTests(StackTemplate stack) : IClassFixture<StackTemplate>
{
    private readonly Template _template = stack.Template;

    [Fact]
    public void Every_managed_rule_the_engine_understands_is_deployed_under_its_isms_name()
    {
        // The drift rules, plus the backup and anti-malware rules (BackupConfigRulesTests), plus the change register's
        // CloudFormation stack drift rule (ChangeSignals, issue 19).
        _template.ResourceCountIs("AWS::Config::ConfigRule", ManagedConfigRules.All.Count + IsmsServerless.Rules.Backup.BackupConfigRules.InScope(stack.Stack.Settings).Count() + 1);
        foreach (var managed in ManagedConfigRules.All)
        {
            _template.HasResourceProperties("AWS::Config::ConfigRule", new Dictionary<string, object>
            {
                ["ConfigRuleName"] = managed.DeployedName,
                ["Source"] = new Dictionary<string, object> { ["Owner"] = "AWS", ["SourceIdentifier"] = managed.Identifier },
            });
        }
    }

    [Fact]
    public void Resource_rules_are_scoped_and_account_rules_run_daily()
    {
        _template.HasResourceProperties("AWS::Config::ConfigRule", new Dictionary<string, object>
        {
            ["ConfigRuleName"] = "isms-restricted-ssh",
            ["Scope"] = new Dictionary<string, object> { ["ComplianceResourceTypes"] = new[] { "AWS::EC2::SecurityGroup" } },
        });
        _template.HasResourceProperties("AWS::Config::ConfigRule", new Dictionary<string, object>
        {
            ["ConfigRuleName"] = "isms-cloudtrail-enabled",
            ["MaximumExecutionFrequency"] = "TwentyFour_Hours",
        });
        _template.HasResourceProperties("AWS::Config::ConfigRule", new Dictionary<string, object>
        {
            ["ConfigRuleName"] = "isms-restricted-common-ports",
            ["InputParameters"] = Match.ObjectLike(new Dictionary<string, object> { ["blockedPort1"] = "3389" }),
        });
    }

    [Fact]
    public void Compliance_changes_of_these_rules_reach_the_ingest_function()
    {
        var rules = JsonSerializer.Serialize(_template.FindResources("AWS::Events::Rule"));
        Assert.Contains("Config Rules Compliance Change", rules, StringComparison.Ordinal);
        Assert.Contains("Config Configuration Item Change", rules, StringComparison.Ordinal);
    }
}
