using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using System.Text.RegularExpressions;
using IsmsServerless.Events;

namespace IsmsServerless.Ingestion;

/// <summary>Shared checks for adapters that read an EventBridge <c>detail</c> into one of our records.</summary>
internal static partial class DetailReader
{
    /// <summary>Longest resource id we accept. ARNs are at most 2048 characters; the ledger keys on the id.</summary>
    public const int MaxResourceIdLength = 1024;

    public static T Read<T>(InboundEvent inbound, JsonTypeInfo<T> typeInfo) where T : class
    {
        if (inbound.Detail.ValueKind != JsonValueKind.Object)
            throw new EventRejectedException($"'{inbound.DetailType}' event has no detail object");
        try
        {
            return JsonElementBinder.Bind(inbound.Detail, typeInfo) ?? throw new EventRejectedException($"'{inbound.DetailType}' detail is null");
        }
        catch (JsonException ex)
        {
            throw new EventRejectedException($"'{inbound.DetailType}' detail is malformed: {ex.Message}", ex);
        }
    }

    /// <summary>An EC2 instance id or a hybrid managed-node id. Anything else is not an instance we can track.</summary>
    public static bool IsManagedInstanceId(string? id) => id is not null && InstanceIdRegex().IsMatch(id);

    /// <summary>A resource id we are willing to key a finding on: bounded, printable, no control characters.</summary>
    public static bool IsUsableResourceId(string? id) =>
        !Model.Present.IsBlank(id) && id!.Length <= MaxResourceIdLength && !id.Any(char.IsControl);

    /// <summary>Text for messages and errors: trimmed and bounded (the output layer encodes it).</summary>
    public static string Shorten(string? text, int max = 80) =>
        text is null ? "" : text.Length <= max ? text : text[..max] + "…";

    public static string? FirstNonEmpty(params ReadOnlySpan<string?> values) => Model.Present.First(values);

    [GeneratedRegex("^(i|mi)-[0-9a-f]{8,17}$", RegexOptions.CultureInvariant)]
    private static partial Regex InstanceIdRegex();
}
