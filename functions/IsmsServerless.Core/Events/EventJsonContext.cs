using System.Text.Json;
using System.Text.Json.Serialization;

namespace IsmsServerless.Events;

/// <summary>
/// Source-generated (reflection-free) serializers for the event shapes the core reads. Lenient on purpose:
/// AWS adds fields, public samples differ in case, and none of that may cost an event.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    PropertyNameCaseInsensitive = true,
    NumberHandling = JsonNumberHandling.AllowReadingFromString,
    ReadCommentHandling = JsonCommentHandling.Skip,
    AllowTrailingCommas = true,
    MaxDepth = 64)]
[JsonSerializable(typeof(CloudTrailRecord))]
[JsonSerializable(typeof(EventBridgeEnvelope))]
[JsonSerializable(typeof(JsonElement))]
[JsonSerializable(typeof(InspectorFindingDetail))]
[JsonSerializable(typeof(SsmComplianceDetail))]
[JsonSerializable(typeof(Ec2StateChangeDetail))]
public sealed partial class EventJsonContext : JsonSerializerContext;
