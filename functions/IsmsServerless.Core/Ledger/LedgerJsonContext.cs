using System.Text.Json.Serialization;
using IsmsServerless.Model;

namespace IsmsServerless.Ledger;

/// <summary>Source-generated JSON for the few ledger attributes stored as JSON text, and for page cursors.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(List<FieldDiff>))]
[JsonSerializable(typeof(List<string>))]
[JsonSerializable(typeof(Dictionary<string, string>))]
internal sealed partial class LedgerJsonContext : JsonSerializerContext;
