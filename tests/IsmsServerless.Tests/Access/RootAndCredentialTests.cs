using System.Text.Json.Nodes;
using IsmsServerless.Drift;
using IsmsServerless.Engine;
using IsmsServerless.Model;
using IsmsServerless.Output;
using IsmsServerless.Tests.Drift;
using IsmsServerless.Tests.Support;

namespace IsmsServerless.Tests.Access;

/// <summary>Issue 18 section 4: root and credentials through the compliance-change path and CloudTrail, category access.</summary>
public sealed class RootAndCredentialTests
{
    private static readonly RuleEngine Engine = RuleEngine.CreateDefault();
    private static readonly EvaluationContext Context = TestContexts.At("2026-11-24T12:00:00Z");

    public static TheoryData<string, string> AccessRules() => new()
    {
        { "ROOT_ACCOUNT_MFA_ENABLED", "CRITICAL" },
        { "ROOT_ACCOUNT_HARDWARE_MFA_ENABLED", "HIGH" },
        { "IAM_ROOT_ACCESS_KEY_CHECK", "CRITICAL" },
        { "IAM_USER_UNUSED_CREDENTIALS_CHECK", "MEDIUM" },
        { "ACCESS_KEYS_ROTATED", "MEDIUM" },
        { "IAM_PASSWORD_POLICY", "MEDIUM" },
        { "MFA_ENABLED_FOR_IAM_CONSOLE_ACCESS", "HIGH" },
    };

    [Theory]
    [MemberData(nameof(AccessRules))]
    public void Non_compliance_of_each_access_rule_is_an_access_finding_and_compliance_resolves_it(string identifier, string severity)
    {
        var managed = ManagedConfigRules.All.Single(r => r.Identifier == identifier);
        Assert.Equal(Category.Access, managed.Category);
        // The documented compliance notification is account-level (AWS::::Account), as these periodic rules report.
        var finding = Assert.Single(Engine.Evaluate(ConfigAdapterTests.ComplianceChange("NON_COMPLIANT", managed.DeployedName), Context).Evaluations);
        Assert.Equal("access.managed-access-rule-compliance", finding.Rule.Id);
        Assert.Equal(Outcome.Finding, finding.Outcome);
        Assert.Equal(severity, finding.Severity.ToWire());
        Assert.Equal("arn:aws:iam::123456789012:root", finding.ResourceId);
        Assert.Equal(managed.DeployedName, finding.SubKey);
        Assert.Equal(identifier, finding.Evidence["managedRuleIdentifier"]);
        var line = OutcomeLine.From("c.json", finding, Context);
        Assert.Equal("access", line.Category);

        var resolved = Assert.Single(Engine.Evaluate(ConfigAdapterTests.ComplianceChange("COMPLIANT", managed.DeployedName), Context).Evaluations);
        Assert.Equal(Outcome.Compliant, resolved.Outcome);
        Assert.Equal(finding.FindingId, resolved.FindingId);
    }

    [Fact]
    public void Critical_root_results_carry_a_24_hour_window_and_the_others_a_week()
    {
        var root = Assert.Single(Engine.Evaluate(ConfigAdapterTests.ComplianceChange("NON_COMPLIANT", "isms-iam-root-access-key-check"), Context).Evaluations);
        var rotation = Assert.Single(Engine.Evaluate(ConfigAdapterTests.ComplianceChange("NON_COMPLIANT", "isms-access-keys-rotated"), Context).Evaluations);
        Assert.Equal(TimeSpan.FromDays(1), Context.Sla.WindowFor(root));
        Assert.Equal(TimeSpan.FromDays(7), Context.Sla.WindowFor(rotation));
    }

    [Fact]
    public void The_drift_rule_leaves_access_rules_alone_and_still_judges_drift_rules()
    {
        var evaluations = Engine.Evaluate(ConfigAdapterTests.ComplianceChange("NON_COMPLIANT", "isms-mfa-enabled-for-iam-console-access"), Context).Evaluations;
        Assert.DoesNotContain(evaluations, e => e.Rule.Category == Category.Drift);
        var drift = Assert.Single(Engine.Evaluate(ConfigAdapterTests.ComplianceChange("NON_COMPLIANT", "isms-vpc-flow-logs-enabled"), Context).Evaluations);
        Assert.Equal("drift.managed-config-rule-compliance", drift.Rule.Id);
    }

