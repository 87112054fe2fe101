using IsmsServerless.Changes;
using IsmsServerless.Engine;
using IsmsServerless.Inputs;
using IsmsServerless.Model;

namespace IsmsServerless.Rules.Change;

/// <summary>
/// A registered change still unreviewed after <see cref="Settings.IsmsSettings.ChangeReviewHours"/> from its first call:
/// a HIGH finding that alerts. A review (any verdict) makes it compliant, which resolves the finding.
/// Before the deadline an unreviewed change yields nothing: it is pending, not a violation.
/// </summary>
public sealed class ReviewOverdueRule : IRule<ChangeRecordInput>
{
    public RuleMetadata Metadata { get; } = new(
        Id: "change.review-overdue",
        Title: "Emergency or manual change not reviewed within 24 hours",
        Category: Category.Change,
        Severity: Severity.High,
        ResourceType: "AWS::::Account",
        PolicyClause: "Qwestly Operations Security Policy, Emergency Changes: \"Document and review all emergency changes within 24 hours\"; Infrastructure as Code: \"Document any manual changes and update code accordingly\"",
        Controls: [Controls.IsoChangeManagement, Controls.IsoDocumentedProcedures, Controls.Soc2ChangeManagement, Controls.Soc2EventEvaluation],
        Risk: "An unreviewed change is an undocumented change: nobody has confirmed it was authorized, correct, and folded back into code.",
        Remediation: "Review the change now: './isms review <changeId> --reviewer <you> --verdict approved|rejected|needs-follow-up --ticket https://...' or the status page. The reviewer must not be the person who made the change.")
    {
        // The review duty is already late; the finding itself must be closed within a day.
        Sla = TimeSpan.FromDays(1),
    };

    public IEnumerable<Evaluation> Evaluate(ChangeRecordInput input, EvaluationContext context)
    {
        var change = input.Change;
        var deadline = new ChangeDeadline(context.Settings);
        var dueAt = deadline.DueAt(change);
        var evidence = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["changeId"] = change.ChangeId,
            ["changeKind"] = change.Kind.ToWire(),
            ["principal"] = change.Principal,
            ["actor"] = change.Actor,
            ["firstCallAt"] = Timestamps.ToWire(change.FirstCallAt),
            ["lastCallAt"] = Timestamps.ToWire(change.LastCallAt),
            ["dueAt"] = Timestamps.ToWire(dueAt),
            ["callCount"] = change.CallCount.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        if (change.RoleName is { } role) evidence["role"] = role;
        if (change.Review is { } review)
        {
            evidence["reviewer"] = review.Reviewer;
            evidence["verdict"] = review.Verdict.ToWire();
            evidence["reviewedAt"] = Timestamps.ToWire(review.ReviewedAt);
            if (review.TicketUrl is { } ticket) evidence["ticket"] = ticket;
            yield return Result(input, Outcome.Compliant, dueAt, review.ReviewedAt, evidence,
                $"{ChangeRuleSupport.KindText(change.Kind)} {change.ChangeId} by {change.Principal} reviewed by {review.Reviewer} ({review.Verdict.ToWire()})");
            yield break;
        }
        if (!deadline.IsOverdue(change, context.Now)) yield break;
        yield return Result(input, Outcome.Finding, dueAt, dueAt, evidence,
            $"{ChangeRuleSupport.KindText(change.Kind)} {change.ChangeId} by {change.Principal} ({change.CallCount} call(s), first {Timestamps.ToWire(change.FirstCallAt)}) was due for review at {Timestamps.ToWire(dueAt)} and is not reviewed");
    }

    /// <param name="observedAt">The missed deadline for the finding, the review time for the compliant evaluation: a review
    /// racing the sweep is newer than the finding, so a ledger that orders by observation keeps the finding resolved.</param>
    private Evaluation Result(ChangeRecordInput input, Outcome outcome, DateTimeOffset dueAt, DateTimeOffset observedAt, Dictionary<string, string> evidence, string message) => new()
    {
        Rule = Metadata,
        Outcome = outcome,
        ResourceId = input.Change.ChangeId,
        ResourceType = Metadata.ResourceType,
        AccountId = input.AccountId,
        Region = input.Region,
        Message = message,
        // The finding exists from the missed deadline on; its own (1-day) SLA runs from there.
        ClockStart = dueAt,
        ObservedAt = observedAt,
        Evidence = evidence,
    };
}
