using System.Globalization;
using System.Text.Json;
using IsmsServerless.Model;
using IsmsServerless.Settings;

namespace IsmsServerless.Rules.Backup;

/// <summary>An AWS managed Config rule whose verdict the backup and anti-malware rules read.</summary>
/// <param name="Identifier">AWS's source identifier (as the AWS Config developer guide spells it).</param>
/// <param name="Name">AWS's default rule name; the stack deploys it with the <c>isms-</c> prefix (both are matched).</param>
/// <param name="ResourceTypes">Config resource types the rule evaluates; for the per-service backup rules, the one type
/// whose presence in <c>backup.scope</c> decides whether the rule is deployed at all.</param>
/// <param name="Periodic">AWS's trigger type: periodic rules run every 24 hours, the others on configuration change.</param>
/// <param name="Coverage">True for the per-resource coverage rules (in a plan, recent recovery point): they take the
/// scope entry's tags as <c>resourceTags</c>, and the recovery-point age from the backup clock.</param>
public sealed record BackupConfigRule(string Identifier, string Name, IReadOnlyList<string> ResourceTypes, bool Periodic, string Title, string PolicyClause,
    Severity Severity, bool AntiMalware = false, bool Coverage = false, IReadOnlyDictionary<string, string>? FixedParameters = null)
{
    public string DeployedName => IsmsServerless.Drift.ManagedConfigRules.NamePrefix + Name;

    /// <summary>
    /// The rule's input parameters under the policy file's settings (values are strings, as Config wants them): the
    /// coverage rules check resources carrying the scope's tags and a recovery point no older than 24 h + grace; the
    /// plan rule a daily frequency; the retention rules the documented 35-day default.
    /// </summary>
    public IReadOnlyDictionary<string, string> Parameters(BackupSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var parameters = new Dictionary<string, string>(FixedParameters ?? new Dictionary<string, string>(), StringComparer.Ordinal);
        if (parameters.ContainsKey("requiredRetentionDays"))
            parameters["requiredRetentionDays"] = settings.MinRetentionDays.ToString(CultureInfo.InvariantCulture);
        if (!Coverage) return parameters;
        var entry = settings.Scope.FirstOrDefault(s => ResourceTypes.Contains(s.ResourceType, StringComparer.Ordinal));
        if (entry?.Tags is { Count: > 0 } tags)
            parameters["resourceTags"] = JsonSerializer.Serialize(tags.ToDictionary(t => t.Key, t => t.Value), BackupConfigRulesJson.Default.DictionaryStringString);
        if (Name.Contains("last-backup-recovery-point-created", StringComparison.Ordinal))
        {
            parameters["recoveryPointAgeUnit"] = "hours";
            parameters["recoveryPointAgeValue"] = (24 + settings.GraceHours).ToString(CultureInfo.InvariantCulture);
        }
        return parameters;
    }
}

[System.Text.Json.Serialization.JsonSerializable(typeof(Dictionary<string, string>))]
internal sealed partial class BackupConfigRulesJson : System.Text.Json.Serialization.JsonSerializerContext;

/// <summary>
/// The managed Config rules for backups and anti-malware, deployed by the stack (<c>BackupConfigRulesConstruct</c>) and
/// read back here: one list, so what is deployed and what is understood cannot drift apart. Not in
/// <see cref="IsmsServerless.Drift.ManagedConfigRules"/> (whose verdicts are drift findings): these are judged as
/// backup (or anti-malware) findings by <see cref="ManagedRuleComplianceRule"/> and <see cref="Monitoring.GuardDutyEnabledRule"/>.
/// AWS has no generic "protected by a backup plan" or "last recovery point created" rule: each is per service, and
/// only the services whose type is in <c>backup.scope</c> are deployed (<see cref="InScope"/>).
/// </summary>
public static class BackupConfigRules
{
    private const string InNoPlan = "Critical resource is in no backup plan";
    private const string NoRecentPoint = "No recovery point for the critical resource within 24 hours (+grace)";

