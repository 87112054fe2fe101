using Amazon.CDK;
using Amazon.CDK.AWS.Events;
using Amazon.CDK.AWS.Events.Targets;
using Constructs;

namespace IsmsServerless.Infra.Constructs;

public sealed class BackupAndIncidentSignalsProps
{
    /// <summary>The ingestion construct whose function evaluates the events (and whose dead-letter queue keeps failures).</summary>
    public required EventIngestion Ingestion { get; init; }
}

/// <summary>
/// Backup and incident-response triggers: EventBridge rules for AWS Backup job and recovery point state changes,
/// GuardDuty findings and Security Hub imported findings (ASFF and OCSF), delivered to the ingest function with the same
/// retries and dead-letter queue as the other sources. No new permission: the events carry everything the rules judge.
/// </summary>
public sealed class BackupAndIncidentSignals : Construct
{
    /// <summary>The event patterns, by rule id; the forwarder stack forwards the same sources from member accounts.</summary>
    public static IReadOnlyDictionary<string, (string Source, string[] DetailTypes, string Description)> Rules { get; } =
        new Dictionary<string, (string, string[], string)>
        {
            ["BackupJobs"] = ("aws.backup", ["Backup Job State Change", "Copy Job State Change", "Restore Job State Change", "Recovery Point State Change"],
                "AWS Backup job and recovery point state changes (backup SLA, cross-region copy, restore tests, encryption)"),
            ["GuardDutyFindings"] = ("aws.guardduty", ["GuardDuty Finding", "GuardDuty Runtime Protection Unhealthy", "GuardDuty Runtime Protection Healthy"],
                "GuardDuty findings (incidents at or above the threshold) and Runtime Monitoring coverage changes (anti-malware coverage)"),
            ["GuardDutyMalwareScans"] = ("aws.guardduty", ["GuardDuty Malware Protection Object Scan Result", "GuardDuty Malware Protection Resource Status Warning", "GuardDuty Malware Protection Resource Status Error"],
                "GuardDuty Malware Protection for S3: object scan results (malware found, skipped or failed scans) and protection plan status"),
            ["SecurityHubFindings"] = ("aws.securityhub", ["Security Hub Findings - Imported", "Findings Imported V2"],
                "Security Hub imported findings, ASFF and OCSF (incidents at or above the threshold)"),
        };

    public BackupAndIncidentSignals(Construct scope, string id, BackupAndIncidentSignalsProps props) : base(scope, id)
    {
        var target = new LambdaFunction(props.Ingestion.IngestFunction, new LambdaFunctionProps
        {
            DeadLetterQueue = props.Ingestion.DeadLetterQueue,
            RetryAttempts = 4,
            MaxEventAge = Duration.Hours(6),
        });
        foreach (var (ruleId, (source, detailTypes, description)) in Rules)
        {
            _ = new Rule(this, ruleId, new RuleProps
            {
                Description = description,
                EventPattern = new EventPattern { Source = [source], DetailType = detailTypes },
                Targets = [target],
            });
        }
    }
}
