using System.Text.Json;
using IsmsServerless.Drift;
using IsmsServerless.Inputs;
using IsmsServerless.Model;

namespace IsmsServerless.Rules.Drift;

/// <summary>
/// S3 buckets refuse requests that do not use TLS: the bucket policy has a Deny for every principal, on <c>s3:*</c>
/// (or <c>*</c>), for the bucket's objects, when <c>aws:SecureTransport</c> is false (AWS's own
/// s3-bucket-ssl-requests-only check, Security Hub S3.5). A deny on the bucket ARN alone does not cover object reads
/// and writes, so it does not count.
/// </summary>
public sealed class S3BucketTlsRequiredRule : ConfigItemBaselineRule
{
    private static readonly string[] ConditionOperators = ["Bool", "BoolIfExists"];

    private static readonly string[] TransportControls = With(Controls.IsoNetworkSecurity, Controls.IsoCryptography, Controls.Soc2DataTransmission);

    private static readonly Baseline Definition = new("AWS::S3::Bucket", "2026.11.1",
    [
        new("s3.tls-required", "supplementaryConfiguration.BucketPolicy.policyText",
            "a Deny statement: Principal *, Action s3:*, Resource <bucket>/* , Condition Bool aws:SecureTransport false",
            PolicyClauses.QwestlyEncryptData + "; " + PolicyClauses.Proc002PublicNetwork, TransportControls, Severity.Medium),
    ]);

    public override RuleMetadata Metadata { get; } = new(
        Id: "drift.s3-bucket-tls-required",
        Title: "S3 bucket accepts requests without TLS",
        Category: Category.Drift,
        Severity: Severity.Medium,
        ResourceType: "AWS::S3::Bucket",
        PolicyClause: PolicyClauses.QwestlyEncryptData + "; " + PolicyClauses.Proc002PublicNetwork,
        Controls: TransportControls,
        Risk: "Clients (or a misconfigured SDK endpoint) can read and write candidate and customer data over plain HTTP, exposing it and the request signatures on the network.",
        Remediation: "Add to the bucket policy: {\"Effect\":\"Deny\",\"Principal\":\"*\",\"Action\":\"s3:*\",\"Resource\":[\"arn:aws:s3:::<bucket>\",\"arn:aws:s3:::<bucket>/*\"],\"Condition\":{\"Bool\":{\"aws:SecureTransport\":\"false\"}}}; in CDK set enforceSSL: true.")
    {
        Sla = TimeSpan.FromDays(30),
    };

    public override Baseline Baseline => Definition;

    public override IReadOnlyList<string> ResourceTypes { get; } = ["AWS::S3::Bucket"];

    protected override IEnumerable<BaselineViolation> Check(ConfigItemInput input)
    {
        var bucket = input.ResourceName ?? input.ResourceId;
        var policy = Json.Unwrap(Json.Get(Json.Get(input.SupplementaryConfiguration, "BucketPolicy"), "policyText"));
        if (policy.ValueKind != JsonValueKind.Object)
            return Require(false, Definition["s3.tls-required"], policy.ValueKind == JsonValueKind.Undefined || policy.ValueKind == JsonValueKind.Null ? "no bucket policy" : "bucket policy unreadable");
        var tlsDenies = Statements(policy).Where(IsTlsDeny).ToList();
        if (tlsDenies.Count == 0)
            return Require(false, Definition["s3.tls-required"], "no Deny on aws:SecureTransport false for every principal and s3:*");
        var coversObjects = tlsDenies.Any(s => Values(Json.Get(s, "Resource")).Any(r => r == "*" || r == $"arn:aws:s3:::{bucket}/*" || r == "arn:aws:s3:::*"));
        return Require(coversObjects, Definition["s3.tls-required"],
            "the Deny names only " + string.Join(", ", tlsDenies.SelectMany(s => Values(Json.Get(s, "Resource"))).Distinct().Take(3)) + ", not the bucket's objects");
    }

    private static IEnumerable<JsonElement> Statements(JsonElement policy)
    {
        var statement = Json.Get(policy, "Statement");
        return statement.ValueKind == JsonValueKind.Object ? [statement] : Json.Items(statement);
    }

    private static bool IsTlsDeny(JsonElement statement)
    {
        if (!string.Equals(Json.Text(statement, "Effect"), "Deny", StringComparison.Ordinal)) return false;
        var principal = Json.Get(statement, "Principal");
        var everyone = Json.Text(principal) == "*" || Values(Json.Get(principal, "AWS")).Contains("*");
        if (!everyone) return false;
        if (!Values(Json.Get(statement, "Action")).Any(a => a is "*" or "s3:*")) return false;
        var condition = Json.Get(statement, "Condition");
        // Bool (and the forgiving BoolIfExists) with aws:SecureTransport "false"; IAM compares condition keys case-insensitively.
        foreach (var op in ConditionOperators)
        {
            var block = Json.Get(condition, op);
            if (block.ValueKind != JsonValueKind.Object) continue;
            foreach (var property in block.EnumerateObject())
            {
                if (string.Equals(property.Name, "aws:SecureTransport", StringComparison.OrdinalIgnoreCase)
                    && Values(property.Value).Any(v => string.Equals(v, "false", StringComparison.OrdinalIgnoreCase)))
                    return true;
            }
        }
        return false;
    }

    /// <summary>A policy value that may be one string (or boolean) or a list of them.</summary>
    private static List<string> Values(JsonElement element) => element.ValueKind == JsonValueKind.Array
        ? Json.Items(element).Select(Json.Text).OfType<string>().ToList()
        : Json.Text(element) is { } one ? [one] : [];
}
