using System.Globalization;
using IsmsServerless.Alerts;
using IsmsServerless.Engine;
using IsmsServerless.Model;
using IsmsServerless.Obligations;
using IsmsServerless.Observability;
using IsmsServerless.Settings;
using IsmsServerless.Sweep;

namespace IsmsServerless.Incidents;

/// <summary>
/// The incident record's three clocks as obligations on the one obligation mechanism: one obligation per clock per
/// incident (kinds <c>incident.acknowledge</c>, <c>incident.document</c>, <c>incident.review</c>; subject: the
/// correlator's deterministic incident id; empty period). Opened when the incident finding is recorded; every signal of
/// one cause opens the same three ids, and <see cref="IObligationStore.OpenAsync"/> keeps the earliest due time, so
/// the earliest signal's clocks win in any delivery order (as the ledger does for the finding).
/// </summary>
public static class IncidentObligations
{
    public const string Prefix = "incident.";
    public const string AcknowledgeKind = Prefix + IncidentClocks.Acknowledge;
    public const string DocumentKind = Prefix + IncidentClocks.Document;
    public const string ReviewKind = Prefix + IncidentClocks.Review;

    public static readonly string[] Kinds = [AcknowledgeKind, DocumentKind, ReviewKind];

    /// <summary>The obligation id of one clock of one incident.</summary>
    public static string IdOf(string incidentId, string clock) => Obligation.IdFor(Prefix + clock, incidentId, "");

    /// <summary>True when <paramref name="text"/> has the correlator's incident id shape (<c>inc-</c> + 24 lower hex).</summary>
    public static bool IsIncidentId(string? text) =>
        text is { Length: 28 } && text.StartsWith("inc-", StringComparison.Ordinal) && text.AsSpan(4).IndexOfAnyExcept(LowerHex) < 0;

    private static readonly System.Buffers.SearchValues<char> LowerHex = System.Buffers.SearchValues.Create("0123456789abcdef");

    /// <summary>The three specs for an incident evaluation (rule <c>incident.security-incident</c>); empty for any other evaluation.</summary>
    public static IReadOnlyList<ObligationSpec> SpecsFor(Evaluation evaluation, IsmsSettings settings)
    {
        ArgumentNullException.ThrowIfNull(evaluation);
        ArgumentNullException.ThrowIfNull(settings);
        if (evaluation.Rule.Id != IncidentEscalation.IncidentRuleId || evaluation.Outcome != Outcome.Finding
            || !evaluation.Evidence.TryGetValue("incidentId", out var incidentId) || !IsIncidentId(incidentId)
            || evaluation.ClockStart is not { } start)
            return [];
        var clocks = evaluation.Deadlines.Count == 3 ? evaluation.Deadlines : IncidentClocks.For(start, settings.Incidents);
        var link = settings.StatusPageUrl.TrimEnd('/') + "/#incidents";
        var specs = new List<ObligationSpec>(3);
        foreach (var clock in clocks)
        {
            var (title, evidenceExpected, severity) = clock.Name switch
            {
                IncidentClocks.Acknowledge => ($"Acknowledge incident {incidentId}, assess its impact and notify the team",
                    "the impact assessment and who was notified (note); a link to the incident channel or ticket if any", Severity.Critical),
                IncidentClocks.Document => ($"Document incident {incidentId} and implement the fix",
                    "the incident document and the fix (change, PR or ticket): at least one https link", Severity.High),
                _ => ($"Post-incident review of incident {incidentId}",
                    "the review record and the improvements decided: at least one https link; by someone other than who documented it", Severity.High),
            };
            specs.Add(new ObligationSpec
            {
                Kind = Prefix + clock.Name,
                Subject = incidentId,
                Title = title,
                Controls = IncidentPolicy.Controls,
                PolicyClause = IncidentPolicy.Clause,
                OwnerRole = "it-director",
                OpensAt = start,
                DueAt = clock.DueAt,
                Reminders = Reminders(start, clock.DueAt),
                EvidenceExpected = evidenceExpected,
                OverdueSeverity = severity,
                OverdueSla = TimeSpan.FromHours(clock.Name == IncidentClocks.Acknowledge ? 1 : 24),
                AccountId = evaluation.AccountId,
                Region = evaluation.Region,
                Link = link,
                // Opened from a signal older than the clock (a replay, a backlog): raised after the acknowledge window,
                // not at the next sweep, so an attestation already on its way closes it first (ObligationSchedule).
                LateOpenSettle = TimeSpan.FromHours(Math.Max(1, settings.Incidents.AcknowledgeHours)),
            });
        }
        return specs;
    }

