using System.Globalization;
using IsmsServerless.Alerts;
using IsmsServerless.Engine;
using IsmsServerless.Inputs;
using IsmsServerless.Model;
using IsmsServerless.Obligations;
using IsmsServerless.Observability;
using IsmsServerless.Settings;
using IsmsServerless.Sweep;

namespace IsmsServerless.Changes;

/// <summary>
/// The 24 h change review as an obligation of kind <c>change.review</c> (subject: the change id; one per change):
/// opened by the register when a change is recorded, attested by the register when the change is reviewed, timed by the
/// obligations sweep like every other obligation. Its overdue finding stays <c>change.review-overdue</c>.
/// </summary>
public static class ChangeReviewObligations
{
    public const string Kind = "change.review";

    /// <summary>
    /// The obligation of one review round: round 1 has the empty period, a later round (a call made after the review,
    /// <see cref="ChangeRecordMerger.StartNewRound"/>) is its own obligation, so the earlier round's attestation stays.
    /// </summary>
    public static string IdOf(string changeId, int round = 1) => Obligation.IdFor(Kind, changeId, PeriodOf(round));

    public static string PeriodOf(int round) => round > 1 ? "round-" + round.ToString(CultureInfo.InvariantCulture) : "";

    public static ObligationSpec Spec(ChangeRecord record, IsmsSettings settings)
    {
        var deadline = new ChangeDeadline(settings);
        var due = deadline.DueAt(record);
        return new ObligationSpec
        {
            Kind = Kind,
            Subject = record.ChangeId,
            Period = PeriodOf(record.Round),
            // The principal is attacker-influenced text of any length: clipped, so a hostile session name cannot make the
            // obligation invalid and fail the call's registration.
            Title = $"Review {record.Kind.ToWire()} change {record.ChangeId} by {ClipForTitle(record.Principal)}",
            // The constant texts are the kind's template (stored once in code, not on every item: issue 20).
            Controls = ObligationTemplates.ChangeReview.Controls,
            PolicyClause = ObligationTemplates.ChangeReview.PolicyClause,
            OwnerRole = "it-director",
            OpensAt = ChangeDeadline.RoundStart(record),
            DueAt = due,
            Reminders = deadline.Reminders(record),
            EvidenceExpected = ObligationTemplates.ChangeReview.EvidenceExpected,
            FourEyes = true,
            Author = record.Principal,
            OverdueSeverity = Severity.High,
            OverdueSla = TimeSpan.FromDays(1),
            AccountId = record.AccountId,
            Region = record.Region,
            Link = ObligationTemplates.ChangeReview.LinkFor(settings.StatusPageUrl, record.ChangeId),
            // Found by id (kind, change id, round), never by subject or kind listing: no GSI2 or GSI1 entry (issue 20);
            // the change register lists changes.
            SubjectIndexed = false,
            KindIndexed = false,
            // Nor an open/done (GSI3) entry (issue 20 wave 7): the record's CHANGE#PENDING/CHANGE#REVIEWED entry lists the
            // change by the same due and review times; the calendar reads change reviews through ChangeReviewListing.
            StateIndexed = false,
        };
    }

    /// <summary>At most 200 characters of <paramref name="text"/>, for obligation titles (limit 1000).</summary>
    public static string ClipForTitle(string text) => text.Length <= 200 ? text : text[..200] + "…";

    public static Attestation AttestationOf(ChangeReview review) =>
        new(review.Reviewer, "system:change-review", review.ReviewedAt,
            review.Verdict.ToWire() + (review.Note is { Length: > 0 } note ? ": " + note : ""),
            review.TicketUrl is { } ticket ? [ticket] : []);
}

/// <summary>
/// The obligations sweep's handler for <c>change.review</c>: the reminder names the change (alert id
/// <c>&lt;changeId&gt;-reminder-&lt;n&gt;</c>), the overdue finding is <c>change.review-overdue</c> from the change
/// record, and resolution goes through <see cref="ChangeReviewService"/> (which also resolves the change's own items).
/// </summary>
public sealed class ChangeReviewObligationKind(RuleRegistry registry) : IObligationKind
{
    public bool Handles(string kind) => kind == ChangeReviewObligations.Kind;

