using System.Globalization;
using IsmsServerless.Model;
using IsmsServerless.Obligations;
using IsmsServerless.Settings;

namespace IsmsServerless.Changes;

/// <summary>
/// "Manual changes are documented, and the code is updated accordingly" (Qwestly) as an obligation of kind
/// <c>change.code-update</c> (subject: the change id; one per review round): opened when the review of a manual change
/// completes without a code link or revert, due <c>changeManagement.codeUpdateDays</c> later, owned by the IT team,
/// attested by the change's closure (commit / pull request link, reverted, or the stack drift rule in sync). Timed by the
/// obligations sweep; its overdue finding is the generic <c>duty.obligation-overdue</c>.
/// </summary>
public static class ChangeCodeUpdateObligations
{
    public const string Kind = "change.code-update";

    public static string IdOf(string changeId, int round = 1) =>
        Obligation.IdFor(Kind, changeId, round > 1 ? "round-" + round.ToString(CultureInfo.InvariantCulture) : "");

    public static ObligationSpec Spec(ChangeRecord record, ChangeReview review, IsmsSettings settings)
    {
        var due = review.ReviewedAt.AddDays(settings.ChangeManagement.CodeUpdateDays);
        return new ObligationSpec
        {
            Kind = Kind,
            Subject = record.ChangeId,
            Period = record.Round > 1 ? "round-" + record.Round.ToString(CultureInfo.InvariantCulture) : "",
            Title = $"Bring the code in line with {record.Kind.ToWire()} change {record.ChangeId} by {ChangeReviewObligations.ClipForTitle(record.Principal)} (or revert it)",
            Controls = ObligationTemplates.ChangeCodeUpdate.Controls,
            PolicyClause = ObligationTemplates.ChangeCodeUpdate.PolicyClause,
            OwnerRole = "it-team",
            OpensAt = review.ReviewedAt,
            DueAt = due,
            Reminders = [review.ReviewedAt.AddDays(settings.ChangeManagement.CodeUpdateDays / 2.0)],
            EvidenceExpected = ObligationTemplates.ChangeCodeUpdate.EvidenceExpected
                + (record.ReconcileStack is { } stack ? $"; or stack {stack} reported in sync by the drift rule" : ""),
            OverdueSeverity = Severity.Medium,
            AccountId = record.AccountId,
            Region = record.Region,
            Link = ObligationTemplates.ChangeCodeUpdate.LinkFor(settings.StatusPageUrl, record.ChangeId),
            // Found by id (kind, change id, round), never by subject listing: no GSI2 entry (issue 20).
            SubjectIndexed = false,
        };
    }

    public static Attestation AttestationOf(ChangeClosure closure) =>
        new(closure.By, "system:change-closure", closure.At,
            closure.How + (closure.Stack is { } stack ? ": stack " + stack : ""),
            closure.Link is { } link ? [link] : []);
}
