using System.Text.Json.Serialization;
using IsmsServerless.Model;

namespace IsmsServerless.Changes;

/// <summary>
/// A change as JSON for people and other tools (<c>./isms changes</c>, the status page's API): flat, strings for times
/// (ISO 8601 UTC), wire names for enums. Values are attacker-influenced text (session names, resource names): encode
/// them for the output medium (HTML-encode on the status page).
/// </summary>
public sealed record ChangeView
{
    public required string ChangeId { get; init; }
    public required string Kind { get; init; }
    public required string RuleId { get; init; }
    public required string AccountId { get; init; }
    public required string Region { get; init; }
    public required string Principal { get; init; }
    public required string Actor { get; init; }
    public string? RoleName { get; init; }
    public string? AccessKeyId { get; init; }
    public string? SessionCreatedAt { get; init; }
    public string? CallerAccountId { get; init; }
    public required string FirstCallAt { get; init; }
    public required string LastCallAt { get; init; }
    public required string DueAt { get; init; }
    /// <summary>open, at-risk (a reminder went out) or breached (overdue); for reviewed changes, where it stood at the review.</summary>
    public required string State { get; init; }
    public required bool Overdue { get; init; }
    public required int CallCount { get; init; }
    public IReadOnlyList<string> ApiNames { get; init; } = [];
    public IReadOnlyList<string> Resources { get; init; } = [];
    public bool ResourcesTruncated { get; init; }
    public IReadOnlyList<string> SourceIps { get; init; } = [];
    public IReadOnlyList<ChangeCallSummary>? Calls { get; init; }
    public string? Reviewer { get; init; }
    public string? ReviewedAt { get; init; }
    public string? Verdict { get; init; }
    public string? TicketUrl { get; init; }
    public string? Note { get; init; }
    /// <summary>The reviewer's token subject, when reviewed on the status page.</summary>
    public string? ReviewerSubject { get; init; }
    /// <summary>The author as a person (e-mail), when their principal maps to one.</summary>
    public string? AuthorEmail { get; init; }
    /// <summary>checked, author-unmapped or reviewer-unmapped: what four-eyes could compare (people, or only names).</summary>
    public string? FourEyes { get; init; }
    /// <summary>The review round (a call after a review opens the next).</summary>
    public int Round { get; init; } = 1;
    /// <summary>Reviews of earlier rounds, oldest first.</summary>
    public IReadOnlyList<ChangeReview>? PriorReviews { get; init; }
    /// <summary>Risk class (low, medium, high): the highest of the change's calls under the policy's classification.</summary>
    public string? Risk { get; init; }
    /// <summary>The change type the approval matrix matched (or <c>default</c>).</summary>
    public string? ChangeType { get; init; }
    /// <summary>Roles that must each approve (each by a different person).</summary>
    public IReadOnlyList<string>? RequiredRoles { get; init; }
    /// <summary>Distinct approvers needed in all.</summary>
    public int? MinApprovers { get; init; }
    /// <summary>Approvals given in this round: who, which role, when, ticket.</summary>
    public IReadOnlyList<ChangeApproval>? Approvals { get; init; }
    /// <summary>What is still missing before the review completes ("nothing" once complete).</summary>
    public string? MissingApprovals { get; init; }
    /// <summary>
    /// Qwestly "update the code accordingly": <c>not-required</c> (kind not in codeUpdateKinds, or not reviewed yet),
    /// <c>open</c> (reviewed, waiting for a code link, revert or the stack in sync) or <c>closed</c>.
    /// </summary>
    public string? CodeUpdate { get; init; }
    /// <summary>How the change was closed: code-link, reverted or stack-in-sync, by whom, when, the link or stack.</summary>
    public ChangeClosure? Closure { get; init; }
    /// <summary>The CloudFormation stack (account/region/name) whose drift check closes the change once in sync.</summary>
    public string? ReconcileStack { get; init; }
    /// <summary>The Jira issue created for the change (changeManagement.jira), once created.</summary>
    public string? JiraIssueKey { get; init; }
    /// <summary>
    /// PROC-002 "implemented by IT Team members" (change detail only): authorised, not-authorised, author-unmapped or
    /// not-checked (no <c>people</c>).
    /// </summary>
    public string? Implementer { get; init; }
    /// <summary>
    /// PROC-002 "The IT Director checks the implementation" (change detail only): <c>by-approval</c> (the required
    /// it-director approval is the check) or <c>obligation</c> (see <see cref="ImplementationCheckObligation"/>).
    /// </summary>
    public string? ImplementationCheck { get; init; }
    /// <summary>The <c>change.implementation-check</c> obligation id, once the change is approved and needs one.</summary>
    public string? ImplementationCheckObligation { get; init; }
    /// <summary>The roles that would authorise the implementer (change detail only).</summary>
    public IReadOnlyList<string>? ImplementerRoles { get; init; }

