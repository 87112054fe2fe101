using Amazon.CDK;
using Amazon.CDK.AWS.CloudWatch;
using Amazon.CDK.AWS.Events;
using Amazon.CDK.AWS.Events.Targets;
using Amazon.CDK.AWS.IAM;
using Amazon.CDK.AWS.SQS;
using Constructs;
using EventBus = Amazon.CDK.AWS.Events.EventBus;

namespace IsmsServerless.Infra;

public sealed class IsmsForwarderStackProps : StackProps
{
    public required string CentralAccountId { get; init; }

    /// <summary>Null: the central bus is in the region this stack is deployed to.</summary>
    public string? CentralRegion { get; init; }
}

/// <summary>
/// Deployed in each member account (StackSets or per-account <c>cdk deploy</c>; see docs/deploy.md): forwards the
/// events IsmsServerless evaluates to the central account's default bus, where the central stack's rules pick them
/// up as if they happened there. Holds no data and no function; a role that may only put events on that one bus,
/// and a dead-letter queue for events the central bus refused. Environment-agnostic so one template fits every account.
/// </summary>
public sealed class IsmsForwarderStack : Stack
{
    /// <summary>The forwarded event patterns, by rule id: what the central rules and adapters consume.</summary>
    public static IReadOnlyDictionary<string, EventPattern> Patterns { get; } = new Dictionary<string, EventPattern>
    {
        ["Config"] = new() { Source = ["aws.config"] },
        ["CloudTrailApiCalls"] = new() { DetailType = ["AWS API Call via CloudTrail"] },
        ["ConsoleSignIns"] = new() { DetailType = ["AWS Console Sign In via CloudTrail"] },
        ["Inspector"] = new() { Source = ["aws.inspector2"] },
        ["SystemsManager"] = new() { Source = ["aws.ssm"] },
        ["Ec2StateChanges"] = new() { Source = ["aws.ec2"], DetailType = ["EC2 Instance State-change Notification"] },
        ["Backup"] = new() { Source = ["aws.backup"] },
        ["GuardDuty"] = new() { Source = ["aws.guardduty"], DetailType = ["GuardDuty Finding", "GuardDuty Runtime Protection Unhealthy", "GuardDuty Runtime Protection Healthy",
            "GuardDuty Malware Protection Object Scan Result", "GuardDuty Malware Protection Resource Status Warning", "GuardDuty Malware Protection Resource Status Error"] },
        ["SecurityHub"] = new() { Source = ["aws.securityhub"], DetailType = ["Security Hub Findings - Imported", "Findings Imported V2"] },
    };

    public IsmsForwarderStack(Construct scope, string id, IsmsForwarderStackProps props) : base(scope, id, props)
    {
        var region = props.CentralRegion ?? Region;
        var centralBusArn = $"arn:{Partition}:events:{region}:{props.CentralAccountId}:event-bus/default";
        var centralBus = EventBus.FromEventBusArn(this, "CentralBus", centralBusArn);

        var role = new Role(this, "ForwardRole", new RoleProps
        {
            AssumedBy = new ServicePrincipal("events.amazonaws.com"),
            Description = "IsmsServerless forwarder: puts this account's security events on the central bus",
        });
        role.AddToPrincipalPolicy(new PolicyStatement(new PolicyStatementProps
        {
            Actions = ["events:PutEvents"],
            Resources = [centralBusArn],
        }));

        // SQS-managed encryption, not a CMK: the queue only ever holds AWS service events already on the bus, and a
        // key per member account would cost more than the forwarder. SSL is still enforced.
        var deadLetters = new Queue(this, "DeadLetters", new QueueProps
        {
            Encryption = QueueEncryption.SQS_MANAGED,
            EnforceSSL = true,
            RetentionPeriod = Duration.Days(14),
        });
        Security.CdkNag.Suppress(deadLetters, "AwsSolutions-SQS3",
            "This queue is the dead-letter queue of the forwarding rules' event-bus targets (Targets[].DeadLetterConfig); "
            + "cdk-nag recognises only SQS redrive policies as dead-letter use. Its depth has an alarm in the member account.");
        // No alert topic lives in a member account; the alarm shows in its console and the central silence rules
        // (no events from this account) raise the finding.
        _ = new Alarm(this, "DeadLettersDepth", new AlarmProps
        {
            Metric = deadLetters.MetricApproximateNumberOfMessagesVisible(new MetricOptions { Period = Duration.Minutes(5), Statistic = "Maximum" }),
            Threshold = 0,
            ComparisonOperator = ComparisonOperator.GREATER_THAN_THRESHOLD,
            EvaluationPeriods = 1,
            TreatMissingData = TreatMissingData.NOT_BREACHING,
            AlarmDescription = "IsmsServerless forwarder: events the central bus did not accept; check its resource policy",
        });

        var target = new Amazon.CDK.AWS.Events.Targets.EventBus(centralBus, new Amazon.CDK.AWS.Events.Targets.EventBusProps
        {
            Role = role,
            DeadLetterQueue = deadLetters,
        });
        foreach (var (ruleId, pattern) in Patterns)
        {
            _ = new Rule(this, ruleId, new RuleProps
            {
                Description = $"IsmsServerless: forward {ruleId} events to the central account",
                EventPattern = pattern,
                Targets = [target],
            });
        }
    }
}
