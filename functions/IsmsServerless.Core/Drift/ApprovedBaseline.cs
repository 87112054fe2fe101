using System.Text.Json;

namespace IsmsServerless.Drift;

/// <summary>
/// A resource configuration an engineer or the CTO approved as that resource's baseline. Versions only grow; the
/// newest is in force. <see cref="Configuration"/> and <see cref="SupplementaryConfiguration"/> are detached values.
/// </summary>
public sealed record ApprovedBaseline
{
    public required string ResourceKey { get; init; }
    public required string ResourceType { get; init; }
    public required int Version { get; init; }
    public required string ApprovedBy { get; init; }
    public required string Reason { get; init; }
    public required DateTimeOffset ApprovedAt { get; init; }

    /// <summary>Capture time of the configuration item that was approved.</summary>
    public DateTimeOffset? CaptureTime { get; init; }

    public JsonElement Configuration { get; init; }
    public JsonElement SupplementaryConfiguration { get; init; }
}

/// <summary>The latest configuration the stack saw for a resource, as the drift store keeps it for the sweep.</summary>
public sealed record StoredConfiguration
{
    public required string ResourceKey { get; init; }
    public required string ResourceType { get; init; }
    public required string ResourceId { get; init; }
    public string? Arn { get; init; }
    public string? ResourceName { get; init; }
    public required string AccountId { get; init; }
    public required string Region { get; init; }
    public DateTimeOffset? CaptureTime { get; init; }
    public string Status { get; init; } = "";
    public JsonElement Configuration { get; init; }
    public JsonElement SupplementaryConfiguration { get; init; }
    public IReadOnlyDictionary<string, string> Tags { get; init; } = new Dictionary<string, string>();
}
