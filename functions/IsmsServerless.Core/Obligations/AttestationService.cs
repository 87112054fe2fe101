using IsmsServerless.Model;
using IsmsServerless.Observability;
using IsmsServerless.Settings;

namespace IsmsServerless.Obligations;

/// <summary>An attestation as the CLI or the page submits it. On the page <see cref="By"/> and <see cref="Subject"/> come from the signed-in token, never from the form.</summary>
public sealed record AttestRequest(string Target, string By, string Subject, IReadOnlyList<string> Evidence, string? Note = null);

/// <summary>One line of <c>./isms duties</c> and the page's calendar.</summary>
public sealed record DutyLine(Obligation Obligation, ObligationState State)
{
    public string Id => Obligation.Id;
    public string Control => Obligation.Spec.Controls.Count > 0 ? Obligation.Spec.Controls[0] : "";
    public string Owner => Obligation.Spec.OwnerPerson ?? Obligation.Spec.OwnerRole ?? "";
}

/// <summary>
/// Attesting obligations (people closing what is due) and listing them. Validates the evidence (https links only) and
/// the note, refuses the obligation's author when four-eyes applies (<see cref="ObligationPeople"/>), stores the
/// attestation once, then opens the duty's next period and resolves the overdue finding through the sweep's timer.
/// A duty id (<c>access-review</c>) names its earliest open period; an obligation id (<c>obl-…</c>) names itself.
/// </summary>
/// <param name="listedElsewhere">Where the obligations without an open/done entry are listed (change reviews: the change
/// register, <see cref="Changes.ChangeReviewListing"/>); null: the calendar shows only the open/done index.</param>
public sealed class AttestationService(IObligationStore store, IsmsSettings settings, TimeProvider clock, string accountId = "unknown", string region = "unknown",
    IObligationListing? listedElsewhere = null)
{
    /// <summary>Kinds attested elsewhere (with a verdict): refused here with where to go.</summary>
    private static readonly Dictionary<string, string> AttestedElsewhere = new(StringComparer.Ordinal)
    {
        ["change.review"] = "review the change instead: ./isms review <changeId> --reviewer <you> --verdict ... (or the page's Changes view)",
        ["change.code-update"] = "close the change instead: ./isms reconcile <changeId> --by <you> --code-link <commit or pull request> | --reverted | --stack <stack>",
        // Incident clocks have rules of their own (a note with the impact assessment; four-eyes on the review).
        [Incidents.IncidentObligations.AcknowledgeKind] = "acknowledge the incident instead: ./isms incident ack <incidentId> --by <you> --note ...",
        [Incidents.IncidentObligations.DocumentKind] = "document the incident instead: ./isms incident document <incidentId> --by <you> --note ... --evidence https://...",
        [Incidents.IncidentObligations.ReviewKind] = "review the incident instead: ./isms incident review <incidentId> --by <you> --note ... --evidence https://...",
        // Backup clocks close only on AWS Backup's own events: a person cannot attest a backup into existence.
        [Backups.BackupObligations.DailyKind] = "it closes when AWS Backup reports a COMPLETED backup job for the resource",
        [Backups.BackupObligations.CopyKind] = "it closes when AWS Backup reports a COMPLETED copy job into another region",
        [Backups.BackupObligations.RestoreTestKind] = "it closes when AWS Backup reports a restore job COMPLETED within the RTO",
    };

    /// <summary>True when people attest <paramref name="kind"/> here (the duties calendar's attest action); false for kinds closed elsewhere.</summary>
    public static bool Attestable(string kind) => !AttestedElsewhere.ContainsKey(kind);

    public DutyScheduler Scheduler { get; } = new(store, settings, accountId, region);

    // Built on the first four-eyes check only: the identity normaliser loads ICU, which listing duties never needs.
    private Identity.IdentityResolver? _resolver;

    public async Task<Obligation> AttestAsync(AttestRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var by = AttestationRules.ValidatePerson(request.By);
        var evidence = AttestationRules.ValidateEvidence(request.Evidence);
        var note = AttestationRules.ValidateNote(request.Note);
        var target = await ResolveAsync(request.Target, cancellationToken).ConfigureAwait(false);
        if (AttestedElsewhere.TryGetValue(target.Kind, out var elsewhere))
            throw new ObligationException(ObligationError.NotAttestable, $"{target.Id} is a {target.Kind} obligation: {elsewhere}");
        if (target.Done)
            throw new ObligationException(ObligationError.AlreadyDone, $"{target.Id} ({target.Spec.Title}, {target.Spec.Period}) was already attested by {target.Attestation!.By}");
        if (evidence.Count == 0)
            throw new ObligationException(ObligationError.Invalid, $"evidence is required: at least one https:// link ({target.Spec.EvidenceExpected})");
        if (target.Spec.FourEyes && ObligationPeople.SamePerson(_resolver ??= Identity.IdentityResolver.For(settings), by, target.Spec.Author))
            throw new ObligationException(ObligationError.FourEyes,
                $"four-eyes: {by} is the author of what {target.Id} reviews ({target.Spec.Author}) and cannot attest it; ask another team member");
        if (target.Kind == Changes.ChangeImplementationCheckObligations.Kind && settings.People.Count > 0)
        {
            // PROC-002 "The IT Director checks the implementation": only a person holding it-director closes it.
            var checker = (_resolver ??= Identity.IdentityResolver.For(settings)).ResolveName(by).Person;
            if (checker is null || !checker.Roles.Contains(Changes.ChangeImplementationCheckObligations.CheckerRole, StringComparer.Ordinal))
                throw new ObligationException(ObligationError.FourEyes,
                    $"{target.Id} is the IT Director's implementation check (PROC-002): {by} {(checker is null ? "maps to no person in people" : "does not hold the " + Changes.ChangeImplementationCheckObligations.CheckerRole + " role")}");
        }
        var now = clock.GetUtcNow();
        var subject = string.IsNullOrWhiteSpace(request.Subject) ? "cli:" + by : request.Subject.Trim();
        var attested = await store.AttestAsync(target.Id, new Attestation(by, subject, now, note, evidence), cancellationToken).ConfigureAwait(false);
        Log.Info("obligation.attest", ("id", attested.Id), ("kind", attested.Kind), ("by", by), ("late", now > attested.DueAt));
        // The next period opens now (the calendar shows what comes next); best effort: the sweep does it too.
        try
        {
            await Scheduler.EnsureOpenAsync(now, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException and not ObligationException)
        {
            Log.Warn("duty.open-next-deferred", ("id", attested.Id), ("error", ex.Message));
        }
        return attested;
    }

    /// <summary>An obligation id, or a duty id / <c>duty.&lt;id&gt;</c> (its earliest unattested period), or a subject of another kind.</summary>
    public async Task<Obligation> ResolveAsync(string target, CancellationToken cancellationToken = default)
    {
        var text = target?.Trim() ?? "";
        if (text.Length is 0 or > 200 || text.Any(char.IsControl))
            throw new ObligationException(ObligationError.Invalid, $"'{AttestationRules.Shorten(text)}' is not a duty id or an obligation id (obl-<24 hex>)");
        if (Obligation.IsObligationId(text))
            return await store.GetAsync(text, cancellationToken).ConfigureAwait(false)
                ?? throw new ObligationException(ObligationError.NotFound, $"no obligation '{text}'");
        var duty = Scheduler.Find(text)
            ?? throw new ObligationException(ObligationError.NotFound, $"no duty '{AttestationRules.Shorten(text)}' (duties: {string.Join(", ", settings.Duties.Select(d => d.Id))})");
        var kind = DutyRules.KindOf(duty);
        // Make sure the current period exists (a fresh deployment before its first sweep).
        await Scheduler.EnsureOpenAsync(clock.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        var open = await ListKindAsync(kind, cancellationToken).ConfigureAwait(false);
        return open.Where(o => !o.Done).OrderBy(o => o.DueAt).FirstOrDefault()
            ?? throw new ObligationException(ObligationError.AlreadyDone, $"duty {duty.Id} has no open period: the latest was already attested");
    }

    /// <summary>
    /// The calendar: every open obligation (earliest due first) and the most recently attested ones, each with its
    /// state at now. Two Queries (open, done), bounded by <paramref name="limit"/>.
    /// </summary>
    public async Task<IReadOnlyList<DutyLine>> ListAsync(int limit = 200, int doneLimit = 50, CancellationToken cancellationToken = default)
    {
        var now = clock.GetUtcNow();
        var open = (await store.QueryOpenAsync(Math.Clamp(limit, 1, 1000), null, cancellationToken).ConfigureAwait(false)).Items;
        var done = (await store.QueryDoneAsync(Math.Clamp(doneLimit, 1, 1000), null, cancellationToken).ConfigureAwait(false)).Items;
        if (listedElsewhere is not null)
        {
            // Change reviews (no open/done entry since issue 20 wave 7): their ids from the change register, the obligations
            // by id (one BatchGetItem per 100), merged in the index's orders. An item of an older layout can be in both: once.
            var ids = (await listedElsewhere.OpenIdsAsync(Math.Clamp(limit, 1, 1000), cancellationToken).ConfigureAwait(false))
                .Concat(await listedElsewhere.DoneIdsAsync(Math.Clamp(doneLimit, 1, 1000), cancellationToken).ConfigureAwait(false)).ToList();
            var listed = await store.GetManyAsync(ids, cancellationToken).ConfigureAwait(false);
            var seen = new HashSet<string>(open.Concat(done).Select(o => o.Id), StringComparer.Ordinal);
            var more = listed.Where(o => seen.Add(o.Id)).ToList();
            open = [.. open.Concat(more.Where(o => !o.Done)).OrderBy(o => o.DueAt).ThenBy(o => o.Id, StringComparer.Ordinal).Take(Math.Clamp(limit, 1, 1000))];
            done = [.. done.Concat(more.Where(o => o.Done)).OrderByDescending(o => o.Attestation!.At).ThenByDescending(o => o.Id, StringComparer.Ordinal).Take(Math.Clamp(doneLimit, 1, 1000))];
        }
        return [.. open.Concat(done).Select(o => new DutyLine(o, ObligationSchedule.StateAt(o, now)))];
    }

    private async Task<IReadOnlyList<Obligation>> ListKindAsync(string kind, CancellationToken cancellationToken)
    {
        var result = new List<Obligation>();
        string? cursor = null;
        do
        {
            var page = await store.QueryKindAsync(kind, 200, cursor, cancellationToken).ConfigureAwait(false);
            result.AddRange(page.Items);
            cursor = page.NextCursor;
        }
        while (cursor is not null && result.Count < 2000);
        return result;
    }
}
