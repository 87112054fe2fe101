using IsmsServerless.Drift;
using IsmsServerless.Inputs;
using IsmsServerless.Model;

namespace IsmsServerless.Rules.Drift;

/// <summary>Redshift clusters are encrypted at rest.</summary>
public sealed class RedshiftClusterEncryptionRule : ConfigItemBaselineRule
{
    private static readonly Baseline Definition = new("AWS::Redshift::Cluster", "2026.11.1",
    [
        new("redshift.encrypted", "configuration.encrypted", "true", PolicyClauses.QwestlyEncryptAtRest, With(Controls.IsoCryptography, Controls.Soc2LogicalAccess), Severity.High),
    ]);

    public override RuleMetadata Metadata { get; } = new(
        Id: "drift.redshift-cluster-encryption",
        Title: "Redshift cluster not encrypted at rest",
        Category: Category.Drift,
        Severity: Severity.High,
        ResourceType: "AWS::Redshift::Cluster",
        PolicyClause: PolicyClauses.QwestlyEncryptAtRest,
        Controls: With(Controls.IsoCryptography, Controls.Soc2LogicalAccess),
        Risk: "The warehouse holds copies of customer and candidate data; unencrypted, its blocks and snapshots are readable from any copy.",
        Remediation: "aws redshift modify-cluster --cluster-identifier <id> --encrypted --kms-key-id <key> (Redshift migrates the data); set the same in code.")
    {
        Sla = TimeSpan.FromDays(14),
    };

    public override Baseline Baseline => Definition;

    public override IReadOnlyList<string> ResourceTypes { get; } = ["AWS::Redshift::Cluster"];

    protected override IEnumerable<BaselineViolation> Check(ConfigItemInput input)
    {
        var encrypted = Json.Get(input.Configuration, "encrypted", "Encrypted");
        return Require(Json.Bool(encrypted) == true, Definition["redshift.encrypted"], Json.Text(encrypted));
    }
}
