using IsmsServerless.Drift;
using IsmsServerless.Inputs;
using IsmsServerless.Model;

namespace IsmsServerless.Rules.Drift;

/// <summary>
/// Every VPC's default security group has no inbound and no outbound rule (CIS AWS 5.4, Security Hub EC2.2): anything
/// launched without an explicit group then talks to nothing. A group is the default one when its name is <c>default</c>
/// (AWS reserves the name; no other group can take it).
/// </summary>
public sealed class DefaultSecurityGroupClosedRule : ConfigItemBaselineRule
{
    private static readonly string[] NetworkControls = With(Controls.IsoNetworkSecurity, Controls.IsoSegregation, Controls.Soc2BoundaryProtection);

    private static readonly Baseline Definition = new("AWS::EC2::SecurityGroup", "2026.11.1",
    [
        new("sg.default-no-ingress", "configuration.ipPermissions", "[] (no inbound rule on the default group)",
            PolicyClauses.QwestlySecurityGroups + "; " + PolicyClauses.Proc002NoOpenPorts, NetworkControls, Severity.High),
        new("sg.default-no-egress", "configuration.ipPermissionsEgress", "[] (no outbound rule on the default group)",
            PolicyClauses.QwestlySecurityGroups, NetworkControls, Severity.Medium),
    ]);

    public override RuleMetadata Metadata { get; } = new(
        Id: "drift.default-security-group-closed",
        Title: "Default security group not closed",
        Category: Category.Drift,
        Severity: Severity.High,
        ResourceType: "AWS::EC2::SecurityGroup",
        PolicyClause: PolicyClauses.QwestlySecurityGroups + "; " + PolicyClauses.Proc002NoOpenPorts,
        Controls: NetworkControls,
        Risk: "Instances, Lambda ENIs and endpoints created without an explicit group land in the default group and inherit whatever it allows, silently.",
        Remediation: "Remove every inbound and outbound rule of the default group (aws ec2 revoke-security-group-ingress/egress --group-id <id> --ip-permissions ...), move any resource using it to a purpose-made group; in CDK set restrictDefaultSecurityGroup: true on the VPC.")
    {
        Sla = TimeSpan.FromDays(14),
    };

    public override Baseline Baseline => Definition;

    public override IReadOnlyList<string> ResourceTypes { get; } = ["AWS::EC2::SecurityGroup"];

    protected override bool AppliesTo(ConfigItemInput input) =>
        string.Equals(Json.Text(input.Configuration, "groupName", "GroupName"), "default", StringComparison.Ordinal);

    protected override IEnumerable<BaselineViolation> Check(ConfigItemInput input)
    {
        var ingress = Json.Items(Json.Get(input.Configuration, "ipPermissions", "IpPermissions")).Count();
        var egress = Json.Items(Json.Get(input.Configuration, "ipPermissionsEgress", "IpPermissionsEgress")).Count();
        // The text says "present", not how many: two open states of the same group then read the same, so the
        // finding's first history line and alert do not depend on which observation arrived first.
        return
        [
            .. Require(ingress == 0, Definition["sg.default-no-ingress"], "inbound rules present"),
            .. Require(egress == 0, Definition["sg.default-no-egress"], "outbound rules present"),
        ];
    }
}
