namespace IsmsServerless.Drift;

/// <summary>
/// One key per resource, shared by findings (<c>ResourceId</c>), approved baselines and the drift store, whether the
/// resource was seen through Config or CloudTrail. Config's own <c>resourceId</c> is not usable for that: for RDS it is
/// the <c>DbiResourceId</c> and for IAM users the <c>AIDA…</c> id, which CloudTrail never names. The ARN is what both
/// sources can agree on, so CloudTrail rules build it the way Config spells it.
/// </summary>
public static class ResourceKeys
{
    /// <summary>Longest key accepted: DynamoDB keys hold 2 KB, and no real ARN comes near this.</summary>
    public const int MaxLength = 1024;

    /// <summary>An identifier taken from an API request is used only if it could be real (AWS names are short).</summary>
    public static bool Plausible([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] string? id) => !Model.Present.IsBlank(id) && id.Length <= 255;

    public static string For(string? arn, string resourceType, string resourceId) =>
        !Model.Present.IsBlank(arn) && arn!.StartsWith("arn:", StringComparison.Ordinal) ? arn : $"{resourceType}/{resourceId}";

    public static string SecurityGroup(string region, string account, string groupId) => $"arn:aws:ec2:{region}:{account}:security-group/{groupId}";

    public static string Volume(string region, string account, string volumeId) => $"arn:aws:ec2:{region}:{account}:volume/{volumeId}";

    public static string Bucket(string bucket) => $"arn:aws:s3:::{bucket}";

    public static string DbInstance(string region, string account, string identifier) => $"arn:aws:rds:{region}:{account}:db:{identifier}";

    public static string Trail(string region, string account, string name) =>
        name.StartsWith("arn:", StringComparison.Ordinal) ? name : $"arn:aws:cloudtrail:{region}:{account}:trail/{name}";

    /// <summary>IAM user ARN without its path (CloudTrail names the user only); users with a path key differently in Config.</summary>
    public static string IamUser(string account, string userName) => $"arn:aws:iam::{account}:user/{userName}";
}
