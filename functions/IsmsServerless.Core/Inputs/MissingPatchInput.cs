using IsmsServerless.Engine;
using IsmsServerless.Model;

namespace IsmsServerless.Inputs;

/// <summary>
/// One patch's state on one managed instance (SSM <c>PatchComplianceData</c>, or a patch compliance item of a Config
/// <c>AWS::SSM::PatchCompliance</c> configuration item).
/// </summary>
public sealed record MissingPatchInput : RuleInput
{
    public required string InstanceId { get; init; }

    /// <summary>The patch's id: a KB id on Windows, a package name and version on Linux.</summary>
    public required string PatchId { get; init; }

    public string Title { get; init; } = "";
    public string Classification { get; init; } = "";

    /// <summary>The vendor's severity (MSRC <c>Critical</c>/<c>Important</c>/…, or a Linux advisory's), empty or <c>Unspecified</c> when unknown.</summary>
    public string SeverityText { get; init; } = "";

    /// <summary>SSM patch state: <c>Missing</c>, <c>Failed</c>, <c>InstalledPendingReboot</c>, <c>InstalledRejected</c>, <c>Installed</c>, …</summary>
    public required string State { get; init; }

    public IReadOnlyList<string> CveIds { get; init; } = [];

    /// <summary>The vendor's release date of the patch, when the source knows it: the earliest trustworthy clock start.</summary>
    public DateTimeOffset? ReleaseDate { get; init; }

    /// <summary>When the scan that reported the patch missing ended: the fallback clock start.</summary>
    public DateTimeOffset? ObservedMissingAt { get; init; }

    /// <summary><c>ssm-sweep</c> or <c>config</c>.</summary>
    public required string Origin { get; init; }

    public override IEnumerable<Evaluation> Dispatch(RuleRegistry registry, EvaluationContext context) =>
        registry.Evaluate(this, context);
}