    [Fact]
    public void Root_creating_its_own_access_key_is_critical_at_once()
    {
        var result = Engine.Evaluate(EventBridgeEnvelope.Wrap(Fixtures.Local("baselines/raw-iam-createaccesskey-root-panther.json")), Context);
        Assert.False(result.Rejected, result.Error);
        var finding = Assert.Single(result.Evaluations, e => e.Rule.Id == "access.root-access-key-created");
        Assert.Equal(Outcome.Finding, finding.Outcome);
        Assert.Equal(Severity.Critical, finding.Severity);
        Assert.Equal("arn:aws:iam::123456789012:root", finding.ResourceId);
        Assert.Equal("1111", finding.Evidence["accessKeyId"]);
        Assert.Equal(TimeSpan.FromDays(1), Context.Sla.WindowFor(finding));
        Assert.Contains("signin.amazonaws.com", finding.Message, StringComparison.Ordinal);
        // The general root-activity monitor still sees it too; the access finding is the one with the 24-hour duty.
        Assert.Contains(result.Evaluations, e => e.Rule.Id == "monitoring.root-user-activity");
    }

    [Fact]
    public void Root_creating_a_key_for_an_iam_user_is_not_a_root_key()
    {
        var result = Engine.Evaluate(EventBridgeEnvelope.Wrap(Fixtures.Local("baselines/raw-iam-createaccesskey-root-for-user-panther.json")), Context);
        Assert.DoesNotContain(result.Evaluations, e => e.Rule.Id == "access.root-access-key-created");
    }

    [Fact]
    public void Root_deleting_its_key_resolves_and_a_failed_creation_raises_nothing()
    {
        var created = Assert.Single(Engine.Evaluate(EventBridgeEnvelope.Wrap(Fixtures.Local("baselines/raw-iam-createaccesskey-root-panther.json")), Context).Evaluations,
            e => e.Rule.Id == "access.root-access-key-created");
        // EDITED in memory: the same record as DeleteAccessKey (request names the key, no userName; no response body).
        var record = JsonNode.Parse(Fixtures.Local("baselines/raw-iam-createaccesskey-root-panther.json"))!.AsObject();
        record["eventName"] = "DeleteAccessKey";
        record["requestParameters"] = new JsonObject { ["accessKeyId"] = "1111" };
        record["responseElements"] = null;
        var deleted = Assert.Single(Engine.Evaluate(EventBridgeEnvelope.Wrap(record.ToJsonString()), Context).Evaluations, e => e.Rule.Id == "access.root-access-key-created");
        Assert.Equal(Outcome.Compliant, deleted.Outcome);
        Assert.Equal(created.FindingId, deleted.FindingId);

        record["eventName"] = "CreateAccessKey";
        record["requestParameters"] = null;
        record["errorCode"] = "LimitExceeded";
        Assert.DoesNotContain(Engine.Evaluate(EventBridgeEnvelope.Wrap(record.ToJsonString()), Context).Evaluations, e => e.Rule.Id == "access.root-access-key-created");
    }

    [Fact]
    public void Every_access_rule_is_deployed_daily_with_the_90_day_parameters()
    {
        var access = ManagedConfigRules.All.Where(r => r.Category == Category.Access).ToList();
        Assert.Equal(8, access.Count);
        Assert.All(access, r => Assert.True(r.Periodic));
        Assert.Equal("90", ManagedConfigRules.All.Single(r => r.Identifier == "IAM_USER_UNUSED_CREDENTIALS_CHECK").InputParameters!["maxCredentialUsageAge"]);
        Assert.Equal("90", ManagedConfigRules.All.Single(r => r.Identifier == "ACCESS_KEYS_ROTATED").InputParameters!["maxAccessKeyAge"]);
        Assert.All(access, r => Assert.Matches("Qwestly", r.PolicyClause));
    }
}
