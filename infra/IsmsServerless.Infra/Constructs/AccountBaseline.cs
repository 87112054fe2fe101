using Amazon.CDK;
using Amazon.CDK.AWS.CloudTrail;
using Amazon.CDK.AWS.Config;
using Amazon.CDK.AWS.IAM;
using Amazon.CDK.AWS.KMS;
using Amazon.CDK.AWS.S3;
using Constructs;

namespace IsmsServerless.Infra.Constructs;

public sealed class AccountBaselineProps
{
    public required IKey EncryptionKey { get; init; }
    public bool CreateConfigRecorder { get; init; }
    public bool CreateCloudTrail { get; init; }
}

/// <summary>
/// What the system needs to see anything, for accounts that lack it (context <c>createConfigRecorder</c>,
/// <c>createCloudTrail</c>): an AWS Config recorder with its delivery channel, and a multi-region CloudTrail trail
/// with log file validation. A region holds one Config recorder, so leave the flag off where one exists.
/// Buckets are KMS-encrypted with the stack key, SSL-only, private, versioned and retained on <c>cdk destroy</c>.
/// </summary>
public sealed class AccountBaseline : Construct
{
    public Bucket? ConfigBucket { get; }
    public Bucket? TrailBucket { get; }
    public Trail? Trail { get; }

    public AccountBaseline(Construct scope, string id, AccountBaselineProps props) : base(scope, id)
    {
        if (props.CreateConfigRecorder)
        {
            ConfigBucket = EvidenceBucket("ConfigBucket", props.EncryptionKey);
            var role = new Role(this, "ConfigRole", new RoleProps
            {
                AssumedBy = new ServicePrincipal("config.amazonaws.com"),
                Description = "AWS Config recorder: reads resource configurations and delivers them to the Config bucket",
                ManagedPolicies = [ManagedPolicy.FromAwsManagedPolicyName("service-role/AWS_ConfigRole")],
            });
            Security.CdkNag.Suppress(role, "AwsSolutions-IAM4",
                "AWS_ConfigRole is the AWS managed policy the AWS Config documentation prescribes for the recorder: it holds the read "
                + "(Describe/Get/List) permissions for every resource type Config records, and AWS updates it when Config supports new types. "
                + "A hand-written copy would silently stop recording new resource types.",
                "Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWS_ConfigRole");
            // Config delivers with the recorder role: it writes objects under AWSLogs/<account>/Config/ (with a data key
            // of the stack key) and reads the bucket ACL (AWS Config developer guide, "Permissions for the Amazon S3 Bucket").
            // Bucket.GrantPut would add s3:Abort*, kms:ReEncrypt* and kms:GenerateDataKey* on every object.
            var stack = Stack.Of(this);
            role.AddToPrincipalPolicy(new PolicyStatement(new PolicyStatementProps
            {
                Actions = ["s3:PutObject"],
                Resources = [ConfigBucket.ArnForObjects($"AWSLogs/{stack.Account}/Config/*")],
            }));
            role.AddToPrincipalPolicy(new PolicyStatement(new PolicyStatementProps
            {
                Actions = ["kms:GenerateDataKey", "kms:Decrypt"],
                Resources = [props.EncryptionKey.KeyArn],
            }));
            Security.CdkNag.SuppressOnPolicyOf(role, "AwsSolutions-IAM5",
                "AWS Config names each delivered object itself (AWSLogs/<account>/Config/<region>/<date>/...); the grant is limited to this "
                + "account's Config prefix of the stack's own Config bucket, which is what the AWS Config documentation prescribes.",
                $"Resource::<{Security.CdkNag.LogicalId(ConfigBucket)}.Arn>/AWSLogs/{stack.Account}/Config/*");
            role.AddToPrincipalPolicy(new PolicyStatement(new PolicyStatementProps
            {
                Actions = ["s3:GetBucketAcl"],
                Resources = [ConfigBucket.BucketArn],
            }));
            var recorder = new CfnConfigurationRecorder(this, "Recorder", new CfnConfigurationRecorderProps
            {
                RoleArn = role.RoleArn,
                RecordingGroup = new CfnConfigurationRecorder.RecordingGroupProperty
                {
                    AllSupported = true,
                    IncludeGlobalResourceTypes = true,
                },
            });
            var channel = new CfnDeliveryChannel(this, "DeliveryChannel", new CfnDeliveryChannelProps
            {
                S3BucketName = ConfigBucket.BucketName,
                S3KmsKeyArn = props.EncryptionKey.KeyArn,
                ConfigSnapshotDeliveryProperties = new CfnDeliveryChannel.ConfigSnapshotDeliveryPropertiesProperty { DeliveryFrequency = "Six_Hours" },
            });
            // AWS Config requires the recorder before the delivery channel.
            channel.AddDependency(recorder);
        }

        if (props.CreateCloudTrail)
        {
            TrailBucket = EvidenceBucket("TrailBucket", props.EncryptionKey);
            DataKeyPolicy.AllowCloudTrail(props.EncryptionKey);
            Trail = new Trail(this, "Trail", new TrailProps
            {
                Bucket = TrailBucket,
                EncryptionKey = props.EncryptionKey,
                IsMultiRegionTrail = true,
                IncludeGlobalServiceEvents = true,
                EnableFileValidation = true,
                ManagementEvents = ReadWriteType.ALL,
                SendToCloudWatchLogs = false,
            });
        }
    }

    private Bucket EvidenceBucket(string id, IKey key)
    {
        var bucket = new Bucket(this, id, new BucketProps
        {
        Encryption = BucketEncryption.KMS,
        EncryptionKey = key,
        BucketKeyEnabled = true,
        EnforceSSL = true,
        BlockPublicAccess = BlockPublicAccess.BLOCK_ALL,
        ObjectOwnership = ObjectOwnership.BUCKET_OWNER_ENFORCED,
        Versioned = true,
        // Logs and configuration history are audit evidence: kept after cdk destroy.
        RemovalPolicy = RemovalPolicy.RETAIN,
        });
        Security.CdkNag.Suppress(bucket, "AwsSolutions-S1",
            "Only AWS Config or CloudTrail write here, and reads are by auditors: CloudTrail records every bucket-level call (and object-level "
            + "calls when data events are on), which is the access record; server access logs would need a further bucket of their own, with the same question.");
        return bucket;
    }
}
