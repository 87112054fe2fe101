using System.Globalization;
using Amazon.CDK;
using Amazon.CDK.AWS.IAM;
using Amazon.CDK.AWS.KMS;
using Amazon.CDK.AWS.Lambda;
using Amazon.CDK.AWS.Lambda.EventSources;
using Amazon.CDK.AWS.Pipes;
using Amazon.CDK.AWS.SNS;
using Amazon.CDK.AWS.SNS.Subscriptions;
using Amazon.CDK.AWS.SQS;
using Constructs;
using IsmsServerless.Alerts;
using IsmsServerless.Functions;
using IsmsServerless.Infra.Security;
using IsmsServerless.Ledger;

namespace IsmsServerless.Infra.Constructs;

public sealed class AlertingProps
{
    public required IKey EncryptionKey { get; init; }
    public required FindingsLedger Ledger { get; init; }
    public required IsmsFunctionFactory Functions { get; init; }
}

/// <summary>
/// Alert delivery. The ledger writes one outbox item (<c>entityType = ALERT</c>) per alert-worthy transition;
/// an EventBridge Pipe reads the table's stream, keeps only those INSERTs, has its enrichment function render the
/// readable text (<see cref="AlertRenderFunction"/>, <see cref="AlertMessageFormat"/>; issue 20 wave 8: the item names its
/// rule's texts instead of carrying them) and publishes it to the encrypted topic, which fans out to email, SMS and an
/// SQS queue consumed by the Slack notifier. Every hop has retries and a dead-letter queue with an alarm on its depth.
/// </summary>
public sealed class Alerting : Construct
{
    /// <summary>Concurrent Slack notifier invocations. Each process paces itself to 1/N messages per second so the fleet stays at ~1/s per webhook.</summary>
    public const int SlackConsumerConcurrency = 2;

    public const int SlackMaxReceiveCount = 5;

    /// <summary>The partition keys the renderer may read: the rule texts alert items name (<c>RULETEXT#&lt;ruleId&gt;</c>).</summary>
    public const string RuleTextsKeyPattern = "RULETEXT#*";

    public static string StreamFilterPattern { get; } =
        """{"eventName":["INSERT"],"dynamodb":{"NewImage":{""" + "\"" + LedgerSchema.EntityType + "\"" + """:{"S":["ALERT"]}}}}""";

    public Topic Topic { get; }
    public Queue SlackQueue { get; }
    public Queue SlackDeadLetterQueue { get; }
    public Queue PipeDeadLetterQueue { get; }
    public Function SlackNotifier { get; }

    /// <summary>The Pipe's enrichment: renders each alert outbox item into the text SNS delivers.</summary>
    public Function AlertRenderer { get; }

    public CfnPipe Pipe { get; }

    /// <summary>
    /// The Slack queue and its dead-letter queue have their own key. With the
    /// <c>@aws-cdk/aws-sns-subscriptions:restrictSqsDescryption</c> flag, the queue subscription adds a key-policy
    /// statement for SNS conditioned on <c>aws:SourceArn</c> = the topic ARN; on the stack key, which also encrypts
    /// the topic, that is a reference cycle (key -> topic -> key) CloudFormation refuses. A key of its own keeps the
    /// SNS grant scoped to this one topic and breaks the cycle.
    /// </summary>
    public Key SlackQueueKey { get; }

    private readonly StackConfiguration _config;
    private readonly IKey _key;

