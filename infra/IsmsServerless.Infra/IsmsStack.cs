using Amazon.CDK;
using Amazon.CDK.AWS.KMS;
using Amazon.CDK.AWS.SNS.Subscriptions;
using Constructs;
using IsmsServerless.Infra.Constructs;

namespace IsmsServerless.Infra;

public sealed class IsmsStackProps : StackProps
{
    public required StackConfiguration Configuration { get; init; }
}

/// <summary>
/// The whole deployment, composed of one construct per concern. The stack itself holds no resources of its own
/// beyond the customer-managed key every construct encrypts with.
/// </summary>
public sealed class IsmsStack : Stack
{
    /// <summary>The customer-managed key everything is encrypted with.</summary>
    public Key DataKey { get; }

    /// <summary>Register functions, dead-letter queues, stream consumers and pipes here (see <see cref="OperationalAlarms"/>).</summary>
    public OperationalAlarms Alarms { get; }

    /// <summary>The policy file's settings the stack was synthesized under (what rules it deploys depends on them).</summary>
    public IsmsServerless.Settings.IsmsSettings Settings { get; }

    public IsmsStack(Construct scope, string id, IsmsStackProps props) : base(scope, id, props)
    {
        var config = props.Configuration;
        Settings = config.Settings;

        var key = DataKey = new Key(this, "DataKey", new KeyProps
        {
            Description = "IsmsServerless: encrypts the findings ledger, alert topic, queues and logs",
            EnableKeyRotation = true,
            RemovalPolicy = RemovalPolicy.RETAIN,
        });
        DataKeyPolicy.Apply(key);

        var functions = new IsmsFunctionFactory(config, key);
        var ledger = new FindingsLedger(this, "Ledger", new FindingsLedgerProps { EncryptionKey = key });
        var alerting = new Alerting(this, "Alerting", new AlertingProps { EncryptionKey = key, Ledger = ledger, Functions = functions });
        SecureTransport.Enforce(alerting.Topic);
        Alarms = new OperationalAlarms(this, "Alarms", new OperationalAlarmsProps { Topic = alerting.Topic });
        Alarms.AlarmEveryFunction(this);
        Alarms.AddDeadLetterQueue(alerting.SlackDeadLetterQueue);
        Alarms.AddDeadLetterQueue(alerting.PipeDeadLetterQueue);
        // Ref of a pipe is its name, the PipeName dimension of the Pipes metrics.
        Alarms.AddPipe(alerting.Pipe.Ref, "AlertPipe");
        // The stream's second consumer: the rule counters from finding records (issue 20).
        var counters = new CounterProjectionConsumer(this, "CounterProjection", new CounterProjectionConsumerProps { Functions = functions, Ledger = ledger, EncryptionKey = key });
        Alarms.AddFunction(counters.Function);
        Alarms.AddDeadLetterQueue(counters.FailedRecords);
        Alarms.AddStreamConsumer(counters.Function, Duration.Minutes(5));
        var ingestion = new EventIngestion(this, "Ingestion", new EventIngestionProps
        {
            Functions = functions,
            Ledger = ledger,
            Alerting = alerting,
            EncryptionKey = key,
            SweepInterval = Duration.Minutes(config.SweepIntervalMinutes),
        });
        var statusPage = new StatusPageApp(this, "StatusPage", new StatusPageAppProps
        {
            Functions = functions, Ledger = ledger, EncryptionKey = key, DomainPrefix = config.StatusPageDomainPrefix,
            FeaturePlan = config.StatusPageFeaturePlan,
        });
        _ = new DriftConfigRules(this, "DriftConfigRules");
        _ = new ChangeSignals(this, "ChangeSignals", new ChangeSignalsProps { Ingestion = ingestion, Settings = config.Settings.ChangeManagement });
        _ = new BackupAndMalwareConfigRules(this, "BackupConfigRules", config.Settings);
        _ = new PatchEnforcement(this, "Patch", new PatchEnforcementProps { Ingestion = ingestion, SweepFunction = ingestion.SweepFunction });
        _ = new BackupAndIncidentSignals(this, "BackupAndIncidents", new BackupAndIncidentSignalsProps { Ingestion = ingestion });
        alerting.EnableDigest(ingestion.SweepFunction);
        // Every function that writes alert outbox items is updated after the Pipe (issue 20 wave 8): the items name their
        // rule's texts and only the Pipe's enrichment renderer puts them back, so a writer updated first would have the old
        // template deliver its first alerts without title or remediation. The new Pipe renders items of every layout.
        foreach (var writer in new IConstruct[] { ingestion.IngestFunction, ingestion.SweepFunction, statusPage.Function })
            writer.Node.AddDependency(alerting.Pipe);
        Alarms.AddFunction(ingestion.IngestFunction);
        // The sweep's heartbeat, silence and SSM patch findings are keyed by the home account; Lambda only knows its region.
        ingestion.SweepFunction.AddEnvironment("ISMS_ACCOUNT_ID", Account);
        Alarms.AddScheduledFunction(ingestion.SweepFunction, Duration.Minutes(config.SweepIntervalMinutes), config.Settings.SweepMissedIntervals);
        Alarms.AddDeadLetterQueue(ingestion.DeadLetterQueue);
        _ = new HeartbeatSignals(this, "HeartbeatSignals", new HeartbeatSignalsProps
        {
            IngestFunction = ingestion.IngestFunction,
            DeadLetterQueue = ingestion.DeadLetterQueue,
        });
        AccountBaseline? baseline = null;
        if (config.CreateConfigRecorder || config.CreateCloudTrail)
        {
            baseline = new AccountBaseline(this, "Baseline", new AccountBaselineProps
            {
                EncryptionKey = key,
                CreateConfigRecorder = config.CreateConfigRecorder,
                CreateCloudTrail = config.CreateCloudTrail,
            });
        }
        // Inventory back-fill: the configured snapshot bucket, else the one the stack's own delivery channel writes to.
        if ((config.ConfigSnapshotBucket ?? baseline?.ConfigBucket?.BucketName) is { } snapshotBucket)
        {
            var backfill = new InventoryBackfill(this, "InventoryBackfill", new InventoryBackfillProps
            {
                Functions = functions,
                Ledger = ledger,
                DeadLetterQueue = ingestion.DeadLetterQueue,
                BucketName = snapshotBucket,
                Prefix = config.ConfigSnapshotBucket is null ? "" : config.ConfigSnapshotPrefix,
                BucketKey = config.ConfigSnapshotBucket is null ? key : null,
                BucketReferenceForNag = config.ConfigSnapshotBucket is null && baseline?.ConfigBucket is { } created
                    ? $"<{Security.CdkNag.LogicalId(created)}>" : null,
            });
            backfill.Node.AddDependency(alerting.Pipe);
        }
        if (config.MultiAccount)
        {
            _ = new CentralEventBusAccess(this, "CentralBusAccess", new CentralEventBusAccessProps
            {
                OrganizationId = config.OrganizationId,
                MemberAccountIds = config.MemberAccountIds,
            });
        }
        if (config.GitHubOidc is { } oidc) _ = new GitHubOidcDeployRole(this, "GitHubDeploy", oidc);

        // Smoke check outputs: what `./isms smoke --stack NAME` reads (cli/IsmsServerless.Cli/Smoke/SmokeOutputs).
        Output("LedgerTableName", ledger.Table.TableName, "Findings ledger table");
        Output("IngestFunctionName", ingestion.IngestFunction.FunctionName, "Ingest function (EventBridge target)");
        Output("AlertQueueUrl", alerting.SlackQueue.QueueUrl, "Slack alert queue");
        Output("DeadLetterQueueUrls", Fn.Join(",", [ingestion.DeadLetterQueue.QueueUrl, alerting.SlackDeadLetterQueue.QueueUrl, alerting.PipeDeadLetterQueue.QueueUrl]),
            "Dead-letter queues (comma-separated): events, Slack alerts, alert pipe");
        Output("StatusPageUrl", statusPage.PageUrl, "Status page URL");
        Output("SweepIntervalMinutes", config.SweepIntervalMinutes.ToString(System.Globalization.CultureInfo.InvariantCulture), "Scheduled sweep interval");
    }

    private void Output(string id, string value, string description) =>
        _ = new CfnOutput(this, id, new CfnOutputProps { Value = value, Description = description });
}
