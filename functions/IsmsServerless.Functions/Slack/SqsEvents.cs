using System.Text.Json.Serialization;

namespace IsmsServerless.Functions.Slack;

/// <summary>The SQS event Lambda delivers (only the fields we read). Settable properties: see the STJ note in IsmsSettings.</summary>
public sealed class SqsEvent
{
    public List<SqsMessage>? Records { get; set; }
}

public sealed class SqsMessage
{
    public string? MessageId { get; set; }
    public string? Body { get; set; }
    public Dictionary<string, string>? Attributes { get; set; }
}

/// <summary>The SNS notification JSON SQS carries in the body when raw message delivery is off (our subscription).</summary>
public sealed class SnsEnvelope
{
    public string? Type { get; set; }
    public string? MessageId { get; set; }
    public string? TopicArn { get; set; }
    public string? Subject { get; set; }
    public string? Message { get; set; }
}

/// <summary>Lambda's partial batch response: only the listed messages return to the queue.</summary>
public sealed class SqsBatchResponse
{
    [JsonPropertyName("batchItemFailures")]
    public List<SqsBatchItemFailure> BatchItemFailures { get; set; } = [];
}

public sealed class SqsBatchItemFailure
{
    [JsonPropertyName("itemIdentifier")]
    public string ItemIdentifier { get; set; } = "";
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, PropertyNameCaseInsensitive = true, MaxDepth = 32)]
[JsonSerializable(typeof(SqsEvent))]
[JsonSerializable(typeof(SnsEnvelope))]
[JsonSerializable(typeof(SqsBatchResponse))]
internal sealed partial class SlackJsonContext : JsonSerializerContext;
