using IsmsServerless.Model;
using IsmsServerless.Settings;
using IsmsServerless.Sla;

namespace IsmsServerless.Ledger;

/// <summary>
/// A decided change to one finding: the new record, and, when it is a transition, the history line and the alert kind.
/// A plan without <see cref="Action"/> is a plain update (re-detection, timer move) that writes no history.
/// </summary>
internal sealed record TransitionPlan(FindingRecord After, string? Action, string Actor, string Reason, string? AlertKind, DateTimeOffset At)
{
    public static TransitionPlan Update(FindingRecord after, DateTimeOffset at) => new(after, null, "", "", null, at);
}

/// <summary>
/// The lifecycle as pure functions of (stored finding, input, now): no I/O, so every rule here is unit-testable and
/// the ledger only has to apply the plan atomically. Returning null means "nothing to write".
/// </summary>
internal static class FindingTransitions
{
    public const string AlertNew = "new";
    public const string AlertEscalated = "escalated";
    public const string AlertReopened = "reopened";

    /// <summary>A finding (or change) evaluation arrived.</summary>
    public static TransitionPlan? OnFinding(FindingRecord? before, Evaluation e, SlaClock sla, DateTimeOffset now)
    {
        var observed = e.ObservedAt ?? now;
        var actor = "rule:" + e.Rule.Id;
        if (before is null)
        {
            var deadline = sla.DeadlineFor(e, now);
            var created = new FindingRecord
            {
                Id = e.FindingId,
                RuleId = e.Rule.Id,
                Title = e.Rule.Title,
                Category = e.Rule.Category,
                Severity = e.Severity,
                Status = FindingStatus.Open,
                ResourceId = e.ResourceId,
                ResourceType = e.ResourceType.Length > 0 ? e.ResourceType : e.Rule.ResourceType,
                AccountId = e.AccountId,
                Region = e.Region,
                SubKey = e.SubKey,
                Controls = e.Rule.Controls,
                PolicyClause = e.Rule.PolicyClause,
                Remediation = e.Rule.Remediation,
                Message = e.Message,
                FirstSeenAt = now,
                LastSeenAt = now,
                ClockStartedAt = deadline?.StartedAt,
                DueAt = deadline?.DueAt,
                AtRiskAt = deadline?.AtRiskAt,
                SlaState = deadline?.StateAt(now),
                Diff = e.Diff,
                Evidence = e.Evidence,
                LastObservedAt = observed,
                LastViolationAt = observed,
                Version = 1,
            };
            created = created with { NextTimerAt = NextTimer(created, now) };
            return new TransitionPlan(created, "created", actor, e.Message, AlertNew, now);
        }
        if (before.LastObservedAt is { } last && observed == last && before.Status != FindingStatus.Resolved && PreferredOnTie(e, before))
        {
            // Two different violations with the same source time: the more severe, then the ordinally smaller message,
            // is kept, so the stored text does not depend on which arrived last.
            var tied = before with { LastSeenAt = now, LastViolationAt = observed, Message = e.Message, Diff = e.Diff, Evidence = e.Deadlines.Count == 0 ? e.Evidence : KeepRecordedClocks(before.Evidence, e.Evidence), Severity = e.Severity };
            return tied.Severity == before.Severity
                ? TransitionPlan.Update(tied, now)
                : new TransitionPlan(tied, "severity-changed", actor, $"severity {before.Severity.ToWire()} → {tied.Severity.ToWire()}: {e.Message}", null, now);
        }
        if (before.LastObservedAt is { } last2 && (observed < last2 || (observed == last2 && before.Status != FindingStatus.Resolved)))
        {
            // A redelivery or an older event: its status is already decided by a newer observation. It can still move
            // the deadline earlier (the SLA runs from the earliest violation observed, whatever order they arrived in),
            // and, when it is newer than the violation the finding shows, the finding shows it instead: a violation
            // that arrives after a newer compliant verdict or deletion leaves the same record as in-order delivery.
            var moved = EarlierDeadline(before, e, sla, now)?.After;
            var shown = before.LastViolationAt ?? (before.Status == FindingStatus.Resolved ? null : before.LastObservedAt);
            if (shown is not { } lv || observed < lv || (observed == lv && !PreferredOnTie(e, before)))
                return moved is null ? null : TransitionPlan.Update(moved, now);
            var basis = moved ?? before;
            var content = basis with
            {
                LastSeenAt = now,
                LastViolationAt = observed,
                Message = e.Message,
                Diff = e.Diff,
                Evidence = e.Deadlines.Count == 0 ? e.Evidence : KeepRecordedClocks(basis.Evidence, e.Evidence),
                Severity = e.Severity,
            };
            return content == before ? null : TransitionPlan.Update(content, now);
        }
        // Equal source times with a resolved finding: the violation wins the tie (a security tool does not hide a
        // finding on a tie), so it reopens below.
        var earlier = EarlierDeadline(before, e, sla, now)?.After ?? before;
        var seen = earlier with
        {
            LastSeenAt = now,
            LastObservedAt = observed,
            LastViolationAt = observed,
            Message = e.Message,
            Diff = e.Diff,
            Evidence = e.Deadlines.Count == 0 ? e.Evidence : KeepRecordedClocks(earlier.Evidence, e.Evidence),
            // The source may rescore (Inspector, Security Hub): the newest severity orders the status page.
            Severity = e.Severity,
        };
        if (before.Status == FindingStatus.Acknowledged && seen.Severity > before.Severity)
        {
            // An acknowledgement accepted the finding at its old severity; a rise (port 1433 acknowledged, then SSH
            // opened on the same group) is a new risk: reopen and alert once (the redelivery is older-or-equal above).
            var risen = seen with { Status = FindingStatus.Open };
            risen = risen with { NextTimerAt = NextTimer(risen, now) };
            return new TransitionPlan(risen, "reopened", actor,
                $"severity rose {before.Severity.ToWire()} → {seen.Severity.ToWire()} while acknowledged: {e.Message}", AlertReopened, now);
        }
        if (before.Status != FindingStatus.Resolved)
        {
            return seen.Severity == before.Severity
                ? TransitionPlan.Update(seen, now)
                : new TransitionPlan(seen, "severity-changed", actor, $"severity {before.Severity.ToWire()} → {seen.Severity.ToWire()}: {e.Message}", null, now);
        }

        // Recurrence. The deadline stays the one fixed at first detection: a problem that comes back does not
        // earn a fresh SLA window, and the auditor sees the original date.
        var reopened = seen with
        {
            Status = FindingStatus.Open,
            ResolvedAt = null,
            Waiver = null,
            SlaState = StateAt(before, now),
        };
        reopened = reopened with { NextTimerAt = NextTimer(reopened, now) };
        return new TransitionPlan(reopened, "reopened", actor, "recurred: " + e.Message, AlertReopened, now);
    }

