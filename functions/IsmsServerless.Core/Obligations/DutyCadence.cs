using System.Globalization;
using System.Text.RegularExpressions;

namespace IsmsServerless.Obligations;

/// <summary>
/// A duty's cadence as calendar steps (months, days, time), so "quarterly from 31 December" stays on quarter ends
/// (31 Mar, 30 Jun, 30 Sep, 31 Dec: each due date is computed from the anchor, never by stepping, so it never drifts).
/// </summary>
public sealed partial record DutyCadence(int Months, int Days, TimeSpan Time)
{
    public bool HasTime => Time > TimeSpan.Zero;

    /// <summary>Approximate length, for estimates and bounds only.</summary>
    public TimeSpan Approximate => TimeSpan.FromDays(Months * 30.436875 + Days) + Time;

    public static bool TryParse(string? text, out DutyCadence cadence, out string? error)
    {
        error = null;
        cadence = new DutyCadence(0, 0, TimeSpan.Zero);
        switch (text?.Trim().ToLowerInvariant())
        {
            case "daily": cadence = new(0, 1, TimeSpan.Zero); return true;
            case "weekly": cadence = new(0, 7, TimeSpan.Zero); return true;
            case "monthly": cadence = new(1, 0, TimeSpan.Zero); return true;
            case "quarterly": cadence = new(3, 0, TimeSpan.Zero); return true;
            case "annual" or "annually" or "yearly": cadence = new(12, 0, TimeSpan.Zero); return true;
        }
        if (!TryParseDuration(text, out cadence))
        {
            error = $"cadence '{text}' must be daily, weekly, monthly, quarterly, annual or an ISO 8601 duration (P1M, P2W, PT12H)";
            return false;
        }
        if (cadence.Approximate < TimeSpan.FromHours(1) || cadence.Approximate > TimeSpan.FromDays(3 * 366))
        {
            error = $"cadence '{text}' must be between one hour and three years";
            return false;
        }
        return true;
    }

    /// <summary>ISO 8601 duration (<c>P1Y2M3W4DT5H6M7S</c>; weeks count as 7 days). Positive only.</summary>
    public static bool TryParseDuration(string? text, out DutyCadence duration)
    {
        duration = new DutyCadence(0, 0, TimeSpan.Zero);
        if (text is null || text.Length > 40) return false;
        var match = DurationPattern().Match(text.Trim().ToUpperInvariant());
        if (!match.Success || text.Trim().EndsWith('T')) return false;
        int Part(int group) => match.Groups[group].Success ? int.Parse(match.Groups[group].Value, CultureInfo.InvariantCulture) : 0;
        var months = Part(1) * 12 + Part(2);
        var days = Part(3) * 7 + Part(4);
        var time = new TimeSpan(Part(5), Part(6), Part(7));
        if (months == 0 && days == 0 && time == TimeSpan.Zero) return false;
        duration = new DutyCadence(months, days, time);
        return true;
    }

    /// <summary>The <paramref name="k"/>-th due instant counted from <paramref name="anchor"/> (k may be negative).</summary>
    /// <remarks>An anchor on the last day of its month stays on month ends (30 Nov → 31 Dec → 31 Jan → 28 Feb).</remarks>
    public DateTimeOffset DueOf(DateTimeOffset anchor, long k)
    {
        var months = anchor.AddMonths(checked((int)(k * Months)));
        if (Months > 0 && anchor.Day == DateTime.DaysInMonth(anchor.Year, anchor.Month))
            months = months.AddDays(DateTime.DaysInMonth(months.Year, months.Month) - months.Day);
        return months.AddDays(k * Days).Add(TimeSpan.FromTicks(checked(k * Time.Ticks)));
    }

    /// <summary>The smallest k whose due instant is at or after <paramref name="at"/>.</summary>
    public long IndexAtOrAfter(DateTimeOffset anchor, DateTimeOffset at)
    {
        var k = (long)Math.Ceiling((at - anchor).Ticks / (double)Approximate.Ticks);
        while (DueOf(anchor, k - 1) >= at) k--;
        while (DueOf(anchor, k) < at) k++;
        return k;
    }

    /// <summary>A duration subtracted from an instant, calendar-aware.</summary>
    public DateTimeOffset Before(DateTimeOffset at) => at.AddMonths(-Months).AddDays(-Days).Subtract(Time);

    [GeneratedRegex(@"^P(?:(\d{1,4})Y)?(?:(\d{1,4})M)?(?:(\d{1,4})W)?(?:(\d{1,5})D)?(?:T(?:(\d{1,5})H)?(?:(\d{1,5})M)?(?:(\d{1,6})S)?)?$", RegexOptions.CultureInvariant, 100)]
    private static partial Regex DurationPattern();
}
