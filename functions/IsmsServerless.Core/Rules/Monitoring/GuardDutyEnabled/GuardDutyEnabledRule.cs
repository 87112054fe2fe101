using IsmsServerless.Engine;
using IsmsServerless.Inputs;
using IsmsServerless.Model;
using IsmsServerless.Rules.Backup;

namespace IsmsServerless.Rules.Monitoring;

/// <summary>
/// GuardDuty must be enabled in every account and region in scope (AWS managed Config rule
/// <c>GUARDDUTY_ENABLED_CENTRALIZED</c>): it is the anti-malware control for the cloud servers (Malware Protection,
/// Runtime Monitoring) and the incident detector. NON_COMPLIANT is a finding on the account and region; COMPLIANT
/// resolves it. Off when <c>antiMalware.guardDutyRequired</c> is false.
/// </summary>
public sealed class GuardDutyEnabledRule : IRule<ConfigComplianceInput>
{
    public RuleMetadata Metadata { get; } = new(
        Id: "monitoring.guard-duty-enabled",
        Title: "GuardDuty is not enabled in the account and region",
        Category: Category.Monitoring,
        Severity: Severity.High,
        ResourceType: "AWS::::Account",
        PolicyClause: AntiMalwarePolicy.Clause,
        Controls: AntiMalwarePolicy.Controls,
        Risk: "Without GuardDuty, malware on the servers and attacks on the account raise no finding and open no incident.",
        Remediation: "Enable GuardDuty (`aws guardduty create-detector --enable`) with Malware Protection for EC2 and Runtime Monitoring, in every region in use, ideally from the delegated administrator account.")
    {
        Sla = TimeSpan.FromDays(3),
    };

    public IEnumerable<Evaluation> Evaluate(ConfigComplianceInput input, EvaluationContext context)
    {
        if (!context.Settings.AntiMalware.GuardDutyRequired) yield break;
        var rule = BackupConfigRules.Find(input.ConfigRuleName);
        if (rule is null || !rule.AntiMalware) yield break;
        var outcome = input.ComplianceType.ToUpperInvariant() switch
        {
            "NON_COMPLIANT" => Outcome.Finding,
            "COMPLIANT" => Outcome.Compliant,
            _ => (Outcome?)null,
        };
        if (outcome is null) yield break;
        var evidence = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["configRuleName"] = input.ConfigRuleName,
            ["complianceType"] = input.ComplianceType,
        };
        if (input.Annotation is { } annotation) evidence["annotation"] = annotation;
        if (input.SourceEventId is { } id) evidence["eventId"] = id;
        yield return new Evaluation
        {
            Rule = Metadata,
            Outcome = outcome.Value,
            ResourceId = $"guardduty/{input.AccountId}/{input.Region}",
            ResourceType = "AWS::GuardDuty::Detector",
            AccountId = input.AccountId,
            Region = input.Region,
            Message = outcome == Outcome.Finding
                ? $"GuardDuty is not enabled in account {input.AccountId}, {input.Region} ({input.ConfigRuleName}{(input.Annotation is null ? "" : ": " + input.Annotation)})"
                : $"GuardDuty is enabled in account {input.AccountId}, {input.Region}",
            ClockStart = outcome == Outcome.Finding ? input.RecordedAt ?? input.ObservedAt : null,
            ObservedAt = input.RecordedAt ?? input.ObservedAt,
            Evidence = evidence,
        };
    }
}
