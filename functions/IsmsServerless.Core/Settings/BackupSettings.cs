namespace IsmsServerless.Settings;

/// <summary>
/// What the Backup and Recovery clause asks for, as settings (policy-file key <c>backup</c>). Defaults are the Qwestly
/// policy's numbers: daily backups, a restore test every quarter (92 days), copies in another region, RPO 1 h, RTO 4 h.
/// </summary>
public sealed record BackupSettings
{
    /// <summary>
    /// The critical data: resources in scope, by Config resource type and (optionally) tags that must all match.
    /// Default: every RDS instance and cluster, DynamoDB table and EFS file system, and EBS volumes tagged
    /// <c>environment=production</c>.
    /// </summary>
    public IReadOnlyList<BackupScopeEntry> Scope { get; set; } =
    [
        new("AWS::RDS::DBInstance"),
        new("AWS::RDS::DBCluster"),
        new("AWS::DynamoDB::Table"),
        new("AWS::EFS::FileSystem"),
        new("AWS::EC2::Volume", new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { ["environment"] = "production" }),
    ];

    /// <summary>Hours of slack after the 24-hour backup interval before a missing backup counts (0 to 24).</summary>
    public int GraceHours { get; set; } = 2;

    /// <summary>Whether every backup must be copied to a vault in another region ("backups stored in a different AWS region").</summary>
    public bool CopyRegionRequired { get; set; } = true;

    /// <summary>Days within which a successful restore test must have run (a quarter: 92).</summary>
    public int RestoreTestDays { get; set; } = 92;

    /// <summary>Recovery time objective in hours: a restore test that takes longer is a finding.</summary>
    public int RtoHours { get; set; } = 4;

    /// <summary>Recovery point objective in hours: below 24, daily snapshots cannot meet it and continuous backup (PITR) is required.</summary>
    public int RpoHours { get; set; } = 1;

    /// <summary>Hours without any AWS Backup event before backups count as silent (0 turns the check off; grace is added).</summary>
    public int SilenceHours { get; set; } = 24;

    /// <summary>
    /// Days a backup plan rule (and each of its copies) must keep recovery points: the backup-plan rule and the managed
    /// <c>backup-plan-min-frequency-and-min-retention-check</c> both read it (AWS's documented default is 35).
    /// </summary>
    public int MinRetentionDays { get; set; } = 35;

    /// <summary>True when the resource type and tags fall inside <see cref="Scope"/>.</summary>
    public bool InScope(string resourceType, IReadOnlyDictionary<string, string> tags) =>
        Scope.Any(entry => entry.Matches(resourceType, tags));

    /// <summary>True when some scope entry names the resource type (tags not yet known).</summary>
    public bool TypeInScope(string resourceType) =>
        Scope.Any(entry => string.Equals(entry.ResourceType, resourceType, StringComparison.Ordinal));

    public IEnumerable<string> Validate()
    {
        if (Scope.Count == 0) yield return "backup.scope must name at least one resource type";
        foreach (var entry in Scope)
        {
            if (string.IsNullOrWhiteSpace(entry.ResourceType) || !entry.ResourceType.StartsWith("AWS::", StringComparison.Ordinal))
                yield return $"backup.scope resourceType must be a Config type such as AWS::RDS::DBInstance, not '{entry.ResourceType}'";
        }
        if (GraceHours is < 0 or > 24) yield return $"backup.graceHours must be between 0 and 24, not {GraceHours}";
        if (RestoreTestDays is < 1 or > 366) yield return $"backup.restoreTestDays must be between 1 and 366, not {RestoreTestDays}";
        if (RtoHours is < 1 or > 168) yield return $"backup.rtoHours must be between 1 and 168, not {RtoHours}";
        if (RpoHours is < 1 or > 168) yield return $"backup.rpoHours must be between 1 and 168, not {RpoHours}";
        if (SilenceHours is < 0 or > 720) yield return $"backup.silenceHours must be between 0 (off) and 720, not {SilenceHours}";
        if (MinRetentionDays is < 1 or > 36500) yield return $"backup.minRetentionDays must be between 1 and 36500, not {MinRetentionDays}";
    }
}

/// <summary>One scope entry: a Config resource type and tags that must all be present with these values (case-insensitive).</summary>
public sealed record BackupScopeEntry(string ResourceType, IReadOnlyDictionary<string, string>? Tags = null)
{
    public bool Matches(string resourceType, IReadOnlyDictionary<string, string> tags)
    {
        if (!string.Equals(ResourceType, resourceType, StringComparison.Ordinal)) return false;
        if (Tags is null || Tags.Count == 0) return true;
        foreach (var (key, value) in Tags)
        {
            var found = tags.FirstOrDefault(t => string.Equals(t.Key, key, StringComparison.OrdinalIgnoreCase));
            if (found.Key is null || !string.Equals(found.Value, value, StringComparison.OrdinalIgnoreCase)) return false;
        }
        return true;
    }
}
