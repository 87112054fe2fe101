using System.Text.Json.Serialization;

namespace IsmsServerless.CounterProjection;

[JsonSerializable(typeof(string))]
internal sealed partial class ProjectionJsonContext : JsonSerializerContext;
