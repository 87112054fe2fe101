using IsmsServerless.Drift;
using IsmsServerless.Inputs;
using IsmsServerless.Model;

namespace IsmsServerless.Rules.Drift;

/// <summary>
/// CloudWatch log groups keep logs for a chosen period (a retention is set: "never expire" means nobody chose) and
/// encrypt them with a KMS key the account controls. CloudWatch Logs always encrypts server-side with a service key;
/// the KMS requirement is about who can read and destroy the logs, so it is Medium, retention is Medium too.
/// </summary>
public sealed class LogGroupBaselineRule : ConfigItemBaselineRule
{
    private static readonly Baseline Definition = new("AWS::Logs::LogGroup", "2026.11.1",
    [
        new("logs.retention-set", "configuration.RetentionInDays", "a retention period in days (not \"never expire\")",
            PolicyClauses.Proc002LogRetention, With(Controls.IsoLogging, Controls.Soc2AnomalyMonitoring), Severity.Medium),
        new("logs.kms-encrypted", "configuration.KmsKeyId", "a KMS key ARN",
            PolicyClauses.QwestlyEncryptAtRest, With(Controls.IsoCryptography, Controls.IsoLogging, Controls.Soc2LogicalAccess), Severity.Medium),
    ]);

    public override RuleMetadata Metadata { get; } = new(
        Id: "drift.log-group-baseline",
        Title: "CloudWatch log group without retention or KMS encryption",
        Category: Category.Drift,
        Severity: Severity.Medium,
        ResourceType: "AWS::Logs::LogGroup",
        PolicyClause: PolicyClauses.Proc002LogRetention + "; " + PolicyClauses.QwestlyEncryptAtRest,
        Controls: With(Controls.IsoLogging, Controls.IsoCryptography, Controls.Soc2AnomalyMonitoring, Controls.Soc2LogicalAccess),
        Risk: "Logs kept forever hold personal data past any need and cost without limit; logs without a customer key can be read by anyone with logs:Get* and cannot be crypto-shredded.",
        Remediation: "aws logs put-retention-policy --log-group-name <name> --retention-in-days <days chosen by the IT Director>; aws logs associate-kms-key --log-group-name <name> --kms-key-id <key arn>; in CDK set logRetention/retention and encryptionKey.")
    {
        Sla = TimeSpan.FromDays(30),
    };

    public override Baseline Baseline => Definition;

    public override IReadOnlyList<string> ResourceTypes { get; } = ["AWS::Logs::LogGroup"];

    protected override IEnumerable<BaselineViolation> Check(ConfigItemInput input)
    {
        var retention = Json.WholeNumber(Json.Get(input.Configuration, "RetentionInDays", "retentionInDays"));
        var key = Json.Text(input.Configuration, "KmsKeyId", "kmsKeyId");
        return
        [
            .. Require(retention is > 0, Definition["logs.retention-set"], retention is null ? "not set (never expire)" : retention.Value.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            .. Require(!string.IsNullOrWhiteSpace(key), Definition["logs.kms-encrypted"], key),
        ];
    }
}
