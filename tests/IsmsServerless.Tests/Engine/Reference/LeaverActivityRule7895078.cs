using IsmsServerless.Access;
using IsmsServerless.Drift;
using IsmsServerless.Engine;
using IsmsServerless.Inputs;
using IsmsServerless.Model;

namespace IsmsServerless.Tests.Engine.Reference;

/// <summary>
/// A principal of a person who left acted after the leave date (any CloudTrail call, read or write, succeeded or failed:
/// a failed call still proves the credentials work for authentication). CRITICAL, 24-hour window. One finding per
/// principal (the IAM user ARN for an IAM user, so Config's deletion of the user closes it; the session's ARN otherwise),
/// its clock from the first such call; later calls are more evidence on the same finding.
/// </summary>
/// <remarks>Main 7895078's rule, verbatim but for its name and namespace: the reference for <see cref="CpuWave9RewriteTests"/>.</remarks>
public sealed class LeaverActivityRule7895078 : IRule<CloudTrailInput>
{
    public RuleMetadata Metadata { get; } = new(
        Id: "access.leaver-activity",
        Title: "A person who left acted in AWS after the leave date",
        Category: Category.Access,
        Severity: Severity.Critical,
        ResourceType: "AWS::IAM::User",
        PolicyClause: AccessClauses.QwestlyRevokeOnLeave,
        Controls: AccessClauses.LeaverControls,
        Risk: "A leaver acting in AWS is either access that was never revoked or someone else using their credentials.",
        Remediation: "Confirm with the person; disable their credentials now (delete login profile and access keys, revoke role sessions: aws iam put-role-policy with an aws:TokenIssueTime deny), review what the calls did, and delete the user.")
    {
        Sla = TimeSpan.FromDays(1),
    };

    public IEnumerable<Evaluation> Evaluate(CloudTrailInput input, EvaluationContext context) =>
        // Asked for every CloudTrail record: the common answer (nothing) is returned without allocating an iterator.
        (input.IsAwsService || input.IdentityType is "Root" or "AWSService" or "AWSAccount") ? [] : Judge(input, context);

    private IEnumerable<Evaluation> Judge(CloudTrailInput input, EvaluationContext context)
    {
        if (input.IsAwsService || input.IdentityType is "Root" or "AWSService" or "AWSAccount") yield break;
        if (Leavers.ForIdentity(context.Settings, input.Record.UserIdentity, input.AccountId) is not { LeftAt: { } leftAt } person) yield break;
        var at = input.ObservedAt;
        if (at is null || at < Leavers.EffectiveFrom(leftAt)) yield break;
        var identity = input.Record.UserIdentity!;
        var isUser = input.IdentityType == "IAMUser" && ResourceKeys.Plausible(identity.UserName);
        var resourceId = isUser ? ResourceKeys.IamUser(input.AccountId, identity.UserName!) : BaselineVerdict.Clip(input.Actor, 512)!;
        var evidence = input.Evidence();
        evidence["person"] = person.Email;
        evidence["leftAt"] = leftAt.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        yield return new Evaluation
        {
            Rule = Metadata,
            Outcome = Outcome.Finding,
            ResourceId = resourceId,
            ResourceType = isUser ? "AWS::IAM::User" : "AWS::IAM::Role",
            AccountId = input.AccountId,
            Region = "global",
            Message = $"{input.Actor} ({person.Email}, left {evidence["leftAt"]}) called {input.EventSource} {input.EventName}{(input.Failed ? " (failed)" : "")} at {Timestamps.ToWire(at.Value)}, after the leave date",
            ClockStart = at,
            ObservedAt = at,
            Evidence = evidence,
        };
    }
}
