namespace IsmsServerless.Drift;

/// <summary>The properties of a resource type whose change against an approved snapshot is drift.</summary>
/// <param name="Configuration">Top-level <c>configuration</c> properties; null means all of them.</param>
/// <param name="Supplementary">Top-level <c>supplementaryConfiguration</c> properties.</param>
public sealed record TrackedSet(IReadOnlyCollection<string>? Configuration, IReadOnlyCollection<string> Supplementary);

/// <summary>
/// What an approved snapshot pins, per resource type: the security-relevant settings, not the fields that change on
/// their own (instance state, timestamps, attachment lists). Types not listed pin their whole <c>configuration</c>;
/// re-approve after an expected change.
/// </summary>
public static class TrackedProperties
{
    private static readonly Dictionary<string, TrackedSet> ByType = new(StringComparer.Ordinal)
    {
        ["AWS::EC2::SecurityGroup"] = new(["ipPermissions", "ipPermissionsEgress", "vpcId"], []),
        ["AWS::S3::Bucket"] = new([], ["ServerSideEncryptionConfiguration", "PublicAccessBlockConfiguration", "BucketPolicy", "AccessControlList", "BucketVersioningConfiguration", "BucketLoggingConfiguration"]),
        ["AWS::RDS::DBInstance"] = new(["storageEncrypted", "kmsKeyId", "publiclyAccessible", "backupRetentionPeriod", "vpcSecurityGroups", "dBInstanceClass", "engineVersion", "multiAZ", "deletionProtection", "iAMDatabaseAuthenticationEnabled", "caCertificateIdentifier"], []),
        ["AWS::EC2::Volume"] = new(["encrypted", "kmsKeyId", "volumeType", "size"], []),
        ["AWS::DynamoDB::Table"] = new(["sseDescription", "billingModeSummary", "deletionProtectionEnabled", "streamSpecification"], ["ContinuousBackupsDescription"]),
        ["AWS::CloudTrail::Trail"] = new(["isMultiRegionTrail", "logFileValidationEnabled", "includeGlobalServiceEvents", "s3BucketName", "kmsKeyId", "cloudWatchLogsLogGroupArn", "isLogging", "isOrganizationTrail"], []),
        ["AWS::IAM::User"] = new(["attachedManagedPolicies", "userPolicyList", "groupList", "permissionsBoundary"], []),
    };

    public static TrackedSet For(string resourceType) => ByType.TryGetValue(resourceType, out var set) ? set : new TrackedSet(null, []);
}