    public Alerting(Construct scope, string id, AlertingProps props) : base(scope, id)
    {
        var config = _config = props.Functions.Configuration;
        var key = _key = props.EncryptionKey;
        var stack = Stack.Of(this);

        Topic = new Topic(this, "Topic", new TopicProps
        {
            DisplayName = "ISMS alerts",
            MasterKey = key,
            EnforceSSL = true,
        });
        // CloudWatch (alarm actions into the encrypted topic) uses the key as a service, on behalf of this account
        // only. SNS itself needs no statement here: it uses SlackQueueKey (below) to deliver into the Slack queue.
        key.AddToResourcePolicy(new PolicyStatement(new PolicyStatementProps
        {
            Sid = "AlertServicesUseKey",
            Principals = [new ServicePrincipal("cloudwatch.amazonaws.com")],
            Actions = ["kms:Decrypt", "kms:GenerateDataKey*"],
            Resources = ["*"],
            Conditions = new Dictionary<string, object>
            {
                ["StringEquals"] = new Dictionary<string, object> { ["aws:SourceAccount"] = stack.Account },
            },
        }));

        foreach (var email in config.AlertEmails) Topic.AddSubscription(new EmailSubscription(email));
        foreach (var phone in config.AlertSms) Topic.AddSubscription(new SmsSubscription(phone));

        // Stream → Pipe (enrichment: the renderer) → topic.
        PipeDeadLetterQueue = NewQueue("PipeDeadLetters", null);
        var table = props.Ledger.Table;
        AlertRenderer = props.Functions.Create<AlertRenderFunction>(this, "AlertRenderer", nameof(AlertRenderFunction.HandleAsync), new FunctionOptions
        {
            Description = "Alert Pipe enrichment: renders each alert outbox item into the text the topic delivers",
            Timeout = Duration.Seconds(30),
            MemorySize = 256,
            Environment = { [FunctionHost.TableNameVariable] = table.TableName },
        });
        // Reads only the content-addressed rule texts an alert names (RULETEXT#<ruleId>), when the registry it was built
        // with no longer has them: GetItem on the table, only on items whose partition key starts with RULETEXT#.
        AlertRenderer.AddToRolePolicy(new PolicyStatement(new PolicyStatementProps
        {
            Actions = ["dynamodb:GetItem"],
            Resources = [table.TableArn],
            Conditions = new Dictionary<string, object>
            {
                ["ForAllValues:StringLike"] = new Dictionary<string, object> { ["dynamodb:LeadingKeys"] = new[] { RuleTextsKeyPattern } },
            },
        }));
        props.Ledger.GrantKey(AlertRenderer, write: false);
        var pipeRole = new Role(this, "PipeRole", new RoleProps
        {
            AssumedBy = new ServicePrincipal("pipes.amazonaws.com", new ServicePrincipalOpts
            {
                Conditions = new Dictionary<string, object>
                {
                    ["StringEquals"] = new Dictionary<string, object> { ["aws:SourceAccount"] = stack.Account },
                },
            }),
            Description = "EventBridge Pipe: reads the ledger stream, publishes alerts to the topic",
        });
        pipeRole.AddToPolicy(new PolicyStatement(new PolicyStatementProps
        {
            Actions = ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"],
            Resources = [table.TableStreamArn!],
        }));
        // ListStreams supports no resource-level permission (CDK's Table.grantStreamRead does the same).
        CdkNag.AllowOnAnyResource(pipeRole, SecurityAllowlist.WildcardResources.Single(w => w.Name == "dynamodb-list-streams"), "dynamodb:ListStreams");
        pipeRole.AddToPolicy(new PolicyStatement(new PolicyStatementProps { Actions = ["sns:Publish"], Resources = [Topic.TopicArn] }));
        // The enrichment: this one function, nothing else.
        pipeRole.AddToPolicy(new PolicyStatement(new PolicyStatementProps { Actions = ["lambda:InvokeFunction"], Resources = [AlertRenderer.FunctionArn] }));
        pipeRole.AddToPolicy(new PolicyStatement(new PolicyStatementProps { Actions = ["sqs:SendMessage"], Resources = [PipeDeadLetterQueue.QueueArn] }));
        // Decrypt stream records; encrypt into the topic and the DLQ.
        pipeRole.AddToPolicy(new PolicyStatement(new PolicyStatementProps
        {
            Actions = ["kms:Decrypt", "kms:GenerateDataKey"],
            Resources = [key.KeyArn],
        }));

        Pipe = new CfnPipe(this, "AlertPipe", new CfnPipeProps
        {
            Description = "Ledger alert outbox INSERTs to the alert topic as readable text",
            RoleArn = pipeRole.RoleArn,
            Source = table.TableStreamArn!,
            SourceParameters = new CfnPipe.PipeSourceParametersProperty
            {
                DynamoDbStreamParameters = new CfnPipe.PipeSourceDynamoDBStreamParametersProperty
                {
                    StartingPosition = "TRIM_HORIZON",
                    BatchSize = 10,
                    MaximumRetryAttempts = 10,
                    MaximumRecordAgeInSeconds = -1,
                    OnPartialBatchItemFailure = "AUTOMATIC_BISECT",
                    DeadLetterConfig = new CfnPipe.DeadLetterConfigProperty { Arn = PipeDeadLetterQueue.QueueArn },
                },
                FilterCriteria = new CfnPipe.FilterCriteriaProperty
                {
                    Filters = new object[] { new CfnPipe.FilterProperty { Pattern = StreamFilterPattern } },
                },
            },
            Enrichment = AlertRenderer.FunctionArn,
            Target = Topic.TopicArn,
            TargetParameters = new CfnPipe.PipeTargetParametersProperty { InputTemplate = AlertMessageFormat.PipeInputTemplate() },
        });
        Pipe.Node.AddDependency(pipeRole);
        CdkNag.Suppress(PipeDeadLetterQueue, "AwsSolutions-SQS3",
            "This queue is the dead-letter queue of the alert pipe (SourceParameters.DynamoDBStreamParameters.DeadLetterConfig); "
            + "cdk-nag recognises only SQS redrive policies as dead-letter use. Its depth has an alarm (OperationalAlarms).");

        // Topic → queue → Slack notifier.
        SlackQueueKey = new Key(this, "SlackQueueKey", new KeyProps
        {
            Description = "IsmsServerless: encrypts the Slack alert queue and its dead-letter queue",
            EnableKeyRotation = true,
            RemovalPolicy = RemovalPolicy.RETAIN,
        });
        SlackDeadLetterQueue = NewQueue("SlackDeadLetters", null, null, SlackQueueKey);
        var notifierTimeout = Duration.Seconds(120);
        SlackQueue = NewQueue("SlackQueue", new DeadLetterQueue { Queue = SlackDeadLetterQueue, MaxReceiveCount = SlackMaxReceiveCount },
            Duration.Seconds(notifierTimeout.ToSeconds() * 6), SlackQueueKey);
        Topic.AddSubscription(new SqsSubscription(SlackQueue, new SqsSubscriptionProps { RawMessageDelivery = false }));

        SlackNotifier = props.Functions.Create<SlackNotifierFunction>(this, "SlackNotifier", nameof(SlackNotifierFunction.HandleAsync), new FunctionOptions
        {
            Description = "Posts alerts from the Slack queue to the Slack incoming webhook (Block Kit)",
            Timeout = notifierTimeout,
            Environment =
            {
                ["TABLE_NAME"] = table.TableName,
                ["SLACK_WEBHOOK_PARAMETER"] = config.SlackWebhookParameter,
                ["SLACK_DEAD_LETTER_QUEUE_URL"] = SlackDeadLetterQueue.QueueUrl,
                ["SLACK_RATE_PER_SECOND"] = (1.0 / SlackConsumerConcurrency).ToString("0.###", CultureInfo.InvariantCulture),
            },
        });
        SlackNotifier.AddEventSource(new SqsEventSource(SlackQueue, new SqsEventSourceProps
        {
            BatchSize = 10,
            MaxBatchingWindow = Duration.Seconds(2),
            ReportBatchItemFailures = true,
            MaxConcurrency = SlackConsumerConcurrency,
        }));
        // Delivery records only: PK = DELIVERY#<alert id>. No Query, no Scan.
        props.Ledger.Grant(SlackNotifier, "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem");
        props.Ledger.GrantKey(SlackNotifier, write: true);
        // Sends a poison message to the dead-letter queue itself: SendMessage, and the two key actions SQS needs for
        // an encrypted queue (Queue.GrantSendMessages would add ReEncrypt* and GenerateDataKey*).
        SlackNotifier.AddToRolePolicy(new PolicyStatement(new PolicyStatementProps { Actions = ["sqs:SendMessage"], Resources = [SlackDeadLetterQueue.QueueArn] }));
        SlackNotifier.AddToRolePolicy(new PolicyStatement(new PolicyStatementProps { Actions = ["kms:GenerateDataKey", "kms:Decrypt"], Resources = [SlackQueueKey.KeyArn] }));
        GrantReadWebhook(SlackNotifier);

        // Depth alarms for both dead-letter queues come from OperationalAlarms (IsmsStack registers them), so each
        // queue has exactly one alarm, notifying on alarm and on recovery.
    }

