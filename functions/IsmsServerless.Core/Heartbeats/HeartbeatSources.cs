using IsmsServerless.Events;

namespace IsmsServerless.Heartbeats;

/// <summary>
/// The event sources whose silence is itself a finding, and how an inbound event maps onto one. Names are stable:
/// they are part of the heartbeat items' sort keys (<c>SOURCE#&lt;source&gt;#&lt;account&gt;#&lt;region&gt;</c>).
/// </summary>
public static class HeartbeatSources
{
    /// <summary>Any <c>aws.config</c> event: item changes, rule compliance changes, history and snapshot delivery status.</summary>
    public const string Config = "aws.config";

    /// <summary>Any CloudTrail record: EventBridge API-call and sign-in events, single records and log files.</summary>
    public const string CloudTrail = "cloudtrail";

    /// <summary>Any <c>aws.inspector2</c> event: findings, scans, coverage.</summary>
    public const string Inspector = "aws.inspector2";

    /// <summary>Any <c>aws.backup</c> event: backup, copy and restore jobs, recovery points.</summary>
    public const string Backup = "aws.backup";

    /// <summary>Written by the sweep itself on every run.</summary>
    public const string Sweep = "isms.sweep";

    /// <summary>The sources a sweep expects to hear from (the sweep's own heartbeat is judged separately).</summary>
    public static IReadOnlyList<string> Watched { get; } = [Config, CloudTrail, Inspector, Backup];

    /// <summary>
    /// The heartbeat source an event proves alive, or null when its source is not watched. CloudTrail events reach
    /// EventBridge under the calling service's source (<c>aws.s3</c>, <c>aws.iam</c>...), so they are recognised by
    /// detail-type, not source.
    /// </summary>
    public static string? Classify(InboundKind kind, string? source, string? detailType)
    {
        if (kind is InboundKind.CloudTrailRecord or InboundKind.CloudTrailLogFile) return CloudTrail;
        if (kind == InboundKind.ConfigRuleInvocation) return Config;
        if (detailType is "AWS API Call via CloudTrail" or "AWS Console Sign In via CloudTrail"
            or "AWS Service Event via CloudTrail") return CloudTrail;
        return source switch
        {
            Config => Config,
            Inspector => Inspector,
            Backup => Backup,
            _ => null,
        };
    }
}
