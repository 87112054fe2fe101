using System.Security.Cryptography;
using System.Text;
using IsmsServerless.Model;

namespace IsmsServerless.Obligations;

/// <summary>Where an obligation stands. Text order is not meaningful; use <see cref="ObligationStateNames"/>.</summary>
public enum ObligationState
{
    /// <summary>Opened; its due window (first reminder) has not started.</summary>
    Open,

    /// <summary>Within its due window (from the first reminder, or from opening when it has none), not yet attested.</summary>
    Due,

    /// <summary>Past its due instant and not attested: an overdue finding is (or is about to be) open.</summary>
    Overdue,

    /// <summary>Attested.</summary>
    Done,
}

public static class ObligationStateNames
{
    public static string ToWire(this ObligationState state) => state switch
    {
        ObligationState.Open => "open",
        ObligationState.Due => "due",
        ObligationState.Overdue => "overdue",
        _ => "done",
    };

    public static bool TryParse(string? text, out ObligationState state)
    {
        foreach (var candidate in Enum.GetValues<ObligationState>())
        {
            if (candidate.ToWire() == text)
            {
                state = candidate;
                return true;
            }
        }
        state = ObligationState.Open;
        return false;
    }
}

/// <summary>
/// Who closed an obligation, when, and with what: immutable audit evidence, written once.
/// </summary>
/// <param name="By">The person (their e-mail or name as the identity model spells it).</param>
/// <param name="Subject">The signed-in token's <c>sub</c> on the page; <c>cli:&lt;by&gt;</c> from the CLI; <c>system:&lt;area&gt;</c> when another record (a change review) closed it.</param>
/// <param name="At">When.</param>
/// <param name="Note">Free text, at most <see cref="AttestationRules.MaxNoteLength"/> characters.</param>
/// <param name="Evidence">https links only, validated by <see cref="AttestationRules.ValidateEvidence"/>.</param>
public sealed record Attestation(string By, string Subject, DateTimeOffset At, string? Note, IReadOnlyList<string> Evidence);

/// <summary>
/// What a caller supplies to open an obligation (<see cref="IObligationStore.OpenAsync"/>). The id is derived from
/// <see cref="Kind"/>, <see cref="Subject"/> and <see cref="Period"/>, so opening the same thing twice, in any order and
/// concurrently, gives one obligation.
/// </summary>
public sealed record ObligationSpec
{
    /// <summary>Dotted kind, e.g. <c>duty.access-review</c>, <c>change.review</c>, <c>incident.acknowledge</c>, <c>backup.daily</c>.</summary>
    public required string Kind { get; init; }

    /// <summary>What it is about: a duty id, a change id, an incident id, a resource ARN.</summary>
    public required string Subject { get; init; }

    /// <summary>Which occurrence: a recurring duty's due day (<c>2026-12-31</c>); empty for one-off obligations.</summary>
    public string Period { get; init; } = "";

    public required string Title { get; init; }

    /// <summary>Controls the obligation evidences, e.g. <c>ISO27001:2022 A.5.18</c>, <c>SOC2 CC6.2</c>. The overdue finding carries them.</summary>
    public IReadOnlyList<string> Controls { get; init; } = [];

    /// <summary>The seed clause the obligation comes from, quoted.</summary>
    public string PolicyClause { get; init; } = "";

    /// <summary>Role that owns it (<c>it-director</c>, <c>cto</c>, ...), as in <c>IsmsSettings.People</c>.</summary>
    public string? OwnerRole { get; init; }

    /// <summary>A named owner (e-mail), when there is one.</summary>
    public string? OwnerPerson { get; init; }

    public required DateTimeOffset OpensAt { get; init; }
    public required DateTimeOffset DueAt { get; init; }

    /// <summary>Reminder instants (each before <see cref="DueAt"/>); sorted and deduplicated on open.</summary>
    public IReadOnlyList<DateTimeOffset> Reminders { get; init; } = [];

    /// <summary>What evidence closes it (shown to the owner; not enforced beyond "at least one https link" when true).</summary>
    public string EvidenceExpected { get; init; } = "";

    /// <summary>Whether the attester must be someone other than <see cref="Author"/>.</summary>
    public bool FourEyes { get; init; }

    /// <summary>The person whose work or access is under review (the change's author, the reviewee); must not attest when <see cref="FourEyes"/>.</summary>
    public string? Author { get; init; }

    /// <summary>Severity of the overdue finding.</summary>
    public Severity OverdueSeverity { get; init; } = Severity.Medium;

    /// <summary>Remediation window of the overdue finding (null: the severity's SLA).</summary>
    public TimeSpan? OverdueSla { get; init; }

    /// <summary>Account and region the overdue finding is keyed by (the home account for duties).</summary>
    public string AccountId { get; init; } = "";
    public string Region { get; init; } = "";

    /// <summary>Version of the policy file the obligation was opened under.</summary>
    public string PolicyVersion { get; init; } = "";

    /// <summary>
    /// Opt-in: when the obligation is opened after its own due instant (from an observation older than its deadline:
    /// a replay, a backlog), its overdue escalation waits this long after opening, so later evidence in the same replay
    /// can satisfy it first; then it is raised once with its real dates (<see cref="ObligationSchedule"/>). Null: off.
    /// </summary>
    public TimeSpan? LateOpenSettle { get; init; }

