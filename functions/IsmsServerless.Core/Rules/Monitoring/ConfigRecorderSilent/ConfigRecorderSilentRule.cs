using IsmsServerless.Engine;
using IsmsServerless.Heartbeats;
using IsmsServerless.Inputs;
using IsmsServerless.Model;

namespace IsmsServerless.Rules.Monitoring;

/// <summary>
/// No AWS Config event for longer than <c>configSilenceHours</c>. A recording Config delivers configuration history
/// every six hours and item changes as they happen, so a long silence means the recorder is stopped, its delivery
/// channel is gone, or our EventBridge rule no longer fires: every drift rule is then blind. There is no
/// ConfigService SDK call here by design: silence is observed, not polled.
/// </summary>
public sealed class ConfigRecorderSilentRule : IRule<HeartbeatInput>
{
    public RuleMetadata Metadata { get; } = new(
        Id: "monitoring.config-recorder-silent",
        Title: "AWS Config recorder is off (no Config events)",
        Category: Category.Monitoring,
        Severity: Severity.High,
        ResourceType: "AWS::Config::ConfigurationRecorder",
        PolicyClause: "PROC-002 System monitoring: \"The IT Director is responsible for monitoring applied configurations on devices and systems against approved documented settings\"",
        Controls: [Controls.IsoConfiguration, Controls.IsoMonitoring, Controls.Soc2ConfigurationMonitoring],
        Risk: "Without the Config recorder, configuration drift goes unseen: silence would read as compliance.",
        Remediation: "Run `aws configservice describe-configuration-recorder-status`; start the recorder (`start-configuration-recorder`) and check the delivery channel, or enable the IsmsServerless EventBridge rule for aws.config.")
    {
        Sla = TimeSpan.FromDays(1),
    };

    public IEnumerable<Evaluation> Evaluate(HeartbeatInput input, EvaluationContext context) =>
        Silence.Judge(Metadata, input, HeartbeatSources.Config, TimeSpan.FromHours(context.Settings.ConfigSilenceHours), context.Now,
            "the Config recorder may be stopped or its events no longer reach IsmsServerless");
}
