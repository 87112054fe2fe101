using Amazon.CDK;
using Amazon.CDK.AWS.IAM;
using Amazon.CDK.AWS.KMS;
using Amazon.CDK.AWS.Lambda;
using Amazon.CDK.AWS.SQS;
using Constructs;
using IsmsServerless.CounterProjection;
using IsmsServerless.Functions;
using IsmsServerless.Ledger;

namespace IsmsServerless.Infra.Constructs;

public sealed class CounterProjectionConsumerProps
{
    public required IsmsFunctionFactory Functions { get; init; }
    public required FindingsLedger Ledger { get; init; }
    public required IKey EncryptionKey { get; init; }
}

/// <summary>
/// The counter projector (issue 20; docs/data-model.md "Counters from the stream"): a function on the ledger table's stream
/// that maintains the rule counter items from finding item records, so a new finding is one conditional PutItem. The
/// stream's second and last consumer (the alert Pipe is the first; AWS advises at most two per stream).
/// <list type="bullet">
/// <item>Event source mapping: two filters let only finding items (<c>FINDING#…</c> / <c>META</c>) and passing-evidence results
/// (<c>EVIDENCE#…</c> / <c>RES#…</c>) through (the projector's own
/// counter and marker writes, alerts, history lines never invoke it); batches of up to 1000 records gathered for up to
/// <see cref="BatchingWindowSeconds"/> s (one counter transaction per batch, docs/benchmarks.md); parallelization factor 1
/// (one batch per shard at a time, in order); partial batch responses (a store error names the sub-range to retry
/// from); no bisection (a bisected half would start inside a range the projector already applied: its markers are keyed
/// by a range's first record); retried until the records expire (24 h), then their description goes to an encrypted SQS
/// queue (SQS-managed encryption: it holds batch descriptions, no item), whose depth raises an alarm, as does the
/// iterator age. Repair after a lost record: <c>./isms counters rebuild</c>.</item>
/// <item>Least privilege: stream read (the event source's grant), and on the table only UpdateItem/PutItem of items whose
/// partition is <c>STATS</c>, the evidence counters' partition or <c>PROJECTION#…</c> and GetItem of <c>PROJECTION#…</c> and <c>RULETEXT#…</c> items
/// (<c>dynamodb:LeadingKeys</c>), with the table key through DynamoDB only.</item>
/// </list>
/// </summary>
public sealed class CounterProjectionConsumer : Construct
{
    /// <summary>How long the mapping gathers records before invoking (amortizes the counter writes; the views lag by up to this).</summary>
    public const int BatchingWindowSeconds = 2;

    public const int BatchSize = 1000;

    public Function Function { get; }

    public Queue FailedRecords { get; }

    public CfnEventSourceMapping Mapping { get; }

