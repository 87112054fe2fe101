using IsmsServerless.Engine;
using IsmsServerless.Inputs;
using IsmsServerless.Model;

namespace IsmsServerless.Rules.Monitoring;

/// <summary>
/// Any use of the root user. Root bypasses IAM least privilege and should be locked away with MFA;
/// CIS AWS 1.7 and Security Hub IAM.* treat any root activity as an event to investigate.
/// </summary>
public sealed class RootUserActivityRule : IRule<CloudTrailInput>
{
    public RuleMetadata Metadata { get; } = new(
        Id: "monitoring.root-user-activity",
        Title: "Root user activity",
        Category: Category.Monitoring,
        Severity: Severity.High,
        ResourceType: "AWS::::Account",
        PolicyClause: "Qwestly Operations Security Policy, Security Monitoring: \"Track administrative actions\"; PROC-002 System monitoring: \"Logs must be kept for all administrators\"",
        Controls: [Controls.IsoPrivilegedAccess, Controls.IsoMonitoring, Controls.Soc2LogicalAccess, Controls.Soc2AnomalyMonitoring],
        Risk: "The root user cannot be restricted by IAM policies; its use is either an emergency or a compromise.",
        Remediation: "Confirm who used root and why. Rotate the root password, verify hardware MFA, and use IAM roles for daily work.")
    {
        Sla = TimeSpan.FromDays(1),
    };

    public IEnumerable<Evaluation> Evaluate(CloudTrailInput input, EvaluationContext context) =>
        // Asked for every CloudTrail record: the common answer (nothing) is returned without allocating an iterator.
        input.IdentityType != "Root" ? [] : Judge(input, context);

    // An array of one evaluation, not an iterator: the same answer without the state machine and its enumeration.
    private Evaluation[] Judge(CloudTrailInput input, EvaluationContext context)
    {
        if (input.IdentityType != "Root") return [];
        // Calls AWS services make on root's behalf (invokedBy autoscaling, ...) still count: root credentials were used.
        var what = input.Failed ? $"attempted {input.EventName} (failed: {input.Record.ErrorCode ?? input.Record.ErrorMessage})" : input.EventName;
        return
        [
            new Evaluation
            {
                Rule = Metadata,
                Outcome = Outcome.Finding,
                // Concatenations, not interpolations (no pooled buffer): the same text.
                ResourceId = string.Concat("arn:aws:iam::", input.AccountId, ":root"),
                ResourceType = Metadata.ResourceType,
                AccountId = input.AccountId,
                Region = input.Region,
                // One finding per root session-day would hide repeats; one per event would flood. Key by event so each
                // root action is evidence, and the ledger groups them by resource.
                SubKey = input.CallId,
                Message = string.Concat("Root user ", what, " from ", input.Record.SourceIpAddress ?? "unknown IP"),
                ClockStart = input.ObservedAt,
                ObservedAt = input.ObservedAt,
                Evidence = input.Evidence(extra: 0),
            },
        ];
    }
}
