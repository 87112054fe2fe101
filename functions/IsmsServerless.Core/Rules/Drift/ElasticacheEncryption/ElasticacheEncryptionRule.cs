using IsmsServerless.Drift;
using IsmsServerless.Inputs;
using IsmsServerless.Model;

namespace IsmsServerless.Rules.Drift;

/// <summary>ElastiCache (Redis OSS / Valkey) replication groups are encrypted at rest (set at creation only).</summary>
public sealed class ElasticacheEncryptionRule : ConfigItemBaselineRule
{
    private static readonly Baseline Definition = new("AWS::ElastiCache::ReplicationGroup", "2026.11.1",
    [
        new("elasticache.at-rest-encryption", "configuration.AtRestEncryptionEnabled", "true", PolicyClauses.QwestlyEncryptAtRest, With(Controls.IsoCryptography, Controls.Soc2LogicalAccess), Severity.Medium),
    ]);

    public override RuleMetadata Metadata { get; } = new(
        Id: "drift.elasticache-encryption",
        Title: "ElastiCache replication group not encrypted at rest",
        Category: Category.Drift,
        Severity: Severity.Medium,
        ResourceType: "AWS::ElastiCache::ReplicationGroup",
        PolicyClause: PolicyClauses.QwestlyEncryptAtRest,
        Controls: With(Controls.IsoCryptography, Controls.Soc2LogicalAccess),
        Risk: "Cached sessions and query results are written unencrypted to disk and backups.",
        Remediation: "Create an encrypted replication group from a backup (AtRestEncryptionEnabled: true, KmsKeyId), switch the endpoint, delete the old one.")
    {
        Sla = TimeSpan.FromDays(30),
    };

    public override Baseline Baseline => Definition;

    public override IReadOnlyList<string> ResourceTypes { get; } = ["AWS::ElastiCache::ReplicationGroup"];

    protected override IEnumerable<BaselineViolation> Check(ConfigItemInput input)
    {
        var enabled = Json.Get(input.Configuration, "AtRestEncryptionEnabled", "atRestEncryptionEnabled");
        return Require(Json.Bool(enabled) == true, Definition["elasticache.at-rest-encryption"], Json.Text(enabled));
    }
}
