using IsmsServerless.Engine;
using IsmsServerless.Inputs;
using IsmsServerless.Model;

namespace IsmsServerless.Rules.Backup;

/// <summary>
/// Database backups must be encrypted. A recovery point AWS Backup reports COMPLETED (or AVAILABLE) with
/// <c>isEncrypted</c> false is a finding; an encrypted one resolves it. Points that do not say are not judged.
/// </summary>
public sealed class RecoveryPointEncryptedRule : IRule<BackupJobInput>
{
    public RuleMetadata Metadata { get; } = new(
        Id: "backup.recovery-point-encrypted",
        Title: "Backup recovery point is not encrypted",
        Category: Category.Backup,
        Severity: Severity.High,
        ResourceType: "AWS::Backup::RecoveryPoint",
        PolicyClause: BackupPolicy.Encrypted,
        Controls: BackupPolicy.CryptoControls,
        Risk: "Anyone who can read the vault or a shared snapshot reads the data in clear.",
        Remediation: "Encrypt the source (RDS/Aurora storage encryption, EBS default encryption) or use a vault with a KMS key; re-run the backup and delete the unencrypted recovery point once the new one exists.")
    {
        Sla = TimeSpan.FromDays(7),
    };

    public IEnumerable<Evaluation> Evaluate(BackupJobInput input, EvaluationContext context)
    {
        if (input.Kind != BackupJobKind.RecoveryPoint || input.IsEncrypted is null || input.State is not ("COMPLETED" or "AVAILABLE")) yield break;
        var encrypted = input.IsEncrypted.Value;
        var evidence = BackupPolicy.Evidence(input);
        evidence["isEncrypted"] = encrypted ? "true" : "false";
        yield return new Evaluation
        {
            Rule = Metadata,
            Outcome = encrypted ? Outcome.Compliant : Outcome.Finding,
            ResourceId = input.ResourceArn,
            ResourceType = input.ResourceType,
            AccountId = input.AccountId,
            Region = input.Region,
            Message = encrypted
                ? $"Recovery point of {input.ResourceArn} is encrypted"
                : $"Recovery point {input.JobId} of {input.ResourceArn} is not encrypted",
            ClockStart = encrypted ? null : input.CompletedAt ?? input.ObservedAt,
            ObservedAt = input.ObservedAt,
            Evidence = evidence,
        };
    }
}