    /// <summary>One reminder half-way through the clock's window (the acknowledge clock: 30 minutes in).</summary>
    private static IReadOnlyList<DateTimeOffset> Reminders(DateTimeOffset start, DateTimeOffset due) =>
        due > start ? [start + (due - start) / 2] : [];

    /// <summary>
    /// Opens the obligations of every incident evaluation in <paramref name="evaluations"/>. Idempotent; store failures
    /// propagate (the invocation fails and the event is retried, re-recording the finding idempotently).
    /// </summary>
    public static async Task<int> OpenAsync(IReadOnlyList<Evaluation> evaluations, IObligationStore store, IsmsSettings settings,
        DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(evaluations);
        ArgumentNullException.ThrowIfNull(store);
        var created = 0;
        foreach (var evaluation in evaluations)
        {
            foreach (var spec in SpecsFor(evaluation, settings))
            {
                var result = await store.OpenAsync(spec, now, cancellationToken).ConfigureAwait(false);
                if (result.Status == OpenStatus.Created) created++;
            }
        }
        if (created > 0) Log.Info("incident.obligations-opened", ("created", created));
        return created;
    }

    /// <summary>The clocks of one incident as stored (earliest-signal due times, state and attestation): for Slack, the page and the export.</summary>
    public static async Task<IReadOnlyList<Obligation>> ClocksAsync(IObligationStore store, string incidentId, CancellationToken cancellationToken = default)
    {
        var result = new List<Obligation>(3);
        foreach (var kind in Kinds)
        {
            if (await store.GetAsync(Obligation.IdFor(kind, incidentId, ""), cancellationToken).ConfigureAwait(false) is { } obligation)
                result.Add(obligation);
        }
        return result;
    }
}

/// <summary>Runs after the ledger write in the ingest pipeline: opens the incident obligations of the recorded evaluations.</summary>
public sealed class IncidentObligationRecorder(IObligationStore store, IsmsSettings settings) : Pipeline.IRecordedHook
{
    public Task RecordedAsync(IReadOnlyList<Evaluation> evaluations, EvaluationContext context, CancellationToken cancellationToken) =>
        IncidentObligations.OpenAsync(evaluations, store, settings, context.Now, cancellationToken);
}

/// <summary>
/// The obligations sweep's handler for the incident clocks: a reminder that names the incident and the clock
/// (<c>incident-reminder</c>), and the overdue finding <c>duty.obligation-overdue</c> (keyed by the obligation, so each
/// missed clock is its own finding and alert, carrying the incident controls and clause).
/// </summary>
public sealed class IncidentObligationKind(RuleRegistry registry) : IObligationKind
{
    private readonly GenericObligationKind _generic = new(registry);

    public bool Handles(string kind) => kind.StartsWith(IncidentObligations.Prefix, StringComparison.Ordinal);