    public async Task<AlertRecord> ReminderAsync(Obligation obligation, int stage, SweepContext context, CancellationToken cancellationToken)
    {
        var record = await Register(context).GetAsync(obligation.Subject, cancellationToken).ConfigureAwait(false);
        if (record is null) return GenericObligationKind.Reminder(obligation, stage, context.Evaluation);
        var deadline = new ChangeDeadline(context.Evaluation.Settings);
        var dueAt = obligation.DueAt;
        var left = dueAt - context.Evaluation.Now;
        return new AlertRecord
        {
            // Deterministic: a retried sweep cannot send the same reminder twice (the outbox put is conditional).
            // Round 2+ (a call after the review) has its own reminders (round 1's ids are taken in the outbox).
            AlertId = record.Round > 1
                ? $"{record.ChangeId}-r{record.Round.ToString(CultureInfo.InvariantCulture)}-reminder-{stage.ToString(CultureInfo.InvariantCulture)}"
                : $"{record.ChangeId}-reminder-{stage.ToString(CultureInfo.InvariantCulture)}",
            Kind = "review-reminder",
            FindingId = record.ChangeId,
            RuleId = record.Kind.RuleId(),
            Title = "Change awaiting review",
            Severity = record.Kind == ChangeKind.Emergency ? Severity.High.ToWire() : Severity.Medium.ToWire(),
            Category = Category.Change.ToWire(),
            ResourceId = record.ChangeId,
            ResourceType = "AWS::::Account",
            AccountId = record.AccountId,
            Region = record.Region,
            PolicyClause = obligation.Spec.PolicyClause,
            Controls = "[\"" + Controls.IsoChangeManagement + "\",\"" + Controls.Soc2ChangeManagement + "\"]",
            DueAt = Timestamps.ToWire(dueAt),
            SlaState = deadline.StateAt(record, context.Evaluation.Now).ToWire(),
            Remediation = $"Review it: ./isms review {record.ChangeId} --reviewer <you> --verdict approved|rejected|needs-follow-up --ticket https://...",
            Message = $"{record.Kind.ToWire()} change {record.ChangeId} by {record.Principal} ({record.CallCount} call(s)) is due for review in {Math.Max(0, (int)left.TotalHours)}h (at {Timestamps.ToWire(dueAt)})",
            StatusUrl = context.Evaluation.Settings.StatusPageUrl.TrimEnd('/') + "/changes/" + record.ChangeId,
            CreatedAt = Timestamps.ToWire(context.Evaluation.Now),
        };
    }

    public async Task<int> RaiseOverdueAsync(Obligation obligation, SweepContext context, CancellationToken cancellationToken)
    {
        var register = Register(context);
        var record = await register.GetAsync(obligation.Subject, cancellationToken).ConfigureAwait(false);
        if (record is null)
        {
            Log.Warn("change.obligation-without-record", ("obligation", obligation.Id), ("changeId", obligation.Subject));
            return 0;
        }
        if (record.Review is { } review)
        {
            // Reviewed, but the attestation did not reach the obligation (a crash between the two writes): attest now.
            await register.AttestReviewAsync(record, review, cancellationToken).ConfigureAwait(false);
            return 0;
        }
        var evaluations = ChangeRecordInput.From(record).Dispatch(registry, context.Evaluation)
            .Where(e => e.Rule.Id == "change.review-overdue" && e.Outcome == Outcome.Finding).ToList();
        if (evaluations.Count > 0) await context.RecordAsync(evaluations, "obligations", cancellationToken).ConfigureAwait(false);
        return evaluations.Count;
    }

    public async Task<bool> ResolveAsync(Obligation obligation, SweepContext context, CancellationToken cancellationToken)
    {
        var register = Register(context);
        var record = await register.GetAsync(obligation.Subject, cancellationToken).ConfigureAwait(false);
        if (record?.Review is null) return true;
        var service = new ChangeReviewService(register, context.Ledger, registry, context.Evaluation.Settings, context.Evaluation.Clock, context.Evidence);
        var after = await service.ResolveOverdueFindingAsync(record, cancellationToken).ConfigureAwait(false);
        return after.FindingResolved;
    }

    private static DynamoChangeRegister Register(SweepContext context) => new(context.Dynamo, context.TableName, context.Evaluation.Settings);
}