    /// <summary>The sweep posts the daily digest through the same webhook: give it the parameter name and read access.</summary>
    public void EnableDigest(Function sweep)
    {
        ArgumentNullException.ThrowIfNull(sweep);
        sweep.AddEnvironment("SLACK_WEBHOOK_PARAMETER", _config.SlackWebhookParameter);
        GrantReadWebhook(sweep);
    }

    /// <summary>Lets a function read (and decrypt) the Slack webhook SecureString, e.g. the sweep for the daily digest.</summary>
    public void GrantReadWebhook(IGrantable grantee)
    {
        var stack = Stack.Of(this);
        var name = _config.SlackWebhookParameter;
        var parameterArn = stack.FormatArn(new ArnComponents
        {
            Service = "ssm",
            Resource = "parameter",
            ResourceName = name.TrimStart('/'),
            ArnFormat = ArnFormat.SLASH_RESOURCE_NAME,
        });
        grantee.GrantPrincipal.AddToPrincipalPolicy(new PolicyStatement(new PolicyStatementProps
        {
            Actions = ["ssm:GetParameter"],
            Resources = [parameterArn],
        }));
        // When the SecureString is encrypted with the stack key (otherwise aws/ssm's own policy applies).
        grantee.GrantPrincipal.AddToPrincipalPolicy(new PolicyStatement(new PolicyStatementProps
        {
            Actions = ["kms:Decrypt"],
            Resources = [_key.KeyArn],
            Conditions = new Dictionary<string, object>
            {
                ["StringEquals"] = new Dictionary<string, object> { ["kms:ViaService"] = $"ssm.{stack.Region}.amazonaws.com" },
            },
        }));
    }


    private Queue NewQueue(string id, DeadLetterQueue? deadLetters, Duration? visibility = null, IKey? key = null) => new(this, id, new QueueProps
    {
        Encryption = QueueEncryption.KMS,
        EncryptionMasterKey = key ?? _key,
        EnforceSSL = true,
        RetentionPeriod = Duration.Days(14),
        DeadLetterQueue = deadLetters,
        VisibilityTimeout = visibility,
    });
}