    public Task<AlertRecord> ReminderAsync(Obligation obligation, int stage, SweepContext context, CancellationToken cancellationToken)
    {
        var generic = GenericObligationKind.Reminder(obligation, stage, context.Evaluation);
        var clock = obligation.Kind[IncidentObligations.Prefix.Length..];
        var left = obligation.DueAt - context.Evaluation.Now;
        var action = clock switch
        {
            IncidentClocks.Acknowledge => "ack",
            IncidentClocks.Document => "document",
            _ => "review",
        };
        return Task.FromResult(generic with
        {
            Kind = "incident-reminder",
            Category = Category.Incident.ToWire(),
            Title = obligation.Spec.Title,
            Remediation = $"./isms incident {action} {obligation.Subject} --by <you> --note \"...\" --evidence https://... (expected: {obligation.Spec.EvidenceExpected})",
            Message = $"Incident {obligation.Subject}: the {clock} clock is due in {Math.Max(0, (int)left.TotalHours).ToString(CultureInfo.InvariantCulture)}h {Math.Max(0, left.Minutes).ToString(CultureInfo.InvariantCulture)}m (at {Timestamps.ToWire(obligation.DueAt)})",
        });
    }

    public Task<int> RaiseOverdueAsync(Obligation obligation, SweepContext context, CancellationToken cancellationToken) =>
        _generic.RaiseOverdueAsync(obligation, context, cancellationToken);

    public Task<bool> ResolveAsync(Obligation obligation, SweepContext context, CancellationToken cancellationToken) =>
        _generic.ResolveAsync(obligation, context, cancellationToken);
}

/// <summary>What a person does on an incident: <c>ack</c> (with the impact assessment), <c>document</c> (with the fix), <c>review</c>.</summary>
public enum IncidentAction { Acknowledge, Document, Review }

/// <summary>
/// Closing an incident's clocks (CLI <c>./isms incident ack|document|review</c>; the page calls the same service with
/// the signed-in person). Each action attests one obligation with who, when, note and evidence. The acknowledgement
/// needs a note (the impact assessment and who was notified); documenting and reviewing need a note and an https
/// evidence link; the post-incident review must be by a different person from whoever documented it (four-eyes,
/// compared as people by <see cref="ObligationPeople"/>).
/// </summary>
public sealed class IncidentService(IObligationStore store, TimeProvider clock, IsmsSettings? settings = null)
{
    public static bool TryParseAction(string? text, out IncidentAction action)
    {
        (var ok, action) = text switch
        {
            "ack" or "acknowledge" => (true, IncidentAction.Acknowledge),
            "document" => (true, IncidentAction.Document),
            "review" => (true, IncidentAction.Review),
            _ => (false, IncidentAction.Acknowledge),
        };
        return ok;
    }

    public static string ClockOf(IncidentAction action) => action switch
    {
        IncidentAction.Acknowledge => IncidentClocks.Acknowledge,
        IncidentAction.Document => IncidentClocks.Document,
        _ => IncidentClocks.Review,
    };

