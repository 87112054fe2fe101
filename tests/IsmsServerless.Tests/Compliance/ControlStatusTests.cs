using IsmsServerless.Compliance;
using IsmsServerless.Evidence;
using IsmsServerless.Policy;
using Microsoft.Extensions.Time.Testing;

namespace IsmsServerless.Tests.Compliance;

public sealed class ControlStatusTests
{
    private static readonly DateTimeOffset T0 = new(2026, 6, 1, 0, 0, 0, TimeSpan.Zero);

    private static ControlCoverage Automated(int freshnessDays = 30, params string[] duties) => new(
        new PolicyControl { Id = "A.8.8", Framework = "ISO27001:2022", Title = "Vulns", Evidence = EvidenceKinds.Automated, Rules = ["r1", "r2"], Duties = duties, FreshnessDays = freshnessDays },
        ["r1", "r2"]);

    private static ControlCoverage DutyOnly(params string[] duties) => new(
        new PolicyControl { Id = "A1.3", Framework = "SOC2", Title = "Restore tests", Evidence = EvidenceKinds.Duty, Duties = duties }, []);

    private static Dictionary<string, RuleEvidenceSummary> Evidence(long passing, long failing, DateTimeOffset at) => new()
    {
        ["r1"] = new("r1", passing + failing, passing, failing, at),
    };

    private static readonly Dictionary<string, DutyState> NoDuties = [];

    [Fact]
    public void Passing_evidence_within_the_window_passes_and_goes_stale_after_it()
    {
        var clock = new FakeTimeProvider(T0);
        var evidence = Evidence(3, 0, clock.GetUtcNow());
        Assert.Equal(ControlStatuses.Pass, ControlStatusCalculator.Compute(Automated(), evidence, NoDuties, 0, clock.GetUtcNow()).Status);
        clock.Advance(TimeSpan.FromDays(30));
        Assert.Equal(ControlStatuses.Pass, ControlStatusCalculator.Compute(Automated(), evidence, NoDuties, 0, clock.GetUtcNow()).Status); // exactly at the edge
        clock.Advance(TimeSpan.FromSeconds(1));
        var stale = ControlStatusCalculator.Compute(Automated(), evidence, NoDuties, 0, clock.GetUtcNow());
        Assert.Equal(ControlStatuses.Stale, stale.Status);
        Assert.Equal((3L, 3L, 0L), (stale.Evaluated, stale.Passing, stale.Failing));
    }

    [Fact]
    public void Nothing_evaluated_is_stale_and_one_failing_resource_fails()
    {
        Assert.Equal(ControlStatuses.Stale, ControlStatusCalculator.Compute(Automated(), new Dictionary<string, RuleEvidenceSummary>(), NoDuties, 0, T0).Status);
        Assert.Equal(ControlStatuses.Fail, ControlStatusCalculator.Compute(Automated(), Evidence(99, 1, T0), NoDuties, 1, T0).Status);
    }

    [Fact]
    public void Duties_make_a_control_due_or_overdue_and_unknown_duty_states_are_manual()
    {
        var duties = new Dictionary<string, DutyState> { ["restore-test"] = new("restore-test", "overdue", T0.AddDays(-1)) };
        Assert.Equal(ControlStatuses.Overdue, ControlStatusCalculator.Compute(DutyOnly("restore-test"), new Dictionary<string, RuleEvidenceSummary>(), duties, 0, T0).Status);
        duties["restore-test"] = new("restore-test", "due", T0);
        Assert.Equal(ControlStatuses.Due, ControlStatusCalculator.Compute(DutyOnly("restore-test"), new Dictionary<string, RuleEvidenceSummary>(), duties, 0, T0).Status);
        duties["restore-test"] = new("restore-test", "done", T0);
        Assert.Equal(ControlStatuses.Pass, ControlStatusCalculator.Compute(DutyOnly("restore-test"), new Dictionary<string, RuleEvidenceSummary>(), duties, 0, T0).Status);
        Assert.Equal(ControlStatuses.Manual, ControlStatusCalculator.Compute(DutyOnly("restore-test"), new Dictionary<string, RuleEvidenceSummary>(), NoDuties, 0, T0).Status);
        // A failing rule outranks a duty; an overdue duty outranks passing rules.
        Assert.Equal(ControlStatuses.Fail, ControlStatusCalculator.Compute(Automated(30, "restore-test"), Evidence(1, 1, T0),
            new Dictionary<string, DutyState> { ["restore-test"] = new("restore-test", "overdue") }, 0, T0).Status);
        Assert.Equal(ControlStatuses.Overdue, ControlStatusCalculator.Compute(Automated(30, "restore-test"), Evidence(1, 0, T0),
            new Dictionary<string, DutyState> { ["restore-test"] = new("restore-test", "overdue") }, 0, T0).Status);
    }

    [Fact]
    public void Not_applicable_controls_say_so_whatever_the_evidence()
    {
        var na = new ControlCoverage(new PolicyControl { Id = "CC6.4", Framework = "SOC2", Title = "Physical", Evidence = EvidenceKinds.NotApplicable, Justification = "cloud only, inherited from AWS" }, []);
        var view = ControlStatusCalculator.Compute(na, Evidence(0, 5, T0), NoDuties, 0, T0);
        Assert.Equal(ControlStatuses.NotApplicable, view.Status);
        Assert.Equal("cloud only, inherited from AWS", view.Reason);
    }
}