    /// <summary>Link for alerts and the page (a change's detail page, a duty's calendar entry).</summary>
    public string? Link { get; init; }

    /// <summary>
    /// Whether the obligation gets an entry in the by-subject index (GSI2, <see cref="IObligationStore.LatestForSubjectAsync"/>).
    /// Kinds whose callers find an occurrence by its id (derived from kind, subject and period: change reviews, code
    /// updates, implementation checks) set false and save one index write per obligation (issue 20). Stored on the item
    /// (only when false), so every later write of the obligation keeps the same entries.
    /// </summary>
    public bool SubjectIndexed { get; init; } = true;

    /// <summary>
    /// Whether the obligation gets an entry in the by-kind index (GSI1, <see cref="IObligationStore.QueryKindAsync"/>).
    /// Change reviews (one per change event; their area lists them from the change register, the calendar from the
    /// open/done index) set false and save one index write per change (issue 20). Stored on the item (only when false).
    /// </summary>
    public bool KindIndexed { get; init; } = true;

    /// <summary>
    /// Whether the obligation gets an entry in the open/done index (GSI3, <see cref="IObligationStore.QueryOpenAsync"/>,
    /// <see cref="IObligationStore.QueryDoneAsync"/>). Change reviews set false (issue 20 wave 7): the change register's
    /// own index (<c>CHANGE#PENDING</c>/<c>CHANGE#REVIEWED</c>) already lists them, by the same due time and review time,
    /// and the calendar reads them from there (<see cref="IObligationListing"/>); every other reader of the open/done index
    /// skipped them (duty states, backup clocks, attestations in a period), where they crowded the bounded scans. Saves
    /// an index write at opening and two at the attestation (the entry moving from open to done). Stored on the item
    /// only when it differs from <see cref="StateIndexedByDefault"/>, which is what an item without it reads as.
    /// </summary>
    public bool StateIndexed { get; init; } = true;

    /// <summary>The <see cref="StateIndexed"/> of an item that does not say (every change review, and items written before).</summary>
    public static bool StateIndexedByDefault(string kind) => kind != "change.review";

    /// <summary>
    /// A template id this version does not know, read from an item a newer version wrote (<see cref="ObligationTemplates"/>):
    /// written back as it was, so rewriting such an item (an attestation after a rollback) never drops its texts.
    /// </summary>
    internal string? UnresolvedTexts { get; init; }

    /// <summary>With <see cref="UnresolvedTexts"/>: the item's link was derived by that template (written back as such).</summary>
    internal bool UnresolvedLinkDerived { get; init; }
}

/// <summary>
/// One thing that is due: a recurring duty's period, a change awaiting review, an incident clock, a backup check. The
/// one obligation concept of the system (docs/data-model.md, "Obligations"). Pure data; the schedule logic is in
/// <see cref="ObligationSchedule"/>, the store in <see cref="DynamoObligationStore"/>.
/// </summary>
public sealed record Obligation
{
    public required string Id { get; init; }
    public required ObligationSpec Spec { get; init; }

    /// <summary>Reminders and the overdue escalation already done by the sweep (n = the first n timers fired).</summary>
    public int Stage { get; init; }

    /// <summary>The state the sweep last moved it to (readers combine it with the clock: <see cref="ObligationSchedule.StateAt"/>).</summary>
    public ObligationState StoredState { get; init; }

    public Attestation? Attestation { get; init; }

    /// <summary>True once the overdue finding (if one was raised) has been resolved after attestation.</summary>
    public bool FindingResolved { get; init; }

    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>Optimistic-concurrency version in the store; 0 for one not yet stored.</summary>
    public long Version { get; init; }

    /// <summary>
    /// Whether its pending timer has an entry in the timer index (GSI4 <c>OBLIGATION#TIMER</c>). False only for a change
    /// review opened ahead of the change sweep's cursor (issue 20 wave 9, <see cref="Changes.PendingChangeTimers"/>): the
    /// sweep finds it from its change record's <c>CHANGE#PENDING</c> entry, which is sorted by the same due time, and
    /// sets it true (indexing its next timer) when it fires its first timer. Stored on the item only when false; items
    /// without it (every item written before) read true.
    /// </summary>
    public bool TimerIndexed { get; init; } = true;

    public string Kind => Spec.Kind;
    public string Subject => Spec.Subject;
    public DateTimeOffset DueAt => Spec.DueAt;
    public bool Done => Attestation is not null;

    /// <summary><c>obl-</c> + 24 hex of SHA-256(kind, subject, period): the same occurrence always has the same id.</summary>
    public static string IdFor(string kind, string subject, string period)
    {
        var canonical = string.Join('\u001f', kind, subject, period);
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(canonical), hash);
        return "obl-" + Convert.ToHexStringLower(hash[..12]);
    }

    public static bool IsObligationId(string? text) =>
        text is { Length: 28 } && text.StartsWith("obl-", StringComparison.Ordinal) && text.AsSpan(4).IndexOfAnyExcept(LowerHex) < 0;

    private static readonly System.Buffers.SearchValues<char> LowerHex = System.Buffers.SearchValues.Create("0123456789abcdef");
}
