using IsmsServerless.Changes;
using IsmsServerless.Engine;
using IsmsServerless.Inputs;
using IsmsServerless.Model;

namespace IsmsServerless.Rules.Change;

/// <summary>
/// A mutating call from a console session on production (<c>sessionCredentialFromConsole</c> or a console user agent;
/// IAM users and root included). A manual change: document it, review it, fold it back into code.
/// </summary>
public sealed class ManualConsoleChangeRule : IRule<CloudTrailInput>
{
    public RuleMetadata Metadata { get; } = new(
        Id: "change.manual-console-change",
        Title: "Manual console change on production",
        Category: Category.Change,
        Severity: Severity.Medium,
        ResourceType: "AWS::::Account",
        PolicyClause: "Qwestly Operations Security Policy, Infrastructure as Code: \"Document any manual changes and update code accordingly\"; PROC-002 Change management: \"Change records are kept in our ticket systems\"",
        Controls: [Controls.IsoChangeManagement, Controls.IsoConfiguration, Controls.Soc2ChangeManagement],
        Risk: "A console change is invisible to code review and is undone (or fights) the next deployment: configuration drifts from the approved baseline.",
        Remediation: "Review the change record within 24 hours, link the ticket that brings the change into IaC, or revert it.")
    {
        // The ledger keeps the change as an open item until it is reviewed, without an SLA of its own: the change
        // register's 24-hour review timers send the reminders and raise change.review-overdue, so nothing alerts twice.
        HasSla = false,
    };

    public IEnumerable<Evaluation> Evaluate(CloudTrailInput input, EvaluationContext context) =>
        ChangeRuleSupport.Evaluate(Metadata, ChangeKind.ManualConsole, input, context);
}
