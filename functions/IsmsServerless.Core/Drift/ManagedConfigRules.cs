using IsmsServerless.Model;

namespace IsmsServerless.Drift;

/// <summary>An AWS managed Config rule the stack deploys, and what its verdict means to the ISMS.</summary>
/// <param name="Identifier">AWS's source identifier, e.g. <c>INCOMING_SSH_DISABLED</c>.</param>
/// <param name="Name">The name AWS gives it by default (e.g. <c>restricted-ssh</c>); the stack deploys it as <see cref="ManagedConfigRules.NamePrefix"/> + name.</param>
/// <param name="ResourceTypes">Config resource types the rule is scoped to; empty for periodic account-level rules.</param>
/// <param name="InputParameters">The rule's parameters, when it takes any (values are strings, as Config wants them).</param>
/// <param name="Category">Drift for configuration baselines; Access for root, credentials, MFA and password policy
/// (judged by <see cref="Rules.Access.ManagedAccessRuleComplianceRule"/>).</param>
public sealed record ManagedConfigRule(
    string Identifier,
    string Name,
    IReadOnlyList<string> ResourceTypes,
    string Title,
    string PolicyClause,
    IReadOnlyList<string> Controls,
    Severity Severity,
    IReadOnlyDictionary<string, string>? InputParameters = null,
    Category Category = Category.Drift)
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
    private static readonly string[] Waf = [Controls.IsoNetworkSecurity, Controls.IsoConfiguration, Controls.Soc2BoundaryProtection, Controls.Soc2ConfigurationMonitoring];
    private static readonly string[] Transport = [Controls.IsoNetworkSecurity, Controls.IsoCryptography, Controls.Soc2DataTransmission, Controls.Soc2ConfigurationMonitoring];
    private static readonly string[] Patching = [Controls.IsoVulnerabilities, Controls.IsoConfiguration, Controls.Soc2ConfigurationMonitoring];
    private static readonly string[] RootAccess = [Controls.IsoPrivilegedAccess, Controls.IsoSecureAuthentication, Controls.Soc2LogicalAccess];
    private static readonly string[] Credentials = [Controls.IsoAccessControl, Controls.IsoSecureAuthentication, Controls.Soc2LogicalAccess, Controls.Soc2AccessRemoval];

    /// <summary>The credential age the policy tolerates for unused credentials and key rotation (CIS AWS 1.12 / 1.14).</summary>
    public const string MaxCredentialAgeDays = "90";

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
        new("IAM_USER_MFA_ENABLED", "iam-user-mfa-enabled", [], "IAM user without MFA", PolicyClauses.QwestlyMfa + "; " + PolicyClauses.QwestlyAccessMfa, Mfa, Severity.High, Category: Category.Access),
        new("MFA_ENABLED_FOR_IAM_CONSOLE_ACCESS", "mfa-enabled-for-iam-console-access", [], "IAM user with console password and no MFA", PolicyClauses.QwestlyMfa + "; " + PolicyClauses.QwestlyAccessMfa, Mfa, Severity.High, Category: Category.Access),
        new("IAM_POLICY_NO_STATEMENTS_WITH_ADMIN_ACCESS", "iam-policy-no-statements-with-admin-access", ["AWS::IAM::Policy"], "Customer managed IAM policy grants *:*", PolicyClauses.QwestlyLeastPrivilege, Privilege, Severity.High),

        // Baseline breadth (issue 18 section 5): the managed twin of each code baseline (the backup recovery point one is
        // issue 17's, Rules/Backup/ManagedRuleCompliance/BackupConfigRules.cs), plus the checks no Config item
        // can answer alone (ALB/WAF association, SSM management, flow logs per VPC, the account's EBS default).
        new("EFS_ENCRYPTED_CHECK", "efs-encrypted-check", [], "EFS file system not encrypted", PolicyClauses.QwestlyEncryptAtRest, Crypto, Severity.High),
        new("SNS_ENCRYPTED_KMS", "sns-encrypted-kms", ["AWS::SNS::Topic"], "SNS topic not encrypted with KMS", PolicyClauses.QwestlyEncryptAtRest, Crypto, Severity.Medium),
        new("CLOUDWATCH_LOG_GROUP_ENCRYPTED", "cloudwatch-log-group-encrypted", [], "CloudWatch log group not encrypted with KMS", PolicyClauses.QwestlyEncryptAtRest, Crypto, Severity.Medium),
        new("ELASTICACHE_REPL_GRP_ENCRYPTED_AT_REST", "elasticache-repl-grp-encrypted-at-rest", ["AWS::ElastiCache::ReplicationGroup"], "ElastiCache replication group not encrypted at rest", PolicyClauses.QwestlyEncryptAtRest, Crypto, Severity.Medium),
        new("REDSHIFT_CLUSTER_KMS_ENABLED", "redshift-cluster-kms-enabled", ["AWS::Redshift::Cluster"], "Redshift cluster not encrypted with KMS", PolicyClauses.QwestlyEncryptAtRest, Crypto, Severity.High),
        new("OPENSEARCH_ENCRYPTED_AT_REST", "opensearch-encrypted-at-rest", ["AWS::OpenSearch::Domain"], "OpenSearch domain not encrypted at rest", PolicyClauses.QwestlyEncryptAtRest, Crypto, Severity.High),
        new("EC2_EBS_ENCRYPTION_BY_DEFAULT", "ec2-ebs-encryption-by-default", [], "EBS encryption by default is off in this region", PolicyClauses.QwestlyEncryptAtRest, Crypto, Severity.High),
        new("ALB_WAF_ENABLED", "alb-waf-enabled", ["AWS::ElasticLoadBalancingV2::LoadBalancer"], "Application load balancer not protected by AWS WAF", PolicyClauses.Proc002Waf, Waf, Severity.High),
        new("API_GW_ASSOCIATED_WITH_WAF", "api-gw-associated-with-waf", ["AWS::ApiGateway::Stage"], "API Gateway stage not protected by AWS WAF", PolicyClauses.Proc002Waf, Waf, Severity.High),
        new("CLOUDFRONT_ASSOCIATED_WITH_WAF", "cloudfront-associated-with-waf", ["AWS::CloudFront::Distribution"], "CloudFront distribution not protected by AWS WAF", PolicyClauses.Proc002Waf, Waf, Severity.High),
        new("EC2_INSTANCE_MANAGED_BY_SSM", "ec2-instance-managed-by-systems-manager", ["AWS::EC2::Instance", "AWS::SSM::ManagedInstanceInventory"], "EC2 instance not managed by Systems Manager (patching is blind to it)", PolicyClauses.Proc002Baseline, Patching, Severity.High),
        new("VPC_DEFAULT_SECURITY_GROUP_CLOSED", "vpc-default-security-group-closed", ["AWS::EC2::SecurityGroup"], "VPC default security group allows traffic", PolicyClauses.QwestlySecurityGroups, Network, Severity.High),
        new("VPC_FLOW_LOGS_ENABLED", "vpc-flow-logs-enabled", [], "VPC without flow logs", PolicyClauses.QwestlyAuditLogs + "; " + PolicyClauses.Proc002LogRetention, Logging, Severity.Medium),
        new("CW_LOGGROUP_RETENTION_PERIOD_CHECK", "cw-loggroup-retention-period-check", [], "CloudWatch log group kept forever or shorter than the policy minimum", PolicyClauses.Proc002LogRetention, Logging, Severity.Medium),
        new("S3_BUCKET_SSL_REQUESTS_ONLY", "s3-bucket-ssl-requests-only", ["AWS::S3::Bucket"], "S3 bucket accepts requests without TLS", PolicyClauses.QwestlyEncryptData, Transport, Severity.Medium),

        // Root and credentials (issue 18 section 4): category access. Account-level, periodic.
        new("ROOT_ACCOUNT_MFA_ENABLED", "root-account-mfa-enabled", [], "Root user without MFA", PolicyClauses.QwestlyMfa + "; " + PolicyClauses.QwestlyAccessMfa, RootAccess, Severity.Critical, Category: Category.Access),
        new("ROOT_ACCOUNT_HARDWARE_MFA_ENABLED", "root-account-hardware-mfa-enabled", [], "Root user without a hardware MFA device", PolicyClauses.QwestlyMfa + "; " + PolicyClauses.QwestlyAccessMfa, RootAccess, Severity.High, Category: Category.Access),
        new("IAM_ROOT_ACCESS_KEY_CHECK", "iam-root-access-key-check", [], "Root user has an access key", PolicyClauses.QwestlyLeastPrivilege + "; " + PolicyClauses.QwestlyAccessLeastPrivilege, RootAccess, Severity.Critical, Category: Category.Access),
        new("IAM_USER_UNUSED_CREDENTIALS_CHECK", "iam-user-unused-credentials-check", [], "IAM user credentials unused for more than 90 days", PolicyClauses.QwestlyAccessRevoke + "; " + PolicyClauses.QwestlyAccessLeastPrivilege, Credentials, Severity.Medium,
            new Dictionary<string, string> { ["maxCredentialUsageAge"] = MaxCredentialAgeDays }, Category.Access),
        new("ACCESS_KEYS_ROTATED", "access-keys-rotated", [], "IAM access key older than 90 days", PolicyClauses.QwestlyAccessLeastPrivilege, Credentials, Severity.Medium,
            new Dictionary<string, string> { ["maxAccessKeyAge"] = MaxCredentialAgeDays }, Category.Access),
        new("IAM_PASSWORD_POLICY", "iam-password-policy", [], "Account password policy weaker than the baseline", PolicyClauses.QwestlyMfa + "; " + PolicyClauses.QwestlyAccessMfa, Credentials, Severity.Medium,
            new Dictionary<string, string>
            {
                ["RequireUppercaseCharacters"] = "true", ["RequireLowercaseCharacters"] = "true", ["RequireSymbols"] = "true", ["RequireNumbers"] = "true",
                ["MinimumPasswordLength"] = "14", ["PasswordReusePrevention"] = "24", ["MaxPasswordAge"] = "90",
            }, Category.Access),
    ];

    /// <summary>The catalog entry for a Config rule name: the stack's deployed name, or AWS's default name for the same rule.</summary>
    public static ManagedConfigRule? Find(string configRuleName) =>
        All.FirstOrDefault(r => string.Equals(r.DeployedName, configRuleName, StringComparison.Ordinal) || string.Equals(r.Name, configRuleName, StringComparison.Ordinal));
}