    public static IReadOnlyList<BackupConfigRule> All { get; } =
    [
        new("BACKUP_PLAN_MIN_FREQUENCY_AND_MIN_RETENTION_CHECK", "backup-plan-min-frequency-and-min-retention-check", ["AWS::Backup::BackupPlan"], false,
            "Backup plan runs less than daily or keeps recovery points too briefly", BackupPolicy.DailyBackups, Severity.High,
            FixedParameters: new Dictionary<string, string> { ["requiredFrequencyValue"] = "1", ["requiredFrequencyUnit"] = "days", ["requiredRetentionDays"] = "35" }),
        new("BACKUP_RECOVERY_POINT_ENCRYPTED", "backup-recovery-point-encrypted", ["AWS::Backup::RecoveryPoint"], false,
            "Backup recovery point is not encrypted", BackupPolicy.Encrypted, Severity.High),
        new("BACKUP_RECOVERY_POINT_MINIMUM_RETENTION_CHECK", "backup-recovery-point-minimum-retention-check", ["AWS::Backup::RecoveryPoint"], false,
            "Recovery point retained for less than the minimum", BackupPolicy.DailyBackups, Severity.Medium,
            FixedParameters: new Dictionary<string, string> { ["requiredRetentionDays"] = "35" }),

        new("DYNAMODB_RESOURCES_PROTECTED_BY_BACKUP_PLAN", "dynamodb-resources-protected-by-backup-plan", ["AWS::DynamoDB::Table"], true, InNoPlan, BackupPolicy.DailyBackups, Severity.High, Coverage: true),
        new("RDS_RESOURCES_PROTECTED_BY_BACKUP_PLAN", "rds-resources-protected-by-backup-plan", ["AWS::RDS::DBInstance"], true, InNoPlan, BackupPolicy.DailyBackups, Severity.High, Coverage: true),
        new("AURORA_RESOURCES_PROTECTED_BY_BACKUP_PLAN", "aurora-resources-protected-by-backup-plan", ["AWS::RDS::DBCluster"], true, InNoPlan, BackupPolicy.DailyBackups, Severity.High, Coverage: true),
        new("EFS_RESOURCES_PROTECTED_BY_BACKUP_PLAN", "efs-resources-protected-by-backup-plan", ["AWS::EFS::FileSystem"], true, InNoPlan, BackupPolicy.DailyBackups, Severity.High, Coverage: true),
        new("EBS_RESOURCES_PROTECTED_BY_BACKUP_PLAN", "ebs-resources-protected-by-backup-plan", ["AWS::EC2::Volume"], true, InNoPlan, BackupPolicy.DailyBackups, Severity.High, Coverage: true),

        new("DYNAMODB_LAST_BACKUP_RECOVERY_POINT_CREATED", "dynamodb-last-backup-recovery-point-created", ["AWS::DynamoDB::Table"], true, NoRecentPoint, BackupPolicy.DailyBackups, Severity.High, Coverage: true),
        new("RDS_LAST_BACKUP_RECOVERY_POINT_CREATED", "rds-last-backup-recovery-point-created", ["AWS::RDS::DBInstance"], true, NoRecentPoint, BackupPolicy.DailyBackups, Severity.High, Coverage: true),
        new("AURORA_LAST_BACKUP_RECOVERY_POINT_CREATED", "aurora-last-backup-recovery-point-created", ["AWS::RDS::DBCluster"], true, NoRecentPoint, BackupPolicy.DailyBackups, Severity.High, Coverage: true),
        new("EFS_LAST_BACKUP_RECOVERY_POINT_CREATED", "efs-last-backup-recovery-point-created", ["AWS::EFS::FileSystem"], true, NoRecentPoint, BackupPolicy.DailyBackups, Severity.High, Coverage: true),
        new("EBS_LAST_BACKUP_RECOVERY_POINT_CREATED", "ebs-last-backup-recovery-point-created", ["AWS::EC2::Volume"], true, NoRecentPoint, BackupPolicy.DailyBackups, Severity.High, Coverage: true),

        new("GUARDDUTY_ENABLED_CENTRALIZED", "guardduty-enabled-centralized", [], true,
            "GuardDuty is not enabled in the account and region", Monitoring.AntiMalwarePolicy.Clause, Severity.High, AntiMalware: true),
    ];

    /// <summary>The rules to deploy under the policy file: the coverage rules of the types in scope, the others always (GuardDuty when required).</summary>
    public static IEnumerable<BackupConfigRule> InScope(IsmsSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return All.Where(r => r.AntiMalware ? settings.AntiMalware.GuardDutyRequired
            : !r.Coverage || r.ResourceTypes.Any(settings.Backup.TypeInScope));
    }

    public static BackupConfigRule? Find(string configRuleName) =>
        All.FirstOrDefault(r => string.Equals(r.Name, configRuleName, StringComparison.Ordinal)
            || string.Equals(r.DeployedName, configRuleName, StringComparison.Ordinal)
            || string.Equals(r.Identifier, configRuleName, StringComparison.Ordinal));
}
