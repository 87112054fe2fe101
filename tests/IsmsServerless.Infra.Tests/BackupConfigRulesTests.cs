using System.Text.Json;
using Amazon.CDK.Assertions;
using IsmsServerless.Rules.Backup;

namespace IsmsServerless.Infra.Tests;

/// <summary>The backup and anti-malware managed Config rules the stack deploys: the engine's own list, per the policy file.</summary>
public sealed class BackupConfigRulesTests(StackTemplate stack) : IClassFixture<StackTemplate>
{
    private readonly Template _template = stack.Template;

    [Fact]
    public void Every_backup_and_anti_malware_managed_rule_in_scope_is_deployed_under_its_isms_name()
    {
        var inScope = BackupConfigRules.InScope(stack.Stack.Settings).ToList();
        Assert.Contains(inScope, r => r.Identifier == "BACKUP_PLAN_MIN_FREQUENCY_AND_MIN_RETENTION_CHECK");
        Assert.Contains(inScope, r => r.Identifier == "BACKUP_RECOVERY_POINT_ENCRYPTED");
        Assert.Contains(inScope, r => r.Identifier == "RDS_RESOURCES_PROTECTED_BY_BACKUP_PLAN");
        Assert.Contains(inScope, r => r.Identifier == "DYNAMODB_LAST_BACKUP_RECOVERY_POINT_CREATED");
        Assert.Contains(inScope, r => r.Identifier == "GUARDDUTY_ENABLED_CENTRALIZED");
        foreach (var managed in inScope)
        {
            _template.HasResourceProperties("AWS::Config::ConfigRule", new Dictionary<string, object>
            {
                ["ConfigRuleName"] = managed.DeployedName,
                ["Source"] = new Dictionary<string, object> { ["Owner"] = "AWS", ["SourceIdentifier"] = managed.Identifier },
            });
        }
    }

    [Fact]
    public void Rules_carry_the_policy_clocks_scope_and_trigger()
    {
        _template.HasResourceProperties("AWS::Config::ConfigRule", new Dictionary<string, object>
        {
            ["ConfigRuleName"] = "isms-backup-plan-min-frequency-and-min-retention-check",
            ["Scope"] = new Dictionary<string, object> { ["ComplianceResourceTypes"] = new[] { "AWS::Backup::BackupPlan" } },
            ["InputParameters"] = Match.ObjectLike(new Dictionary<string, object> { ["requiredFrequencyValue"] = "1", ["requiredFrequencyUnit"] = "days" }),
        });
        _template.HasResourceProperties("AWS::Config::ConfigRule", new Dictionary<string, object>
        {
            ["ConfigRuleName"] = "isms-ebs-last-backup-recovery-point-created",
            ["MaximumExecutionFrequency"] = "TwentyFour_Hours",
            ["InputParameters"] = Match.ObjectLike(new Dictionary<string, object>
            {
                ["resourceTags"] = "{\"environment\":\"production\"}",
                ["recoveryPointAgeUnit"] = "hours",
                ["recoveryPointAgeValue"] = (24 + stack.Stack.Settings.Backup.GraceHours).ToString(System.Globalization.CultureInfo.InvariantCulture),
            }),
        });
        _template.HasResourceProperties("AWS::Config::ConfigRule", new Dictionary<string, object>
        {
            ["ConfigRuleName"] = "isms-guardduty-enabled-centralized",
            ["MaximumExecutionFrequency"] = "TwentyFour_Hours",
        });
        // AWS has no generic "resources protected by a backup plan" / "recovery point created" managed rule.
        var rules = JsonSerializer.Serialize(_template.FindResources("AWS::Config::ConfigRule"));
        Assert.DoesNotContain("\"RESOURCES_PROTECTED_BY_BACKUP_PLAN\"", rules, StringComparison.Ordinal);
        Assert.DoesNotContain("\"BACKUP_RECOVERY_POINT_CREATED\"", rules, StringComparison.Ordinal);
    }
}
