using System.Text.Json.Serialization;

namespace IsmsServerless.Changes;

/// <summary>Serializers for the register's JSON-valued attributes (the bounded call list).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(List<ChangeCallSummary>))]
[JsonSerializable(typeof(List<ChangeReview>))]
[JsonSerializable(typeof(List<ChangeApproval>))]
[JsonSerializable(typeof(ChangeClosure))]
internal sealed partial class ChangeJsonContext : JsonSerializerContext;
