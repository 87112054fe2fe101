using IsmsServerless.Engine;
using IsmsServerless.Heartbeats;
using IsmsServerless.Inputs;
using IsmsServerless.Model;

namespace IsmsServerless.Rules.Monitoring;

/// <summary>
/// No Amazon Inspector event for longer than <c>inspectorSilenceDays</c>. Inspector reports scans, coverage and
/// findings continuously while enabled; days of silence mean scanning was disabled or suspended, and "no open
/// vulnerabilities" would then be an absence of evidence.
/// </summary>
public sealed class InspectorSilentRule : IRule<HeartbeatInput>
{
    public RuleMetadata Metadata { get; } = new(
        Id: "monitoring.inspector-silent",
        Title: "Amazon Inspector is disabled (no Inspector events)",
        Category: Category.Monitoring,
        Severity: Severity.High,
        ResourceType: "AWS::::Account",
        PolicyClause: "Qwestly Operations Security Policy, Vulnerability Management: \"Automated vulnerability scanning where possible\"; PROC-002 System monitoring: \"responsible for monitoring all vulnerabilities of applications and other systems\"",
        Controls: [Controls.IsoVulnerabilities, Controls.IsoMonitoring, Controls.Soc2ConfigurationMonitoring],
        Risk: "With Inspector off, new vulnerabilities are not found, so the patch SLA clock never starts.",
        Remediation: "Run `aws inspector2 batch-get-account-status`; re-enable scanning with `aws inspector2 enable --resource-types EC2 ECR LAMBDA`, or set inspectorSilenceDays to 0 if the account deliberately uses another scanner.")
    {
        Sla = TimeSpan.FromDays(3),
    };

    public IEnumerable<Evaluation> Evaluate(HeartbeatInput input, EvaluationContext context) =>
        Silence.Judge(Metadata, input, HeartbeatSources.Inspector, TimeSpan.FromDays(context.Settings.InspectorSilenceDays), context.Now,
            "Inspector may be disabled or its events no longer reach IsmsServerless");
}
