using IsmsServerless.Model;

namespace IsmsServerless.Rules.Backup;

/// <summary>An AWS managed Config rule whose verdict the backup and anti-malware rules read.</summary>
/// <param name="Identifier">AWS's source identifier.</param>
/// <param name="Name">AWS's default rule name (also matched with the stack's <c>isms-</c> prefix).</param>
public sealed record BackupConfigRule(string Identifier, string Name, string Title, string PolicyClause, Severity Severity, bool AntiMalware = false);

/// <summary>
/// The managed Config rules for backups and anti-malware. Not in <see cref="IsmsServerless.Drift.ManagedConfigRules"/> (whose verdicts
/// are drift findings): these are judged as backup (or anti-malware) findings by
/// <see cref="ManagedRuleComplianceRule"/> and <see cref="Monitoring.GuardDutyEnabledRule"/>.
/// </summary>
public static class BackupConfigRules
{
    public static IReadOnlyList<BackupConfigRule> All { get; } =
    [
        new("BACKUP_PLAN_MIN_FREQUENCY_AND_MIN_RETENTION_CHECK", "backup-plan-min-frequency-and-min-retention-check",
            "Backup plan runs less than daily or keeps recovery points too briefly", BackupPolicy.DailyBackups, Severity.High),
        new("RESOURCES_PROTECTED_BY_BACKUP_PLAN", "resources-protected-by-backup-plan",
            "Critical resource is in no backup plan", BackupPolicy.DailyBackups, Severity.High),
        new("BACKUP_RECOVERY_POINT_CREATED", "backup-recovery-point-created",
            "No recent recovery point for the resource", BackupPolicy.DailyBackups, Severity.High),
        new("BACKUP_RECOVERY_POINT_ENCRYPTED", "backup-recovery-point-encrypted",
            "Backup recovery point is not encrypted", BackupPolicy.Encrypted, Severity.High),
        new("BACKUP_RECOVERY_POINT_MINIMUM_RETENTION_CHECK", "backup-recovery-point-minimum-retention-check",
            "Recovery point retained for less than the minimum", BackupPolicy.DailyBackups, Severity.Medium),
        new("GUARDDUTY_ENABLED_CENTRALIZED", "guardduty-enabled-centralized",
            "GuardDuty is not enabled in the account and region", Monitoring.AntiMalwarePolicy.Clause, Severity.High, AntiMalware: true),
    ];

    public static BackupConfigRule? Find(string configRuleName) =>
        All.FirstOrDefault(r => string.Equals(r.Name, configRuleName, StringComparison.Ordinal)
            || string.Equals(IsmsServerless.Drift.ManagedConfigRules.NamePrefix + r.Name, configRuleName, StringComparison.Ordinal)
            || string.Equals(r.Identifier, configRuleName, StringComparison.Ordinal));
}
