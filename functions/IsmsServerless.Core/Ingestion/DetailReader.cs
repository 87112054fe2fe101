using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
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
    /// <remarks>
    /// What <c>^(i|mi)-[0-9a-f]{8,17}$</c> matches (the generated regex it replaced, kept in the tests), checked by hand:
    /// the prefix, then 8 to 17 lower-case hex digits, then the end of the text or a last <c>\n</c> (where <c>$</c> also
    /// matches).
    /// </remarks>
    public static bool IsManagedInstanceId(string? id)
    {
        if (id is null) return false;
        var rest = id.AsSpan();
        if (rest.StartsWith("i-", StringComparison.Ordinal)) rest = rest[2..];
        else if (rest.StartsWith("mi-", StringComparison.Ordinal)) rest = rest[3..];
        else return false;
        if (rest.Length > 0 && rest[^1] == '\n') rest = rest[..^1];
        return rest.Length is >= 8 and <= 17 && !rest.ContainsAnyExcept(LowerHex);
    }

    private static readonly System.Buffers.SearchValues<char> LowerHex = System.Buffers.SearchValues.Create("0123456789abcdef");

    /// <summary>A resource id we are willing to key a finding on: bounded, printable, no control characters.</summary>
    public static bool IsUsableResourceId(string? id) =>
        !Model.Present.IsBlank(id) && id!.Length <= MaxResourceIdLength && !id.Any(char.IsControl);

    /// <summary>Text for messages and errors: trimmed and bounded (the output layer encodes it).</summary>
    public static string Shorten(string? text, int max = 80) =>
        text is null ? "" : text.Length <= max ? text : text[..max] + "…";

    public static string? FirstNonEmpty(params ReadOnlySpan<string?> values) => Model.Present.First(values);
}
