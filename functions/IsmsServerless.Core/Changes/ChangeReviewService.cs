using System.Globalization;
using IsmsServerless.Engine;
using IsmsServerless.Inputs;
using IsmsServerless.Ledger;
using IsmsServerless.Model;
using IsmsServerless.Observability;
using IsmsServerless.Settings;

namespace IsmsServerless.Changes;

/// <summary>A change as a list shows it: the record, its deadline and where now stands against it.</summary>
public sealed record ChangeSummary(ChangeRecord Change, DateTimeOffset DueAt, SlaState State, bool Overdue)
{
    /// <summary>What the approval matrix requires of the change (risk, type, roles); null when no matrix applies (no <c>people</c>).</summary>
    public ApprovalRequirement? Requirement { get; init; }

    /// <summary>The risk class under the policy's classification, shown with or without <c>people</c> (Qwestly risk categories).</summary>
    public ChangeRisk? Risk { get; init; }

    /// <summary>
    /// PROC-002 "implemented by IT Team members": the author judged by <see cref="ImplementerCheck"/>. Set on the change
    /// detail only (lists and the sweep leave it null, so they never load the identity normaliser).
    /// </summary>
    public ImplementerVerdict? Implementer { get; init; }

    /// <summary>
    /// PROC-002 "The IT Director checks the implementation" (change detail only): <c>by-approval</c> when the matrix
    /// requires an it-director approval, <c>obligation</c> when an approved review opens <c>change.implementation-check</c>.
    /// </summary>
    public string? ImplementationCheck { get; init; }
}

/// <summary>One change in full: the summary plus every stored call.</summary>
public sealed record ChangeDetail(ChangeSummary Summary, IReadOnlyList<ChangeCallSummary> Calls);

/// <summary>A review as the status page or the CLI submits it; validated by <see cref="ChangeReviewService.ReviewAsync"/>.</summary>
/// <param name="ReviewerSubject">The signed-in token's <c>sub</c> (status page); recorded with the review.</param>
/// <param name="ReviewerEmail">The token's verified e-mail, when it carries one; resolves the reviewer to a person.</param>
/// <param name="CodeLink">For a manual change: the commit or pull request that brought the code in line (closes it).</param>
/// <param name="Reverted">For a manual change: it was undone (closes it).</param>
/// <param name="Stack">For a manual change: the CloudFormation stack whose drift check closes it once in sync.</param>
public sealed record ReviewRequest(string ChangeId, string Reviewer, string Verdict, string? TicketUrl = null, string? Note = null,
    string? ReviewerSubject = null, string? ReviewerEmail = null, string? CodeLink = null, bool Reverted = false, string? Stack = null);

