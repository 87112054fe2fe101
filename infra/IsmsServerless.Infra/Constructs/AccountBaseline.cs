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
            // Config delivers with the recorder role: it needs to write objects (and their data keys) and read the bucket ACL.
            ConfigBucket.GrantPut(role);
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

    private Bucket EvidenceBucket(string id, IKey key) => new(this, id, new BucketProps
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
}
