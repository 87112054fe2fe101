using IsmsServerless.Model;
using IsmsServerless.Settings;

namespace IsmsServerless.Backups;

/// <summary>
/// The Backup and Recovery clause's per-resource clocks, computed from the last time each duty was met. Pure data for the
/// rules now and for the obligation store later: a successful backup every 24 h (plus grace), a copy in another region
/// within 24 h of it, and a successful restore test within <c>restoreTestDays</c>.
/// </summary>
public static class BackupClocks
{
    public const string Backup = "backup";
    public const string CrossRegionCopy = "crossRegionCopy";
    public const string RestoreTest = "restoreTest";

    public static readonly TimeSpan BackupInterval = TimeSpan.FromHours(24);

    public static ClockDeadline NextBackup(DateTimeOffset lastSuccessfulBackup, BackupSettings settings) =>
        new(Backup, "A successful backup within 24 hours (plus grace)", lastSuccessfulBackup.ToUniversalTime() + BackupInterval + TimeSpan.FromHours(settings.GraceHours));

    public static ClockDeadline CopyDue(DateTimeOffset backupCompleted, BackupSettings settings) =>
        new(CrossRegionCopy, "A copy of the backup in another AWS region within 24 hours", backupCompleted.ToUniversalTime() + BackupInterval + TimeSpan.FromHours(settings.GraceHours));

    public static ClockDeadline NextRestoreTest(DateTimeOffset lastSuccessfulRestoreTest, BackupSettings settings) =>
        new(RestoreTest, $"A successful restore test within {settings.RestoreTestDays} days, completed within the {settings.RtoHours} h RTO",
            lastSuccessfulRestoreTest.ToUniversalTime().AddDays(settings.RestoreTestDays));

    /// <summary>How long a restore took, or null when the event does not say both ends.</summary>
    public static TimeSpan? Duration(DateTimeOffset? started, DateTimeOffset? completed) =>
        started is { } s && completed is { } c && c >= s ? c - s : null;
}
