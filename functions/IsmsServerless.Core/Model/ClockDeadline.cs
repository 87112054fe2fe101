namespace IsmsServerless.Model;

/// <summary>
/// One policy clock: a named duty that is due at an instant. Computed by pure code (<see cref="Incidents.IncidentClocks"/>,
/// <see cref="Backups.BackupClocks"/>) from a start time and the settings; nothing here reads a clock or a store, so the
/// same values can be handed to an obligation store unchanged.
/// </summary>
/// <param name="Name">Stable key, e.g. <c>acknowledge</c>, <c>document</c>, <c>review</c>, <c>backup</c>, <c>restoreTest</c>.</param>
/// <param name="Duty">What must be done by then, in the policy's words.</param>
/// <param name="DueAt">The instant the duty is due (inclusive: done exactly at <see cref="DueAt"/> is on time).</param>
public sealed record ClockDeadline(string Name, string Duty, DateTimeOffset DueAt)
{
    /// <summary>True once <paramref name="now"/> is past the deadline.</summary>
    public bool IsMissedAt(DateTimeOffset now) => now > DueAt;
}
