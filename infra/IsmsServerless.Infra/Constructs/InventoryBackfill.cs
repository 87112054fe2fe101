using Amazon.CDK;
using Amazon.CDK.AWS.Events;
using Amazon.CDK.AWS.Events.Targets;
using Amazon.CDK.AWS.IAM;
using Amazon.CDK.AWS.KMS;
using Amazon.CDK.AWS.Lambda;
using Amazon.CDK.AWS.SQS;
using Constructs;
using IsmsServerless.Functions;
using IsmsServerless.Inventory;

namespace IsmsServerless.Infra.Constructs;

public sealed class InventoryBackfillProps
{
    public required IsmsFunctionFactory Functions { get; init; }
    public required FindingsLedger Ledger { get; init; }
    public required IQueue DeadLetterQueue { get; init; }

    /// <summary>The Config delivery channel's bucket (context <c>configSnapshotBucket</c>, or the bucket the stack created).</summary>
    public required string BucketName { get; init; }

    /// <summary>The delivery channel's key prefix, if any (context <c>configSnapshotPrefix</c>), ending in "/".</summary>
    public string Prefix { get; init; } = "";

    /// <summary>How cdk-nag renders the bucket in the policy: the name, or <c>&lt;LogicalId&gt;</c> for a bucket of this stack.</summary>
    public string? BucketReferenceForNag { get; init; }

    /// <summary>The KMS key the snapshot objects are encrypted with, when it is a customer managed key.</summary>
    public IKey? BucketKey { get; init; }
}

/// <summary>
/// Inventory back-fill (issue 18 section 6): a function that reads each configuration snapshot AWS Config delivers and
/// judges every item with this system's baselines, so a resource that never changes is still checked at every snapshot
/// (every 6 hours with the delivery channel this stack creates; at least daily with any channel). It may read only the
/// snapshot objects of this account in the one bucket (<c>s3:GetObject</c> on <c>&lt;prefix&gt;AWSLogs/&lt;account&gt;/Config/*</c>),
/// nothing else in S3.
/// </summary>
public sealed class InventoryBackfill : Construct
{
    public Function Function { get; }

    public InventoryBackfill(Construct scope, string id, InventoryBackfillProps props) : base(scope, id)
    {
        var account = Stack.Of(this).Account;
        Function = props.Functions.Create<InventoryBackfillFunction>(this, "Function", nameof(InventoryBackfillFunction.HandleAsync), new FunctionOptions
        {
            Description = "Reads each AWS Config configuration snapshot and judges every item against the ISMS baselines",
            // 100k items stream in minutes (docs/benchmarks.md); the whole Lambda maximum leaves room for a slow store.
            Timeout = Duration.Minutes(15),
            MemorySize = 1024,
            Environment =
            {
                ["TABLE_NAME"] = props.Ledger.Table.TableName,
                [InventoryBackfillFunction.BucketVariable] = props.BucketName,
                // The timeout less a minute: the function stops pulling items, writes its checkpoint and fails, and
                // Lambda's asynchronous retry resumes after the last finished item (snapshots too big for one run).
                [InventoryBackfillFunction.TimeBudgetVariable] = "840",
            },
        });
        props.Ledger.GrantReadWrite(Function);
        Function.AddToRolePolicy(new PolicyStatement(new PolicyStatementProps
        {
            Sid = "ReadConfigSnapshotsOnly",
            Actions = ["s3:GetObject"],
            Resources = [$"arn:{Aws.PARTITION}:s3:::{props.BucketName}/{props.Prefix}AWSLogs/{account}/Config/*"],
        }));
        Security.CdkNag.SuppressOnPolicyOf(Function, "AwsSolutions-IAM5",
            "AWS Config names each snapshot object itself (AWSLogs/<account>/Config/<region>/<date>/ConfigSnapshot/...); the read is "
            + "limited to s3:GetObject on this account's Config prefix of the one delivery-channel bucket, the narrowest scope that covers every snapshot.",
            $"Resource::arn:<AWS::Partition>:s3:::{props.BucketReferenceForNag ?? props.BucketName}/{props.Prefix}AWSLogs/{account}/Config/*");
        props.BucketKey?.GrantDecrypt(Function);

        _ = new Rule(this, "SnapshotDelivered", new RuleProps
        {
            Description = "AWS Config configuration snapshot delivered: back-fill the inventory",
            EventPattern = new EventPattern
            {
                Source = ["aws.config"],
                DetailType = [ConfigSnapshotNotification.EventBridgeDetailType],
                Detail = new Dictionary<string, object> { ["messageType"] = new[] { ConfigSnapshotNotification.CompletedMessageType } },
            },
            Targets =
            [
                new LambdaFunction(Function, new LambdaFunctionProps
                {
                    DeadLetterQueue = props.DeadLetterQueue,
                    RetryAttempts = 2,
                    MaxEventAge = Duration.Hours(6),
                }),
            ],
        });
    }
}
