using System.Globalization;
using IsmsServerless.Engine;
using IsmsServerless.Heartbeats;
using IsmsServerless.Inputs;
using IsmsServerless.Model;

namespace IsmsServerless.Rules.Monitoring;

/// <summary>
/// The scheduled sweep did not run for more than <c>sweepMissedIntervals</c> intervals. While it is down, SLA
/// escalation, waiver expiry and these very heartbeat checks stop; a CloudWatch alarm on the sweep's invocations
/// (missing data breaching) alerts in real time, and this rule records the gap in the ledger as audit evidence when
/// the sweep resumes. The next on-time run resolves it.
/// </summary>
public sealed class SweepNotRunRule : IRule<SweepRunInput>
{
    public RuleMetadata Metadata { get; } = new(
        Id: "monitoring.sweep-not-run",
        Title: "The IsmsServerless sweep has not run",
        Category: Category.Monitoring,
        Severity: Severity.High,
        ResourceType: "AWS::Lambda::Function",
        PolicyClause: "PROC-002: \"The IT Director must regularly ensure the monitoring and testing of implemented controls.\"",
        Controls: [Controls.IsoMonitoring, Controls.Soc2AnomalyMonitoring],
        Risk: "While the sweep is down, overdue findings do not escalate and silent sources are not noticed: a gap in continuous monitoring.",
        Remediation: "Check the sweep schedule rule is enabled and the sweep function's errors and throttles in CloudWatch; review what was missed during the gap.")
    {
        Sla = TimeSpan.FromDays(1),
    };

    public IEnumerable<Evaluation> Evaluate(SweepRunInput input, EvaluationContext context)
    {
        if (input.PreviousRunAt is not { } previous) yield break;
        var settings = context.Settings;
        var allowed = TimeSpan.FromMinutes(settings.SweepIntervalMinutes * (double)settings.SweepMissedIntervals);
        var gap = input.RunAt - previous;
        var missed = gap > allowed;
        yield return new Evaluation
        {
            Rule = Metadata,
            Outcome = missed ? Outcome.Finding : Outcome.Compliant,
            ResourceId = $"heartbeat/{HeartbeatSources.Sweep}/{input.AccountId}/{input.Region}",
            ResourceType = Metadata.ResourceType,
            AccountId = input.AccountId,
            Region = input.Region,
            Message = missed
                ? $"The sweep did not run for {Silence.Describe(gap)} (from {previous:u} to {input.RunAt:u}; allowed {Silence.Describe(allowed)})"
                : $"The sweep runs on schedule (previous run {Silence.Describe(gap)} ago)",
            ClockStart = missed ? previous + allowed : null,
            ObservedAt = input.RunAt,
            Evidence = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["previousRunAt"] = previous.ToString("O", CultureInfo.InvariantCulture),
                ["runAt"] = input.RunAt.ToString("O", CultureInfo.InvariantCulture),
                ["allowedGap"] = Silence.Describe(allowed),
            },
        };
    }
}
