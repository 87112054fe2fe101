using IsmsServerless.Model;

namespace IsmsServerless.Settings;

/// <summary>
/// The Incident Response clause's threshold and clocks (policy-file key <c>incidents</c>). Defaults: a GuardDuty severity
/// of 7 or more, or any CRITICAL finding, opens an incident; acknowledge, assess and notify within 1 h; document and fix
/// within 24 h; review within 7 days.
/// </summary>
public sealed record IncidentSettings
{
    /// <summary>GuardDuty's numeric severity (0.1 to 10; 7 and up is High) at or above which a finding opens an incident.</summary>
    public double GuardDutyMinSeverity { get; set; } = 7.0;

    /// <summary>The severity label (Security Hub ASFF/OCSF, and every source) at or above which a finding opens an incident.</summary>
    public string MinSeverity { get; set; } = "CRITICAL";

    /// <summary>
    /// This system's own rules whose findings at or above <see cref="MinSeverity"/> open an incident: root activity,
    /// logging stopped, malware found by GuardDuty Malware Protection for S3.
    /// </summary>
    public IReadOnlyList<string> OwnRuleIds { get; set; } =
        ["monitoring.root-user-activity", "monitoring.trail-tampering", "monitoring.config-recorder-stopped", "monitoring.malware-detected"];

    /// <summary>Hours of the correlation window: findings on one resource (or by one actor) within a window are one incident.</summary>
    public int CorrelationWindowHours { get; set; } = 24;

    /// <summary>Hours to acknowledge, assess impact and notify the team (the incident's first clock, its <c>dueAt</c>).</summary>
    public int AcknowledgeHours { get; set; } = 1;

    /// <summary>Hours to document the incident and implement fixes.</summary>
    public int DocumentHours { get; set; } = 24;

    /// <summary>Days to hold the post-incident review.</summary>
    public int ReviewDays { get; set; } = 7;

    /// <summary>The <see cref="MinSeverity"/> label as a severity (CRITICAL when unreadable; Validate reports it).</summary>
    public Severity MinSeverityLevel => SeverityNames.TryParse(MinSeverity, out var level) ? level : Severity.Critical;

    public IEnumerable<string> Validate()
    {
        if (double.IsNaN(GuardDutyMinSeverity) || GuardDutyMinSeverity is < 0.1 or > 10)
            yield return $"incidents.guardDutyMinSeverity must be between 0.1 and 10, not {GuardDutyMinSeverity}";
        if (!SeverityNames.TryParse(MinSeverity, out var level) || level < Severity.Low)
            yield return $"incidents.minSeverity must be LOW, MEDIUM, HIGH or CRITICAL, not '{MinSeverity}'";
        if (CorrelationWindowHours is < 1 or > 168) yield return $"incidents.correlationWindowHours must be between 1 and 168, not {CorrelationWindowHours}";
        if (AcknowledgeHours is < 1 or > 24) yield return $"incidents.acknowledgeHours must be between 1 and 24, not {AcknowledgeHours}";
        if (DocumentHours < AcknowledgeHours || DocumentHours > 168) yield return $"incidents.documentHours must be between acknowledgeHours and 168, not {DocumentHours}";
        if (ReviewDays is < 1 or > 90 || TimeSpan.FromDays(ReviewDays) < TimeSpan.FromHours(DocumentHours))
            yield return $"incidents.reviewDays must be between 1 and 90 and not before documentHours, not {ReviewDays}";
        foreach (var id in OwnRuleIds)
        {
            if (string.IsNullOrWhiteSpace(id)) yield return "incidents.ownRuleIds may not contain an empty rule id";
        }
    }
}
