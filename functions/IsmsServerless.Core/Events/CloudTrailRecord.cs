using System.Text.Json;
using System.Text.Json.Serialization;

namespace IsmsServerless.Events;

/// <summary>
/// One CloudTrail record: the <c>detail</c> of an EventBridge "AWS API Call via CloudTrail" or
/// "AWS Console Sign In via CloudTrail" event, one element of a log file's <c>Records</c>, or a CloudTrail Lake row.
/// Only the fields rules read are typed; request and response bodies stay <see cref="JsonElement"/> because
/// every API has its own shape.
/// </summary>
public sealed record CloudTrailRecord
{
    [JsonConverter(typeof(LenientStringConverter))] public string? EventVersion { get; init; }
    public CloudTrailUserIdentity? UserIdentity { get; init; }
    [JsonConverter(typeof(LenientStringConverter))] public string? EventTime { get; init; }
    [JsonConverter(typeof(LenientStringConverter))] public string? EventSource { get; init; }
    [JsonConverter(typeof(LenientStringConverter))] public string? EventName { get; init; }
    [JsonConverter(typeof(LenientStringConverter))] public string? AwsRegion { get; init; }
    [JsonPropertyName("sourceIPAddress")][JsonConverter(typeof(LenientStringConverter))] public string? SourceIpAddress { get; init; }
    [JsonConverter(typeof(LenientStringConverter))] public string? UserAgent { get; init; }
    [JsonConverter(typeof(LenientStringConverter))] public string? ErrorCode { get; init; }
    [JsonConverter(typeof(LenientStringConverter))] public string? ErrorMessage { get; init; }
    public JsonElement RequestParameters { get; init; }
    public JsonElement ResponseElements { get; init; }
    public JsonElement AdditionalEventData { get; init; }
    [JsonPropertyName("eventID")][JsonConverter(typeof(LenientStringConverter))] public string? EventId { get; init; }
    [JsonPropertyName("requestID")][JsonConverter(typeof(LenientStringConverter))] public string? RequestId { get; init; }
    [JsonConverter(typeof(LenientStringConverter))] public string? EventType { get; init; }
    [JsonConverter(typeof(LenientStringConverter))] public string? ReadOnly { get; init; }
    [JsonConverter(typeof(LenientStringConverter))] public string? ManagementEvent { get; init; }
    [JsonConverter(typeof(LenientStringConverter))] public string? RecipientAccountId { get; init; }
    [JsonConverter(typeof(LenientStringConverter))] public string? EventCategory { get; init; }
    [JsonConverter(typeof(LenientStringConverter))] public string? SessionCredentialFromConsole { get; init; }
    public IReadOnlyList<CloudTrailResource>? Resources { get; init; }
}

public sealed record CloudTrailUserIdentity
{
    [JsonConverter(typeof(LenientStringConverter))] public string? Type { get; init; }
    [JsonConverter(typeof(LenientStringConverter))] public string? PrincipalId { get; init; }
    [JsonConverter(typeof(LenientStringConverter))] public string? Arn { get; init; }
    [JsonConverter(typeof(LenientStringConverter))] public string? AccountId { get; init; }
    [JsonConverter(typeof(LenientStringConverter))] public string? AccessKeyId { get; init; }
    [JsonConverter(typeof(LenientStringConverter))] public string? UserName { get; init; }
    [JsonConverter(typeof(LenientStringConverter))] public string? InvokedBy { get; init; }
    public CloudTrailSessionContext? SessionContext { get; init; }
}

public sealed record CloudTrailSessionContext
{
    public CloudTrailSessionAttributes? Attributes { get; init; }
    public CloudTrailSessionIssuer? SessionIssuer { get; init; }
    [JsonConverter(typeof(LenientStringConverter))] public string? SourceIdentity { get; init; }
}

public sealed record CloudTrailSessionAttributes
{
    [JsonConverter(typeof(LenientStringConverter))] public string? MfaAuthenticated { get; init; }
    [JsonConverter(typeof(LenientStringConverter))] public string? CreationDate { get; init; }
}

public sealed record CloudTrailSessionIssuer
{
    [JsonConverter(typeof(LenientStringConverter))] public string? Type { get; init; }
    [JsonConverter(typeof(LenientStringConverter))] public string? PrincipalId { get; init; }
    [JsonConverter(typeof(LenientStringConverter))] public string? Arn { get; init; }
    [JsonConverter(typeof(LenientStringConverter))] public string? AccountId { get; init; }
    [JsonConverter(typeof(LenientStringConverter))] public string? UserName { get; init; }
}

public sealed record CloudTrailResource
{
    [JsonPropertyName("ARN")][JsonConverter(typeof(LenientStringConverter))] public string? Arn { get; init; }
    [JsonConverter(typeof(LenientStringConverter))] public string? AccountId { get; init; }
    [JsonConverter(typeof(LenientStringConverter))] public string? Type { get; init; }
}
