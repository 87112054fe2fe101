using System.Text.Json;
using IsmsServerless.Drift;
using IsmsServerless.Engine;
using IsmsServerless.Inputs;
using IsmsServerless.Model;

namespace IsmsServerless.Rules.Drift;

/// <summary>
/// S3 buckets encrypt at rest by default (SSE-S3 or SSE-KMS) and block every form of public access at bucket level.
/// Config reports both in <c>supplementaryConfiguration</c>; CloudTrail's DeleteBucketEncryption, PutBucketPublicAccessBlock
/// with a flag off and DeleteBucketPublicAccessBlock raise the finding before Config's next item confirms or clears it.
/// </summary>
public sealed class S3BucketBaselineRule : IRule<ConfigItemInput>, IRule<CloudTrailInput>, IKeyedRule<CloudTrailInput>, IKeyedRule<ConfigItemInput>
{
    public const string ResourceTypeName = "AWS::S3::Bucket";

    private static readonly string[] PublicAccessFlags = ["BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"];

    private static readonly string[] EncryptionControls = [Controls.IsoCryptography, Controls.IsoConfiguration, Controls.Soc2LogicalAccess, Controls.Soc2ConfigurationMonitoring];
    private static readonly string[] ExposureControls = [Controls.IsoAccessControl, Controls.IsoConfiguration, Controls.Soc2LogicalAccess, Controls.Soc2ConfigurationMonitoring];

    public static Baseline Baseline { get; } = new(ResourceTypeName, "2026.11.1",
    [
        new("s3.encryption-at-rest", "supplementaryConfiguration.ServerSideEncryptionConfiguration", "default encryption (SSE-S3 or SSE-KMS) configured",
            PolicyClauses.QwestlyEncryptAtRest, EncryptionControls, Severity.High),
        .. PublicAccessFlags.Select(flag => new BaselineRequirement($"s3.public-access-blocked.{flag}",
            $"supplementaryConfiguration.PublicAccessBlockConfiguration.{flag}", "true",
            PolicyClauses.QwestlyEncryptData + "; " + PolicyClauses.Proc002Baseline, ExposureControls, Severity.High)),
    ]);

    public RuleMetadata Metadata { get; } = new(
        Id: "drift.s3-bucket-baseline",
        Title: "S3 bucket not encrypted or not blocking public access",
        Category: Category.Drift,
        Severity: Severity.High,
        ResourceType: ResourceTypeName,
        PolicyClause: PolicyClauses.QwestlyEncryptAtRest + "; " + PolicyClauses.QwestlyEncryptData,
        Controls: [Controls.IsoCryptography, Controls.IsoAccessControl, Controls.IsoConfiguration, Controls.Soc2LogicalAccess, Controls.Soc2ConfigurationMonitoring],
        Risk: "A bucket without public access block can be opened by a single policy or ACL change; candidate and customer data would then be readable by anyone.",
        Remediation: "aws s3api put-public-access-block --bucket <name> --public-access-block-configuration BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true; aws s3api put-bucket-encryption with SSE-KMS; then set the same in the bucket's CDK/Terraform code.")
    {
        Sla = TimeSpan.FromDays(7),
    };

    public IEnumerable<Evaluation> Evaluate(ConfigItemInput input, EvaluationContext context)
    {
        if (input.ResourceType != ResourceTypeName || !input.HasConfiguration) yield break;
        var supplementary = input.SupplementaryConfiguration;
        var violations = new List<BaselineViolation>();
        var encryption = Json.Get(supplementary, "ServerSideEncryptionConfiguration");
        var algorithms = Json.Items(Json.Get(encryption, "rules"))
            .Select(r => Json.Text(Json.Get(r, "applyServerSideEncryptionByDefault"), "sseAlgorithm"))
            .Where(a => !string.IsNullOrEmpty(a)).ToList();
        if (algorithms.Count == 0)
            violations.Add(new BaselineViolation(Baseline["s3.encryption-at-rest"], encryption.ValueKind == JsonValueKind.Undefined ? "not configured" : "no default algorithm"));
        var block = Json.Get(supplementary, "PublicAccessBlockConfiguration");
        foreach (var flag in PublicAccessFlags)
        {
            var value = Json.Get(block, flag);
            if (Json.Bool(value) != true)
                violations.Add(new BaselineViolation(Baseline[$"s3.public-access-blocked.{flag}"], Json.Text(value) ?? "not set"));
        }
        yield return BaselineVerdict.Judge(Metadata, Baseline, input.ResourceKey, ResourceTypeName, input.AccountId, input.Region,
            BaselineVerdict.Subject(input), violations, input.CaptureTime, input.Evidence());
    }

    /// <summary>Only calls to s3.amazonaws.com (the first check of the CloudTrail evaluation below).</summary>
    IReadOnlyList<string> IKeyedRule<CloudTrailInput>.DispatchKeys { get; } = ["s3.amazonaws.com"];

    /// <summary>Configuration items of this type only (the first check of <c>Evaluate</c>).</summary>
    IReadOnlyList<string> IKeyedRule<ConfigItemInput>.DispatchKeys { get; } = [ResourceTypeName];

    public IEnumerable<Evaluation> Evaluate(CloudTrailInput input, EvaluationContext context)
    {
        if (input.Failed || input.EventSource != "s3.amazonaws.com") yield break;
        var request = input.Record.RequestParameters;
        var bucket = Json.Text(request, "bucketName");
        if (!ResourceKeys.Plausible(bucket)) yield break;
        var violations = new List<BaselineViolation>();
        switch (input.EventName)
        {
            case "DeleteBucketEncryption":
                violations.Add(new BaselineViolation(Baseline["s3.encryption-at-rest"], "deleted by DeleteBucketEncryption"));
                break;
            case "PutBucketPublicAccessBlock":
                var block = Json.Get(request, "PublicAccessBlockConfiguration");
                foreach (var flag in PublicAccessFlags)
                {
                    var value = Json.Get(block, flag);
                    // An omitted flag is set to false by the API, so absent counts as off.
                    if (Json.Bool(value) != true)
                        violations.Add(new BaselineViolation(Baseline[$"s3.public-access-blocked.{flag}"], Json.Text(value) ?? "false (omitted)"));
                }
                break;
            case "DeleteBucketPublicAccessBlock" or "DeletePublicAccessBlock":
                foreach (var flag in PublicAccessFlags)
                    violations.Add(new BaselineViolation(Baseline[$"s3.public-access-blocked.{flag}"], $"deleted by {input.EventName}"));
                break;
            default:
                yield break;
        }
        if (violations.Count == 0) yield break;
        yield return BaselineVerdict.Judge(Metadata, Baseline, ResourceKeys.Bucket(bucket), ResourceTypeName, input.AccountId, input.Region,
            BaselineVerdict.Subject(ResourceTypeName, bucket), violations, input.ObservedAt, input.Evidence(), source: $"{input.EventName} by {input.Actor}");
    }
}
