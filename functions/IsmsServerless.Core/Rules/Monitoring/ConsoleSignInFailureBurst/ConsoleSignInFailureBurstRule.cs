using IsmsServerless.Engine;
using IsmsServerless.Inputs;
using IsmsServerless.Model;
using IsmsServerless.Monitoring;

namespace IsmsServerless.Rules.Monitoring;

/// <summary>
/// Failed console sign-ins. A burst (at least <see cref="Settings.IsmsSettings.FailedLoginThreshold"/> failures of one
/// user, or from one source IP, within <see cref="Settings.IsmsSettings.FailedLoginWindowMinutes"/>) is a HIGH finding:
/// password guessing or credential stuffing. Below the threshold, and wherever no counts exist (<c>./isms evaluate</c>
/// keeps no state), each failure is an INFORMATIONAL finding without deadline, one per user, so the policy's "monitor
/// failed login attempts" has evidence without paging anyone.
/// </summary>
public sealed class ConsoleSignInFailureBurstRule : IRule<CloudTrailInput>
{
    public RuleMetadata Metadata { get; } = new(
        Id: "monitoring.console-sign-in-failure-burst",
        Title: "Burst of failed console sign-ins",
        Category: Category.Monitoring,
        Severity: Severity.High,
        ResourceType: "AWS::IAM::User",
        PolicyClause: "Qwestly Operations Security Policy, Security Monitoring: \"Monitor failed login attempts\"",
        Controls: [Controls.IsoMonitoring, Controls.IsoSecureAuthentication, Controls.Soc2AnomalyMonitoring, Controls.Soc2LogicalAccess],
        Risk: "Repeated failures against one user or from one address are password guessing or credential stuffing; one success later is an account takeover.",
        Remediation: "Check the source IPs, confirm with the user, reset the password and enforce MFA; block the address at the identity layer if it is hostile.")
    {
        Sla = TimeSpan.FromDays(1),
    };

    public IEnumerable<Evaluation> Evaluate(CloudTrailInput input, EvaluationContext context) =>
        // Asked for every CloudTrail record: the common answer (nothing) is returned without allocating an iterator.
        !SignInFailureCounter.IsFailedConsoleLogin(input) ? [] : Judge(input, context);

    private IEnumerable<Evaluation> Judge(CloudTrailInput input, EvaluationContext context)
    {
        if (!SignInFailureCounter.IsFailedConsoleLogin(input)) yield break;
        var user = SignInFailureCounter.UserOf(input);
        var ip = input.Record.SourceIpAddress ?? "unknown";
        var resource = input.IdentityType == "Root" ? $"arn:aws:iam::{input.AccountId}:root" : $"arn:aws:iam::{input.AccountId}:user/{user}";
        var evidence = input.Evidence();
        evidence["user"] = user;
        var threshold = context.Settings.FailedLoginThreshold;
        if (input.RecentSignInFailures is { } counts)
        {
            evidence["failuresByUser"] = counts.ByUser.ToString(System.Globalization.CultureInfo.InvariantCulture);
            evidence["failuresByIp"] = counts.ByIp.ToString(System.Globalization.CultureInfo.InvariantCulture);
            evidence["windowMinutes"] = counts.WindowMinutes.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (counts.ByUser >= threshold || counts.ByIp >= threshold)
            {
                var byUser = counts.ByUser >= threshold;
                yield return new Evaluation
                {
                    Rule = Metadata,
                    Outcome = Outcome.Finding,
                    ResourceId = byUser ? resource : $"ip/{ip}",
                    ResourceType = byUser ? (input.IdentityType == "Root" ? "AWS::::Account" : Metadata.ResourceType) : "AWS::::Account",
                    AccountId = input.AccountId,
                    Region = input.Region,
                    SubKey = byUser ? "burst:user" : "burst:ip",
                    Message = byUser
                        ? $"{counts.ByUser} failed console sign-ins for {user} within {counts.WindowMinutes} minutes (threshold {threshold}), latest from {ip}"
                        : $"{counts.ByIp} failed console sign-ins from {ip} within {counts.WindowMinutes} minutes (threshold {threshold}), latest for {user}",
                    ClockStart = input.ObservedAt,
                    ObservedAt = input.ObservedAt,
                    Evidence = evidence,
                };
                yield break;
            }
        }
        yield return new Evaluation
        {
            Rule = Metadata,
            Outcome = Outcome.Finding,
            SeverityOverride = Severity.Informational,
            ResourceId = resource,
            ResourceType = input.IdentityType == "Root" ? "AWS::::Account" : Metadata.ResourceType,
            AccountId = input.AccountId,
            Region = input.Region,
            SubKey = "failures",
            Message = $"Failed console sign-in for {user} from {ip} ({input.Record.ErrorMessage ?? "Failure"})"
                + (input.RecentSignInFailures is { } c ? $"; {c.ByUser} for the user and {c.ByIp} from the IP within {c.WindowMinutes} minutes, below the burst threshold {threshold}" : "; no burst state without a store"),
            ObservedAt = input.ObservedAt,
            Evidence = evidence,
        };
    }
}
