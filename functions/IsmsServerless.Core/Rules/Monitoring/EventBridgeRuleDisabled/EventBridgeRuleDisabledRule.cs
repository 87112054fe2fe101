using System.Text.Json;
using IsmsServerless.Engine;
using IsmsServerless.Inputs;
using IsmsServerless.Model;

namespace IsmsServerless.Rules.Monitoring;

/// <summary>
/// Someone disabled, deleted or emptied one of this deployment's own EventBridge rules (names starting with one of
/// <c>ownRuleNamePrefixes</c>): the quietest way to blind a monitoring system. Re-enabling the rule (EnableRule, or
/// PutRule with state ENABLED, as a redeploy does) resolves the finding. If the rule that carries CloudTrail events is
/// the one disabled, this event may never arrive: the silence rules catch that case.
/// </summary>
public sealed class EventBridgeRuleDisabledRule : IRule<CloudTrailInput>, IKeyedRule<CloudTrailInput>
{
    public RuleMetadata Metadata { get; } = new(
        Id: "monitoring.event-bridge-rule-disabled",
        Title: "An IsmsServerless EventBridge rule was disabled or deleted",
        Category: Category.Monitoring,
        Severity: Severity.High,
        ResourceType: "AWS::Events::Rule",
        PolicyClause: "PROC-002: \"The IT Director must regularly ensure the monitoring and testing of implemented controls.\"; Qwestly Security Monitoring: \"Track administrative actions\"",
        Controls: [Controls.IsoMonitoring, Controls.IsoLogging, Controls.Soc2AnomalyMonitoring],
        Risk: "A disabled trigger silently stops the evaluation of every event it carried.",
        Remediation: "Confirm who changed the rule and why; re-enable it (`aws events enable-rule --name <rule>`) or redeploy the stack (`cdk deploy`).")
    {
        Sla = TimeSpan.FromDays(1),
    };

    /// <summary>Only calls to events.amazonaws.com (the first check of the CloudTrail evaluation below).</summary>
    IReadOnlyList<string> IKeyedRule<CloudTrailInput>.DispatchKeys { get; } = ["events.amazonaws.com"];

    public IEnumerable<Evaluation> Evaluate(CloudTrailInput input, EvaluationContext context)
    {
        if (input.EventSource != "events.amazonaws.com" || input.Failed) yield break;
        var request = input.Record.RequestParameters;
        bool? disabled = input.EventName switch
        {
            "DisableRule" or "DeleteRule" or "RemoveTargets" => true,
            "EnableRule" => false,
            // PutRule is how CloudFormation creates and updates rules; only an explicit DISABLED state disables one.
            "PutRule" => Text(request, "state") is { } state ? string.Equals(state, "DISABLED", StringComparison.OrdinalIgnoreCase) : null,
            _ => null,
        };
        if (disabled is null) yield break;
        // RemoveTargets names the rule "rule"; the other calls name it "name".
        var name = Text(request, "name") ?? Text(request, "rule");
        if (name is null || !context.Settings.OwnRuleNamePrefixes.Any(p => name.StartsWith(p, StringComparison.Ordinal))) yield break;
        var bus = Text(request, "eventBusName");
        var ruleArn = bus is null or "default"
            ? $"arn:aws:events:{input.Region}:{input.AccountId}:rule/{name}"
            : $"arn:aws:events:{input.Region}:{input.AccountId}:rule/{bus}/{name}";
        yield return new Evaluation
        {
            Rule = Metadata,
            Outcome = disabled.Value ? Outcome.Finding : Outcome.Compliant,
            ResourceId = ruleArn,
            ResourceType = Metadata.ResourceType,
            AccountId = input.AccountId,
            Region = input.Region,
            Message = disabled.Value
                ? $"{input.Actor} called {input.EventName} on IsmsServerless rule {name}: the events it carries are no longer evaluated"
                : $"IsmsServerless rule {name} is enabled again ({input.EventName} by {input.Actor})",
            ClockStart = input.ObservedAt,
            ObservedAt = input.ObservedAt,
            Evidence = input.Evidence(extra: 0),
        };
    }

    private static string? Text(JsonElement element, string property) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String
            ? Present.OrNull(value.GetString())
            : null;
}
