using IsmsServerless.Engine;
using IsmsServerless.Model;

namespace IsmsServerless.Inputs;

/// <summary>What an AWS Backup state-change event is about.</summary>
public enum BackupJobKind
{
    /// <summary>"Backup Job State Change".</summary>
    Backup,
    /// <summary>"Copy Job State Change".</summary>
    Copy,
    /// <summary>"Restore Job State Change", including the restore jobs a restore testing plan starts.</summary>
    Restore,
    /// <summary>"Recovery Point State Change".</summary>
    RecoveryPoint,
}

/// <summary>
/// One AWS Backup job or recovery point state change, normalized from its EventBridge event. AWS Backup reports
/// <c>state</c> for backup and copy jobs and <c>status</c> for restore jobs and recovery points; both land in
/// <see cref="State"/>, upper case. Times that did not parse are null.
/// </summary>
public sealed record BackupJobInput : RuleInput
{
    public required BackupJobKind Kind { get; init; }

    /// <summary>The job id (backupJobId, copyJobId, restoreJobId), or the recovery point ARN.</summary>
    public required string JobId { get; init; }

    /// <summary>COMPLETED, FAILED, ABORTED, EXPIRED, RUNNING, CREATED, PENDING, PARTIAL... upper case.</summary>
    public required string State { get; init; }

    public string? StatusMessage { get; init; }

    /// <summary>The protected resource: <c>resourceArn</c>, a restore's <c>sourceResourceArn</c>, else the envelope's first resource.</summary>
    public required string ResourceArn { get; init; }

    /// <summary>AWS Backup's resource type (<c>EBS</c>, <c>RDS</c>, <c>Aurora</c>, <c>DynamoDB</c>, <c>EFS</c>, <c>EC2</c>...).</summary>
    public string BackupResourceType { get; init; } = "";

    public DateTimeOffset? CreatedAt { get; init; }
    public DateTimeOffset? CompletedAt { get; init; }

    /// <summary>Set when a restore testing plan started the restore job.</summary>
    public string? RestoreTestingPlanArn { get; init; }

    /// <summary>A recovery point's <c>isEncrypted</c> (AWS sends the string "true"/"false"); null when absent.</summary>
    public bool? IsEncrypted { get; init; }

    public string? SourceVaultArn { get; init; }
    public string? DestinationVaultArn { get; init; }
    public string? BackupPlanArn { get; init; }

    /// <summary>The Config resource type for the ledger and status page, derived from the ARN.</summary>
    public string ResourceType => ConfigTypeFor(ResourceArn, BackupResourceType);

    public bool IsFailure => State is "FAILED" or "ABORTED" or "EXPIRED";
    public bool IsSuccess => State is "COMPLETED";

    public override IEnumerable<Evaluation> Dispatch(RuleRegistry registry, EvaluationContext context) =>
        registry.Evaluate(this, context);

    /// <summary>The region named in an ARN (<c>arn:aws:backup:us-west-2:...</c>), or null.</summary>
    public static string? RegionOf(string? arn)
    {
        if (string.IsNullOrEmpty(arn) || !arn.StartsWith("arn:", StringComparison.Ordinal)) return null;
        var parts = arn.Split(':');
        return parts.Length > 3 && parts[3].Length > 0 ? parts[3] : null;
    }

    public static string ConfigTypeFor(string arn, string backupType)
    {
        if (arn.Contains(":rds:", StringComparison.Ordinal) && arn.Contains(":cluster:", StringComparison.Ordinal)) return "AWS::RDS::DBCluster";
        if (arn.Contains(":rds:", StringComparison.Ordinal) && arn.Contains(":db:", StringComparison.Ordinal)) return "AWS::RDS::DBInstance";
        if (arn.Contains(":dynamodb:", StringComparison.Ordinal)) return "AWS::DynamoDB::Table";
        if (arn.Contains(":elasticfilesystem:", StringComparison.Ordinal)) return "AWS::EFS::FileSystem";
        if (arn.Contains(":volume/", StringComparison.Ordinal)) return "AWS::EC2::Volume";
        if (arn.Contains(":instance/", StringComparison.Ordinal)) return "AWS::EC2::Instance";
        if (arn.Contains(":s3:", StringComparison.Ordinal)) return "AWS::S3::Bucket";
        return backupType.Length > 0 ? $"AWS::Backup::Resource/{backupType}" : "AWS::Backup::Resource";
    }
}
