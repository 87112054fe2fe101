using IsmsServerless.Drift;
using IsmsServerless.Inputs;
using IsmsServerless.Model;

namespace IsmsServerless.Rules.Drift;

/// <summary>OpenSearch (and legacy Elasticsearch) domains are encrypted at rest. The two Config types spell the field differently.</summary>
public sealed class OpensearchDomainEncryptionRule : ConfigItemBaselineRule
{
    private static readonly Baseline Definition = new("AWS::OpenSearch::Domain", "2026.11.1",
    [
        new("opensearch.encrypted-at-rest", "configuration.EncryptionAtRestOptions.Enabled", "true", PolicyClauses.QwestlyEncryptAtRest, With(Controls.IsoCryptography, Controls.Soc2LogicalAccess), Severity.High),
    ]);

    public override RuleMetadata Metadata { get; } = new(
        Id: "drift.opensearch-domain-encryption",
        Title: "OpenSearch domain not encrypted at rest",
        Category: Category.Drift,
        Severity: Severity.High,
        ResourceType: "AWS::OpenSearch::Domain",
        PolicyClause: PolicyClauses.QwestlyEncryptAtRest,
        Controls: With(Controls.IsoCryptography, Controls.Soc2LogicalAccess),
        Risk: "Indexes and their automated snapshots hold searchable copies of customer data.",
        Remediation: "Enable encryption at rest (aws opensearch update-domain-config --encryption-at-rest-options Enabled=true,KmsKeyId=<key>; older domains need a new domain and a reindex); set the same in code.")
    {
        Sla = TimeSpan.FromDays(14),
    };

    public override Baseline Baseline => Definition;

    public override IReadOnlyList<string> ResourceTypes { get; } = ["AWS::OpenSearch::Domain", "AWS::Elasticsearch::Domain"];

    protected override IEnumerable<BaselineViolation> Check(ConfigItemInput input)
    {
        var options = Json.Get(input.Configuration, "EncryptionAtRestOptions", "encryptionAtRestOptions");
        var enabled = Json.Get(options, "Enabled", "enabled");
        return Require(Json.Bool(enabled) == true, Definition["opensearch.encrypted-at-rest"], Json.Text(enabled),
            input.ResourceType == "AWS::Elasticsearch::Domain" ? "configuration.encryptionAtRestOptions.enabled" : null);
    }
}
