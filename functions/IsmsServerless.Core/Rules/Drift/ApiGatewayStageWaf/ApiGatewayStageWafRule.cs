using IsmsServerless.Drift;
using IsmsServerless.Inputs;
using IsmsServerless.Model;

namespace IsmsServerless.Rules.Drift;

/// <summary>API Gateway REST API stages are associated with an AWS WAF web ACL (GetStage's webAclArn).</summary>
public sealed class ApiGatewayStageWafRule : ConfigItemBaselineRule
{
    private static readonly Baseline Definition = new("AWS::ApiGateway::Stage", "2026.11.1",
    [
        new("apigateway.waf", "configuration.webAclArn", "a WAF web ACL ARN", PolicyClauses.Proc002Waf, With(Controls.IsoNetworkSecurity, Controls.Soc2BoundaryProtection), Severity.High),
    ]);

    public override RuleMetadata Metadata { get; } = new(
        Id: "drift.api-gateway-stage-waf",
        Title: "API Gateway stage not protected by AWS WAF",
        Category: Category.Drift,
        Severity: Severity.High,
        ResourceType: "AWS::ApiGateway::Stage",
        PolicyClause: PolicyClauses.Proc002Waf,
        Controls: With(Controls.IsoNetworkSecurity, Controls.Soc2BoundaryProtection),
        Risk: "A public API without the web application firewall takes injection, scraping and volumetric traffic straight to the backend.",
        Remediation: "Associate the stage with the regional web ACL (aws wafv2 associate-web-acl --web-acl-arn <acl> --resource-arn arn:aws:apigateway:<region>::/restapis/<id>/stages/<stage>); declare the association in code.")
    {
        Sla = TimeSpan.FromDays(14),
    };

    public override Baseline Baseline => Definition;

    public override IReadOnlyList<string> ResourceTypes { get; } = ["AWS::ApiGateway::Stage"];

    protected override IEnumerable<BaselineViolation> Check(ConfigItemInput input)
    {
        var acl = Json.Text(input.Configuration, "webAclArn", "WebAclArn");
        return Require(!string.IsNullOrWhiteSpace(acl), Definition["apigateway.waf"], string.IsNullOrEmpty(acl) ? null : acl);
    }
}
