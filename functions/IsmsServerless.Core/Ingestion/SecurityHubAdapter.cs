using System.Text.Json;
using IsmsServerless.Engine;
using IsmsServerless.Events;
using IsmsServerless.Inputs;
using IsmsServerless.Model;

namespace IsmsServerless.Ingestion;

/// <summary>
/// Security Hub's imported findings in both forms: ASFF ("Security Hub Findings - Imported") and OCSF ("Findings
/// Imported V2"), one <see cref="SecurityFindingInput"/> per finding. Findings that are archived, resolved, suppressed or
/// passed carry an out-of-scope reason; Inspector findings are left to the Inspector adapter and the patch rules (the same
/// finding arrives directly from Inspector), so they are out of scope here too.
/// </summary>
public sealed class SecurityHubAdapter : IEventAdapter
{
    public const string Source = "aws.securityhub";
    public const string AsffDetailType = "Security Hub Findings - Imported";
    public const string OcsfDetailType = "Findings Imported V2";

    /// <summary>Security Hub sends one finding per event; a payload listing more than this is not a Security Hub event.</summary>
    public const int MaxFindings = 100;

    public string Name => "securityhub";

    public bool CanAdapt(InboundEvent inbound) => inbound.Kind == InboundKind.EventBridge && inbound.Source == Source
        && inbound.DetailType is AsffDetailType or OcsfDetailType;

    public IReadOnlyList<RuleInput> Adapt(InboundEvent inbound, EvaluationContext context)
    {
        if (inbound.Detail.ValueKind != JsonValueKind.Object) throw new EventRejectedException($"'{inbound.DetailType}' event has no detail object");
        var findings = JsonRead.Child(inbound.Detail, "findings");
        if (findings.ValueKind != JsonValueKind.Array || findings.GetArrayLength() == 0)
            throw new EventRejectedException($"'{inbound.DetailType}' detail has no findings array");
        if (findings.GetArrayLength() > MaxFindings)
            throw new EventRejectedException($"'{inbound.DetailType}' carries {findings.GetArrayLength()} findings, more than {MaxFindings}");
        var inputs = new List<RuleInput>();
        foreach (var finding in findings.EnumerateArray())
        {
            if (finding.ValueKind != JsonValueKind.Object) throw new EventRejectedException($"'{inbound.DetailType}' finding is not an object");
            inputs.Add(inbound.DetailType == AsffDetailType ? FromAsff(inbound, finding) : FromOcsf(inbound, finding));
        }
        return inputs;
    }

