namespace IsmsServerless.Ledger;

/// <summary>
/// What one observation of a finding identity says. The numeric order is the tie-break at equal source times:
/// compliant (0) sorts before violation (1), so at one instant the violation is the later one and wins (a security tool
/// does not hide a finding on a tie).
/// </summary>
internal enum Verdict
{
    Compliant = 0,
    Violation = 1,
}

/// <summary>The order key of an observation: its source time, then its verdict (README, "Delivery order").</summary>
internal readonly record struct ObservationPoint(DateTimeOffset At, Verdict Verdict) : IComparable<ObservationPoint>
{
    /// <summary>The point at the stored (millisecond) precision, so equal keys are equal points.</summary>
    public static ObservationPoint Of(DateTimeOffset at, Verdict verdict) =>
        new(new DateTimeOffset(at.UtcTicks - at.UtcTicks % TimeSpan.TicksPerMillisecond, TimeSpan.Zero), verdict);

    public int CompareTo(ObservationPoint other)
    {
        // Millisecond precision: the stored keys' precision (LedgerKeys.Instant), so key order is this order.
        var byTime = (At.UtcTicks / TimeSpan.TicksPerMillisecond).CompareTo(other.At.UtcTicks / TimeSpan.TicksPerMillisecond);
        return byTime != 0 ? byTime : Verdict.CompareTo(other.Verdict);
    }

    public static bool operator <(ObservationPoint a, ObservationPoint b) => a.CompareTo(b) < 0;

    public static bool operator >(ObservationPoint a, ObservationPoint b) => a.CompareTo(b) > 0;

    public static bool operator <=(ObservationPoint a, ObservationPoint b) => a.CompareTo(b) <= 0;

    public static bool operator >=(ObservationPoint a, ObservationPoint b) => a.CompareTo(b) >= 0;
}

/// <summary>One observation as the timeline keeps it: its key, and who said it and why (the text a history line shows).</summary>
internal sealed record TimelineObservation(ObservationPoint Point, string Actor, string Reason);

/// <summary>
/// A detection line of a finding's history: the first observation of a run of equal verdicts. <c>created</c> starts
/// the first run of violations, <c>reopened</c> every later one, <c>resolved</c> a run of compliant observations (or a
/// deletion) after a violation. A compliant run before any violation is no line (no finding existed).
/// </summary>
internal sealed record TimelineLine(TimelineObservation Observation, string Action)
{
    public const string Created = "created";
    public const string Reopened = "reopened";
    public const string Resolved = "resolved";

    public ObservationPoint Point => Observation.Point;

    public string? FromStatus => Action == Created ? null : Action == Resolved ? "open" : "resolved";

    public string ToStatus => Action == Resolved ? "resolved" : "open";
}

/// <summary>
/// What the store knows around a new observation, all found by key (no history is read whole): the neighbouring
/// observations by order key, the stored observation with the same key, the finding's <c>created</c> line, and how many
/// <c>reopened</c> lines it has.
/// </summary>
/// <param name="Previous">The latest stored observation before the new one (null: none).</param>
/// <param name="Next">The earliest stored observation after the new one (null: the new one is the newest).</param>
/// <param name="Same">A stored observation with the same key (a redelivery, or another message at the same instant).</param>
/// <param name="Created">The finding's <c>created</c> line (null: no violation recorded yet).</param>
/// <param name="Reopened">How many <c>reopened</c> lines the finding has.</param>
internal sealed record TimelineView(TimelineObservation? Previous, TimelineObservation? Next, TimelineObservation? Same, TimelineLine? Created, int Reopened);

/// <summary>
/// The change a new observation makes to the detection history, as in-order delivery would have made it: observations
/// and lines to put (a put on an existing key replaces it), line keys to delete, and the alerts to raise, each named by
/// an identity that does not depend on delivery order (<see cref="FindingTimeline.AlertKey"/>).
/// </summary>
/// <param name="Store">The observation to store (null: nothing to store, a redelivery).</param>
/// <param name="Newest">The observation is the newest of its identity: the finding's current status follows it.</param>
internal sealed record TimelineEdit(
    TimelineObservation? Store,
    IReadOnlyList<TimelineLine> PutLines,
    IReadOnlyList<ObservationPoint> DeleteLines,
    bool RaiseNew,
    IReadOnlyList<int> RaiseReopened,
    bool Newest)
{
    public static readonly TimelineEdit None = new(null, [], [], false, [], false);

    /// <summary>The number of <c>reopened</c> lines after the edit.</summary>
    public int ReopenedAfter(TimelineView view) => view.Reopened + RaiseReopened.Count;
}

