using System.Text.Json;
using IsmsServerless.Engine;
using IsmsServerless.Events;
using IsmsServerless.Inputs;
using IsmsServerless.Model;
using IsmsServerless.Observability;

namespace IsmsServerless.Ingestion;

/// <summary>
/// EventBridge "Inspector2 Finding" events (source <c>aws.inspector2</c>) → one <see cref="InspectorFindingInput"/> per
/// resource. All finding types pass; the patch rules judge only <c>PACKAGE_VULNERABILITY</c>.
/// </summary>
public sealed class Inspector2Adapter : IStreamingDetailAdapter
{
    public const string Source = "aws.inspector2";
    public const string DetailType = "Inspector2 Finding";

    /// <summary>Inspector reports one resource per finding; a payload listing more than this is not a finding.</summary>
    public const int MaxResources = 100;

    /// <summary>Packages listed in the message and evidence; the rest are counted.</summary>
    public const int MaxPackagesListed = 20;

    public string Name => "inspector2";

    public bool CanAdapt(InboundEvent inbound) =>
        inbound.Kind == InboundKind.EventBridge && inbound.Source == Source && inbound.DetailType == DetailType;

    public IReadOnlyList<RuleInput> Adapt(InboundEvent inbound, EvaluationContext context) =>
        Adapt(inbound, DetailReader.Read(inbound, EventJsonContext.Default.InspectorFindingDetail));

    /// <summary>
    /// The finding read from the bytes into the records the binder makes (<see cref="StreamedFinding"/>); a finding that
    /// names no usable resource of its own declines (its resource may be the envelope's, which the document path reads).
    /// </summary>
    public bool TryReadDetail(ref Utf8JsonReader reader, InboundEvent header, EvaluationContext context, out object? state)
    {
        var detail = StreamedFinding.Read(ref reader);
        state = detail;
        return HasUsableResource(detail.Resources);
    }

    public IReadOnlyList<RuleInput> AdaptRead(object? state, InboundEvent header, EvaluationContext context) =>
        Adapt(header, (InspectorFindingDetail)state!);

    private static bool HasUsableResource(IReadOnlyList<InspectorResource?>? listed)
    {
        if (listed is null) return false;
        foreach (var resource in listed)
        {
            if (resource is not null && !string.IsNullOrWhiteSpace(resource.Id)) return true;
        }
        return false;
    }

