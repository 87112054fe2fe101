using IsmsServerless.Drift;
using IsmsServerless.Engine;
using IsmsServerless.Inputs;
using IsmsServerless.Model;
using IsmsServerless.Rules.Drift;

namespace IsmsServerless.Rules.Access;

/// <summary>
/// Root and credential hygiene through AWS's managed Config rules (root MFA and hardware MFA, no root access key,
/// credentials unused for 90 days, keys not rotated in 90 days, password policy, MFA for IAM users): their
/// "Config Rules Compliance Change" events become <c>access</c> findings and resolutions, one per rule and resource
/// (sub-key = the Config rule name), with each managed rule's own severity, clause and controls in the evidence.
/// Account-level results (<c>AWS::::Account</c>) are keyed on the account's root ARN, the same key as
/// <see cref="RootAccessKeyCreatedRule"/>'s, so the account's root findings sit together.
/// </summary>
public sealed class ManagedAccessRuleComplianceRule : IRule<ConfigComplianceInput>
{
    public RuleMetadata Metadata { get; } = new(
        Id: "access.managed-access-rule-compliance",
        Title: "Root or IAM credentials break the access baseline",
        Category: Category.Access,
        Severity: Severity.High,
        ResourceType: "AWS::IAM::User",
        PolicyClause: PolicyClauses.QwestlyMfa + "; " + PolicyClauses.QwestlyAccessMfa + "; " + PolicyClauses.QwestlyAccessLeastPrivilege + "; " + PolicyClauses.QwestlyAccessRevoke,
        Controls: [Controls.IsoAccessControl, Controls.IsoPrivilegedAccess, Controls.IsoSecureAuthentication, Controls.Soc2LogicalAccess, Controls.Soc2AccessRemoval],
        Risk: "Root without MFA or with an access key, stale or unrotated keys and weak passwords are how AWS accounts are taken over.",
        Remediation: "Open the rule's evaluation in the AWS Config console. Root: enable hardware MFA, delete root access keys. IAM users: delete or deactivate unused credentials, rotate keys older than 90 days, enforce the password policy, require MFA for console users.")
    {
        Sla = TimeSpan.FromDays(7),
    };

    /// <summary>The same rule with the 24-hour window its critical results (root MFA, root access key) carry.</summary>
    private RuleMetadata CriticalMetadata => Metadata with { Sla = TimeSpan.FromDays(1) };

    public IEnumerable<Evaluation> Evaluate(ConfigComplianceInput input, EvaluationContext context)
    {
        var managed = ManagedConfigRules.Find(input.ConfigRuleName);
        if (managed is null || managed.Category != Category.Access) return [];
        return ManagedConfigRuleComplianceRule.Judge(Metadata, managed, input).Select(e => e with
        {
            ResourceId = input.ResourceType == "AWS::::Account" && ResourceKeys.Plausible(input.ResourceId) ? RootAccessKeyCreatedRule.RootKey(input.ResourceId) : e.ResourceId,
            // Critical access findings (root without MFA, a root key) get the 24-hour window; the rest the rule's default.
            Rule = managed.Severity == Severity.Critical ? CriticalMetadata : Metadata,
        });
    }
}
