using IsmsServerless.Changes;
using IsmsServerless.Engine;
using IsmsServerless.Inputs;
using IsmsServerless.Model;

namespace IsmsServerless.Rules.Change;

/// <summary>
/// A mutating call made through a break-glass role (<see cref="Settings.IsmsSettings.EmergencyRoleNames"/>) or a session
/// named by the break-glass convention (<see cref="Settings.IsmsSettings.EmergencySessionNamePrefixes"/>), in any
/// environment. Registered as a change to review within <see cref="Settings.IsmsSettings.ChangeReviewHours"/>.
/// </summary>
public sealed class EmergencyRoleChangeRule : IRule<CloudTrailInput>
{
    public RuleMetadata Metadata { get; } = new(
        Id: "change.emergency-role-change",
        Title: "Emergency change through a break-glass role",
        Category: Category.Change,
        Severity: Severity.High,
        ResourceType: "AWS::IAM::Role",
        PolicyClause: "Qwestly Operations Security Policy, Emergency Changes: \"CTO (Dominick) can authorize emergency deployments\" and \"Document and review all emergency changes within 24 hours\"",
        Controls: [Controls.IsoChangeManagement, Controls.IsoPrivilegedAccess, Controls.Soc2ChangeManagement],
        Risk: "Break-glass access bypasses the pipeline's review; an unreviewed emergency change can hide a mistake or an intrusion.",
        Remediation: "Review the change record within 24 hours: record the ticket and verdict with './isms review <changeId>' or the status page, and fold the change into code.")
    {
        // The ledger keeps the change as an open item until it is reviewed, without an SLA of its own: the change
        // register's 24-hour review timers send the reminders and raise change.review-overdue, so nothing alerts twice.
        HasSla = false,
    };

    public IEnumerable<Evaluation> Evaluate(CloudTrailInput input, EvaluationContext context) =>
        ChangeRuleSupport.Evaluate(Metadata, ChangeKind.Emergency, input, context);
}
