using IsmsServerless.Engine;
using IsmsServerless.Inputs;
using IsmsServerless.Model;

namespace IsmsServerless.Rules.Monitoring;

/// <summary>
/// GuardDuty Runtime Monitoring coverage (PROC-002 Antivirus protection): an "Unhealthy" coverage event for an EC2
/// instance or an ECS/EKS cluster is a finding on that resource (GuardDuty can no longer see its runtime behaviour, so
/// no malware or runtime threat finding will come from it); the "Healthy" event for the same resource resolves it.
/// </summary>
public sealed class RuntimeCoverageUnhealthyRule : IRule<RuntimeCoverageInput>
{
    public RuleMetadata Metadata { get; } = new(
        Id: "monitoring.runtime-coverage-unhealthy",
        Title: "GuardDuty Runtime Monitoring coverage unhealthy",
        Category: Category.Monitoring,
        Severity: Severity.High,
        ResourceType: "AWS::GuardDuty::RuntimeCoverage",
        PolicyClause: AntiMalwarePolicy.Clause,
        Controls: AntiMalwarePolicy.Controls,
        Risk: "An instance or cluster GuardDuty cannot monitor has no runtime malware detection, and nothing else says so.",
        Remediation: "Open GuardDuty > Runtime coverage, read the issue for the resource and follow AWS's troubleshooting for it (agent deployed and running, GuardDuty VPC endpoint present and resolvable, guardduty:SendSecurityTelemetry not blocked).")
    {
        Sla = TimeSpan.FromDays(3),
    };

    public IEnumerable<Evaluation> Evaluate(RuntimeCoverageInput input, EvaluationContext context)
    {
        var evidence = new Dictionary<string, string>(StringComparer.Ordinal) { ["coveredType"] = input.CoveredType };
        if (input.PreviousStatus is { } previous) evidence["previousStatus"] = previous;
        if (input.Issue is { } issue) evidence["issue"] = issue;
        if (input.SourceEventId is { } eventId) evidence["eventId"] = eventId;
        yield return new Evaluation
        {
            Rule = Metadata,
            Outcome = input.Healthy ? Outcome.Compliant : Outcome.Finding,
            ResourceId = $"guardduty-runtime/{input.CoveredType}/{input.ResourceId}",
            ResourceType = Metadata.ResourceType,
            AccountId = input.AccountId,
            Region = input.Region,
            Message = input.Healthy
                ? $"GuardDuty Runtime Monitoring coverage of {input.CoveredType} {input.ResourceId} is healthy"
                : $"GuardDuty Runtime Monitoring cannot monitor {input.CoveredType} {input.ResourceId}{(input.Issue is { } why ? $": {why}" : "")}",
            ClockStart = input.Healthy ? null : input.ObservedAt,
            ObservedAt = input.ObservedAt,
            Evidence = evidence,
        };
    }
}
