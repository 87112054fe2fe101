using Amazon.CDK;
using Amazon.CDK.AWS.Events;
using Amazon.CDK.AWS.Events.Targets;
using Amazon.CDK.AWS.KMS;
using Amazon.CDK.AWS.Lambda;
using Amazon.CDK.AWS.SQS;
using Constructs;
using IsmsServerless.Functions;

namespace IsmsServerless.Infra.Constructs;

public sealed class EventIngestionProps
{
    public required IsmsFunctionFactory Functions { get; init; }
    public required FindingsLedger Ledger { get; init; }
    public required Alerting Alerting { get; init; }
    public required IKey EncryptionKey { get; init; }
    public required Duration SweepInterval { get; init; }
}

/// <summary>
/// The triggers: one EventBridge rule per source, each delivering to the ingest function with retries and a
/// dead-letter queue, so an event that cannot be delivered is kept, not lost.
/// </summary>
public sealed class EventIngestion : Construct
{
    public Function IngestFunction { get; }

    /// <summary>The scheduled sweep (SLA escalation, waiver expiry, other areas' periodic steps).</summary>
    public Function SweepFunction { get; }
    public Queue DeadLetterQueue { get; }

    public EventIngestion(Construct scope, string id, EventIngestionProps props) : base(scope, id)
    {
        DeadLetterQueue = new Queue(this, "DeadLetters", new QueueProps
        {
            Encryption = QueueEncryption.KMS,
            EncryptionMasterKey = props.EncryptionKey,
            EnforceSSL = true,
            RetentionPeriod = Duration.Days(14),
        });
        Security.CdkNag.Suppress(DeadLetterQueue, "AwsSolutions-SQS3",
            "This queue is the dead-letter queue of the EventBridge rule targets that invoke the ingest and sweep functions "
            + "(Targets[].DeadLetterConfig); cdk-nag recognises only SQS redrive policies as dead-letter use. Its depth has an alarm.");

        IngestFunction = props.Functions.Create<EventIngestFunction>(this, "IngestFunction", nameof(EventIngestFunction.HandleAsync), new FunctionOptions
        {
            Description = "Evaluates CloudTrail, Config, Inspector and SSM events against the ISMS rules",
            Environment = { ["TABLE_NAME"] = props.Ledger.Table.TableName },
        });
        props.Ledger.GrantReadWrite(IngestFunction);

        var target = new LambdaFunction(IngestFunction, new LambdaFunctionProps
        {
            DeadLetterQueue = DeadLetterQueue,
            RetryAttempts = 4,
            MaxEventAge = Duration.Hours(6),
        });

        Rule("ConfigEvents", "AWS Config item and rule compliance changes", new EventPattern
        {
            Source = ["aws.config"],
            DetailType = ["Config Configuration Item Change", "Config Rules Compliance Change"],
        }, target);
        // Sources starting "aws." cannot be sent with PutEvents: requiring them means nobody in the account can forge a
        // CloudTrail event to register a fake change, hide one, or resolve a finding with a made-up StartLogging.
        Rule("CloudTrailApiCalls", "Mutating AWS API calls recorded by CloudTrail", new EventPattern
        {
            Source = Match.Prefix("aws."),
            DetailType = ["AWS API Call via CloudTrail"],
        }, target);
        Rule("ConsoleSignIns", "Console sign-ins (successes and failures) recorded by CloudTrail", new EventPattern
        {
            Source = ["aws.signin"],
            // Real events spell it "Sign In"; the EventBridge guide writes "Signin". Match both.
            DetailType = ["AWS Console Sign In via CloudTrail", "AWS Console Signin via CloudTrail"],
        }, target);

        SweepFunction = props.Functions.Create<SweepFunction>(this, "SweepFunction", nameof(Functions.SweepFunction.HandleAsync), new FunctionOptions
        {
            Description = "Scheduled sweep: SLA escalation, waiver expiry, review deadlines, heartbeats, trend snapshot",
            Timeout = Duration.Minutes(5),
            // No reserved concurrency (new accounts cannot reserve any below their 10 unreserved): overlapping
            // sweeps are safe, the ledger's conditional writes let exactly one of them take each transition.
            Environment = { ["TABLE_NAME"] = props.Ledger.Table.TableName },
        });
        props.Ledger.GrantReadWrite(SweepFunction);

        _ = new Rule(this, "SweepSchedule", new RuleProps
        {
            Description = "Scheduled sweep: SLA escalation, waiver expiry, review deadlines, heartbeats",
            Schedule = Schedule.Rate(props.SweepInterval),
            Targets =
            [
                new LambdaFunction(SweepFunction, new LambdaFunctionProps
                {
                    DeadLetterQueue = DeadLetterQueue,
                    RetryAttempts = 2,
                    // A sweep older than its interval is superseded by the next one.
                    MaxEventAge = Duration.Seconds(Math.Max(60, props.SweepInterval.ToSeconds())),
                }),
            ],
        });
    }

    private void Rule(string id, string description, EventPattern pattern, IRuleTarget target) =>
        _ = new Rule(this, id, new RuleProps { Description = description, EventPattern = pattern, Targets = [target] });
}