    public async Task<Obligation> ActAsync(IncidentAction action, string incidentId, string by, string subject, string? note,
        IReadOnlyList<string>? evidence, CancellationToken cancellationToken = default)
    {
        var id = incidentId?.Trim() ?? "";
        if (!IncidentObligations.IsIncidentId(id))
            throw new ObligationException(ObligationError.Invalid, $"'{Shorten(id)}' is not an incident id (inc-<24 hex>, from the incident finding or the status page)");
        var person = AttestationRules.ValidatePerson(by);
        var links = AttestationRules.ValidateEvidence(evidence);
        var text = AttestationRules.ValidateNote(note)
            ?? throw new ObligationException(ObligationError.Invalid, action == IncidentAction.Acknowledge
                ? "--note is required: the impact assessment and who was notified"
                : "--note is required: what was done");
        if (action != IncidentAction.Acknowledge && links.Count == 0)
            throw new ObligationException(ObligationError.Invalid, "evidence is required: at least one https:// link (the incident document, fix or review record)");
        var obligationId = IncidentObligations.IdOf(id, ClockOf(action));
        var target = await store.GetAsync(obligationId, cancellationToken).ConfigureAwait(false)
            ?? throw new ObligationException(ObligationError.NotFound, $"no incident '{id}' (its obligations open when the incident finding is recorded)");
        if (target.Done)
            throw new ObligationException(ObligationError.AlreadyDone, $"the {ClockOf(action)} clock of {id} was already closed by {target.Attestation!.By} at {Timestamps.ToWire(target.Attestation.At)}");
        if (action == IncidentAction.Review)
        {
            var documented = await store.GetAsync(IncidentObligations.IdOf(id, IncidentClocks.Document), cancellationToken).ConfigureAwait(false);
            if (documented?.Attestation is not { } doc)
                throw new ObligationException(ObligationError.NotAttestable, $"incident {id} is not documented yet: ./isms incident document {id} first");
            if (ObligationPeople.SamePerson(Identity.IdentityResolver.For(settings ?? new IsmsSettings()), person, doc.By))
                throw new ObligationException(ObligationError.FourEyes,
                    $"four-eyes: {person} documented incident {id} and cannot also hold its post-incident review; ask another team member");
        }
        var now = clock.GetUtcNow();
        var who = string.IsNullOrWhiteSpace(subject) ? "cli:" + person : subject.Trim();
        var attested = await store.AttestAsync(obligationId, new Attestation(person, who, now, text, links), cancellationToken).ConfigureAwait(false);
        Log.Info("incident.clock-closed", ("incidentId", id), ("clock", ClockOf(action)), ("by", person), ("late", now > attested.DueAt));
        return attested;
    }

    /// <summary>
    /// Incidents with their three clocks, newest acknowledge deadline first: one bounded Query of the acknowledge kind
    /// (every incident has one), then a GetItem per other clock.
    /// </summary>
    public async Task<IReadOnlyList<IncidentView>> ListAsync(int limit = 50, CancellationToken cancellationToken = default)
    {
        var now = clock.GetUtcNow();
        var acks = new List<Obligation>();
        string? cursor = null;
        do
        {
            var page = await store.QueryKindAsync(IncidentObligations.AcknowledgeKind, 200, cursor, cancellationToken).ConfigureAwait(false);
            acks.AddRange(page.Items);
            cursor = page.NextCursor;
        }
        while (cursor is not null && acks.Count < 2000);
        var result = new List<IncidentView>();
        foreach (var ack in acks.OrderByDescending(a => a.DueAt).Take(Math.Clamp(limit, 1, 500)))
        {
            var clocks = await IncidentObligations.ClocksAsync(store, ack.Subject, cancellationToken).ConfigureAwait(false);
            result.Add(new IncidentView(ack.Subject, ack.Spec.OpensAt, [.. clocks.Select(c => (c, ObligationSchedule.StateAt(c, now)))]));
        }
        return result;
    }

    /// <summary>One incident with its clocks (state at now), or null when no clock of it is stored (or the id is malformed).</summary>
    public async Task<IncidentView?> GetAsync(string incidentId, CancellationToken cancellationToken = default)
    {
        if (!IncidentObligations.IsIncidentId(incidentId)) return null;
        var clocks = await IncidentObligations.ClocksAsync(store, incidentId, cancellationToken).ConfigureAwait(false);
        if (clocks.Count == 0) return null;
        var now = clock.GetUtcNow();
        return new IncidentView(incidentId, clocks.Min(c => c.Spec.OpensAt), [.. clocks.Select(c => (c, ObligationSchedule.StateAt(c, now)))]);
    }

    private static string Shorten(string text) => text.Length <= 80 ? text : text[..80] + "…";
}

/// <summary>One incident and its clocks with their state at the time of reading (CLI <c>./isms incidents</c>).</summary>
public sealed record IncidentView(string IncidentId, DateTimeOffset StartedAt, IReadOnlyList<(Obligation Clock, ObligationState State)> Clocks)
{
    /// <summary>Open while any clock is not attested.</summary>
    public bool Open => Clocks.Any(c => !c.Clock.Done);
}
