using System.Text.Json;
using IsmsServerless.Drift;
using IsmsServerless.Inputs;
using IsmsServerless.Model;

namespace IsmsServerless.Rules.Drift;

/// <summary>CloudFront distributions are associated with an AWS WAF web ACL (distributionConfig.webACLId; empty string when none).</summary>
public sealed class CloudfrontDistributionWafRule : ConfigItemBaselineRule
{
    private static readonly Baseline Definition = new("AWS::CloudFront::Distribution", "2026.11.1",
    [
        new("cloudfront.waf", "configuration.distributionConfig.webACLId", "a WAF web ACL id or ARN", PolicyClauses.Proc002Waf, With(Controls.IsoNetworkSecurity, Controls.Soc2BoundaryProtection), Severity.High),
    ]);

    public override RuleMetadata Metadata { get; } = new(
        Id: "drift.cloudfront-distribution-waf",
        Title: "CloudFront distribution not protected by AWS WAF",
        Category: Category.Drift,
        Severity: Severity.High,
        ResourceType: "AWS::CloudFront::Distribution",
        PolicyClause: PolicyClauses.Proc002Waf,
        Controls: With(Controls.IsoNetworkSecurity, Controls.Soc2BoundaryProtection),
        Risk: "The public edge of the service passes every request to the origin unfiltered.",
        Remediation: "Attach a CLOUDFRONT-scope web ACL (us-east-1) to the distribution (WebACLId in the distribution config); declare it in code.")
    {
        Sla = TimeSpan.FromDays(14),
    };

    public override Baseline Baseline => Definition;

    public override IReadOnlyList<string> ResourceTypes { get; } = ["AWS::CloudFront::Distribution"];

    protected override IEnumerable<BaselineViolation> Check(ConfigItemInput input)
    {
        // Config writes webACLId "" for a distribution without a web ACL: the evidence says so rather than "not set".
        var raw = Json.Get(Json.Get(input.Configuration, "distributionConfig", "DistributionConfig"), "webACLId", "WebACLId");
        var acl = Json.Text(raw);
        return Require(acl is not null, Definition["cloudfront.waf"], acl ?? (raw.ValueKind == JsonValueKind.String ? "\"\" (empty)" : null));
    }
}