    private static SecurityFindingInput FromAsff(InboundEvent inbound, JsonElement f)
    {
        var id = JsonRead.Text(f, "Id");
        if (id is null || !DetailReader.IsUsableResourceId(id)) throw new EventRejectedException("ASFF finding has no usable Id");
        var product = JsonRead.Text(f, "ProductName") ?? ProductFromArn(JsonRead.Text(f, "ProductArn")) ?? "Security Hub";
        var severity = JsonRead.Child(f, "Severity");
        var label = JsonRead.Text(severity, "Label");
        Severity level;
        if (!SeverityNames.TryParse(label, out level))
        {
            // Older findings carry only Normalized (0-100): 90+ CRITICAL, 70+ HIGH, 40+ MEDIUM, 1+ LOW (ASFF's documented mapping).
            var normalized = JsonRead.Number(severity, "Normalized");
            if (normalized is null) throw new EventRejectedException("ASFF finding has neither Severity.Label nor Severity.Normalized");
            level = normalized switch { >= 90 => Severity.Critical, >= 70 => Severity.High, >= 40 => Severity.Medium, >= 1 => Severity.Low, _ => Severity.Informational };
            label = normalized.Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        var isGuardDuty = product.Contains("GuardDuty", StringComparison.OrdinalIgnoreCase);
        var resource = JsonRead.Array(f, "Resources").FirstOrDefault();
        var resourceId = JsonRead.Text(resource, "Id") ?? "";
        if (resourceId.Length > 0 && !DetailReader.IsUsableResourceId(resourceId))
            throw new EventRejectedException($"ASFF resource id is not usable ('{DetailReader.Shorten(resourceId)}')");
        var types = JsonRead.Array(f, "Types").Select(JsonRead.AsText).FirstOrDefault(t => t is not null) ?? "";
        var workflow = (JsonRead.Text(JsonRead.Child(f, "Workflow"), "Status") ?? JsonRead.Text(f, "WorkflowState"))?.ToUpperInvariant();
        var record = JsonRead.Text(f, "RecordState")?.ToUpperInvariant();
        var compliance = JsonRead.Text(JsonRead.Child(f, "Compliance"), "Status")?.ToUpperInvariant();
        var reason = record == "ARCHIVED" ? "the Security Hub finding is archived"
            : workflow is "RESOLVED" or "SUPPRESSED" ? $"the Security Hub finding's workflow status is {workflow}"
            : compliance is "PASSED" or "NOT_AVAILABLE" ? $"the Security Hub control check is {compliance}, not failed"
            : product.Equals("Inspector", StringComparison.OrdinalIgnoreCase) ? "Inspector findings are judged by the patch rules (they arrive from Inspector directly)"
            : null;
        return new SecurityFindingInput
        {
            Form = "securityhub-asff",
            Product = product,
            AccountId = DetailReader.FirstNonEmpty(JsonRead.Text(f, "AwsAccountId"), inbound.Account) ?? "unknown",
            Region = DetailReader.FirstNonEmpty(JsonRead.Text(f, "Region"), inbound.Region) ?? "unknown",
            ObservedAt = inbound.Time ?? JsonRead.Time(f, "UpdatedAt"),
            SourceEventId = inbound.Id,
            FindingId = id,
            Type = DetailReader.Shorten(types, 200),
            Title = DetailReader.Shorten(JsonRead.Text(f, "Title") ?? types, 300),
            GuardDutySeverity = isGuardDuty ? JsonRead.Number(severity, "Product") : null,
            Severity = level,
            SeverityText = label ?? "",
            ResourceId = resourceId,
            ResourceType = JsonRead.Text(resource, "Type") ?? "",
            OutOfScopeReason = reason,
            FirstSeenAt = JsonRead.Time(f, "FirstObservedAt") ?? JsonRead.Time(f, "CreatedAt"),
            EventTime = inbound.Time ?? JsonRead.Time(f, "UpdatedAt"),
        };
    }

    private static SecurityFindingInput FromOcsf(InboundEvent inbound, JsonElement f)
    {
        var info = JsonRead.Child(f, "finding_info");
        var id = JsonRead.Text(info, "uid") ?? JsonRead.Text(JsonRead.Child(f, "metadata"), "uid");
        if (id is null || !DetailReader.IsUsableResourceId(id)) throw new EventRejectedException("OCSF finding has no usable finding_info.uid");
        // OCSF severity_id: 1 Informational, 2 Low, 3 Medium, 4 High, 5 Critical, 6 Fatal (0 Unknown, 99 Other).
        var severityId = JsonRead.Number(f, "severity_id");
        var severityText = JsonRead.Text(f, "severity");
        Severity level = severityId switch
        {
            >= 5 and < 99 => Severity.Critical,
            4 => Severity.High,
            3 => Severity.Medium,
            2 => Severity.Low,
            1 => Severity.Informational,
            _ => SeverityNames.TryParse(severityText, out var parsed) ? parsed
                : throw new EventRejectedException("OCSF finding has no readable severity_id or severity"),
        };
        var product = JsonRead.Text(JsonRead.Path(f, "metadata", "product"), "name") ?? "Security Hub";
        var resource = JsonRead.Array(f, "resources").FirstOrDefault();
        var resourceId = JsonRead.Text(resource, "uid") ?? JsonRead.Text(resource, "name") ?? "";
        if (resourceId.Length > 0 && !DetailReader.IsUsableResourceId(resourceId))
            throw new EventRejectedException($"OCSF resource uid is not usable ('{DetailReader.Shorten(resourceId)}')");
        var resourceData = JsonRead.Child(resource, "data");
        var actor = JsonRead.Text(resourceData, "user_name") ?? JsonRead.Text(JsonRead.Path(f, "actor", "user"), "name");
        if (actor is not null && !DetailReader.IsUsableResourceId(actor)) actor = null;
        var type = JsonRead.Array(info, "types").Select(JsonRead.AsText).FirstOrDefault(t => t is not null) ?? "";
        var status = JsonRead.Text(f, "status")?.ToUpperInvariant();
        var compliance = JsonRead.Text(JsonRead.Child(f, "compliance"), "status")?.ToUpperInvariant();
        var reason = status is "SUPPRESSED" or "RESOLVED" or "ARCHIVED" ? $"the Security Hub finding's status is {status}"
            : compliance is "PASS" or "PASSED" ? "the Security Hub control check passed"
            : product.Equals("Inspector", StringComparison.OrdinalIgnoreCase) ? "Inspector findings are judged by the patch rules (they arrive from Inspector directly)"
            : null;
        var time = JsonRead.Time(f, "time_dt") ?? JsonRead.Time(f, "time");
        return new SecurityFindingInput
        {
            Form = "securityhub-ocsf",
            Product = product,
            AccountId = DetailReader.FirstNonEmpty(JsonRead.Text(JsonRead.Path(f, "cloud", "account"), "uid"), inbound.Account) ?? "unknown",
            Region = DetailReader.FirstNonEmpty(JsonRead.Text(JsonRead.Child(f, "cloud"), "region"), inbound.Region) ?? "unknown",
            ObservedAt = inbound.Time ?? time,
            SourceEventId = inbound.Id,
            FindingId = id,
            Type = DetailReader.Shorten(type, 200),
            Title = DetailReader.Shorten(JsonRead.Text(info, "title") ?? type, 300),
            Severity = level,
            SeverityText = severityText ?? severityId?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "",
            ResourceId = resourceId,
            ResourceType = JsonRead.Text(resource, "type") ?? "",
            Actor = actor,
            OutOfScopeReason = reason,
            FirstSeenAt = JsonRead.Time(info, "first_seen_time_dt") ?? JsonRead.Time(info, "first_seen_time"),
            EventTime = inbound.Time ?? time,
        };
    }

    private static string? ProductFromArn(string? productArn) =>
        productArn?.Split('/') is { Length: >= 3 } parts ? parts[^1] : null;
}