/// <summary>
/// The detection history of one finding as a pure function of the SET of its observations (violations, compliant
/// verdicts, deletions), kept up to date one observation at a time with bounded work: an observation that arrives late
/// changes only the lines next to it, exactly what in-order delivery would have written.
/// </summary>
/// <remarks>
/// <para>Model. Sort the observations by (source time, verdict) with compliant before violation on equal times. A line
/// starts each run of equal verdicts, except a compliant run with no violation before it. The line's key is its first
/// observation's key, so lines sort by source time whatever the arrival order.</para>
/// <para>Inserting observation o between its neighbours p (before) and n (after) can only: add o's line (when o's verdict
/// differs from p's), add or remove n's line (n starts a run iff its verdict differs from its predecessor's, which was p
/// and is now o), and, when o is the first violation of all, turn the old <c>created</c> line into <c>reopened</c>.
/// Inserting into a sequence never merges runs, so the number of violation runs never falls: the alerts are one
/// <c>new</c> per finding and <c>reopened</c> number 1…(violation runs − 1), the same set in any order.</para>
/// </remarks>
internal static class FindingTimeline
{
    /// <summary>Decides the edit for <paramref name="o"/> given what the store holds around it.</summary>
    public static TimelineEdit Splice(TimelineObservation o, TimelineView view)
    {
        ArgumentNullException.ThrowIfNull(o);
        ArgumentNullException.ThrowIfNull(view);
        var x = o.Point.Verdict;
        var p = view.Previous?.Point.Verdict;
        var violationBefore = view.Created is { } c0 && c0.Point < o.Point;
        if (view.Same is { } same)
        {
            // A redelivery, or another observation at the same instant with the same verdict: the ordinally smaller text
            // is kept, so the stored line does not depend on which arrived first. The timeline's shape is unchanged.
            if (string.CompareOrdinal(Text(o), Text(same)) >= 0) return TimelineEdit.None;
            var lines = StartsRun(x, p) ? new[] { new TimelineLine(o, ActionFor(x, violationBefore)) } : [];
            return new TimelineEdit(o, lines, [], false, [], view.Next is null);
        }

        var put = new List<TimelineLine>();
        var delete = new List<ObservationPoint>();
        var violationLinesDelta = 0;
        if (StartsRun(x, p))
        {
            put.Add(new TimelineLine(o, ActionFor(x, violationBefore)));
            if (x == Verdict.Violation) violationLinesDelta++;
        }
        if (view.Next is { } n)
        {
            var nv = n.Point.Verdict;
            var was = StartsRun(nv, p);
            var now = StartsRun(nv, x);
            if (was && !now)
            {
                delete.Add(n.Point);
                if (nv == Verdict.Violation) violationLinesDelta--;
            }
            else if (!was && now)
            {
                // n's predecessor was p (same verdict as n) and is now o: n starts a run. A violation there follows p, a
                // violation, so it is a reopening; a compliant verdict there follows o, a violation, so it resolves.
                put.Add(new TimelineLine(n, nv == Verdict.Violation ? TimelineLine.Reopened : TimelineLine.Resolved));
                if (nv == Verdict.Violation) violationLinesDelta++;
            }
        }
        if (x == Verdict.Violation && !violationBefore && view.Created is { } created && !delete.Contains(created.Point))
        {
            // o is now the first violation of all and a compliant run separates it from the old first one.
            put.Add(created with { Action = TimelineLine.Reopened });
        }

        var violationRunsBefore = view.Created is null ? 0 : view.Reopened + 1;
        var violationRunsAfter = violationRunsBefore + violationLinesDelta;
        var reopenedAfter = Math.Max(0, violationRunsAfter - 1);
        var raise = Enumerable.Range(view.Reopened + 1, Math.Max(0, reopenedAfter - view.Reopened)).ToList();
        var raiseNew = view.Created is null && violationRunsAfter > 0;
        return new TimelineEdit(o, put, delete, raiseNew, raise, view.Next is null);
    }

    /// <summary>
    /// The identity of an alert raised from the timeline: one <c>new</c> per finding, and <c>reopened</c> by its ordinal
    /// (the k-th return of the violation). Both depend only on the set of observations.
    /// </summary>
    public static string AlertKey(string findingId, string kind, int ordinal) =>
        kind == FindingTransitions.AlertNew ? $"{findingId}\u001fnew" : $"{findingId}\u001f{kind}\u001fobs#{ordinal}";

    /// <summary>
    /// The whole timeline of a set of observations, computed from scratch: the reference the incremental
    /// <see cref="Splice"/> must always agree with (tests), and the recovery path for a history written before lines were
    /// keyed by source time.
    /// </summary>
    public static IReadOnlyList<TimelineLine> LinesOf(IEnumerable<TimelineObservation> observations)
    {
        var lines = new List<TimelineLine>();
        Verdict? previous = null;
        var violationSeen = false;
        foreach (var o in Canonical(observations))
        {
            if (StartsRun(o.Point.Verdict, previous)) lines.Add(new TimelineLine(o, ActionFor(o.Point.Verdict, violationSeen)));
            if (o.Point.Verdict == Verdict.Violation) violationSeen = true;
            previous = o.Point.Verdict;
        }
        return lines;
    }

    /// <summary>One observation per key (the ordinally smaller text on a tie), in key order.</summary>
    public static IReadOnlyList<TimelineObservation> Canonical(IEnumerable<TimelineObservation> observations) =>
        observations.GroupBy(o => o.Point)
            .Select(g => g.OrderBy(Text, StringComparer.Ordinal).First())
            .OrderBy(o => o.Point)
            .ToList();

    private static bool StartsRun(Verdict verdict, Verdict? previous) => verdict == Verdict.Violation
        ? previous is null or Verdict.Compliant
        : previous is Verdict.Violation;

    private static string ActionFor(Verdict verdict, bool violationBefore) =>
        verdict == Verdict.Compliant ? TimelineLine.Resolved : violationBefore ? TimelineLine.Reopened : TimelineLine.Created;

    private static string Text(TimelineObservation o) => o.Actor + "\u001f" + o.Reason;
}
