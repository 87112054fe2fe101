using System.Globalization;
using IsmsServerless.Ledger;

namespace IsmsServerless.Tests.Ordering;

/// <summary>
/// The detection history as a function of the SET of observations (issue 14, item 4, multi-flip part): the incremental
/// <see cref="FindingTimeline.Splice"/>, fed one observation at a time in any order with duplicates, must leave exactly the
/// lines <see cref="FindingTimeline.LinesOf"/> computes from the whole set, and raise the same set of alert keys.
/// The store here is an in-memory map of what the ledger keeps by key (observations, lines, alert keys); the ledger
/// reads the same neighbours by key from DynamoDB.
/// </summary>
public sealed class FindingTimelineTests
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.Parse("2026-03-07T19:02:31Z", CultureInfo.InvariantCulture);

    private static TimelineObservation V(double minutes, string reason = "non-compliant") =>
        new(ObservationPoint.Of(T0.AddMinutes(minutes), Verdict.Violation), "rule:r", reason);

    private static TimelineObservation C(double minutes, string reason = "compliant") =>
        new(ObservationPoint.Of(T0.AddMinutes(minutes), Verdict.Compliant), "rule:r", reason);

    private static TimelineObservation Gone(double minutes) =>
        new(ObservationPoint.Of(T0.AddMinutes(minutes), Verdict.Compliant), "system:ingest", "resource deleted");

    /// <summary>The ledger's view of one finding, by key, as DynamoDB holds it.</summary>
    private sealed class Store
    {
        public readonly SortedDictionary<ObservationPoint, TimelineObservation> Observations = [];
        public readonly SortedDictionary<ObservationPoint, TimelineLine> Lines = [];
        public readonly SortedSet<string> Alerts = new(StringComparer.Ordinal);
        public int Reopened;
        public int WorkPerObservation;

        public void Apply(TimelineObservation o)
        {
            var before = Observations.Keys.Where(k => k < o.Point).ToList();
            var after = Observations.Keys.Where(k => k > o.Point).ToList();
            var view = new TimelineView(
                before.Count > 0 ? Observations[before[^1]] : null,
                after.Count > 0 ? Observations[after[0]] : null,
                Observations.GetValueOrDefault(o.Point),
                Lines.Values.FirstOrDefault(l => l.Action == TimelineLine.Created),
                Reopened);
            var edit = FindingTimeline.Splice(o, view);
            WorkPerObservation = Math.Max(WorkPerObservation, edit.PutLines.Count + edit.DeleteLines.Count);
            if (edit.Store is { } stored) Observations[stored.Point] = stored;
            foreach (var d in edit.DeleteLines) Assert.True(Lines.Remove(d), $"deleted a line that was not there: {d}");
            foreach (var l in edit.PutLines) Lines[l.Point] = l;
            if (edit.RaiseNew) Assert.True(Alerts.Add(FindingTimeline.AlertKey("f", "new", 0)), "a second new alert");
            foreach (var k in edit.RaiseReopened) Assert.True(Alerts.Add(FindingTimeline.AlertKey("f", "reopened", k)), $"reopened #{k} twice");
            Reopened = edit.ReopenedAfter(view);
        }

        public string Describe() => string.Join(" | ", Lines.Values.Select(l => $"{l.Action}@{l.Point.At:HH:mm:ss.fff}/{l.Point.Verdict}:{l.Observation.Reason}"));
    }

    private static Store Replay(IEnumerable<TimelineObservation> order)
    {
        var store = new Store();
        foreach (var o in order) store.Apply(o);
        return store;
    }

    /// <summary>The expected alerts of a set: one new when any violation, reopened 1…(violation runs − 1).</summary>
    private static SortedSet<string> AlertsOf(IReadOnlyList<TimelineLine> lines)
    {
        var alerts = new SortedSet<string>(StringComparer.Ordinal);
        if (lines.Any(l => l.Action == TimelineLine.Created)) alerts.Add(FindingTimeline.AlertKey("f", "new", 0));
        var reopened = lines.Count(l => l.Action == TimelineLine.Reopened);
        for (var k = 1; k <= reopened; k++) alerts.Add(FindingTimeline.AlertKey("f", "reopened", k));
        return alerts;
    }

    private static readonly Dictionary<string, TimelineObservation[]> SetsByName = new()
    {
        // SSM NON_COMPLIANT 19:02:31 / COMPLIANT 19:03:26 / NON_COMPLIANT again (the issue's pair, then a regression).
        { "ssm nc/c/nc", [V(0), C(0.9167), V(30)] },
        // Inspector ACTIVE / CLOSED / ACTIVE, with re-observations of each state.
        { "inspector active/closed/active", [V(0), V(5), C(60), C(65), V(120), V(125), V(130)] },
        // Config items: open, open, clean, deletion, open again (re-created with the same id), clean.
        { "config open/clean/deleted/open/clean", [V(0), V(1), C(2), Gone(3), V(4), C(5)] },
        // Five flips, with ties: a violation and a compliant verdict at one instant (the violation wins).
        { "five flips with ties", [V(0), C(1), V(1), C(2), V(3), C(4), V(4), C(6), V(7), V(8)] },
        // Compliant first (no finding), then flips.
        { "compliant before any violation", [C(-10), C(-5), V(0), C(1), V(2)] },
        // Two different messages at one instant: the ordinally smaller is kept.
        { "one instant, two messages", [V(0, "port 3389"), V(0, "port 22"), C(1), V(2, "port 22"), V(2, "port 1433")] },
    };

    public static TheoryData<string> Sets() => new(SetsByName.Keys);

    [Theory]
    [MemberData(nameof(Sets))]
    public void Every_order_with_duplicates_leaves_the_lines_and_alerts_of_the_set(string name)
    {
        var set = SetsByName[name];
        var expectedLines = FindingTimeline.LinesOf(set);
        var expectedAlerts = AlertsOf(expectedLines);
        var inOrder = Replay(set);
        Assert.Equal(expectedLines.Select(l => (l.Point, l.Action, l.Observation.Reason)), inOrder.Lines.Values.Select(l => (l.Point, l.Action, l.Observation.Reason)));
        Assert.True(expectedAlerts.SetEquals(inOrder.Alerts), name);

        for (var seed = 0; seed < 400; seed++)
        {
            var random = new Random(14_000 + seed);
            var order = set.OrderBy(_ => random.Next()).ToList();
            for (var d = random.Next(4); d > 0; d--) order.Insert(random.Next(order.Count + 1), set[random.Next(set.Length)]);
            var store = Replay(order);
            var description = $"{name}, seed {14_000 + seed}: {string.Join(", ", order.Select(o => $"{o.Point.Verdict}@{o.Point.At:mm:ss}"))}\n got {store.Describe()}\n exp {string.Join(" | ", expectedLines.Select(l => $"{l.Action}@{l.Point.At:HH:mm:ss.fff}"))}";
            Assert.True(expectedLines.Select(l => (l.Point, l.Action, l.Observation.Reason)).SequenceEqual(store.Lines.Values.Select(l => (l.Point, l.Action, l.Observation.Reason))), description);
            Assert.True(expectedAlerts.SetEquals(store.Alerts), description + $"\n alerts {string.Join(",", store.Alerts)}");
            Assert.Equal(set.Length == 0 ? 0 : FindingTimeline.Canonical(set).Count, store.Observations.Count);
            // Bounded work: one observation changes at most three lines, whatever the history's length.
            Assert.InRange(store.WorkPerObservation, 0, 3);
        }
    }

    [Fact]
    public void A_late_compliant_verdict_between_two_violations_splits_the_run_where_in_order_delivery_did()
    {
        // V1 V3 V5 recorded, then C2 arrives: resolved at C2, reopened at V3 (not at V5, not at processing time).
        var store = Replay([V(1), V(3), V(5), C(2)]);
        Assert.Equal(
            [(TimelineLine.Created, T0.AddMinutes(1)), (TimelineLine.Resolved, T0.AddMinutes(2)), (TimelineLine.Reopened, T0.AddMinutes(3))],
            store.Lines.Values.Select(l => (l.Action, l.Point.At)).ToArray());
        Assert.Equal(1, store.Reopened);
    }

    [Fact]
    public void A_late_first_violation_turns_the_old_created_line_into_a_reopening()
    {
        // V3 first (created, new alert), then C2, then V1: V1 is created, C2 resolves it, V3 reopens; no second new alert.
        var store = Replay([V(3), C(2), V(1)]);
        Assert.Equal([TimelineLine.Created, TimelineLine.Resolved, TimelineLine.Reopened], store.Lines.Values.Select(l => l.Action).ToArray());
        Assert.Equal(2, store.Alerts.Count);
    }

    [Fact]
    public void On_equal_source_times_the_violation_sorts_last_and_wins()
    {
        Assert.True(ObservationPoint.Of(T0, Verdict.Compliant) < ObservationPoint.Of(T0, Verdict.Violation));
        Assert.True(string.CompareOrdinal(LedgerKeys.Observation(ObservationPoint.Of(T0, Verdict.Compliant)), LedgerKeys.Observation(ObservationPoint.Of(T0, Verdict.Violation))) < 0);
        // Sub-millisecond differences are one key: the stored precision.
        Assert.Equal(ObservationPoint.Of(T0, Verdict.Violation), ObservationPoint.Of(T0.AddTicks(5), Verdict.Violation));
        var store = Replay([C(0), V(0)]);
        Assert.Equal(TimelineLine.Created, Assert.Single(store.Lines.Values).Action);
    }
}
