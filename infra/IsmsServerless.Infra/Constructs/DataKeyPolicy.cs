using Amazon.CDK;
using Amazon.CDK.AWS.IAM;
using Amazon.CDK.AWS.KMS;

namespace IsmsServerless.Infra.Constructs;

/// <summary>
/// The statements the stack's customer-managed key needs for AWS services that encrypt with it on our behalf.
/// IAM principals (our functions) get the key through per-function grants instead. In a key policy,
/// <c>Resource: "*"</c> means "this key", never other keys.
/// </summary>
public static class DataKeyPolicy
{
    public static void Apply(Key key)
    {
        var stack = Stack.Of(key);
        // CloudWatch Logs encrypts log groups with the key; the encryption context condition limits it to this
        // account's log groups in this region (as the CloudWatch Logs documentation prescribes).
        key.AddToResourcePolicy(new PolicyStatement(new PolicyStatementProps
        {
            Sid = "AllowCloudWatchLogs",
            Principals = [new ServicePrincipal($"logs.{stack.Region}.amazonaws.com")],
            Actions = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
            Resources = ["*"],
            Conditions = new Dictionary<string, object>
            {
                ["ArnLike"] = new Dictionary<string, object>
                {
                    ["kms:EncryptionContext:aws:logs:arn"] = $"arn:{stack.Partition}:logs:{stack.Region}:{stack.Account}:log-group:*",
                },
            },
        }));
        // CloudWatch alarms publish to the encrypted alert topic, and EventBridge writes undeliverable events to
        // encrypted dead-letter queues and the topic; both need to create and use data keys. Restricted to calls
        // made for this account.
        key.AddToResourcePolicy(new PolicyStatement(new PolicyStatementProps
        {
            Sid = "AllowAlarmsAndEventBridgeToUseEncryptedTopicsAndQueues",
            Principals = [new ServicePrincipal("cloudwatch.amazonaws.com"), new ServicePrincipal("events.amazonaws.com")],
            Actions = ["kms:Decrypt", "kms:GenerateDataKey*"],
            Resources = ["*"],
            Conditions = new Dictionary<string, object>
            {
                ["StringEquals"] = new Dictionary<string, object> { ["aws:SourceAccount"] = stack.Account },
            },
        }));
    }

    /// <summary>CloudTrail encrypts log files for trails of this account only (the encryption context names the trail).</summary>
    public static void AllowCloudTrail(IKey key)
    {
        var stack = Stack.Of(key);
        key.AddToResourcePolicy(new PolicyStatement(new PolicyStatementProps
        {
            Sid = "AllowCloudTrailToEncryptLogs",
            Principals = [new ServicePrincipal("cloudtrail.amazonaws.com")],
            Actions = ["kms:GenerateDataKey*"],
            Resources = ["*"],
            Conditions = new Dictionary<string, object>
            {
                ["StringLike"] = new Dictionary<string, object>
                {
                    ["kms:EncryptionContext:aws:cloudtrail:arn"] = $"arn:{stack.Partition}:cloudtrail:*:{stack.Account}:trail/*",
                },
                ["StringEquals"] = new Dictionary<string, object> { ["aws:SourceAccount"] = stack.Account },
            },
        }));
        key.AddToResourcePolicy(new PolicyStatement(new PolicyStatementProps
        {
            Sid = "AllowCloudTrailToDescribeKey",
            Principals = [new ServicePrincipal("cloudtrail.amazonaws.com")],
            Actions = ["kms:DescribeKey"],
            Resources = ["*"],
        }));
    }
}
