using IsmsServerless.Model;
using IsmsServerless.Settings;

namespace IsmsServerless.Incidents;

/// <summary>
/// The Incident Response clause's three clocks, computed from the moment the incident's cause was first seen. Pure: the
/// caller supplies the start; the result is data an obligation store can take over unchanged.
/// </summary>
public static class IncidentClocks
{
    public const string Acknowledge = "acknowledge";
    public const string Document = "document";
    public const string Review = "review";

    /// <summary>The three deadlines, first due first: acknowledge/assess/notify, document/fix, post-incident review.</summary>
    public static IReadOnlyList<ClockDeadline> For(DateTimeOffset start, IncidentSettings settings)
    {
        var utc = start.ToUniversalTime();
        return
        [
            new(Acknowledge, "Acknowledge the incident, assess its impact and notify the team", utc.AddHours(settings.AcknowledgeHours)),
            new(Document, "Document the incident and implement the fixes", utc.AddHours(settings.DocumentHours)),
            new(Review, "Hold the post-incident review and record the improvements", utc.AddDays(settings.ReviewDays)),
        ];
    }

    /// <summary>The first clock not yet met at <paramref name="now"/>, or null when all are past (all missed).</summary>
    public static ClockDeadline? NextDue(IReadOnlyList<ClockDeadline> clocks, DateTimeOffset now) =>
        clocks.Where(c => !c.IsMissedAt(now)).OrderBy(c => c.DueAt).FirstOrDefault();

    /// <summary>Every clock already missed at <paramref name="now"/> (for a sweep that was down across several deadlines).</summary>
    public static IReadOnlyList<ClockDeadline> MissedAt(IReadOnlyList<ClockDeadline> clocks, DateTimeOffset now) =>
        [.. clocks.Where(c => c.IsMissedAt(now)).OrderBy(c => c.DueAt)];
}
