using IsmsServerless.Evidence;
using IsmsServerless.Policy;

namespace IsmsServerless.Compliance;

/// <summary>Control status values (issue 16 §3).</summary>
public static class ControlStatuses
{
    public const string Pass = "pass";
    public const string Fail = "fail";
    public const string Stale = "stale";
    public const string Due = "due";
    public const string Overdue = "overdue";
    public const string Manual = "manual";
    public const string NotApplicable = "not-applicable";
}

/// <summary>One control's line in the controls view and the audit export.</summary>
public sealed record ControlView(
    PolicyControl Control,
    string Status,
    IReadOnlyList<string> Rules,
    long Evaluated,
    long Passing,
    long Failing,
    DateTimeOffset? LastEvaluatedAt,
    IReadOnlyList<DutyState> Duties,
    long ActiveFindings,
    string Reason);

/// <summary>
/// Pure: a control's status from its rules' evidence summaries, its duties' states and the clock.
/// Order of precedence: not-applicable; fail (a rule fails on some resource); overdue / due (a duty);
/// stale (rules, but nothing evaluated within the freshness window); pass (rules pass, or every duty is open/done);
/// manual (evidence kept outside, or duty states unknown).
/// </summary>
public static class ControlStatusCalculator
{
    public static ControlView Compute(ControlCoverage coverage, IReadOnlyDictionary<string, RuleEvidenceSummary> evidence,
        IReadOnlyDictionary<string, DutyState> duties, long activeFindings, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(coverage);
        var c = coverage.Control;
        var summaries = coverage.RuleIds.Select(r => evidence.GetValueOrDefault(r)).OfType<RuleEvidenceSummary>().ToList();
        var evaluated = summaries.Sum(s => s.Evaluated);
        var passing = summaries.Sum(s => s.Passing);
        var failing = summaries.Sum(s => s.Failing);
        var last = summaries.Select(s => s.LastEvaluatedAt).Where(t => t is not null).DefaultIfEmpty(null).Max();
        var dutyStates = c.Duties.Select(d => duties.GetValueOrDefault(d)).OfType<DutyState>().ToList();

        string status, reason;
        if (c.Evidence == EvidenceKinds.NotApplicable)
            (status, reason) = (ControlStatuses.NotApplicable, c.Justification ?? "");
        else if (failing > 0)
            (status, reason) = (ControlStatuses.Fail, $"{failing} resource result(s) failing");
        else if (dutyStates.FirstOrDefault(d => d.State == "overdue") is { } overdue)
            (status, reason) = (ControlStatuses.Overdue, $"duty {overdue.Id} is overdue");
        else if (dutyStates.FirstOrDefault(d => d.State == "due") is { } due)
            (status, reason) = (ControlStatuses.Due, $"duty {due.Id} is due");
        else if (coverage.RuleIds.Count > 0 && (evaluated == 0 || last is null || now - last.Value > TimeSpan.FromDays(c.FreshnessDays)))
            (status, reason) = (ControlStatuses.Stale, last is null ? "no resource evaluated yet" : $"nothing evaluated since {last:yyyy-MM-dd} (window {c.FreshnessDays} days)");
        else if (coverage.RuleIds.Count > 0)
            (status, reason) = (ControlStatuses.Pass, $"{passing} passing result(s)");
        else if (c.Duties.Count > 0 && dutyStates.Count == c.Duties.Count)
            (status, reason) = (ControlStatuses.Pass, "every duty is open or done");
        else
            (status, reason) = (ControlStatuses.Manual, c.Duties.Count > 0 ? "duty states not recorded yet" : c.Note ?? "evidence kept outside this system");
        return new ControlView(c, status, coverage.RuleIds, evaluated, passing, failing, last, dutyStates, activeFindings, reason);
    }
}
