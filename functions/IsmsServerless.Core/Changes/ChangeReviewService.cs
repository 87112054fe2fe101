using System.Globalization;
using IsmsServerless.Engine;
using IsmsServerless.Inputs;
using IsmsServerless.Ledger;
using IsmsServerless.Model;
using IsmsServerless.Observability;
using IsmsServerless.Settings;

namespace IsmsServerless.Changes;

/// <summary>A change as a list shows it: the record, its deadline and where now stands against it.</summary>
public sealed record ChangeSummary(ChangeRecord Change, DateTimeOffset DueAt, SlaState State, bool Overdue);

/// <summary>One change in full: the summary plus every stored call.</summary>
public sealed record ChangeDetail(ChangeSummary Summary, IReadOnlyList<ChangeCallSummary> Calls);

/// <summary>A review as the status page or the CLI submits it; validated by <see cref="ChangeReviewService.ReviewAsync"/>.</summary>
/// <param name="ReviewerSubject">The signed-in token's <c>sub</c> (status page); recorded with the review.</param>
/// <param name="ReviewerEmail">The token's verified e-mail, when it carries one; resolves the reviewer to a person.</param>
public sealed record ReviewRequest(string ChangeId, string Reviewer, string Verdict, string? TicketUrl = null, string? Note = null,
    string? ReviewerSubject = null, string? ReviewerEmail = null);

/// <summary>
/// Lists, shows and reviews registered changes; used by the status page and <c>./isms changes</c> / <c>./isms review</c>.
/// A review is validated (verdict, https ticket link, sizes), refused when the reviewer made the change (four-eyes),
/// stored once (reviews are immutable), and resolves the change's overdue finding through the findings ledger.
/// </summary>
public sealed class ChangeReviewService(IChangeRegister register, IFindingLedger? ledger, RuleRegistry registry, IsmsSettings settings, TimeProvider clock)
{
    public const int MaxReviewerLength = 256;
    public const int MaxTicketLength = 2048;
    public const int MaxNoteLength = 4000;
    private const int MaxAttempts = 5;

    private readonly ChangeDeadline _deadline = new(settings);
    // Built on first review only: the sweep constructs this service for its timers and never needs identities (ICU4N's
    // normalisation data stays unloaded on that path).
    private readonly Lazy<Identity.IdentityResolver> _identities = new(() => Identity.IdentityResolver.For(settings));

    /// <summary>Unreviewed changes, earliest due first, with due time and state at the clock's now.</summary>
    public async Task<IReadOnlyList<ChangeSummary>> ListPendingAsync(int limit = 100, CancellationToken cancellationToken = default)
    {
        var page = await register.QueryPendingAsync(Math.Clamp(limit, 1, 1000), null, cancellationToken).ConfigureAwait(false);
        return page.Items.Select(Summarize).ToList();
    }

    /// <summary>Reviewed changes, most recently reviewed first.</summary>
    public async Task<IReadOnlyList<ChangeSummary>> ListReviewedAsync(int limit = 100, CancellationToken cancellationToken = default)
    {
        var page = await register.QueryReviewedAsync(Math.Clamp(limit, 1, 1000), null, cancellationToken).ConfigureAwait(false);
        return page.Items.Select(Summarize).ToList();
    }

    public async Task<ChangeDetail?> GetAsync(string changeId, CancellationToken cancellationToken = default)
    {
        if (!IsChangeId(changeId)) return null;
        var record = await register.GetAsync(changeId, cancellationToken).ConfigureAwait(false);
        if (record is null) return null;
        var calls = await register.GetCallsAsync(changeId, 1000, cancellationToken).ConfigureAwait(false);
        return new ChangeDetail(Summarize(record), calls);
    }

    public ChangeSummary Summarize(ChangeRecord record)
    {
        var now = clock.GetUtcNow();
        return new ChangeSummary(record, _deadline.DueAt(record), _deadline.StateAt(record, now), _deadline.IsOverdue(record, now));
    }

