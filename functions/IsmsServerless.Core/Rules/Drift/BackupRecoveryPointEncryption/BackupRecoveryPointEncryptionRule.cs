using IsmsServerless.Drift;
using IsmsServerless.Inputs;
using IsmsServerless.Model;

namespace IsmsServerless.Rules.Drift;

/// <summary>AWS Backup recovery points are encrypted (a copy of an unencrypted source can be unencrypted).</summary>
public sealed class BackupRecoveryPointEncryptionRule : ConfigItemBaselineRule
{
    private static readonly Baseline Definition = new("AWS::Backup::RecoveryPoint", "2026.11.1",
    [
        new("backup.recovery-point-encrypted", "configuration.IsEncrypted", "true", PolicyClauses.QwestlyBackups, With(Controls.IsoCryptography, Controls.IsoBackup, Controls.Soc2Availability), Severity.High),
    ]);

    public override RuleMetadata Metadata { get; } = new(
        Id: "drift.backup-recovery-point-encryption",
        Title: "Backup recovery point not encrypted",
        Category: Category.Drift,
        Severity: Severity.High,
        ResourceType: "AWS::Backup::RecoveryPoint",
        PolicyClause: PolicyClauses.QwestlyBackups,
        Controls: With(Controls.IsoCryptography, Controls.IsoBackup, Controls.Soc2Availability),
        Risk: "A backup is a full copy of the data; unencrypted, anyone who can copy or share it reads everything.",
        Remediation: "Encrypt the source resource, take a new backup into a vault with a KMS key, and delete the unencrypted recovery point once the new one is verified.")
    {
        Sla = TimeSpan.FromDays(14),
    };

    public override Baseline Baseline => Definition;

    public override IReadOnlyList<string> ResourceTypes { get; } = ["AWS::Backup::RecoveryPoint"];

    protected override IEnumerable<BaselineViolation> Check(ConfigItemInput input)
    {
        var encrypted = Json.Get(input.Configuration, "IsEncrypted", "isEncrypted");
        return Require(Json.Bool(encrypted) == true, Definition["backup.recovery-point-encrypted"], Json.Text(encrypted));
    }
}
