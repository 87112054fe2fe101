using IsmsServerless.Engine;
using IsmsServerless.Inputs;
using IsmsServerless.Model;

namespace IsmsServerless.Rules.Patch;

/// <summary>
/// One patch missing (or failed, or installed but awaiting a reboot) on one managed instance, as Systems Manager
/// Patch Manager reports it. One finding per instance and patch id (SubKey). Installed states resolve it.
/// </summary>
/// <remarks>
/// Clock start: the vendor's release date when the source gives one, else the end of the scan that saw the patch
/// missing (the ledger keeps the first detection, so later scans never move the deadline). A patch whose vendor
/// severity is unspecified (many Windows rollups, the KB890830 tool) is judged MEDIUM: unknown is not low.
/// InstalledPendingReboot stays a finding: the vulnerable code runs until the reboot.
/// </remarks>
public sealed class MissingPatchRule : IRule<MissingPatchInput>
{
    public RuleMetadata Metadata { get; } = new(
        Id: "patch.missing-patch",
        Title: "Approved patch missing on a managed instance past its SLA",
        Category: Category.Patch,
        Severity: Severity.Medium,
        ResourceType: "AWS::EC2::Instance",
        PolicyClause: PatchPolicy.Clause,
        Controls: PatchPolicy.Controls,
        Risk: "A patch the baseline approved but the instance lacks leaves a known, fixable weakness in place.",
        Remediation: "Run AWS-RunPatchBaseline with Operation=Install on the instance (or its maintenance window), reboot if required, and confirm the next scan.");

    public IEnumerable<Evaluation> Evaluate(MissingPatchInput input, EvaluationContext context)
    {
        var state = input.State.Trim();
        var verdict = state.ToUpperInvariant() switch
        {
            "MISSING" or "FAILED" or "INSTALLEDPENDINGREBOOT" or "INSTALLEDREJECTED" => Outcome.Finding,
            "INSTALLED" or "INSTALLEDOTHER" or "NOTAPPLICABLE" => Outcome.Compliant,
            _ => Outcome.Ignored,
        };
        var severity = PatchPolicy.FromVendor(input.SeverityText) ?? Severity.Medium;
        var title = input.Title.Length > 0 ? $"{input.PatchId} ({input.Title})" : input.PatchId;
        var message = verdict switch
        {
            Outcome.Finding => $"{severity.ToWire()} patch {title} is {state} on {input.InstanceId}"
                + (input.CveIds.Count > 0 ? $"; fixes {string.Join(", ", input.CveIds.Take(10))}" : ""),
            Outcome.Compliant => $"patch {title} is {state} on {input.InstanceId}",
            _ => $"patch {title} has an unknown state '{state}' on {input.InstanceId}: neither missing nor installed",
        };
        var (clockStart, clockSource) = ClockStart(input, context.Settings.PatchClockStart);
        var evidence = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["patchId"] = input.PatchId,
            ["state"] = state,
            ["vendorSeverity"] = input.SeverityText,
            ["classification"] = input.Classification,
            ["origin"] = input.Origin,
            ["clockStartSource"] = clockSource,
        };
        if (input.CveIds.Count > 0) evidence["cveIds"] = string.Join(",", input.CveIds);
        if (input.ReleaseDate is { } release) evidence["releaseDate"] = Timestamps.ToWire(release);
        if (input.ObservedMissingAt is { } seen) evidence["observedMissingAt"] = Timestamps.ToWire(seen);
        yield return new Evaluation
        {
            Rule = Metadata,
            Outcome = verdict,
            ResourceId = input.InstanceId,
            ResourceType = PatchPolicy.ManagedNodeType(input.InstanceId),
            AccountId = input.AccountId,
            Region = input.Region,
            SubKey = input.PatchId,
            Message = message,
            SeverityOverride = severity,
            ClockStart = clockStart,
            ObservedAt = input.ObservedAt,
            Evidence = evidence,
        };
    }

    /// <summary>
    /// <c>firstObserved</c>: the end of the SSM scan that saw the patch missing, never before the patch's release (a fix
    /// must exist). <c>vendorPublished</c>: the patch's release date where the source has one, else the scan.
    /// </summary>
    internal static (DateTimeOffset? Start, string Source) ClockStart(MissingPatchInput input, string mode)
    {
        if (mode == Settings.PatchClockStarts.VendorPublished && input.ReleaseDate is { } release) return (release, "releaseDate");
        if (input.ObservedMissingAt is { } seen)
            return input.ReleaseDate is { } released && released > seen ? (released, "releaseDate") : (seen, "scanEndTime");
        return mode == Settings.PatchClockStarts.VendorPublished && input.ReleaseDate is { } r ? (r, "releaseDate") : (null, "detection");
    }
}