    /// <summary>
    /// A compliant evaluation arrived: resolves an active finding unless it is not newer than what we know (on equal
    /// source times the violation wins). On a resolved finding a newer compliant observation only advances
    /// <see cref="FindingRecord.LastObservedAt"/>, so a violation older than it, arriving later, cannot reopen it.
    /// </summary>
    public static TransitionPlan? OnCompliant(FindingRecord? before, Evaluation e, DateTimeOffset now)
    {
        if (before is null) return null;
        var observed = e.ObservedAt ?? now;
        var compliant = Later(before.LastCompliantAt, observed);
        if (before.LastObservedAt is { } last && observed <= last)
        {
            // Superseded for the status, but still the newest compliant verdict known: remembered (rarely a write).
            return compliant == before.LastCompliantAt ? null : TransitionPlan.Update(before with { LastCompliantAt = compliant }, now);
        }
        if (before.Status == FindingStatus.Resolved) return TransitionPlan.Update(before with { LastObservedAt = observed, LastCompliantAt = compliant }, now);
        var after = Resolve(before, now) with { LastObservedAt = observed, LastCompliantAt = compliant };
        return new TransitionPlan(after, "resolved", "rule:" + e.Rule.Id, "compliant: " + e.Message, null, now);
    }

    /// <summary>
    /// A finding created from a violation that a newer observation (a compliant verdict or the resource's deletion,
    /// recorded before the violation arrived) already superseded: it is resolved at once, so the end state is the one
    /// in-order delivery gives.
    /// </summary>
    public static TransitionPlan? OnSuperseded(FindingRecord before, ObservationMarker? marker, DateTimeOffset? compliantMarkerAt, DateTimeOffset now)
    {
        // The compliant marker's time is the newest compliant verdict seen before the finding existed: kept either way.
        var compliant = Later(before.LastCompliantAt, compliantMarkerAt);
        if (marker is null || before.Status == FindingStatus.Resolved || (before.LastObservedAt is { } last && marker.ObservedAt <= last))
            return compliant == before.LastCompliantAt ? null : TransitionPlan.Update(before with { LastCompliantAt = compliant }, now);
        // The same record, history line and reason as in-order delivery (violation, then this observation) writes.
        var at = marker.Gone ? marker.ObservedAt : now;
        var after = Resolve(before, at) with { LastObservedAt = marker.ObservedAt, LastCompliantAt = compliant };
        return new TransitionPlan(after, "resolved", marker.Actor, marker.Reason, null, at);
    }

