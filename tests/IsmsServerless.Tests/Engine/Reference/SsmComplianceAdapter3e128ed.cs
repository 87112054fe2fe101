using System.Text.Json;
using System.Text.RegularExpressions;
using IsmsServerless.Engine;
using IsmsServerless.Events;
using IsmsServerless.Inputs;
using IsmsServerless.Ingestion;

namespace IsmsServerless.Tests.Engine.Reference;

/// <summary>
/// Main 3e128ed's <c>SsmComplianceAdapter.Adapt</c> (the detail bound by <c>DetailReader.Read</c>) and
/// <c>DetailReader.IsManagedInstanceId</c> (a generated regex), verbatim but for names, the log line and the regex
/// attribute's host: the reference for <see cref="CpuWave10ConfigRewriteTests"/>.
/// </summary>
internal static partial class SsmComplianceAdapter3e128ed
{
    public static IReadOnlyList<RuleInput> Adapt(InboundEvent inbound)
    {
        var detail = DetailReader.Read(inbound, EventJsonContext.Default.SsmComplianceDetail);
        if (!string.Equals(detail.ComplianceType?.Trim(), "Patch", StringComparison.OrdinalIgnoreCase))
        {
            return [];
        }
        var instanceId = detail.ResourceId?.Trim();
        if (!IsManagedInstanceId(instanceId))
            throw new EventRejectedException($"SSM patch compliance event names no managed instance id ('{DetailReader.Shorten(detail.ResourceId)}')");

        // "compliant" / "non_compliant" in the docs; the API spells them COMPLIANT / NON_COMPLIANT.
        bool compliant = SsmComplianceAdapter.ComplianceStatus(detail.ComplianceStatus)
            ?? throw new EventRejectedException($"SSM patch compliance event has an unknown compliance-status '{DetailReader.Shorten(detail.ComplianceStatus)}'");
        return
        [
            new InstancePatchComplianceInput
            {
                AccountId = inbound.Account ?? "unknown",
                Region = inbound.Region ?? "unknown",
                ObservedAt = inbound.Time,
                SourceEventId = inbound.Id,
                InstanceId = instanceId!,
                Compliant = compliant,
                SeverityText = detail.Severity,
                BaselineId = detail.PatchBaselineId,
                Origin = "ssm-event",
                NonCompliantSince = compliant ? null : inbound.Time,
            },
        ];
    }

    /// <summary>An EC2 instance id or a hybrid managed-node id. Anything else is not an instance we can track.</summary>
    public static bool IsManagedInstanceId(string? id) => id is not null && InstanceIdRegex().IsMatch(id);

    [GeneratedRegex("^(i|mi)-[0-9a-f]{8,17}$", RegexOptions.CultureInvariant)]
    private static partial Regex InstanceIdRegex();
}
