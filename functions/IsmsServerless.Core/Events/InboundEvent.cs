using System.Text.Json;
using System.Text.Json.Serialization;

namespace IsmsServerless.Events;

/// <summary>The shapes an event can arrive in. Decided once, by <see cref="Ingestion.EventRouter"/>.</summary>
public enum InboundKind
{
    /// <summary>An EventBridge event (<c>source</c>, <c>detail-type</c>, <c>detail</c>), as a rule target Lambda receives it.</summary>
    EventBridge,
    /// <summary>A custom AWS Config rule invocation (<c>invokingEvent</c> as a JSON string).</summary>
    ConfigRuleInvocation,
    /// <summary>A single CloudTrail record (CloudTrail Lake, LookupEvents, a copied <c>detail</c>).</summary>
    CloudTrailRecord,
    /// <summary>A CloudTrail log file as S3 stores it: <c>{"Records": [...]}</c>.</summary>
    CloudTrailLogFile,
    /// <summary>
    /// A bare AWS Config configuration item (an element of a snapshot's <c>configurationItems</c>, or of
    /// <c>get-resource-config-history</c>), as <c>./isms evaluate</c> and <c>replay</c> take it from a file.
    /// </summary>
    ConfigurationItem,
}

/// <summary>
/// A parsed, classified event. <see cref="Root"/> and <see cref="Detail"/> stay valid while the owning
/// <see cref="JsonDocument"/> lives (the router owns it for the duration of one evaluation).
/// </summary>
public sealed record InboundEvent(
    InboundKind Kind,
    string? Id,
    string? Source,
    string? DetailType,
    string? Account,
    string? Region,
    DateTimeOffset? Time,
    JsonElement Root,
    JsonElement Detail);

/// <summary>The EventBridge envelope; <c>version</c> is optional because legacy CloudWatch Events samples lack it.</summary>
public sealed record EventBridgeEnvelope
{
    [JsonConverter(typeof(LenientStringConverter))] public string? Version { get; init; }
    [JsonConverter(typeof(LenientStringConverter))] public string? Id { get; init; }
    [JsonPropertyName("detail-type")][JsonConverter(typeof(LenientStringConverter))] public string? DetailType { get; init; }
    [JsonConverter(typeof(LenientStringConverter))] public string? Source { get; init; }
    [JsonConverter(typeof(LenientStringConverter))] public string? Account { get; init; }
    [JsonConverter(typeof(LenientStringConverter))] public string? Time { get; init; }
    [JsonConverter(typeof(LenientStringConverter))] public string? Region { get; init; }
    public IReadOnlyList<string?>? Resources { get; init; }
}