    private static DateTimeOffset? Later(DateTimeOffset? a, DateTimeOffset? b) => a is null ? b : b is null ? a : a > b ? a : b;

    private static bool PreferredOnTie(Evaluation e, FindingRecord before) =>
        e.Severity > before.Severity || (e.Severity == before.Severity && string.CompareOrdinal(e.Message, before.Message) < 0);

    /// <summary>The same finding with the earlier of its stored deadline and this violation's, or null when not earlier.</summary>
    private static TransitionPlan? EarlierDeadline(FindingRecord before, Evaluation e, SlaClock sla, DateTimeOffset now)
    {
        // No deadline counts as the latest possible one (an SLA deferred until a fix exists).
        if (sla.DeadlineFor(e, now) is not { } candidate || (before.DueAt is { } due && candidate.DueAt >= due)) return null;
        var moved = before with
        {
            ClockStartedAt = candidate.StartedAt,
            DueAt = candidate.DueAt,
            AtRiskAt = candidate.AtRiskAt,
            Evidence = e.Deadlines.Count == 0 ? before.Evidence : WithClocks(before.Evidence, e.Deadlines),
        };
        if (moved.Status is FindingStatus.Open or FindingStatus.Acknowledged) moved = moved with { SlaState = StateAt(moved, now), NextTimerAt = NextTimer(moved, now) };
        return TransitionPlan.Update(moved, now);
    }

    /// <summary>The evidence with the policy clocks (<c>clock.*</c>, incidents) set to these deadlines.</summary>
    private static Dictionary<string, string> WithClocks(IReadOnlyDictionary<string, string> evidence, IReadOnlyList<ClockDeadline> clocks)
    {
        var merged = new Dictionary<string, string>(evidence, StringComparer.Ordinal);
        foreach (var clock in clocks) merged["clock." + clock.Name] = Timestamps.ToWire(clock.DueAt);
        return merged;
    }

    /// <summary>The newer evidence, except the policy clocks (<c>clock.*</c>), which stay as first (earliest) recorded.</summary>
    private static Dictionary<string, string> KeepRecordedClocks(IReadOnlyDictionary<string, string> recorded, IReadOnlyDictionary<string, string> newer)
    {
        var merged = new Dictionary<string, string>(newer, StringComparer.Ordinal);
        foreach (var (key, value) in recorded)
        {
            if (key.StartsWith("clock.", StringComparison.Ordinal)) merged[key] = value;
        }
        return merged;
    }

    /// <summary>
    /// The resource is gone as of <paramref name="at"/> (source time): resolves the finding unless a violation at or after
    /// that time was observed (a late deletion never closes a newer finding; equal times: the violation wins).
    /// </summary>
    public static TransitionPlan? OnResourceGone(FindingRecord before, string actor, string reason, DateTimeOffset at)
    {
        if (before.Status == FindingStatus.Resolved) return null;
        if (before.LastObservedAt is { } last && last >= at) return null;
        return new TransitionPlan(Resolve(before, at) with { LastObservedAt = at }, "resolved", actor, reason, null, at);
    }

    public static TransitionPlan? OnAcknowledge(FindingRecord before, string actor, string reason, DateTimeOffset at) => before.Status switch
    {
        FindingStatus.Acknowledged => null,
        FindingStatus.Open => new TransitionPlan(before with { Status = FindingStatus.Acknowledged }, "acknowledged", actor, reason, null, at),
        _ => throw new InvalidTransitionException($"finding {before.Id} is {before.Status.ToWire()}; only open findings can be acknowledged"),
    };

    public static TransitionPlan OnGrantWaiver(FindingRecord before, Waiver waiver)
    {
        if (before.Status == FindingStatus.Resolved)
            throw new InvalidTransitionException($"finding {before.Id} is resolved; a waiver applies to an active finding");
        var after = before with { Status = FindingStatus.Suppressed, Waiver = waiver };
        after = after with { NextTimerAt = NextTimer(after, waiver.GrantedAt) };
        var action = before.Status == FindingStatus.Suppressed ? "waiver-renewed" : "waived";
        var reason = $"waiver owned by {waiver.Owner} under {waiver.Control} until {LedgerKeys.Instant(waiver.ExpiresAt)}: {waiver.Reason}";
        return new TransitionPlan(after, action, waiver.GrantedBy, reason, null, waiver.GrantedAt);
    }

