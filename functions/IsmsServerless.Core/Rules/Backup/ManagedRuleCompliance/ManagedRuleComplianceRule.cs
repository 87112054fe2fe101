using IsmsServerless.Engine;
using IsmsServerless.Inputs;
using IsmsServerless.Model;

namespace IsmsServerless.Rules.Backup;

/// <summary>
/// AWS managed Config rules for backups (<see cref="BackupConfigRules"/>): a NON_COMPLIANT verdict is a backup finding
/// on the resource (e.g. a resource in no backup plan), COMPLIANT or NOT_APPLICABLE resolves it. One finding per resource
/// and Config rule.
/// </summary>
public sealed class ManagedRuleComplianceRule : IRule<ConfigComplianceInput>
{
    public RuleMetadata Metadata { get; } = new(
        Id: "backup.managed-rule-compliance",
        Title: "AWS Backup managed Config rule reports the resource non-compliant",
        Category: Category.Backup,
        Severity: Severity.High,
        ResourceType: "AWS::::Account",
        PolicyClause: BackupPolicy.DailyBackups,
        Controls: BackupPolicy.Controls,
        Risk: "Critical data outside a daily backup plan, or with no recent recovery point, cannot be restored after a loss.",
        Remediation: "Add the resource to a backup plan's selection (by tag or ARN) with a daily rule and a cross-region copy; check the plan's frequency and retention.")
    {
        Sla = TimeSpan.FromDays(3),
    };

    public IEnumerable<Evaluation> Evaluate(ConfigComplianceInput input, EvaluationContext context)
    {
        var rule = BackupConfigRules.Find(input.ConfigRuleName);
        if (rule is null || rule.AntiMalware) yield break;
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
            ["managedRuleIdentifier"] = rule.Identifier,
            ["complianceType"] = input.ComplianceType,
        };
        if (input.Annotation is { } annotation) evidence["annotation"] = annotation;
        if (input.SourceEventId is { } id) evidence["eventId"] = id;
        yield return new Evaluation
        {
            Rule = Metadata,
            Outcome = outcome.Value,
            ResourceId = Drift.ManagedConfigRuleComplianceRule.KeyFor(input),
            ResourceType = input.ResourceType,
            AccountId = input.AccountId,
            Region = input.Region,
            SubKey = rule.Identifier,
            SeverityOverride = outcome == Outcome.Finding ? rule.Severity : null,
            Message = outcome == Outcome.Finding
                ? $"{rule.Title}: {input.ResourceType} {input.ResourceId} ({input.ConfigRuleName}{(input.Annotation is null ? "" : ": " + input.Annotation)})"
                : $"{input.ResourceType} {input.ResourceId} passes {input.ConfigRuleName}",
            ClockStart = outcome == Outcome.Finding ? input.RecordedAt ?? input.ObservedAt : null,
            ObservedAt = input.RecordedAt ?? input.ObservedAt,
            Evidence = evidence,
        };
    }
}
