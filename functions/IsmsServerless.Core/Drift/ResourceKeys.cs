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

    /// <summary>
    /// The key of a resource: its ARN (an IAM user's without its path, see <see cref="Principal"/>), else
    /// <c>type/id</c>.
    /// </summary>
    public static string For(string? arn, string resourceType, string resourceId) =>
        !Model.Present.IsBlank(arn) && arn!.StartsWith("arn:", StringComparison.Ordinal)
            ? resourceType == "AWS::IAM::User" ? Principal(arn) : arn
            : $"{resourceType}/{resourceId}";

    public static string SecurityGroup(string region, string account, string groupId) => $"arn:aws:ec2:{region}:{account}:security-group/{groupId}";

    public static string Volume(string region, string account, string volumeId) => $"arn:aws:ec2:{region}:{account}:volume/{volumeId}";

    public static string Bucket(string bucket) => $"arn:aws:s3:::{bucket}";

    public static string DbInstance(string region, string account, string identifier) => $"arn:aws:rds:{region}:{account}:db:{identifier}";

    public static string Trail(string region, string account, string name) =>
        name.StartsWith("arn:", StringComparison.Ordinal) ? name : $"arn:aws:cloudtrail:{region}:{account}:trail/{name}";

    /// <summary>IAM user ARN without its path: CloudTrail's request parameters and the leaver rules name the user only.</summary>
    public static string IamUser(string account, string userName) => $"arn:aws:iam::{account}:user/{userName}";

    /// <summary>
    /// The one key of an IAM principal, whatever names it. An IAM user's ARN loses its path
    /// (<c>arn:aws:iam::123456789012:user/division/team/alice</c> is <c>arn:aws:iam::123456789012:user/alice</c>): a user
    /// name is unique in its account whatever the path, Config's item, CloudTrail's <c>userIdentity.arn</c> and the
    /// credential report spell the ARN with the path, while CloudTrail's request parameters (<c>userName</c>) and the
    /// leaver rules know the name only. Every other ARN (roles keep their path: Config and a session's issuer both spell
    /// it) is returned unchanged. Pure.
    /// </summary>
    public static string Principal(string arn)
    {
        ArgumentNullException.ThrowIfNull(arn);
        var parts = arn.Split(':', 6);
        if (parts.Length != 6 || parts[0] != "arn" || parts[2] != "iam" || !parts[5].StartsWith("user/", StringComparison.Ordinal)) return arn;
        var name = parts[5][(parts[5].LastIndexOf('/') + 1)..];
        return IamName(name) ? $"arn:{parts[1]}:iam::{parts[4]}:user/{name}" : arn;
    }

    /// <summary>
    /// An IAM user, group or role name as IAM allows it: 1 to 128 characters of letters, digits and <c>+=,.@_-</c>. A
    /// name taken from a request that is anything else (a slash, a control character, a space) names no IAM principal.
    /// </summary>
    public static bool IamName([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] string? name)
    {
        if (name is not { Length: > 0 and <= 128 }) return false;
        foreach (var c in name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '+' or '=' or ',' or '.' or '@' or '_' or '-')) return false;
        }
        return true;
    }
}