    public static ChangeView From(ChangeSummary summary, IReadOnlyList<ChangeCallSummary>? calls = null)
    {
        var c = summary.Change;
        return new ChangeView
        {
            ChangeId = c.ChangeId,
            Kind = c.Kind.ToWire(),
            RuleId = c.Kind.RuleId(),
            AccountId = c.AccountId,
            Region = c.Region,
            Principal = c.Principal,
            Actor = c.Actor,
            RoleName = c.RoleName,
            AccessKeyId = c.AccessKeyId,
            SessionCreatedAt = c.SessionCreatedAt is { } created ? Timestamps.ToWire(created) : null,
            CallerAccountId = c.CallerAccountId,
            FirstCallAt = Timestamps.ToWire(c.FirstCallAt),
            LastCallAt = Timestamps.ToWire(c.LastCallAt),
            DueAt = Timestamps.ToWire(summary.DueAt),
            State = summary.State.ToWire(),
            Overdue = summary.Overdue,
            CallCount = c.CallCount,
            ApiNames = c.ApiNames,
            Resources = c.Resources,
            ResourcesTruncated = c.ResourcesTruncated,
            SourceIps = c.SourceIps,
            Calls = calls,
            Reviewer = c.Review?.Reviewer,
            ReviewedAt = c.Review is { } r ? Timestamps.ToWire(r.ReviewedAt) : null,
            Verdict = c.Review?.Verdict.ToWire(),
            TicketUrl = c.Review?.TicketUrl,
            Note = c.Review?.Note,
            ReviewerSubject = c.Review?.ReviewerSubject,
            AuthorEmail = c.Review?.AuthorEmail,
            FourEyes = c.Review?.FourEyes,
            Round = c.Round,
            PriorReviews = c.PriorReviews.Count > 0 ? c.PriorReviews : null,
            Risk = summary.Requirement?.Risk.ToWire() ?? c.Review?.Risk ?? summary.Risk?.ToWire(),
            ChangeType = summary.Requirement?.ChangeType,
            RequiredRoles = summary.Requirement?.Roles ?? (c.Review?.RequiredRoles is { Count: > 0 } roles ? roles : null),
            MinApprovers = summary.Requirement?.MinApprovers,
            Approvals = c.Approvals.Count > 0 ? c.Approvals : null,
            MissingApprovals = summary.Requirement is { } requirement
                ? (c.Review is not null ? "nothing" : ChangeReviewService.Missing(requirement, c.Approvals))
                : null,
            CodeUpdate = !c.CodeUpdateRequired ? "not-required" : c.Closure is null ? "open" : "closed",
            Closure = c.Closure,
            ReconcileStack = c.ReconcileStack,
            JiraIssueKey = c.JiraIssueKey,
            Implementer = summary.Implementer?.State,
            ImplementerRoles = summary.Implementer?.AllowedRoles,
            ImplementationCheck = summary.ImplementationCheck,
            ImplementationCheckObligation = summary.ImplementationCheck == "obligation" && c.Review?.Verdict == ReviewVerdict.Approved
                ? ChangeImplementationCheckObligations.IdOf(c.ChangeId, c.Round)
                : null,
        };
    }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ChangeView))]
[JsonSerializable(typeof(List<ChangeView>))]
public sealed partial class ChangeViewJsonContext : JsonSerializerContext;