    public static TransitionPlan OnRevokeWaiver(FindingRecord before, string actor, string reason, DateTimeOffset at)
    {
        if (before.Status != FindingStatus.Suppressed)
            throw new InvalidTransitionException($"finding {before.Id} is {before.Status.ToWire()}, not suppressed by a waiver");
        var after = Unsuppress(before, at);
        return new TransitionPlan(after, "waiver-revoked", actor, reason, AlertReopened, at);
    }

    /// <summary>The sweep's view of one finding: waiver expiry, SLA escalation, or just moving its timer.</summary>
    public static TransitionPlan? OnTimer(FindingRecord before, DateTimeOffset now)
    {
        const string sweep = "system:sweep";
        switch (before.Status)
        {
            case FindingStatus.Suppressed when before.Waiver is { } w && w.ExpiresAt <= now:
                return new TransitionPlan(Unsuppress(before, now), "waiver-expired", sweep,
                    $"waiver owned by {w.Owner} under {w.Control} expired at {LedgerKeys.Instant(w.ExpiresAt)}", AlertReopened, now);
            case FindingStatus.Open or FindingStatus.Acknowledged when StateAt(before, now) is { } state && (before.SlaState is null || state > before.SlaState):
                var escalated = before with { SlaState = state };
                escalated = escalated with { NextTimerAt = NextTimer(escalated, now) };
                var reason = state == SlaState.Breached
                    ? $"remediation deadline {LedgerKeys.Instant(before.DueAt!.Value)} passed"
                    : $"past the at-risk mark {LedgerKeys.Instant(before.AtRiskAt!.Value)} of the SLA window";
                return new TransitionPlan(escalated, "escalated", sweep, reason, AlertEscalated, now);
            default:
                var next = NextTimer(before, now);
                return next == before.NextTimerAt ? null : TransitionPlan.Update(before with { NextTimerAt = next }, now);
        }
    }

    /// <summary>The SLA state at <paramref name="now"/> from the stored (fixed) deadline; null without a deadline.</summary>
    public static SlaState? StateAt(FindingRecord f, DateTimeOffset now) =>
        f.DueAt is { } due ? new SlaDeadline(f.ClockStartedAt ?? f.FirstSeenAt, f.AtRiskAt ?? due, due).StateAt(now) : null;

    /// <summary>The next instant the sweep must look at the finding, rounded up to the stored precision.</summary>
    public static DateTimeOffset? NextTimer(FindingRecord f, DateTimeOffset now)
    {
        DateTimeOffset? next = f.Status switch
        {
            FindingStatus.Suppressed => f.Waiver?.ExpiresAt,
            FindingStatus.Open or FindingStatus.Acknowledged when f.DueAt is { } due =>
                new SlaDeadline(f.ClockStartedAt ?? f.FirstSeenAt, f.AtRiskAt ?? due, due).NextTransitionAfter(now),
            _ => null,
        };
        return next is { } n ? LedgerKeys.CeilingToMillisecond(n) : null;
    }

    private static FindingRecord Resolve(FindingRecord before, DateTimeOffset at) => before with
    {
        Status = FindingStatus.Resolved,
        ResolvedAt = at,
        Waiver = null,
        NextTimerAt = null,
    };

    private static FindingRecord Unsuppress(FindingRecord before, DateTimeOffset now)
    {
        var after = before with { Status = FindingStatus.Open, Waiver = null, SlaState = StateAt(before, now) };
        return after with { NextTimerAt = NextTimer(after, now) };
    }

    /// <summary>Settings-derived TTL for a finding's items: only resolved findings expire.</summary>
    public static long? ExpiryFor(FindingRecord f, IsmsSettings settings) =>
        f is { Status: FindingStatus.Resolved, ResolvedAt: { } resolved }
            ? resolved.AddDays(settings.ResolvedRetentionDays).ToUnixTimeSeconds()
            : null;
}

/// <summary>
/// The newest non-violation observed for an identity before any finding existed for it (a compliant verdict for a
/// finding id, or a deletion for a resource), kept as a small marker item so a violation that is older but arrives later
/// is recorded as superseded instead of opening a finding for good.
/// </summary>
/// <param name="Gone">A deletion marker: the finding resolves at the deletion's source time, as in-order delivery does.</param>
internal sealed record ObservationMarker(DateTimeOffset ObservedAt, string Actor, string Reason, bool Gone);