    /// <summary>Records a review. Throws <see cref="ChangeReviewException"/> with a reason the reviewer can act on.</summary>
    public async Task<ChangeRecord> ReviewAsync(ReviewRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var (verdict, reviewer, ticket, note) = Validate(request);
        for (var attempt = 1; attempt <= MaxAttempts; attempt++)
        {
            var record = await register.GetAsync(request.ChangeId, cancellationToken).ConfigureAwait(false)
                ?? throw new ChangeReviewException(ChangeReviewError.NotFound, $"no change '{request.ChangeId}'");
            if (record.Review is { } existing)
                throw new ChangeReviewException(ChangeReviewError.AlreadyReviewed,
                    $"change {record.ChangeId} was already reviewed by {existing.Reviewer} at {Timestamps.ToWire(existing.ReviewedAt)} ({existing.Verdict.ToWire()})");
            var (review, refusal) = FourEyes(record, request, reviewer, verdict, ticket, note);
            if (refusal is not null) throw refusal;
            var reviewed = record with { Review = review, Version = record.Version + 1 };
            if (!await register.TryUpdateAsync(reviewed, null, cancellationToken).ConfigureAwait(false)) continue;
            Log.Info("change.reviewed", ("changeId", record.ChangeId), ("verdict", verdict.ToWire()), ("reviewer", reviewed.Review!.Reviewer),
                ("fourEyes", reviewed.Review.FourEyes), ("round", reviewed.Round));
            return await ResolveOverdueFindingAsync(reviewed, cancellationToken).ConfigureAwait(false);
        }
        throw new ChangeReviewException(ChangeReviewError.Conflict, $"change {request.ChangeId} kept changing while it was being reviewed; try again");
    }

    /// <summary>
    /// Four-eyes on people: the author (the change's principal, emergency prefix stripped) and the reviewer (token e-mail,
    /// or the name given) are resolved to people from <c>people</c> and compared. An author who maps to no person is
    /// refused under <c>unmappedAuthorReview: refuse</c>, else the review is recorded flagged <c>author-unmapped</c> after
    /// a comparison of normalised names; with <c>people</c> configured, a reviewer who maps to no person is refused.
    /// </summary>
    private (ChangeReview Review, ChangeReviewException? Refusal) FourEyes(ChangeRecord record, ReviewRequest request, string reviewer,
        ReviewVerdict verdict, string? ticket, string? note)
    {
        var identities = _identities.Value;
        var author = identities.ResolveName(record.Principal);
        var who = request.ReviewerSubject is { } subject
            ? identities.ResolveToken(subject, request.ReviewerEmail, reviewer)
            : identities.ResolveName(reviewer);
        var review = new ChangeReview(who.Display, who.Key, clock.GetUtcNow(), verdict, ticket, note)
        {
            ReviewerSubject = request.ReviewerSubject,
            AuthorEmail = author.Person?.Email,
            FourEyes = !author.Mapped ? ChangeReview.FourEyesAuthorUnmapped : !who.Mapped ? ChangeReview.FourEyesReviewerUnmapped : ChangeReview.FourEyesChecked,
        };
        if (identities.SamePerson(author, who))
            return (review, new ChangeReviewException(ChangeReviewError.SelfReview,
                $"four-eyes: {reviewer} made change {record.ChangeId} (as {record.Principal}{(author.Person is { } p ? ", " + p.Email : "")}) and cannot review it; ask another team member"));
        if (!author.Mapped && settings.UnmappedAuthorReview == Identity.UnmappedAuthorReview.Refuse)
            return (review, new ChangeReviewException(ChangeReviewError.UnmappedIdentity,
                $"the author of change {record.ChangeId} ({record.Principal}) maps to no person in settings.people, and unmappedAuthorReview is 'refuse': map the principal first"));
        if (!who.Mapped && identities.People.Count > 0)
            return (review, new ChangeReviewException(ChangeReviewError.UnmappedIdentity,
                $"the reviewer '{reviewer}' maps to no person in settings.people; reviews are recorded against people"));
        return (review, null);
    }

