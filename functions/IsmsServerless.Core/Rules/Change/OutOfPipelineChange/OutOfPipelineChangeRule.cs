using IsmsServerless.Changes;
using IsmsServerless.Engine;
using IsmsServerless.Inputs;
using IsmsServerless.Model;

namespace IsmsServerless.Rules.Change;

/// <summary>
/// A mutating call on production by a person's credentials that are neither the deployment pipeline's role
/// (<see cref="Settings.IsmsSettings.PipelineRoleNames"/>) nor a console session: CLI, SDK or scripts with IAM user keys,
/// SSO sessions, cross-account roles. AWS services acting on their own are excluded.
/// </summary>
public sealed class OutOfPipelineChangeRule : IRule<CloudTrailInput>
{
    public RuleMetadata Metadata { get; } = new(
        Id: "change.out-of-pipeline-change",
        Title: "Production change outside the deployment pipeline",
        Category: Category.Change,
        Severity: Severity.Medium,
        ResourceType: "AWS::::Account",
        PolicyClause: "Qwestly Operations Security Policy, Infrastructure as Code: \"All infrastructure deployed via Terraform or similar tools\" and \"Infrastructure changes require code review before deployment\"",
        Controls: [Controls.IsoChangeManagement, Controls.IsoSeparationOfEnvironments, Controls.Soc2ChangeManagement],
        Risk: "Changes that skip the pipeline skip its tests, peer review and audit trail.",
        Remediation: "Review the change record within 24 hours; make the change through the pipeline and remove direct write access where possible.")
    {
        // The ledger keeps the change as an open item until it is reviewed, without an SLA of its own: the change
        // register's 24-hour review timers send the reminders and raise change.review-overdue, so nothing alerts twice.
        HasSla = false,
    };

    public IEnumerable<Evaluation> Evaluate(CloudTrailInput input, EvaluationContext context) =>
        ChangeRuleSupport.Evaluate(Metadata, ChangeKind.OutOfPipeline, input, context);
}
