using IsmsServerless.Drift;
using IsmsServerless.Inputs;
using IsmsServerless.Model;

namespace IsmsServerless.Rules.Drift;

/// <summary>SNS topics encrypt messages at rest with a KMS key (KmsMasterKeyId set; SNS has no encryption otherwise).</summary>
public sealed class SnsTopicEncryptionRule : ConfigItemBaselineRule
{
    private static readonly Baseline Definition = new("AWS::SNS::Topic", "2026.11.1",
    [
        new("sns.kms-encrypted", "configuration.KmsMasterKeyId", "a KMS key id or alias", PolicyClauses.QwestlyEncryptAtRest, With(Controls.IsoCryptography, Controls.Soc2LogicalAccess), Severity.Medium),
    ]);

    public override RuleMetadata Metadata { get; } = new(
        Id: "drift.sns-topic-encryption",
        Title: "SNS topic not encrypted at rest",
        Category: Category.Drift,
        Severity: Severity.Medium,
        ResourceType: "AWS::SNS::Topic",
        PolicyClause: PolicyClauses.QwestlyEncryptAtRest,
        Controls: With(Controls.IsoCryptography, Controls.Soc2LogicalAccess),
        Risk: "Messages waiting for delivery (alerts, findings, customer notifications) are stored unencrypted.",
        Remediation: "aws sns set-topic-attributes --topic-arn <arn> --attribute-name KmsMasterKeyId --attribute-value alias/aws/sns (or a customer managed key); set the same in code.")
    {
        Sla = TimeSpan.FromDays(30),
    };

    public override Baseline Baseline => Definition;

    public override IReadOnlyList<string> ResourceTypes { get; } = ["AWS::SNS::Topic"];

    protected override IEnumerable<BaselineViolation> Check(ConfigItemInput input)
    {
        var key = Json.Text(input.Configuration, "KmsMasterKeyId", "kmsMasterKeyId");
        return Require(!string.IsNullOrWhiteSpace(key), Definition["sns.kms-encrypted"], key);
    }
}