    /// <summary>
    /// Resolves the review's ledger items: the change itself (recorded by the change rules, one per rule and region) and
    /// the overdue finding if the deadline passed, then marks the record resolved. If the ledger is unreachable the
    /// record keeps a sweep timer and the sweep retries.
    /// </summary>
    internal async Task<ChangeRecord> ResolveOverdueFindingAsync(ChangeRecord reviewed, CancellationToken cancellationToken)
    {
        var review = reviewed.Review ?? throw new ArgumentException("record is not reviewed", nameof(reviewed));
        if (reviewed.FindingResolved || ledger is null) return reviewed;
        var context = new EvaluationContext(settings, clock);
        var evaluations = ChangeRecordInput.From(reviewed).Dispatch(registry, context)
            .Where(e => e.Rule.Id == "change.review-overdue").ToList();
        // Compliant for every change rule in every region of the session: a session whose calls were of several kinds
        // has ledger items under several rules; a compliant evaluation of an item that does not exist changes nothing.
        foreach (var kind in Enum.GetValues<ChangeKind>())
        {
            if (registry.Find(kind.RuleId()) is not { } rule) continue;
            foreach (var region in reviewed.Regions.DefaultIfEmpty(reviewed.Region))
            {
                evaluations.Add(new Evaluation
                {
                    Rule = rule.Metadata,
                    Outcome = Outcome.Compliant,
                    ResourceId = reviewed.ChangeId,
                    ResourceType = rule.Metadata.ResourceType,
                    AccountId = reviewed.AccountId,
                    Region = region,
                    Message = $"change {reviewed.ChangeId} reviewed by {review.Reviewer} ({review.Verdict.ToWire()})",
                    ObservedAt = review.ReviewedAt,
                    Evidence = new Dictionary<string, string>(StringComparer.Ordinal)
                    {
                        ["reviewer"] = review.Reviewer,
                        ["verdict"] = review.Verdict.ToWire(),
                        ["ticket"] = review.TicketUrl ?? "",
                    },
                });
            }
        }
        try
        {
            await ledger.RecordAsync(evaluations, context, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The review stands; the sweep re-sends the resolution (the record's timer stays at the review time).
            Log.Warn("change.resolve-deferred", ("changeId", reviewed.ChangeId), ("error", ex.Message));
            return reviewed;
        }
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var current = attempt == 0 ? reviewed : await register.GetAsync(reviewed.ChangeId, cancellationToken).ConfigureAwait(false);
            if (current is null || current.FindingResolved) return current ?? reviewed;
            var resolved = current with { FindingResolved = true, Version = current.Version + 1 };
            if (await register.TryUpdateAsync(resolved, null, cancellationToken).ConfigureAwait(false)) return resolved;
        }
        return reviewed;
    }

    private static (ReviewVerdict Verdict, string Reviewer, string? Ticket, string? Note) Validate(ReviewRequest request)
    {
        if (!IsChangeId(request.ChangeId))
            throw new ChangeReviewException(ChangeReviewError.Invalid, $"'{Shorten(request.ChangeId)}' is not a change id (chg-<24 hex>)");
        var reviewer = request.Reviewer?.Trim() ?? "";
        if (reviewer.Length == 0) throw new ChangeReviewException(ChangeReviewError.Invalid, "a reviewer is required");
        if (reviewer.Length > MaxReviewerLength || reviewer.Any(char.IsControl))
            throw new ChangeReviewException(ChangeReviewError.Invalid, $"the reviewer must be a name of at most {MaxReviewerLength} printable characters");
        if (!ReviewVerdictNames.TryParse(request.Verdict, out var verdict))
            throw new ChangeReviewException(ChangeReviewError.Invalid, $"verdict '{Shorten(request.Verdict)}' must be approved, rejected or needs-follow-up");
        string? ticket = null;
        if (!string.IsNullOrWhiteSpace(request.TicketUrl))
        {
            ticket = request.TicketUrl.Trim();
            if (ticket.Length > MaxTicketLength || ticket.Any(c => char.IsControl(c) || char.IsWhiteSpace(c))
                || !Uri.TryCreate(ticket, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttps
                || string.IsNullOrEmpty(uri.Host) || !string.IsNullOrEmpty(uri.UserInfo))
                throw new ChangeReviewException(ChangeReviewError.Invalid, $"ticket '{Shorten(ticket)}' must be an https:// link (no credentials, at most {MaxTicketLength} characters)");
        }
        else if (verdict != ReviewVerdict.Approved)
        {
            // The policy keeps change records in the ticket system; a rejection or follow-up without a ticket tracks nothing.
            throw new ChangeReviewException(ChangeReviewError.Invalid, $"a '{verdict.ToWire()}' verdict needs a ticket link (--ticket https://...) that tracks the follow-up");
        }
        string? note = null;
        if (!string.IsNullOrWhiteSpace(request.Note))
        {
            note = request.Note.Trim();
            if (note.Length > MaxNoteLength) throw new ChangeReviewException(ChangeReviewError.Invalid, $"the note is longer than {MaxNoteLength} characters");
            if (note.Any(c => char.IsControl(c) && c is not '\n' and not '\r' and not '\t'))
                throw new ChangeReviewException(ChangeReviewError.Invalid, "the note contains control characters");
        }
        return (verdict, reviewer, ticket, note);
    }

    public static bool IsChangeId(string? text) =>
        text is { Length: 28 } && text.StartsWith("chg-", StringComparison.Ordinal) && !text.AsSpan(4).ContainsAnyExcept(LowerHex);

    private static readonly System.Buffers.SearchValues<char> LowerHex = System.Buffers.SearchValues.Create("0123456789abcdef");

    private static string Shorten(string? text) => text is null ? "" : text.Length <= 60 ? text : text[..60] + "…";

    internal static string Invariant(long value) => value.ToString(CultureInfo.InvariantCulture);
}
