using System.Globalization;
using IsmsServerless.Model;
using IsmsServerless.Obligations;
using IsmsServerless.Settings;

namespace IsmsServerless.Changes;

/// <summary>
/// PROC-002 "The IT Director checks the implementation" as an obligation of kind <c>change.implementation-check</c>
/// (subject: the change id; one per review round). Changes here are observed after they are made (CloudTrail), so the
/// review of a change looks at the implemented calls: when the approval matrix already required an <c>it-director</c>
/// approval, that approval IS the check and no obligation opens. For the other types (PROC-002's default matrix:
/// software, approved by the CTO) an approved review opens this obligation: owner <c>it-director</c>, due
/// <c>changeManagement.implementationCheckDays</c> after the review, closed by <c>./isms attest</c> of a person holding
/// <c>it-director</c> who is not the change's author (four-eyes through <see cref="ObligationPeople.SamePerson"/>).
/// Its overdue finding is the generic <c>duty.obligation-overdue</c>. Only with <c>people</c> configured (roles known).
/// </summary>
public static class ChangeImplementationCheckObligations
{
    public const string Kind = "change.implementation-check";

    public const string CheckerRole = "it-director";

    public static string IdOf(string changeId, int round = 1) =>
        Obligation.IdFor(Kind, changeId, round > 1 ? "round-" + round.ToString(CultureInfo.InvariantCulture) : "");

    /// <summary>
    /// How the change's implementation is checked: <c>by-approval</c> (an it-director approval was required),
    /// <c>obligation</c> (this kind opens on an approved review), or null (no <c>people</c>: no approval matrix, not tracked).
    /// </summary>
    public static string? HowChecked(IReadOnlyList<string>? requiredRoles, IsmsSettings settings) =>
        settings.People.Count == 0 || requiredRoles is null || requiredRoles.Count == 0 ? null
        : requiredRoles.Contains(CheckerRole, StringComparer.Ordinal) ? "by-approval" : "obligation";

    /// <summary>Whether an approved, completed review of this record needs the obligation.</summary>
    public static bool Needed(ChangeRecord record, IsmsSettings settings) =>
        record.Review is { Verdict: ReviewVerdict.Approved } review && HowChecked(review.RequiredRoles, settings) == "obligation";

    public static ObligationSpec Spec(ChangeRecord record, ChangeReview review, IsmsSettings settings)
    {
        var days = settings.ChangeManagement.ImplementationCheckDays;
        return new ObligationSpec
        {
            Kind = Kind,
            Subject = record.ChangeId,
            Period = record.Round > 1 ? "round-" + record.Round.ToString(CultureInfo.InvariantCulture) : "",
            Title = $"IT Director: check the implementation of {record.Kind.ToWire()} change {record.ChangeId} by {ChangeReviewObligations.ClipForTitle(record.Principal)}",
            Controls = ObligationTemplates.ChangeImplementationCheck.Controls,
            PolicyClause = ObligationTemplates.ChangeImplementationCheck.PolicyClause,
            OwnerRole = CheckerRole,
            OpensAt = review.ReviewedAt,
            DueAt = review.ReviewedAt.AddDays(days),
            Reminders = [review.ReviewedAt.AddDays(days / 2.0)],
            EvidenceExpected = ObligationTemplates.ChangeImplementationCheck.EvidenceExpected,
            FourEyes = true,
            Author = record.Principal,
            OverdueSeverity = Severity.Medium,
            AccountId = record.AccountId,
            Region = record.Region,
            Link = ObligationTemplates.ChangeImplementationCheck.LinkFor(settings.StatusPageUrl, record.ChangeId),
            // Found by id (kind, change id, round), never by subject listing: no GSI2 entry (issue 20).
            SubjectIndexed = false,
        };
    }
}
