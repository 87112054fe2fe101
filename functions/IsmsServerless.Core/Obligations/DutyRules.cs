using System.Globalization;
using IsmsServerless.Model;
using IsmsServerless.Settings;

namespace IsmsServerless.Obligations;

/// <summary>Validation of <see cref="IsmsSettings.Duties"/> and the schedule derived from one duty.</summary>
public static class DutyRules
{
    public const string KindPrefix = "duty.";

    public static IReadOnlyList<string> Validate(IReadOnlyList<DutyDefinition> duties)
    {
        var errors = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var duty in duties ?? [])
        {
            var where = $"duties[{duty?.Id}]";
            if (duty is null)
            {
                errors.Add("duties may not contain null");
                continue;
            }
            if (string.IsNullOrEmpty(duty.Id) || duty.Id.Length > 60 || !duty.Id.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-'))
                errors.Add($"{where}: id must be 1-60 lower-case letters, digits and dashes");
            else if (!seen.Add(duty.Id))
                errors.Add($"{where}: duplicate duty id");
            if (string.IsNullOrWhiteSpace(duty.Title) || duty.Title.Length > 200) errors.Add($"{where}: title is required (at most 200 characters)");
            if (duty.Controls.Count == 0) errors.Add($"{where}: controls must list at least one control it evidences");
            if (string.IsNullOrWhiteSpace(duty.OwnerRole)) errors.Add($"{where}: ownerRole is required");
            if (!DutyCadence.TryParse(duty.Cadence, out _, out var cadenceError)) errors.Add($"{where}: {cadenceError}");
            if (!DateOnly.TryParseExact(duty.FirstDue, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _))
                errors.Add($"{where}: firstDue must be a date (yyyy-MM-dd), not '{duty.FirstDue}'");
            foreach (var reminder in duty.RemindBefore)
            {
                if (!DutyCadence.TryParseDuration(reminder, out _)) errors.Add($"{where}: remindBefore '{reminder}' is not an ISO 8601 duration");
            }
            if (!SeverityNames.TryParse(duty.OverdueSeverity, out _)) errors.Add($"{where}: overdueSeverity '{duty.OverdueSeverity}' is not a severity");
        }
        return errors;
    }

    public static string KindOf(DutyDefinition duty) => KindPrefix + duty.Id;

    public static DutyCadence CadenceOf(DutyDefinition duty) =>
        DutyCadence.TryParse(duty.Cadence, out var cadence, out var error) ? cadence : throw new ObligationException(ObligationError.Invalid, error ?? "bad cadence");

    /// <summary>The first due instant: the end of <see cref="DutyDefinition.FirstDue"/> (23:59:59.999 UTC).</summary>
    public static DateTimeOffset AnchorOf(DutyDefinition duty) =>
        new DateTimeOffset(DateOnly.ParseExact(duty.FirstDue, "yyyy-MM-dd", CultureInfo.InvariantCulture).ToDateTime(TimeOnly.MaxValue), TimeSpan.Zero)
            .AddTicks(-(TimeOnly.MaxValue.Ticks % TimeSpan.TicksPerMillisecond));

    /// <summary>Reminder offsets: the duty's own, else by cadence (annual 30 and 7 days, quarterly 14 and 3, monthly 7 and 1, weekly 2, daily 6 hours).</summary>
    public static IReadOnlyList<DutyCadence> RemindersOf(DutyDefinition duty)
    {
        if (duty.RemindBefore.Count > 0)
            return [.. duty.RemindBefore.Select(r => DutyCadence.TryParseDuration(r, out var d) ? d : null).OfType<DutyCadence>()];
        var cadence = CadenceOf(duty).Approximate;
        string[] defaults = cadence >= TimeSpan.FromDays(360) ? ["P30D", "P7D"]
            : cadence >= TimeSpan.FromDays(85) ? ["P14D", "P3D"]
            : cadence >= TimeSpan.FromDays(28) ? ["P7D", "P1D"]
            : cadence >= TimeSpan.FromDays(7) ? ["P2D"]
            : cadence >= TimeSpan.FromDays(1) ? ["PT6H"]
            : [];
        return [.. defaults.Select(r => DutyCadence.TryParseDuration(r, out var d) ? d : null).OfType<DutyCadence>()];
    }

    /// <summary>The obligation of period <paramref name="k"/> of a duty.</summary>
    public static ObligationSpec SpecFor(DutyDefinition duty, long k, string accountId, string region, string policyVersion, string statusPageUrl)
    {
        var cadence = CadenceOf(duty);
        var anchor = AnchorOf(duty);
        var due = cadence.DueOf(anchor, k);
        var opens = cadence.DueOf(anchor, k - 1);
        var reminders = RemindersOf(duty).Select(r => r.Before(due)).Where(r => r > opens && r < due).ToList();
        return new ObligationSpec
        {
            Kind = KindOf(duty),
            Subject = duty.Id,
            Period = cadence.HasTime ? Timestamps.ToWire(due) : due.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            Title = duty.Title,
            Controls = duty.Controls,
            PolicyClause = duty.PolicyClause,
            OwnerRole = duty.OwnerRole,
            OwnerPerson = duty.OwnerPerson,
            OpensAt = opens,
            DueAt = due,
            Reminders = reminders,
            EvidenceExpected = duty.EvidenceExpected,
            FourEyes = duty.FourEyes,
            Author = duty.Author,
            OverdueSeverity = SeverityNames.TryParse(duty.OverdueSeverity, out var severity) ? severity : Severity.Medium,
            AccountId = accountId,
            Region = region,
            PolicyVersion = policyVersion,
            Link = statusPageUrl.TrimEnd('/') + "/#duties",
        };
    }
}
