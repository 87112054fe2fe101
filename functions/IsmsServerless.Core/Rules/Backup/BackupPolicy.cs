using System.Globalization;
using IsmsServerless.Inputs;
using IsmsServerless.Model;

namespace IsmsServerless.Rules.Backup;

/// <summary>The Backup and Recovery clause's words and controls, spelled once for the backup rules.</summary>
internal static class BackupPolicy
{
    public const string DailyBackups = "Qwestly Operations Security Policy, Backup and Recovery: \"Daily automated backups of all critical data\"";
    public const string OtherRegion = "Qwestly Operations Security Policy, Backup and Recovery: \"Store backups in different AWS region than primary\"";
    public const string RestoreTests = "Qwestly Operations Security Policy, Backup and Recovery: \"Test backup restoration quarterly\"; Recovery Targets: \"Critical systems back online within 4 hours\"";
    public const string Rpo = "Qwestly Operations Security Policy, Recovery Targets: \"Data loss limited to maximum 1 hour of transactions\"";
    public const string Encrypted = "Qwestly Operations Security Policy, AWS Security Basics: \"Encrypt all data at rest (S3, RDS, etc.)\"; Backup and Recovery";

    public static readonly string[] Controls = [Model.Controls.IsoBackup, Model.Controls.Soc2Availability, Model.Controls.Soc2RecoveryTesting];
    public static readonly string[] CryptoControls = [Model.Controls.IsoBackup, Model.Controls.IsoCryptography, Model.Controls.Soc2Availability, Model.Controls.Soc2LogicalAccess];

    /// <summary>Evidence every backup-job evaluation carries.</summary>
    public static Dictionary<string, string> Evidence(BackupJobInput input)
    {
        var evidence = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["jobKind"] = input.Kind.ToString(),
            ["jobId"] = input.JobId,
            ["state"] = input.State,
            ["backupResourceType"] = input.BackupResourceType,
        };
        if (input.StatusMessage is { } message) evidence["statusMessage"] = message;
        if (input.SourceEventId is { } id) evidence["eventId"] = id;
        if (input.CreatedAt is { } created) evidence["creationDate"] = Timestamps.ToWire(created);
        if (input.CompletedAt is { } completed) evidence["completionDate"] = Timestamps.ToWire(completed);
        if (input.BackupPlanArn is { } plan) evidence["backupPlanArn"] = plan;
        if (input.RestoreTestingPlanArn is { } testPlan) evidence["restoreTestingPlanArn"] = testPlan;
        return evidence;
    }

    public static string Hours(TimeSpan span) => span.TotalHours.ToString("0.##", CultureInfo.InvariantCulture) + " h";
}
