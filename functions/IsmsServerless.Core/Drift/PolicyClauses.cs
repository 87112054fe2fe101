using IsmsServerless.Model;

namespace IsmsServerless.Drift;

/// <summary>The seed-policy sentences the drift baselines enforce, quoted once.</summary>
public static class PolicyClauses
{
    public const string Proc002Baseline =
        "PROC-002 Configuration management: \"The IT Director is responsible for documenting the configuration settings ... that must be enforced ... and to provide a baseline against incorrect changes\"";

    public const string Proc002MonitorApproved =
        "PROC-002: \"The IT Director is responsible for monitoring applied configurations on devices and systems against approved documented settings\"";

    public const string QwestlySecurityGroups = "Qwestly Operations Security Policy, AWS Security Basics: \"Regular security group review - default deny, explicit allow\"";

    public const string QwestlyEncryptAtRest = "Qwestly Operations Security Policy, AWS Security Basics: \"Encrypt all data at rest (S3, RDS, etc.)\"";

    public const string QwestlyEncryptData = "Qwestly Operations Security Policy, Data Handling: \"Encrypt all candidate and customer data\"";

    public const string QwestlyBackups = "Qwestly Operations Security Policy, Data Handling: \"Regular database backups with encryption\"; Backup Requirements: \"Daily automated backups of all critical data\"";

    public const string QwestlyCloudTrail = "Qwestly Operations Security Policy, AWS Security Basics: \"Enable CloudTrail logging for all activities\"";

    public const string QwestlyMfa = "Qwestly Operations Security Policy, AWS Security Basics: \"Multi-factor authentication required for all AWS console access\"";

    public const string QwestlyLeastPrivilege = "Qwestly Operations Security Policy, AWS Security Basics: \"Use least-privilege IAM policies - only grant necessary permissions\"";

    public const string QwestlyInfrastructureAsCode = "Qwestly Operations Security Policy, Infrastructure as Code: \"Document any manual changes and update code accordingly\"";

    public const string Proc002Waf =
        "PROC-002 Network security management: \"Public systems are accessed through the AWS WAF and reverse proxies; internal systems require VPN access\"";

    public const string Proc002NoOpenPorts =
        "PROC-002 Network security management: \"All our equipment is behind a firewall, no port-forward, no open port to internal services\"";

    public const string Proc002LogRetention =
        "PROC-002 System monitoring: \"the IT Director decides which logs will be kept on which systems ... and how long they will be stored\"";

    public const string Proc002Segregation =
        "PROC-002 Network security management: \"Segregate the network in both our corporate infrastructure and our Quick Connect backend infrastructure\"";

    public const string Proc002PublicNetwork =
        "PROC-002 Network security management: \"Protect sensitive data passing over the public network\"";

    public const string QwestlyAccessMfa = "Qwestly Operations Security Policy, Access Control: \"Multi-factor authentication for systems with sensitive data\"";

    public const string QwestlyAccessLeastPrivilege = "Qwestly Operations Security Policy, Access Control: \"Principle of least privilege for all data access\"";

    public const string QwestlyAccessRevoke = "Qwestly Operations Security Policy, Access Control: \"Immediately revoke access when team members leave\"";

    public const string QwestlyAuditLogs = "Qwestly Operations Security Policy, SOC 2 Basics: \"Maintain audit logs for all system access\"";

    public const string QwestlyTrackAdmin = "Qwestly Operations Security Policy, Security Monitoring: \"Track administrative actions\"";

    /// <summary>Every baseline rule carries configuration management and configuration monitoring.</summary>
    public static readonly IReadOnlyList<string> ConfigurationControls = [Controls.IsoConfiguration, Controls.Soc2ConfigurationMonitoring];
}
