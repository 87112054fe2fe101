using Amazon.CDK;
using Amazon.CDK.AWS.Events;
using Amazon.CDK.AWS.Events.Targets;
using Amazon.CDK.AWS.Lambda;
using Amazon.CDK.AWS.SQS;
using Constructs;

namespace IsmsServerless.Infra.Constructs;

public sealed class HeartbeatSignalsProps
{
    public required IFunction IngestFunction { get; init; }
    public required IQueue DeadLetterQueue { get; init; }
}

/// <summary>
/// Events that carry no finding but prove a source is alive, routed to the ingest function so it records heartbeats:
/// Config's periodic history and snapshot delivery (every six hours while the recorder runs) and Inspector's scan and
/// coverage events. Without them a quiet but healthy account would look like a stopped recorder.
/// </summary>
public sealed class HeartbeatSignals : Construct
{
    public HeartbeatSignals(Construct scope, string id, HeartbeatSignalsProps props) : base(scope, id)
    {
        var target = new LambdaFunction(props.IngestFunction, new LambdaFunctionProps
        {
            DeadLetterQueue = props.DeadLetterQueue,
            RetryAttempts = 4,
            MaxEventAge = Duration.Hours(6),
        });
        _ = new Rule(this, "ConfigDelivery", new RuleProps
        {
            Description = "Heartbeat: AWS Config history and snapshot delivery status",
            EventPattern = new EventPattern
            {
                Source = ["aws.config"],
                DetailType = ["Config Configuration History Delivery Status", "Config Configuration Snapshot Delivery Status"],
            },
            Targets = [target],
        });
        _ = new Rule(this, "InspectorActivity", new RuleProps
        {
            Description = "Heartbeat: Amazon Inspector scans and coverage changes",
            EventPattern = new EventPattern
            {
                Source = ["aws.inspector2"],
                DetailType = ["Inspector2 Scan", "Inspector2 Coverage"],
            },
            Targets = [target],
        });
    }
}
