using IsmsServerless.Engine;
using IsmsServerless.Heartbeats;
using IsmsServerless.Inputs;
using IsmsServerless.Model;

namespace IsmsServerless.Rules.Monitoring;

/// <summary>
/// No CloudTrail event for longer than <c>cloudTrailSilenceHours</c>. Every change, sign-in and emergency-access rule
/// depends on CloudTrail; an account where nobody and nothing calls a mutating API for a day is rare enough that
/// silence most likely means the trail stopped logging (StopLogging, DeleteTrail) or our rule stopped firing.
/// </summary>
public sealed class CloudTrailSilentRule : IRule<HeartbeatInput>
{
    public RuleMetadata Metadata { get; } = new(
        Id: "monitoring.cloud-trail-silent",
        Title: "CloudTrail is not logging (no CloudTrail events)",
        Category: Category.Monitoring,
        Severity: Severity.Critical,
        ResourceType: "AWS::CloudTrail::Trail",
        PolicyClause: "Qwestly Operations Security Policy, AWS Security Basics: \"Enable CloudTrail logging for all activities\"; PROC-002 System monitoring: \"Logs must be kept for all administrators and system operators on sensitive systems\"",
        Controls: [Controls.IsoLogging, Controls.IsoMonitoring, Controls.Soc2AnomalyMonitoring, Controls.Soc2ConfigurationMonitoring],
        Risk: "Without CloudTrail, administrative actions, emergency access and manual changes leave no evidence and raise no finding.",
        Remediation: "Run `aws cloudtrail get-trail-status --name <trail>`; `start-logging` if IsLogging is false, recreate a deleted trail (context createCloudTrail), and check the IsmsServerless EventBridge rules are enabled.")
    {
        Sla = TimeSpan.FromDays(1),
    };

    public IEnumerable<Evaluation> Evaluate(HeartbeatInput input, EvaluationContext context) =>
        Silence.Judge(Metadata, input, HeartbeatSources.CloudTrail, TimeSpan.FromHours(context.Settings.CloudTrailSilenceHours), context.Now,
            "CloudTrail may have stopped logging or its events no longer reach IsmsServerless");
}
