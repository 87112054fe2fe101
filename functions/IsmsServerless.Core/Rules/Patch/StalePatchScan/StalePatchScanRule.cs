using IsmsServerless.Engine;
using IsmsServerless.Inputs;
using IsmsServerless.Model;

namespace IsmsServerless.Rules.Patch;

/// <summary>
/// A managed instance whose last patch scan is older than <see cref="Settings.IsmsSettings.PatchScanMaxAgeDays"/>, or
/// that has never reported one. Compliance cannot be claimed on silence: an instance that stops scanning hides every
/// patch it misses. One finding per instance; a fresh scan resolves it.
/// </summary>
/// <remarks>
/// The clock starts when the scan became overdue (last scan + max age; registration + max age for an instance that
/// never scanned). The window is the critical-patch window (7 days, fixed), because silence can hide a critical patch.
/// Instances SSM reports <c>Inactive</c> (deregistered) are not judged; terminated EC2 instances are closed by their
/// state-change event.
/// </remarks>
public sealed class StalePatchScanRule : IRule<PatchScanStatusInput>
{
    public RuleMetadata Metadata { get; } = new(
        Id: "patch.stale-patch-scan",
        Title: "Managed instance has not reported a patch scan recently",
        Category: Category.Patch,
        Severity: Severity.High,
        ResourceType: "AWS::EC2::Instance",
        PolicyClause: PatchPolicy.Clause,
        Controls: [Controls.IsoVulnerabilities, Controls.Soc2ConfigurationMonitoring, Controls.Soc2AnomalyMonitoring],
        Risk: "Without a recent scan nobody knows which patches the instance misses; a critical one could sit there unseen past its 7 days.",
        Remediation: "Check the SSM Agent and its instance profile (AmazonSSMManagedInstanceCore), and schedule AWS-RunPatchBaseline Scan daily (Quick Setup patch policy or a maintenance window).")
    {
        Sla = TimeSpan.FromDays(7),
    };

    public IEnumerable<Evaluation> Evaluate(PatchScanStatusInput input, EvaluationContext context)
    {
        if (string.Equals(input.PingStatus, "Inactive", StringComparison.OrdinalIgnoreCase)) yield break;
        var maxAge = TimeSpan.FromDays(context.Settings.PatchScanMaxAgeDays);
        var now = context.Now;
        Outcome outcome;
        string message;
        DateTimeOffset? clockStart;
        if (input.LastOperationEndedAt is not { } last)
        {
            outcome = Outcome.Finding;
            message = $"{input.InstanceId} has no patch scan on record (SSM ping status {Describe(input.PingStatus)}): its patch compliance is unknown";
            clockStart = input.RegisteredAt is { } registered ? registered + maxAge : null;
        }
        else
        {
            var age = now - last;
            // "older than N days": exactly N days old is still fresh.
            var stale = age > maxAge;
            outcome = stale ? Outcome.Finding : Outcome.Compliant;
            message = stale
                ? $"{input.InstanceId} last reported a patch {input.LastOperation?.ToLowerInvariant() ?? "scan"} {Timestamps.ToWire(last)}, {age.TotalDays:0.#} days ago (limit {context.Settings.PatchScanMaxAgeDays}); ping status {Describe(input.PingStatus)}"
                : $"{input.InstanceId} reported a patch {input.LastOperation?.ToLowerInvariant() ?? "scan"} {Timestamps.ToWire(last)}";
            clockStart = stale ? last + maxAge : null;
        }
        var evidence = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["pingStatus"] = input.PingStatus,
            ["platform"] = input.Platform,
            ["maxAgeDays"] = context.Settings.PatchScanMaxAgeDays.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        if (input.LastOperationEndedAt is { } end) evidence["lastOperationEndTime"] = Timestamps.ToWire(end);
        if (input.RegisteredAt is { } reg) evidence["registrationDate"] = Timestamps.ToWire(reg);
        yield return new Evaluation
        {
            Rule = Metadata,
            Outcome = outcome,
            ResourceId = input.InstanceId,
            ResourceType = PatchPolicy.ManagedNodeType(input.InstanceId),
            AccountId = input.AccountId,
            Region = input.Region,
            Message = message,
            ClockStart = clockStart,
            ObservedAt = input.ObservedAt,
            Evidence = evidence,
        };
    }

    private static string Describe(string pingStatus) => pingStatus.Length == 0 ? "unknown" : pingStatus;
}