    private static List<RuleInput> Adapt(InboundEvent inbound, InspectorFindingDetail detail)
    {
        var type = detail.Type?.Trim().ToUpperInvariant();
        if (string.IsNullOrEmpty(type)) throw new EventRejectedException("Inspector finding has no type");

        var vulnerability = detail.PackageVulnerabilityDetails;
        var vulnerabilityId = vulnerability?.VulnerabilityId?.Trim();
        var findingArn = detail.FindingArn?.Trim() ?? "";
        if (type == "PACKAGE_VULNERABILITY" && string.IsNullOrEmpty(vulnerabilityId) && string.IsNullOrEmpty(findingArn))
            throw new EventRejectedException("Inspector package vulnerability names neither a vulnerabilityId nor a findingArn");
        if (vulnerabilityId is not null && !DetailReader.IsUsableResourceId(vulnerabilityId))
            throw new EventRejectedException($"Inspector vulnerabilityId is not usable ('{DetailReader.Shorten(vulnerabilityId)}')");

        var resources = UsableResources(detail.Resources);
        if (resources.Count == 0 && inbound.Root.TryGetProperty("resources", out var envelopeResources)
            && envelopeResources.ValueKind == System.Text.Json.JsonValueKind.Array && envelopeResources.GetArrayLength() > 0
            && envelopeResources[0].ValueKind == System.Text.Json.JsonValueKind.String)
        {
            // Older samples may carry the resource only in the envelope.
            resources.Add(new InspectorResource { Id = envelopeResources[0].GetString(), Type = "" });
        }
        if (resources.Count == 0) throw new EventRejectedException("Inspector finding names no resource");
        if (resources.Count > MaxResources) throw new EventRejectedException($"Inspector finding names {resources.Count} resources, more than {MaxResources}");

        var firstObservedOk = Timestamps.TryParse(detail.FirstObservedAt, out var firstObserved);
        var updatedOk = Timestamps.TryParse(detail.UpdatedAt, out var updated);
        var vendorCreatedOk = Timestamps.TryParse(vulnerability?.VendorCreatedAt, out var vendorCreated);
        if (!string.IsNullOrEmpty(detail.FirstObservedAt) && !firstObservedOk)
            Log.Warn("inspector.unreadable-date", ("field", "firstObservedAt"), ("value", DetailReader.Shorten(detail.FirstObservedAt)));
        if (!string.IsNullOrEmpty(vulnerability?.VendorCreatedAt) && !vendorCreatedOk)
            Log.Warn("inspector.unreadable-date", ("field", "vendorCreatedAt"), ("value", DetailReader.Shorten(vulnerability?.VendorCreatedAt)));

        var packages = PackageLines(vulnerability?.VulnerablePackages);

        var account = DetailReader.FirstNonEmpty(detail.AwsAccountId, inbound.Account) ?? "unknown";
        var inputs = new List<RuleInput>(resources.Count);
        foreach (var resource in resources)
        {
            var id = resource.Id!.Trim();
            if (!DetailReader.IsUsableResourceId(id))
                throw new EventRejectedException($"Inspector resource id is not usable ('{DetailReader.Shorten(id)}')");
            // ECR image resources carry region "N/A"; the envelope's region is where the finding lives.
            var region = resource.Region is { Length: > 0 } r && r != "N/A" ? r : inbound.Region ?? "unknown";
            inputs.Add(new InspectorFindingInput
            {
                AccountId = account,
                Region = region,
                // The finding's own state time (updatedAt, millisecond precision) orders ACTIVE/CLOSED observations;
                // the envelope's time (whole seconds) when it is absent or unreadable.
                ObservedAt = updatedOk ? updated : inbound.Time ?? (firstObservedOk ? firstObserved : null),
                SourceEventId = inbound.Id,
                FindingArn = findingArn,
                FindingType = type,
                Status = detail.Status?.Trim().ToUpperInvariant() ?? "",
                SeverityText = detail.Severity?.Trim() ?? "",
                Title = detail.Title ?? "",
                VulnerabilityId = string.IsNullOrEmpty(vulnerabilityId) ? null : vulnerabilityId,
                FixAvailable = detail.FixAvailable?.Trim().ToUpperInvariant() is { Length: > 0 } fix ? fix : null,
                ExploitAvailable = detail.ExploitAvailable,
                InspectorScore = detail.InspectorScore,
                ResourceId = id,
                InspectorResourceType = resource.Type?.Trim().ToUpperInvariant() ?? "",
                FirstObservedAt = firstObservedOk ? firstObserved : null,
                FirstObservedAtText = detail.FirstObservedAt,
                VendorCreatedAt = vendorCreatedOk ? vendorCreated : null,
                VendorCreatedAtText = vulnerability?.VendorCreatedAt,
                EventTime = inbound.Time,
                Packages = packages,
            });
        }
        return inputs;
    }

    /// <summary>The resources that name an id (a loop, not LINQ's Where/Select/ToList iterators).</summary>
    internal static List<InspectorResource> UsableResources(IReadOnlyList<InspectorResource?>? listed)
    {
        var resources = new List<InspectorResource>(listed?.Count ?? 1);
        if (listed is null) return resources;
        foreach (var resource in listed)
        {
            if (resource is not null && !string.IsNullOrWhiteSpace(resource.Id)) resources.Add(resource);
        }
        return resources;
    }

    /// <summary>
    /// One line per vulnerable package, the first <see cref="MaxPackagesListed"/> described and the rest counted; only the
    /// lines kept are formatted (LINQ formatted every package, then copied the first twenty).
    /// </summary>
    internal static List<string> PackageLines(IReadOnlyList<InspectorVulnerablePackage?>? listed)
    {
        if (listed is null || listed.Count == 0) return [];
        var count = 0;
        foreach (var package in listed)
        {
            if (package is not null) count++;
        }
        var lines = new List<string>(Math.Min(count, MaxPackagesListed + 1));
        foreach (var package in listed)
        {
            if (package is null) continue;
            if (lines.Count == MaxPackagesListed && count > MaxPackagesListed)
            {
                lines.Add($"… and {count - MaxPackagesListed} more");
                break;
            }
            lines.Add(Describe(package));
        }
        return lines;
    }

    private static string Describe(InspectorVulnerablePackage package)
    {
        var version = string.IsNullOrEmpty(package.Release) ? package.Version : $"{package.Version}-{package.Release}";
        var fixedIn = string.IsNullOrEmpty(package.FixedInVersion) ? "no fixed version named" : $"fixed in {package.FixedInVersion}";
        return $"{DetailReader.Shorten(package.Name ?? "?", 120)} {DetailReader.Shorten(version ?? "?", 60)} ({DetailReader.Shorten(fixedIn, 80)})";
    }
}
