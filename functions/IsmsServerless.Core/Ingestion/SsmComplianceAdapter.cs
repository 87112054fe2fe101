using IsmsServerless.Engine;
using IsmsServerless.Events;
using IsmsServerless.Inputs;
using IsmsServerless.Observability;

namespace IsmsServerless.Ingestion;

/// <summary>
/// EventBridge "Configuration Compliance State Change" events (source <c>aws.ssm</c>) of compliance type
/// <c>Patch</c> → <see cref="InstancePatchComplianceInput"/>. Association and custom compliance types are not patch
/// compliance and yield nothing. The source must be exactly <c>aws.ssm</c>: the SSM docs' compliant example carries
/// <c>"source": "aws.123456789012"</c>, and an event claiming another source is not trusted as SSM's word.
/// </summary>
public sealed class SsmComplianceAdapter : IEventAdapter
{
    public const string Source = "aws.ssm";
    public const string DetailType = "Configuration Compliance State Change";

    public string Name => "ssm-compliance";

    public bool CanAdapt(InboundEvent inbound) =>
        inbound.Kind == InboundKind.EventBridge && inbound.Source == Source && inbound.DetailType == DetailType;

    public IReadOnlyList<RuleInput> Adapt(InboundEvent inbound, EvaluationContext context)
    {
        var detail = DetailReader.Read(inbound, EventJsonContext.Default.SsmComplianceDetail);
        if (!string.Equals(detail.ComplianceType?.Trim(), "Patch", StringComparison.OrdinalIgnoreCase))
        {
            Log.Info("ssm-compliance.not-patch", ("complianceType", DetailReader.Shorten(detail.ComplianceType)));
            return [];
        }
        var instanceId = detail.ResourceId?.Trim();
        if (!DetailReader.IsManagedInstanceId(instanceId))
            throw new EventRejectedException($"SSM patch compliance event names no managed instance id ('{DetailReader.Shorten(detail.ResourceId)}')");

        // "compliant" / "non_compliant" in the docs; the API spells them COMPLIANT / NON_COMPLIANT.
        bool compliant = ComplianceStatus(detail.ComplianceStatus)
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

    /// <summary>
    /// True for COMPLIANT, false for NONCOMPLIANT, null for anything else, after trimming, upper-casing (invariant) and
    /// dropping <c>_</c> and <c>-</c>: the test <c>status.Trim().ToUpperInvariant().Replace("_", "").Replace("-", "")</c>
    /// made, compared character by character instead of building three strings per event.
    /// </summary>
    internal static bool? ComplianceStatus(string? text)
    {
        var status = (text ?? "").AsSpan().Trim();
        if (Matches(status, "COMPLIANT")) return true;
        if (Matches(status, "NONCOMPLIANT")) return false;
        return null;

        static bool Matches(ReadOnlySpan<char> status, string expected)
        {
            var at = 0;
            foreach (var c in status)
            {
                if (c is '_' or '-') continue;
                if (at == expected.Length || char.ToUpperInvariant(c) != expected[at]) return false;
                at++;
            }
            return at == expected.Length;
        }
    }
}
