using System.Text.Json;
using IsmsServerless.Engine;
using IsmsServerless.Inputs;
using IsmsServerless.Model;

namespace IsmsServerless.Rules.Monitoring;

/// <summary>
/// CloudTrail logging stopped, a trail deleted, or a trail or its event selectors changed. Stopping the audit trail is
/// the first move of an intruder covering tracks. A call that failed changed nothing and is not reported;
/// <c>StartLogging</c> on the trail is compliant and resolves the "logging stopped" finding.
/// </summary>
public sealed class TrailTamperingRule : IRule<CloudTrailInput>, IKeyedRule<CloudTrailInput>
{
    public RuleMetadata Metadata { get; } = new(
        Id: "monitoring.trail-tampering",
        Title: "CloudTrail logging stopped, deleted or changed",
        Category: Category.Monitoring,
        Severity: Severity.Critical,
        ResourceType: "AWS::CloudTrail::Trail",
        PolicyClause: "Qwestly Operations Security Policy, AWS Security Basics: \"Enable CloudTrail logging for all activities\"; PROC-002 System monitoring: \"Logs must be kept for all administrators and system operators on sensitive systems\"",
        Controls: [Controls.IsoLogging, Controls.IsoMonitoring, Controls.Soc2AnomalyMonitoring, Controls.Soc2ConfigurationMonitoring],
        Risk: "Without CloudTrail there is no record of who did what: every other detection here goes blind.",
        Remediation: "Restart logging (aws cloudtrail start-logging --name <trail>) or restore the trail from code, find who stopped it and why, and deny cloudtrail:StopLogging/DeleteTrail by SCP.")
    {
        Sla = TimeSpan.FromDays(1),
    };

    /// <summary>Only calls to cloudtrail.amazonaws.com (the first check of the CloudTrail evaluation below).</summary>
    IReadOnlyList<string> IKeyedRule<CloudTrailInput>.DispatchKeys { get; } = ["cloudtrail.amazonaws.com"];

    public IEnumerable<Evaluation> Evaluate(CloudTrailInput input, EvaluationContext context)
    {
        if (input.EventSource != "cloudtrail.amazonaws.com" || input.Failed) yield break;
        var (subKey, severity, what) = input.EventName switch
        {
            "StopLogging" => ("logging-stopped", Severity.Critical, "stopped logging on"),
            "DeleteTrail" => ("deleted", Severity.Critical, "deleted"),
            "UpdateTrail" => ("updated", Severity.High, "updated"),
            "PutEventSelectors" or "PutAdvancedEventSelectors" => ("selectors-changed", Severity.High, "changed the event selectors of"),
            "StartLogging" => ("logging-stopped", Severity.Informational, "started logging on"),
            _ => ((string?)null, Severity.Informational, ""),
        };
        if (subKey is null) yield break;
        var trail = TrailArn(input);
        yield return new Evaluation
        {
            Rule = Metadata,
            Outcome = input.EventName == "StartLogging" ? Outcome.Compliant : Outcome.Finding,
            SeverityOverride = input.EventName == "StartLogging" ? null : severity,
            ResourceId = trail,
            ResourceType = Metadata.ResourceType,
            AccountId = input.AccountId,
            Region = input.Region,
            SubKey = subKey,
            Message = $"{input.Actor} {what} trail {trail}" + (input.IsAwsService ? " (through an AWS service)" : ""),
            ClockStart = input.ObservedAt,
            ObservedAt = input.ObservedAt,
            Evidence = input.Evidence(extra: 0),
        };
    }

    /// <summary><c>requestParameters.name</c> is a trail name or ARN; the anonymised samples even carry account-like placeholders.</summary>
    private static string TrailArn(CloudTrailInput input)
    {
        var parameters = input.Record.RequestParameters;
        var name = parameters.ValueKind == JsonValueKind.Object && parameters.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String
            ? Present.OrNull(n.GetString())
            : null;
        if (string.IsNullOrWhiteSpace(name))
            name = parameters.ValueKind == JsonValueKind.Object && parameters.TryGetProperty("trailName", out var t) && t.ValueKind == JsonValueKind.String ? Present.OrNull(t.GetString()) : null;
        if (string.IsNullOrWhiteSpace(name)) return $"arn:aws:cloudtrail:{input.Region}:{input.AccountId}:trail/unknown";
        name = name.Length > 256 ? name[..256] : name;
        return name.StartsWith("arn:", StringComparison.Ordinal) ? name : $"arn:aws:cloudtrail:{input.Region}:{input.AccountId}:trail/{name}";
    }
}
