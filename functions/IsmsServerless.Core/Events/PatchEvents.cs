using System.Text.Json.Serialization;

namespace IsmsServerless.Events;

// The detail shapes of the three patch-related EventBridge events. Every scalar is read leniently (string, number or
// boolean as text): Inspector's published samples differ in how they spell scores and dates, and a shape quirk must
// never cost us a vulnerability. Properties have no initializers (the STJ source generator assigns every init-only
// property, so a default would become null anyway).

/// <summary>The <c>detail</c> of an EventBridge "Inspector2 Finding" event (source <c>aws.inspector2</c>).</summary>
public sealed record InspectorFindingDetail
{
    [JsonConverter(typeof(LenientStringConverter))] public string? AwsAccountId { get; init; }
    [JsonConverter(typeof(LenientStringConverter))] public string? FindingArn { get; init; }
    [JsonConverter(typeof(LenientStringConverter))] public string? Type { get; init; }
    [JsonConverter(typeof(LenientStringConverter))] public string? Status { get; init; }
    [JsonConverter(typeof(LenientStringConverter))] public string? Severity { get; init; }
    [JsonConverter(typeof(LenientStringConverter))] public string? Title { get; init; }
    [JsonConverter(typeof(LenientStringConverter))] public string? FirstObservedAt { get; init; }
    [JsonConverter(typeof(LenientStringConverter))] public string? LastObservedAt { get; init; }
    [JsonConverter(typeof(LenientStringConverter))] public string? UpdatedAt { get; init; }

    /// <summary><c>YES</c> | <c>NO</c> | <c>PARTIAL</c>; absent in payloads older than the field (the ECR docs sample).</summary>
    [JsonConverter(typeof(LenientStringConverter))] public string? FixAvailable { get; init; }
    [JsonConverter(typeof(LenientStringConverter))] public string? ExploitAvailable { get; init; }
    [JsonConverter(typeof(LenientStringConverter))] public string? InspectorScore { get; init; }
    public InspectorPackageVulnerabilityDetails? PackageVulnerabilityDetails { get; init; }
    public IReadOnlyList<InspectorResource?>? Resources { get; init; }
}

public sealed record InspectorPackageVulnerabilityDetails
{
    [JsonConverter(typeof(LenientStringConverter))] public string? VulnerabilityId { get; init; }

    /// <summary>When the vendor published the vulnerability: the earliest trustworthy start of the SLA clock.</summary>
    [JsonConverter(typeof(LenientStringConverter))] public string? VendorCreatedAt { get; init; }
    [JsonConverter(typeof(LenientStringConverter))] public string? VendorSeverity { get; init; }
    [JsonConverter(typeof(LenientStringConverter))] public string? Source { get; init; }
    [JsonConverter(typeof(LenientStringConverter))] public string? SourceUrl { get; init; }
    public IReadOnlyList<InspectorVulnerablePackage?>? VulnerablePackages { get; init; }
}

public sealed record InspectorVulnerablePackage
{
    [JsonConverter(typeof(LenientStringConverter))] public string? Name { get; init; }
    [JsonConverter(typeof(LenientStringConverter))] public string? Version { get; init; }
    [JsonConverter(typeof(LenientStringConverter))] public string? Release { get; init; }
    [JsonConverter(typeof(LenientStringConverter))] public string? FixedInVersion { get; init; }
    [JsonConverter(typeof(LenientStringConverter))] public string? PackageManager { get; init; }
    [JsonConverter(typeof(LenientStringConverter))] public string? Remediation { get; init; }
}

public sealed record InspectorResource
{
    [JsonConverter(typeof(LenientStringConverter))] public string? Id { get; init; }
    [JsonConverter(typeof(LenientStringConverter))] public string? Type { get; init; }
    [JsonConverter(typeof(LenientStringConverter))] public string? Region { get; init; }
    [JsonConverter(typeof(LenientStringConverter))] public string? Partition { get; init; }
}

/// <summary>The <c>detail</c> of an EventBridge "Configuration Compliance State Change" event (source <c>aws.ssm</c>); kebab-case keys.</summary>
public sealed record SsmComplianceDetail
{
    [JsonPropertyName("resource-type")][JsonConverter(typeof(LenientStringConverter))] public string? ResourceType { get; init; }
    [JsonPropertyName("resource-id")][JsonConverter(typeof(LenientStringConverter))] public string? ResourceId { get; init; }
    [JsonPropertyName("compliance-status")][JsonConverter(typeof(LenientStringConverter))] public string? ComplianceStatus { get; init; }
    [JsonPropertyName("compliance-type")][JsonConverter(typeof(LenientStringConverter))] public string? ComplianceType { get; init; }
    [JsonPropertyName("patch-baseline-id")][JsonConverter(typeof(LenientStringConverter))] public string? PatchBaselineId { get; init; }
    [JsonPropertyName("severity")][JsonConverter(typeof(LenientStringConverter))] public string? Severity { get; init; }
}

/// <summary>The <c>detail</c> of an EventBridge "EC2 Instance State-change Notification" event (source <c>aws.ec2</c>).</summary>
public sealed record Ec2StateChangeDetail
{
    [JsonPropertyName("instance-id")][JsonConverter(typeof(LenientStringConverter))] public string? InstanceId { get; init; }
    [JsonPropertyName("state")][JsonConverter(typeof(LenientStringConverter))] public string? State { get; init; }
}
