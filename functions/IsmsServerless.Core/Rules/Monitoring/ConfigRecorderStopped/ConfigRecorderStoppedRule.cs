using System.Text.Json;
using IsmsServerless.Engine;
using IsmsServerless.Inputs;
using IsmsServerless.Model;

namespace IsmsServerless.Rules.Monitoring;

/// <summary>
/// The AWS Config recorder stopped or deleted, or its delivery channel deleted: drift detection stops seeing changes.
/// Failed calls changed nothing and are not reported; <c>StartConfigurationRecorder</c> resolves the "stopped" finding.
/// </summary>
public sealed class ConfigRecorderStoppedRule : IRule<CloudTrailInput>, IKeyedRule<CloudTrailInput>
{
    public RuleMetadata Metadata { get; } = new(
        Id: "monitoring.config-recorder-stopped",
        Title: "AWS Config recorder stopped or deleted",
        Category: Category.Monitoring,
        Severity: Severity.High,
        ResourceType: "AWS::Config::ConfigurationRecorder",
        PolicyClause: "PROC-002 System monitoring: \"The IT Director is responsible for monitoring applied configurations on devices and systems against approved documented settings\"",
        Controls: [Controls.IsoConfiguration, Controls.IsoMonitoring, Controls.Soc2ConfigurationMonitoring, Controls.Soc2AnomalyMonitoring],
        Risk: "With the recorder off, configuration drift and insecure changes go unrecorded and undetected.",
        Remediation: "Restart the recorder (aws configservice start-configuration-recorder --configuration-recorder-name default), restore the delivery channel from code, and deny config:Stop*/Delete* by SCP.")
    {
        Sla = TimeSpan.FromDays(1),
    };

    /// <summary>Only calls to config.amazonaws.com (the first check of the CloudTrail evaluation below).</summary>
    IReadOnlyList<string> IKeyedRule<CloudTrailInput>.DispatchKeys { get; } = ["config.amazonaws.com"];

    public IEnumerable<Evaluation> Evaluate(CloudTrailInput input, EvaluationContext context)
    {
        if (input.EventSource != "config.amazonaws.com" || input.Failed) yield break;
        var (subKey, outcome, what, nameKey, kind) = input.EventName switch
        {
            "StopConfigurationRecorder" => ("recorder-stopped", Outcome.Finding, "stopped", "configurationRecorderName", "config-recorder"),
            "DeleteConfigurationRecorder" => ("recorder-deleted", Outcome.Finding, "deleted", "configurationRecorderName", "config-recorder"),
            "DeleteDeliveryChannel" => ("delivery-channel-deleted", Outcome.Finding, "deleted delivery channel", "deliveryChannelName", "delivery-channel"),
            "StartConfigurationRecorder" => ("recorder-stopped", Outcome.Compliant, "started", "configurationRecorderName", "config-recorder"),
            _ => ((string?)null, Outcome.Ignored, "", "", ""),
        };
        if (subKey is null) yield break;
        var parameters = input.Record.RequestParameters;
        var name = parameters.ValueKind == JsonValueKind.Object && parameters.TryGetProperty(nameKey, out var n) && n.ValueKind == JsonValueKind.String
            ? Present.OrNull(n.GetString()) : null;
        name = string.IsNullOrWhiteSpace(name) ? "default" : name.Length > 256 ? name[..256] : name;
        // Findings key on the recorder: deleting the delivery channel breaks the recorder's output.
        var resource = $"arn:aws:config:{input.Region}:{input.AccountId}:{kind}/{name}";
        yield return new Evaluation
        {
            Rule = Metadata,
            Outcome = outcome,
            ResourceId = resource,
            ResourceType = kind == "delivery-channel" ? "AWS::Config::DeliveryChannel" : Metadata.ResourceType,
            AccountId = input.AccountId,
            Region = input.Region,
            SubKey = subKey,
            Message = $"{input.Actor} {what} {kind} '{name}' in {input.Region}",
            ClockStart = input.ObservedAt,
            ObservedAt = input.ObservedAt,
            Evidence = input.Evidence(),
        };
    }
}
