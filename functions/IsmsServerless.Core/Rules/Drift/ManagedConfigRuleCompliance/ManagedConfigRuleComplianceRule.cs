using IsmsServerless.Drift;
using IsmsServerless.Engine;
using IsmsServerless.Inputs;
using IsmsServerless.Model;

namespace IsmsServerless.Rules.Drift;

/// <summary>
/// Turns "Config Rules Compliance Change" events of the managed rules the stack deploys (<see cref="ManagedConfigRules"/>)
/// into findings (NON_COMPLIANT) and resolutions (COMPLIANT, NOT_APPLICABLE), one finding per rule and resource
/// (sub-key = the Config rule name). INSUFFICIENT_DATA says nothing and is ignored, as are rules the stack did not deploy.
/// Findings carry the managed rule's own controls and severity in the message and evidence.
/// </summary>
public sealed class ManagedConfigRuleComplianceRule : IRule<ConfigComplianceInput>
{
    public RuleMetadata Metadata { get; } = new(
        Id: "drift.managed-config-rule-compliance",
        Title: "AWS managed Config rule reports non-compliance",
        Category: Category.Drift,
        Severity: Severity.High,
        ResourceType: "AWS::Config::ConfigRule",
        PolicyClause: PolicyClauses.Proc002MonitorApproved,
        Controls: [Controls.IsoConfiguration, Controls.IsoNetworkSecurity, Controls.IsoCryptography, Controls.IsoLogging, Controls.IsoSecureAuthentication, Controls.Soc2ConfigurationMonitoring, Controls.Soc2LogicalAccess],
        Risk: "AWS Config's own periodic and change-triggered checks disagree with the policy; they also cover what events alone cannot (account-wide CloudTrail, MFA state).",
        Remediation: "Open the rule in the AWS Config console for the resource's evaluation detail, fix the resource in code, and let Config re-evaluate.")
    {
        Sla = TimeSpan.FromDays(7),
    };

    public IEnumerable<Evaluation> Evaluate(ConfigComplianceInput input, EvaluationContext context)
    {
        var managed = ManagedConfigRules.Find(input.ConfigRuleName);
        // Access-category rules (root, credentials, MFA, password policy) are judged by ManagedAccessRuleComplianceRule.
        if (managed is null || managed.Category != Category.Drift) return [];
        return Judge(Metadata, managed, input);
    }

    /// <summary>One compliance change of a catalogued managed rule as a finding or resolution under <paramref name="rule"/>.</summary>
    internal static IEnumerable<Evaluation> Judge(RuleMetadata rule, ManagedConfigRule managed, ConfigComplianceInput input)
    {
        var outcome = input.ComplianceType.ToUpperInvariant() switch
        {
            "NON_COMPLIANT" => Outcome.Finding,
            "COMPLIANT" or "NOT_APPLICABLE" => Outcome.Compliant,
            _ => (Outcome?)null,
        };
        if (outcome is null) yield break;
        var evidence = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["configRuleName"] = input.ConfigRuleName,
            ["managedRuleIdentifier"] = managed.Identifier,
            ["complianceType"] = input.ComplianceType,
            ["managedRuleControls"] = string.Join(",", managed.Controls),
        };
        if (input.PreviousComplianceType is { } previous) evidence["previousComplianceType"] = previous;
        if (input.SourceEventId is { } id) evidence["eventId"] = id;
        var subject = $"{input.ResourceType} {BaselineVerdict.Clip(input.ResourceId)}";
        yield return new Evaluation
        {
            Rule = rule,
            Outcome = outcome.Value,
            ResourceId = KeyFor(input),
            ResourceType = input.ResourceType,
            AccountId = input.AccountId,
            Region = input.Region,
            SubKey = input.ConfigRuleName,
            SeverityOverride = outcome == Outcome.Finding ? managed.Severity : null,
            Message = outcome == Outcome.Finding
                ? $"{managed.Title}: AWS Config rule {input.ConfigRuleName} ({managed.Identifier}) finds {subject} NON_COMPLIANT"
                  + (string.IsNullOrWhiteSpace(input.Annotation) ? "" : $" ({BaselineVerdict.Clip(input.Annotation)})")
                : $"AWS Config rule {input.ConfigRuleName} finds {subject} {input.ComplianceType}",
            ClockStart = input.RecordedAt,
            ObservedAt = input.RecordedAt,
            Evidence = evidence,
        };
    }

    /// <summary>
    /// The resource key other drift findings use, where the compliance event's Config resource id allows building it
    /// (RDS and IAM user ids are internal ids CloudTrail never names, so those keep Config's type/id form).
    /// </summary>
    internal static string KeyFor(ConfigComplianceInput input) => input.ResourceType switch
    {
        "AWS::EC2::SecurityGroup" => ResourceKeys.SecurityGroup(input.Region, input.AccountId, input.ResourceId),
        "AWS::EC2::Volume" => ResourceKeys.Volume(input.Region, input.AccountId, input.ResourceId),
        "AWS::S3::Bucket" => ResourceKeys.Bucket(input.ResourceId),
        "AWS::DynamoDB::Table" => $"arn:aws:dynamodb:{input.Region}:{input.AccountId}:table/{input.ResourceId}",
        "AWS::CloudTrail::Trail" => ResourceKeys.Trail(input.Region, input.AccountId, input.ResourceId),
        _ => ResourceKeys.For(input.ResourceId, input.ResourceType, input.ResourceId),
    };
}
