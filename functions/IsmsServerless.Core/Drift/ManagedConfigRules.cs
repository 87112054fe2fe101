using IsmsServerless.Model;

namespace IsmsServerless.Drift;

/// <summary>An AWS managed Config rule the stack deploys, and what its verdict means to the ISMS.</summary>
/// <param name="Identifier">AWS's source identifier, e.g. <c>INCOMING_SSH_DISABLED</c>.</param>
/// <param name="Name">The name AWS gives it by default (e.g. <c>restricted-ssh</c>); the stack deploys it as <see cref="ManagedConfigRules.NamePrefix"/> + name.</param>
/// <param name="ResourceTypes">Config resource types the rule is scoped to; empty for periodic account-level rules.</param>
/// <param name="InputParameters">The rule's parameters, when it takes any (values are strings, as Config wants them).</param>
public sealed record ManagedConfigRule(
    string Identifier,
    string Name,
    IReadOnlyList<string> ResourceTypes,
    string Title,
    string PolicyClause,
    IReadOnlyList<string> Controls,
    Severity Severity,
    IReadOnlyDictionary<string, string>? InputParameters = null)
{
    /// <summary>Periodic rules (no resource scope) run every 24 hours; the others on configuration change.</summary>
    public bool Periodic => ResourceTypes.Count == 0;

    public string DeployedName => ManagedConfigRules.NamePrefix + Name;
}

/// <summary>
/// The managed Config rules the stack deploys (<c>infra/.../Constructs/ManagedConfigRulesConstruct.cs</c> reads this list)
/// and whose "Config Rules Compliance Change" events <see cref="Rules.Drift.ManagedConfigRuleComplianceRule"/> consumes.
/// One list, so what is deployed and what is understood cannot drift apart.
/// </summary>
public static class ManagedConfigRules
{
    public const string NamePrefix = "isms-";

    private static readonly string[] Network = [Controls.IsoNetworkSecurity, Controls.IsoConfiguration, Controls.Soc2BoundaryProtection, Controls.Soc2ConfigurationMonitoring];
    private static readonly string[] Crypto = [Controls.IsoCryptography, Controls.IsoConfiguration, Controls.Soc2LogicalAccess, Controls.Soc2ConfigurationMonitoring];
    private static readonly string[] Access = [Controls.IsoAccessControl, Controls.IsoConfiguration, Controls.Soc2LogicalAccess, Controls.Soc2ConfigurationMonitoring];
    private static readonly string[] Backup = [Controls.IsoBackup, Controls.IsoConfiguration, Controls.Soc2Availability, Controls.Soc2ConfigurationMonitoring];
    private static readonly string[] Logging = [Controls.IsoLogging, Controls.IsoConfiguration, Controls.Soc2AnomalyMonitoring, Controls.Soc2ConfigurationMonitoring];
    private static readonly string[] Mfa = [Controls.IsoSecureAuthentication, Controls.IsoConfiguration, Controls.Soc2LogicalAccess, Controls.Soc2ConfigurationMonitoring];
    private static readonly string[] Privilege = [Controls.IsoPrivilegedAccess, Controls.IsoConfiguration, Controls.Soc2LogicalAccess, Controls.Soc2ConfigurationMonitoring];

    public static IReadOnlyList<ManagedConfigRule> All { get; } =
    [
        new("INCOMING_SSH_DISABLED", "restricted-ssh", ["AWS::EC2::SecurityGroup"], "Security group allows SSH from the internet", PolicyClauses.QwestlySecurityGroups, Network, Severity.Critical),
        new("RESTRICTED_INCOMING_TRAFFIC", "restricted-common-ports", ["AWS::EC2::SecurityGroup"], "Security group allows RDP or database ports from the internet", PolicyClauses.QwestlySecurityGroups, Network, Severity.High,
            new Dictionary<string, string> { ["blockedPort1"] = "3389", ["blockedPort2"] = "3306", ["blockedPort3"] = "5432", ["blockedPort4"] = "1433", ["blockedPort5"] = "6379" }),
        new("S3_BUCKET_SERVER_SIDE_ENCRYPTION_ENABLED", "s3-bucket-server-side-encryption-enabled", ["AWS::S3::Bucket"], "S3 bucket without default encryption", PolicyClauses.QwestlyEncryptAtRest, Crypto, Severity.High),
        new("S3_BUCKET_LEVEL_PUBLIC_ACCESS_PROHIBITED", "s3-bucket-level-public-access-prohibited", ["AWS::S3::Bucket"], "S3 bucket does not block public access", PolicyClauses.QwestlyEncryptData, Access, Severity.High),
        new("RDS_STORAGE_ENCRYPTED", "rds-storage-encrypted", ["AWS::RDS::DBInstance"], "RDS instance storage not encrypted", PolicyClauses.QwestlyEncryptAtRest, Crypto, Severity.High),
        new("RDS_INSTANCE_PUBLIC_ACCESS_CHECK", "rds-instance-public-access-check", ["AWS::RDS::DBInstance"], "RDS instance publicly accessible", PolicyClauses.QwestlyEncryptData, Network, Severity.Critical),
        new("DB_INSTANCE_BACKUP_ENABLED", "db-instance-backup-enabled", ["AWS::RDS::DBInstance"], "RDS instance without automated backups", PolicyClauses.QwestlyBackups, Backup, Severity.High),
        new("ENCRYPTED_VOLUMES", "encrypted-volumes", ["AWS::EC2::Volume"], "Attached EBS volume not encrypted", PolicyClauses.QwestlyEncryptAtRest, Crypto, Severity.High),
        new("DYNAMODB_PITR_ENABLED", "dynamodb-pitr-enabled", ["AWS::DynamoDB::Table"], "DynamoDB table without point-in-time recovery", PolicyClauses.QwestlyBackups, Backup, Severity.Medium),
        new("CLOUD_TRAIL_ENABLED", "cloudtrail-enabled", [], "No CloudTrail trail logging in the account", PolicyClauses.QwestlyCloudTrail, Logging, Severity.Critical),
        new("MULTI_REGION_CLOUD_TRAIL_ENABLED", "multi-region-cloudtrail-enabled", [], "No multi-region CloudTrail trail", PolicyClauses.QwestlyCloudTrail, Logging, Severity.High),
        new("CLOUD_TRAIL_LOG_FILE_VALIDATION_ENABLED", "cloud-trail-log-file-validation-enabled", [], "CloudTrail log file validation off", PolicyClauses.QwestlyCloudTrail, Logging, Severity.Medium),
        new("IAM_USER_MFA_ENABLED", "iam-user-mfa-enabled", [], "IAM user without MFA", PolicyClauses.QwestlyMfa, Mfa, Severity.High),
        new("MFA_ENABLED_FOR_IAM_CONSOLE_ACCESS", "mfa-enabled-for-iam-console-access", [], "IAM user with console password and no MFA", PolicyClauses.QwestlyMfa, Mfa, Severity.High),
        new("IAM_POLICY_NO_STATEMENTS_WITH_ADMIN_ACCESS", "iam-policy-no-statements-with-admin-access", ["AWS::IAM::Policy"], "Customer managed IAM policy grants *:*", PolicyClauses.QwestlyLeastPrivilege, Privilege, Severity.High),
    ];

    /// <summary>The catalog entry for a Config rule name: the stack's deployed name, or AWS's default name for the same rule.</summary>
    public static ManagedConfigRule? Find(string configRuleName) =>
        All.FirstOrDefault(r => string.Equals(r.DeployedName, configRuleName, StringComparison.Ordinal) || string.Equals(r.Name, configRuleName, StringComparison.Ordinal));
}