    public CounterProjectionConsumer(Construct scope, string id, CounterProjectionConsumerProps props) : base(scope, id)
    {
        ArgumentNullException.ThrowIfNull(props);
        Function = props.Functions.Create<CounterProjectorFunction>(this, "Function", nameof(CounterProjectorFunction.HandleAsync), new FunctionOptions
        {
            Description = "Maintains the findings ledger's rule counters from the table's stream (exactly once per record)",
            Timeout = Duration.Minutes(1),
            Environment = { ["TABLE_NAME"] = props.Ledger.Table.TableName },
        });
        // What Lambda sends here describes a failed batch (shard, first and last sequence number, stream ARN, the error),
        // never an item. Encrypted with the stack key; the function may only send to it (below).
        FailedRecords = new Queue(this, "FailedRecords", new QueueProps
        {
            Encryption = QueueEncryption.KMS,
            EncryptionMasterKey = props.EncryptionKey,
            EnforceSSL = true,
            RetentionPeriod = Duration.Days(14),
        });
        Security.CdkNag.Suppress(FailedRecords, "AwsSolutions-SQS3",
            "This queue is the failure destination of the counter projector's event source mapping (DestinationConfig.OnFailure); "
            + "cdk-nag recognises only SQS redrive policies as dead-letter use. Its depth has an alarm (OperationalAlarms).");
        // The mapping as an L1 resource: CDK's SqsDlq grants kms:GenerateDataKey* and kms:ReEncrypt* (wildcard actions this
        // stack never grants) and its RetryAttempts refuses -1 (retry until the record expires); the grants are written
        // below, each on its one resource.
        props.Ledger.Table.GrantStreamRead(Function);
        Function.AddToRolePolicy(new PolicyStatement(new PolicyStatementProps
        {
            Sid = "SendFailedBatchDescriptions",
            Actions = ["sqs:SendMessage"],
            Resources = [FailedRecords.QueueArn],
        }));
        Function.AddToRolePolicy(new PolicyStatement(new PolicyStatementProps
        {
            Sid = "EncryptFailedBatchDescriptionsThroughSqs",
            Actions = ["kms:GenerateDataKey", "kms:Decrypt"],
            Resources = [props.EncryptionKey.KeyArn],
            Conditions = new Dictionary<string, object>
            {
                ["StringEquals"] = new Dictionary<string, object> { ["kms:ViaService"] = $"sqs.{Stack.Of(this).Region}.amazonaws.com" },
            },
        }));
        var filter = "{\"dynamodb\":{\"Keys\":{\"" + LedgerSchema.PartitionKey + "\":{\"S\":[{\"prefix\":\"" + FindingCounterSource.FindingPartitionPrefix
            + "\"}]},\"" + LedgerSchema.SortKey + "\":{\"S\":[\"" + FindingCounterSource.FindingSortKey + "\"]}}}}";
        // Evidence result items (EVIDENCE#<rule> / RES#<finding>): the passing-evidence counters (EvidenceCounterSource).
        var evidenceFilter = "{\"dynamodb\":{\"Keys\":{\"" + LedgerSchema.PartitionKey + "\":{\"S\":[{\"prefix\":\"" + EvidenceCounterSource.ResultPartitionPrefix
            + "\"}]},\"" + LedgerSchema.SortKey + "\":{\"S\":[{\"prefix\":\"" + EvidenceCounterSource.ResultSortPrefix + "\"}]}}}}";
        Mapping = new CfnEventSourceMapping(this, "StreamMapping", new CfnEventSourceMappingProps
        {
            FunctionName = Function.FunctionName,
            EventSourceArn = props.Ledger.Table.TableStreamArn!,
            StartingPosition = "TRIM_HORIZON",
            BatchSize = BatchSize,
            MaximumBatchingWindowInSeconds = BatchingWindowSeconds,
            ParallelizationFactor = 1,
            BisectBatchOnFunctionError = false,
            FunctionResponseTypes = ["ReportBatchItemFailures"],
            MaximumRetryAttempts = -1,
            DestinationConfig = new CfnEventSourceMapping.DestinationConfigProperty
            {
                OnFailure = new CfnEventSourceMapping.OnFailureProperty { Destination = FailedRecords.QueueArn },
            },
            FilterCriteria = new CfnEventSourceMapping.FilterCriteriaProperty
            {
                Filters = new object[] { new CfnEventSourceMapping.FilterProperty { Pattern = filter }, new CfnEventSourceMapping.FilterProperty { Pattern = evidenceFilter } },
            },
        });
        // The mapping is validated against the role's permissions when it is created: after the policy.
        if (Function.Role?.Node.TryFindChild("DefaultPolicy") is IConstruct policy) Mapping.Node.AddDependency(policy);
        var table = props.Ledger.Table;
        Function.AddToRolePolicy(new PolicyStatement(new PolicyStatementProps
        {
            Sid = "WriteCountersAndMarkersOnly",
            Actions = ["dynamodb:UpdateItem", "dynamodb:PutItem"],
            Resources = [table.TableArn],
            Conditions = new Dictionary<string, object>
            {
                ["ForAllValues:StringLike"] = new Dictionary<string, object> { ["dynamodb:LeadingKeys"] = new[] { FindingCounterSource.CounterPartition, EvidenceCounterSource.CounterPartition, CounterProjector.MarkerPrefix + "*" } },
            },
        }));
        Function.AddToRolePolicy(new PolicyStatement(new PolicyStatementProps
        {
            Sid = "ReadMarkersAndRuleTextsOnly",
            Actions = ["dynamodb:GetItem"],
            Resources = [table.TableArn],
            Conditions = new Dictionary<string, object>
            {
                ["ForAllValues:StringLike"] = new Dictionary<string, object> { ["dynamodb:LeadingKeys"] = new[] { CounterProjector.MarkerPrefix + "*", FindingCounterSource.RuleTextsPartitionPrefix + "*" } },
            },
        }));
        props.Ledger.GrantKey(Function, write: true);
        // The event source's stream grant includes dynamodb:ListStreams on "*" (no resource-level permission exists for it);
        // the function's policy already suppresses IAM5 for "Resource::*" (X-Ray), so the allowlisted reason is recorded here.
        _ = Security.SecurityAllowlist.WildcardResources.Single(w => w.Name == "dynamodb-list-streams");
    }
}