/// <summary>
/// Lists, shows and reviews registered changes; used by the status page and <c>./isms changes</c> / <c>./isms review</c>.
/// A review is validated (verdict, https ticket link, sizes), refused when the reviewer made the change (four-eyes),
/// stored once (reviews are immutable), and resolves the change's overdue finding through the findings ledger.
/// </summary>
/// <param name="evidence">Passing evidence: a completed review is the change controls' evidence that they operated (its
/// compliant evaluations are recorded after the ledger's, as in the ingest pipeline). Null: not recorded (local tools).</param>
public sealed class ChangeReviewService(IChangeRegister register, IFindingLedger? ledger, RuleRegistry registry, IsmsSettings settings, TimeProvider clock,
    Evidence.IEvidenceStore? evidence = null)
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
        var identities = _identities.Value;
        var implementer = ImplementerCheck.Judge(record.Kind, identities.ResolveName(record.Principal), identities, settings);
        var summary = Summarize(record);
        var check = ChangeImplementationCheckObligations.HowChecked(summary.Requirement?.Roles ?? record.Review?.RequiredRoles, settings);
        return new ChangeDetail(summary with { Implementer = implementer, ImplementationCheck = check }, calls);
    }

    public ChangeSummary Summarize(ChangeRecord record)
    {
        var now = clock.GetUtcNow();
        return new ChangeSummary(record, _deadline.DueAt(record), _deadline.StateAt(record, now), _deadline.IsOverdue(record, now))
        {
            Requirement = settings.People.Count > 0 ? ApprovalMatrix.Required(record, settings) : null,
            Risk = ApprovalMatrix.RiskOf(record, settings.ChangeManagement),
        };
    }

    /// <summary>Records a review. Throws <see cref="ChangeReviewException"/> with a reason the reviewer can act on.</summary>
    public async Task<ChangeRecord> ReviewAsync(ReviewRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var (verdict, reviewer, ticket, note) = Validate(request);
        ValidateTicket(verdict, ticket);
        var codeLink = ValidateCodeLink(request.CodeLink);
        if (codeLink is not null && request.Reverted)
            throw new ChangeReviewException(ChangeReviewError.Invalid, "give a code link or mark the change reverted, not both");
        for (var attempt = 1; attempt <= MaxAttempts; attempt++)
        {
            var record = await register.GetAsync(request.ChangeId, cancellationToken).ConfigureAwait(false)
                ?? throw new ChangeReviewException(ChangeReviewError.NotFound, $"no change '{request.ChangeId}'");
            if (record.Review is { } existing)
                throw new ChangeReviewException(ChangeReviewError.AlreadyReviewed,
                    $"change {record.ChangeId} was already reviewed by {existing.Reviewer} at {Timestamps.ToWire(existing.ReviewedAt)} ({existing.Verdict.ToWire()})");
            var (review, refusal) = FourEyes(record, request, reviewer, verdict, ticket, note);
            if (refusal is not null) throw refusal;
            ChangeRecord reviewed;
            if (verdict == ReviewVerdict.Approved && settings.People.Count > 0)
            {
                // Approval matrix (PROC-002 approval by type, Qwestly risk categories): the review is recorded only when
                // every required role has approved; until then each approval is kept on the record.
                var requirement = ApprovalMatrix.Required(record, settings);
                var approval = Approve(record, request, reviewer, requirement, review, ticket);
                var approvals = (IReadOnlyList<ChangeApproval>)[.. record.Approvals, approval];
                if (!requirement.IsComplete(approvals))
                {
                    var partial = record with { Approvals = approvals, Version = record.Version + 1 };
                    if (!await register.TryUpdateAsync(partial, null, cancellationToken).ConfigureAwait(false)) continue;
                    Log.Info("change.approved-partly", ("changeId", record.ChangeId), ("approver", approval.Approver), ("role", approval.Role),
                        ("missing", string.Join(",", requirement.MissingRoles(approvals))), ("missingCount", requirement.MissingCount(approvals)));
                    return partial;
                }
                reviewed = record with
                {
                    Approvals = approvals,
                    Review = review with { Approvals = approvals, Risk = requirement.Risk.ToWire(), RequiredRoles = requirement.Roles },
                    Version = record.Version + 1,
                };
            }
            else
            {
                reviewed = record with { Review = review, Version = record.Version + 1 };
            }
            reviewed = WithCodeUpdate(reviewed, reviewed.Review!, reviewed.Review!.Reviewer, codeLink, request.Reverted, request.Stack);
            if (!await register.TryUpdateAsync(reviewed, null, cancellationToken).ConfigureAwait(false)) continue;
            Log.Info("change.reviewed", ("changeId", record.ChangeId), ("verdict", verdict.ToWire()), ("reviewer", reviewed.Review!.Reviewer),
                ("fourEyes", reviewed.Review.FourEyes), ("round", reviewed.Round));
            reviewed = await ResolveOverdueFindingAsync(reviewed, cancellationToken).ConfigureAwait(false);
            return await CloseIfStackInSyncAsync(reviewed, cancellationToken).ConfigureAwait(false);
        }
        throw new ChangeReviewException(ChangeReviewError.Conflict, $"change {request.ChangeId} kept changing while it was being reviewed; try again");
    }

    /// <summary>
    /// Qwestly "update the code accordingly": a reviewed change of a <c>codeUpdateKinds</c> kind is closed by the code link
    /// or revert given with the review; otherwise it stays open (a <c>change.code-update</c> obligation) until
    /// <see cref="ReconcileAsync"/> or the stack drift rule closes it.
    /// </summary>
    private ChangeRecord WithCodeUpdate(ChangeRecord record, ChangeReview review, string by, string? codeLink, bool reverted, string? stack)
    {
        if (!settings.ChangeManagement.CodeUpdateKinds.Contains(record.Kind.ToWire(), StringComparer.Ordinal))
        {
            if (codeLink is not null || reverted || stack is not null)
                Log.Info("change.code-update-not-required", ("changeId", record.ChangeId), ("kind", record.Kind.ToWire()));
            return record;
        }
        var closure = codeLink is not null ? new ChangeClosure(ChangeClosure.CodeLink, by, review.ReviewedAt) { Link = codeLink }
            : reverted ? new ChangeClosure(ChangeClosure.Reverted, by, review.ReviewedAt)
            : null;
        return record with
        {
            CodeUpdateRequired = true,
            Closure = closure,
            ReconcileStack = closure is null && stack is not null ? StackKey(record, stack) : record.ReconcileStack,
        };
    }

    /// <summary>
    /// Closes a reviewed manual change after the fact: the commit or pull request that brought the code in line, the
    /// revert, or the stack whose drift check should close it. The actor is resolved to a person (IdentityResolver).
    /// </summary>
    public async Task<ChangeRecord> ReconcileAsync(ReconcileRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!IsChangeId(request.ChangeId))
            throw new ChangeReviewException(ChangeReviewError.Invalid, $"'{Shorten(request.ChangeId)}' is not a change id (chg-<24 hex>)");
        var actorName = request.Actor?.Trim() ?? "";
        if (actorName.Length == 0 || actorName.Length > MaxReviewerLength || actorName.Any(char.IsControl))
            throw new ChangeReviewException(ChangeReviewError.Invalid, $"who reconciles must be a name of at most {MaxReviewerLength} printable characters");
        var codeLink = ValidateCodeLink(request.CodeLink);
        var given = (codeLink is null ? 0 : 1) + (request.Reverted ? 1 : 0) + (string.IsNullOrWhiteSpace(request.Stack) ? 0 : 1);
        if (given != 1)
            throw new ChangeReviewException(ChangeReviewError.Invalid, "give exactly one of: a code link (commit or pull request), reverted, or the CloudFormation stack");
        var identities = _identities.Value;
        var who = request.ActorSubject is { } subject ? identities.ResolveToken(subject, request.ActorEmail, actorName) : identities.ResolveName(actorName);
        if (!who.Mapped && identities.People.Count > 0)
            throw new ChangeReviewException(ChangeReviewError.UnmappedIdentity, $"'{Shorten(actorName)}' maps to no person in settings.people; closures are recorded against people");
        for (var attempt = 1; attempt <= MaxAttempts; attempt++)
        {
            var record = await register.GetAsync(request.ChangeId, cancellationToken).ConfigureAwait(false)
                ?? throw new ChangeReviewException(ChangeReviewError.NotFound, $"no change '{request.ChangeId}'");
            if (record.Review is null)
                throw new ChangeReviewException(ChangeReviewError.NotReconcilable, $"change {record.ChangeId} is not reviewed yet: review it first (the code link can go with the review)");
            if (!record.CodeUpdateRequired)
                throw new ChangeReviewException(ChangeReviewError.NotReconcilable, $"change {record.ChangeId} ({record.Kind.ToWire()}) needs no code update under changeManagement.codeUpdateKinds");
            if (record.Closure is { } closed)
                throw new ChangeReviewException(ChangeReviewError.NotReconcilable,
                    $"change {record.ChangeId} was already closed ({closed.How}) by {closed.By} at {Timestamps.ToWire(closed.At)}");
            var now = clock.GetUtcNow();
            var updated = string.IsNullOrWhiteSpace(request.Stack)
                ? record with
                {
                    Closure = codeLink is not null ? new ChangeClosure(ChangeClosure.CodeLink, who.Display, now) { Link = codeLink } : new ChangeClosure(ChangeClosure.Reverted, who.Display, now),
                    Version = record.Version + 1,
                }
                : record with { ReconcileStack = StackKey(record, request.Stack), Version = record.Version + 1 };
            if (!await register.TryUpdateAsync(updated, null, cancellationToken).ConfigureAwait(false)) continue;
            Log.Info("change.reconciled", ("changeId", record.ChangeId), ("how", updated.Closure?.How ?? "awaiting-stack"), ("by", who.Display),
                ("stack", updated.ReconcileStack));
            return await CloseIfStackInSyncAsync(updated, cancellationToken).ConfigureAwait(false);
        }
        throw new ChangeReviewException(ChangeReviewError.Conflict, $"change {request.ChangeId} kept changing; try again");
    }

    /// <summary>
    /// The stack drift rule (<c>CLOUDFORMATION_STACK_DRIFT_DETECTION_CHECK</c>) reported <paramref name="stack"/>: stores the
    /// verdict (latest wins) and, when in sync, closes every change waiting for the stack whose last call came before it.
    /// Order-free: a verdict that arrives before the reviewer names the stack is found by <see cref="CloseIfStackInSyncAsync"/>.
    /// </summary>
    public async Task<int> StackVerdictAsync(string stack, string complianceType, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        var latest = await register.RecordStackVerdictAsync(stack, complianceType, at, cancellationToken).ConfigureAwait(false);
        if (!latest.InSync) return 0;
        var closed = 0;
        foreach (var id in await register.QueryWaitingForStackAsync(stack, cancellationToken).ConfigureAwait(false))
        {
            if (await register.GetAsync(id, cancellationToken).ConfigureAwait(false) is not { } record) continue;
            if ((await CloseIfStackInSyncAsync(record, cancellationToken).ConfigureAwait(false)).Closure is { How: ChangeClosure.StackInSync }) closed++;
        }
        return closed;
    }

    /// <summary>Closes a change waiting for its stack when the stored verdict says in sync after the change's last call.</summary>
    internal async Task<ChangeRecord> CloseIfStackInSyncAsync(ChangeRecord record, CancellationToken cancellationToken)
    {
        for (var attempt = 1; attempt <= MaxAttempts; attempt++)
        {
            if (record.ReconcileStack is not { } stack || record.Closure is not null || record.Review is null || !record.CodeUpdateRequired) return record;
            if (await register.GetStackVerdictAsync(stack, cancellationToken).ConfigureAwait(false) is not { InSync: true } verdict || verdict.At <= record.LastCallAt)
                return record;
            var closed = record with
            {
                Closure = new ChangeClosure(ChangeClosure.StackInSync, "aws-config:" + settings.ChangeManagement.StackDriftConfigRuleName, verdict.At) { Stack = stack },
                Version = record.Version + 1,
            };
            if (await register.TryUpdateAsync(closed, null, cancellationToken).ConfigureAwait(false))
            {
                Log.Info("change.closed-stack-in-sync", ("changeId", record.ChangeId), ("stack", stack), ("at", Timestamps.ToWire(verdict.At)));
                return closed;
            }
            record = await register.GetAsync(record.ChangeId, cancellationToken).ConfigureAwait(false) ?? record;
        }
        return record;
    }

    /// <summary>
    /// A stack as <c>account/region/name</c>: from a CloudFormation stack ARN, or a bare name in the change's account and
    /// region. Refuses anything else (the key goes into the table).
    /// </summary>
    public static string StackKey(ChangeRecord record, string stack)
    {
        ArgumentNullException.ThrowIfNull(record);
        var text = stack?.Trim() ?? "";
        if (StackArn.Match(text) is { Success: true } arn) return $"{arn.Groups["account"].Value}/{arn.Groups["region"].Value}/{arn.Groups["name"].Value}";
        if (StackName.IsMatch(text)) return $"{record.AccountId}/{record.Region}/{text}";
        throw new ChangeReviewException(ChangeReviewError.Invalid, $"'{Shorten(text)}' is not a CloudFormation stack name or stack ARN");
    }

    /// <summary>A stack key from a Config compliance event's resource id (the stack ARN), or null.</summary>
    public static string? StackKeyFromArn(string? arn) =>
        arn is not null && StackArn.Match(arn) is { Success: true } m ? $"{m.Groups["account"].Value}/{m.Groups["region"].Value}/{m.Groups["name"].Value}" : null;

    private static readonly System.Text.RegularExpressions.Regex StackArn = new(
        @"^arn:aws[a-z-]*:cloudformation:(?<region>[a-z0-9-]{1,30}):(?<account>[0-9]{12}):stack/(?<name>[A-Za-z][A-Za-z0-9-]{0,127})/[A-Za-z0-9-]{1,64}$",
        System.Text.RegularExpressions.RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(100));

    private static readonly System.Text.RegularExpressions.Regex StackName = new(
        "^[A-Za-z][A-Za-z0-9-]{0,127}$", System.Text.RegularExpressions.RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(100));

    /// <summary>A commit or pull-request link: https, no credentials, matching <c>changeManagement.codeLinkUrlPatterns</c>.</summary>
    private string? ValidateCodeLink(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        var link = text.Trim();
        if (link.Length > MaxTicketLength || link.Any(c => char.IsControl(c) || char.IsWhiteSpace(c))
            || !Uri.TryCreate(link, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttps || !string.IsNullOrEmpty(uri.UserInfo))
            throw new ChangeReviewException(ChangeReviewError.Invalid, $"code link '{Shorten(link)}' must be an https:// link to a commit or pull request");
        var patterns = settings.ChangeManagement.CodeLinkUrlPatterns;
        if (patterns.Count == 0) return link;
        foreach (var pattern in patterns)
        {
            try
            {
                if (System.Text.RegularExpressions.Regex.IsMatch(link, pattern, System.Text.RegularExpressions.RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(100))) return link;
            }
            catch (System.Text.RegularExpressions.RegexMatchTimeoutException)
            {
                // A pathological link against a pattern: not a match.
            }
        }
        throw new ChangeReviewException(ChangeReviewError.Invalid,
            $"code link '{Shorten(link)}' is not a commit or pull request of the policy's code hosts (changeManagement.codeLinkUrlPatterns: {string.Join(" | ", patterns)})");
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
    /// One approval under the matrix: the approver (a person, four-eyes already checked) must hold a role the change still
    /// needs (or be a further team member when only the count is short), and may approve once per round.
    /// </summary>
    private ChangeApproval Approve(ChangeRecord record, ReviewRequest request, string reviewer, ApprovalRequirement requirement, ChangeReview review, string? ticket)
    {
        var identities = _identities.Value;
        var who = request.ReviewerSubject is { } subject
            ? identities.ResolveToken(subject, request.ReviewerEmail, reviewer)
            : identities.ResolveName(reviewer);
        foreach (var earlier in record.Approvals)
        {
            if (identities.SamePerson(identities.ResolveName(earlier.Approver), who))
                throw new ChangeReviewException(ChangeReviewError.NotAnApprover,
                    $"{review.Reviewer} already approved change {record.ChangeId} as {earlier.Role}; one person fills one required approval. Still missing: {Missing(requirement, record.Approvals)}");
        }
        var roles = who.Person?.Roles ?? [];
        var slot = ApprovalMatrix.SlotFor(roles, requirement, record.Approvals)
            ?? throw new ChangeReviewException(ChangeReviewError.NotAnApprover,
                $"{review.Reviewer} (roles: {(roles.Count == 0 ? "none" : string.Join(", ", roles))}) holds none of the roles change {record.ChangeId} still needs ({requirement.Risk.ToWire()} risk, type {requirement.ChangeType}). Still missing: {Missing(requirement, record.Approvals)}");
        return new ChangeApproval(review.Reviewer, slot, review.ReviewedAt, ticket);
    }

    /// <summary>The still-missing approvals as text: the roles, and further team members when the count is short.</summary>
    public static string Missing(ApprovalRequirement requirement, IReadOnlyList<ChangeApproval> approvals)
    {
        var roles = requirement.MissingRoles(approvals);
        var extra = requirement.MissingCount(approvals) - roles.Count;
        var parts = roles.ToList();
        if (extra > 0) parts.Add($"{extra} more team member{(extra == 1 ? "" : "s")}");
        return parts.Count == 0 ? "nothing" : string.Join(", ", parts);
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
            var written = await ledger.RecordAsync(evaluations, context, cancellationToken).ConfigureAwait(false);
            // The review is the change controls' passing evidence (A.8.32, CC8.1): without it they read "stale" whenever
            // every change was reviewed in time. Recorded before the record is marked resolved, so a failure here is retried.
            // A finding that holds its evidence failure is taken over by the result written (none does today: change findings
            // hold none).
            if (evidence is not null)
                await evidence.RecordAsync(evaluations, "change-review", context, new Evidence.EvidenceHolding { Holding = written.HoldingEvidence }, cancellationToken).ConfigureAwait(false);
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

    /// <summary>
    /// The policy's ticket systems (PROC-002: change records are kept in Freshdesk or JIRA): the link must match one of
    /// <c>changeManagement.ticketUrlPatterns</c>, and an approval needs one too unless <c>ticketRequiredForApproval</c> is false.
    /// </summary>
    private void ValidateTicket(ReviewVerdict verdict, string? ticket)
    {
        var cm = settings.ChangeManagement;
        if (ticket is null)
        {
            if (verdict == ReviewVerdict.Approved && cm.TicketRequiredForApproval)
                throw new ChangeReviewException(ChangeReviewError.Invalid,
                    "an approval needs a ticket link (--ticket https://...) in one of the policy's ticket systems (changeManagement.ticketUrlPatterns)");
            return;
        }
        if (cm.TicketUrlPatterns.Count == 0) return;
        foreach (var pattern in cm.TicketUrlPatterns)
        {
            try
            {
                if (System.Text.RegularExpressions.Regex.IsMatch(ticket, pattern, System.Text.RegularExpressions.RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(100))) return;
            }
            catch (System.Text.RegularExpressions.RegexMatchTimeoutException)
            {
                // A pathological link against a pattern: not a match.
            }
        }
        throw new ChangeReviewException(ChangeReviewError.Invalid,
            $"ticket '{Shorten(ticket)}' is not a link into one of the policy's ticket systems (changeManagement.ticketUrlPatterns: {string.Join(" | ", cm.TicketUrlPatterns)})");
    }

    public static bool IsChangeId(string? text) =>
        text is { Length: 28 } && text.StartsWith("chg-", StringComparison.Ordinal) && !text.AsSpan(4).ContainsAnyExcept(LowerHex);

    private static readonly System.Buffers.SearchValues<char> LowerHex = System.Buffers.SearchValues.Create("0123456789abcdef");

    private static string Shorten(string? text) => text is null ? "" : text.Length <= 60 ? text : text[..60] + "…";

    internal static string Invariant(long value) => value.ToString(CultureInfo.InvariantCulture);
}
