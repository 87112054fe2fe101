using IsmsServerless.Access;
using IsmsServerless.Engine;
using IsmsServerless.Inputs;
using IsmsServerless.Model;

namespace IsmsServerless.Rules.Access;

/// <summary>
/// The quarterly access review decided to revoke or reduce a principal's access: until Config shows the access gone it
/// is a finding, due <c>access.reviewRemediationDays</c> after the decision. Revoke is done when the principal is gone
/// (Config's deletion closes every finding on it) or holds nothing: no policy, no group, no trust from outside, no
/// console password or active key recorded. Reduce is done when none of the admin-level grants and external trusts the
/// reviewer saw remain. One finding per principal per campaign.
/// </summary>
public sealed class ReviewDecisionRule : IRule<AccessDecisionInput>
{
    public RuleMetadata Metadata { get; } = new(
        Id: "access.review-decision",
        Title: "Access the quarterly review decided to revoke or reduce is still held",
        Category: Category.Access,
        Severity: Severity.High,
        ResourceType: "AWS::IAM::User",
        PolicyClause: AccessClauses.QwestlyAccessReview,
        Controls: AccessClauses.ReviewControls,
        Risk: "A review that decides to remove access but never removes it is a control on paper only: the access stays, and the evidence says it went.",
        Remediation: "Remove what the decision names (detach the policy, remove the group membership or the trust statement, delete the user or role); the finding resolves when Config shows it gone.")
    {
        Sla = TimeSpan.FromDays(7),
    };

    public IEnumerable<Evaluation> Evaluate(AccessDecisionInput input, EvaluationContext context)
    {
        var d = input.Decision;
        if (d.Decision is not (AccessReviewDecision.Revoke or AccessReviewDecision.Reduce)) yield break;
        var remaining = Remaining(d, input.Current);
        var rule = Metadata with { Sla = TimeSpan.FromDays(context.Settings.Access?.ReviewRemediationDays ?? 7) };
        var evidence = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["campaign"] = d.CampaignId,
            ["decision"] = d.Decision,
            ["decidedBy"] = d.DecidedBy,
            ["decidedAt"] = Timestamps.ToWire(d.DecidedAt),
            ["note"] = d.Note,
        };
        if (remaining.Count > 0) evidence["remaining"] = string.Join("; ", remaining);
        yield return new Evaluation
        {
            Rule = rule,
            Outcome = remaining.Count == 0 ? Outcome.Compliant : Outcome.Finding,
            ResourceId = d.PrincipalKey,
            ResourceType = d.Kind switch { "role" => "AWS::IAM::Role", "group" => "AWS::IAM::Group", _ => "AWS::IAM::User" },
            AccountId = d.AccountId,
            Region = "global",
            SubKey = d.CampaignId,
            Message = remaining.Count == 0
                ? $"{d.Name}: the {d.Decision} decided by {d.DecidedBy} in {d.CampaignId} has taken effect ({(input.Current is null ? "the principal is gone" : "Config shows the access gone")})"
                : $"{d.Name}: {d.DecidedBy} decided to {d.Decision} its access in {d.CampaignId} (\"{Clip(d.Note)}\"); it still holds {string.Join("; ", remaining)}",
            ClockStart = d.DecidedAt,
            ObservedAt = input.ObservedAt ?? d.DecidedAt,
            Evidence = evidence,
        };
    }

    /// <summary>What of the access the decision removes is still there (empty: the decision has taken effect). Pure.</summary>
    public static IReadOnlyList<string> Remaining(AccessReviewDecision decision, AccessPrincipal? current)
    {
        ArgumentNullException.ThrowIfNull(decision);
        if (current is null) return [];
        var left = new List<string>();
        if (decision.Decision == AccessReviewDecision.Revoke)
        {
            left.AddRange(current.Policies.Select(p => $"policy {p.Name}"));
            left.AddRange(current.Groups.Select(g => $"group {g}"));
            left.AddRange(current.ExternalTrusts.Select(t => $"trust to {t.Principal}"));
            if (current.Activity?.LoginProfile == true) left.Add("a console password");
            left.AddRange((current.Activity?.AccessKeys ?? new Dictionary<string, string>()).Where(k => k.Value == "Active").Select(k => $"active key {k.Key}"));
            return left;
        }
        left.AddRange(current.AdminVia.Where(decision.AdminVia.Contains));
        left.AddRange(current.ExternalTrusts.Select(t => t.Principal).Where(decision.ExternalTrusts.Contains).Select(p => $"trust to {p}"));
        return left;
    }

    private static string Clip(string text) => text.Length <= 200 ? text : text[..200] + "…";
}
