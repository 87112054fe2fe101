using System.Globalization;
using System.Text.Json;

namespace IsmsServerless.Ingestion;

/// <summary>
/// Lenient reads of a parsed detail for adapters that keep no typed record: AWS sends the same field as a string in one
/// sample and a number or an empty object in another (AWS Backup's <c>backupSizeInBytes</c>, a failed copy job's
/// <c>destinationRecoveryPointArn: {}</c>). Strings come back trimmed and bounded; a blank string (<see cref="Model.Present"/>) and anything else that is not text is null.
/// </summary>
internal static class JsonRead
{
    /// <summary>Longest text value kept from an event (titles, messages); longer values are cut.</summary>
    public const int MaxText = 2048;

    public static JsonElement Child(JsonElement parent, string name) =>
        parent.ValueKind == JsonValueKind.Object && parent.TryGetProperty(name, out var value) ? value : default;

    public static JsonElement Path(JsonElement parent, params string[] names)
    {
        var current = parent;
        foreach (var name in names) current = Child(current, name);
        return current;
    }

    public static string? Text(JsonElement parent, string name) => AsText(Child(parent, name));

    public static string? AsText(JsonElement value)
    {
        var text = value.ValueKind switch
        {
            JsonValueKind.String => value.GetString(),
            JsonValueKind.Number => value.GetRawText(),
            JsonValueKind.True => "true",
            JsonValueKind.False => "false",
            _ => null,
        };
        if (Model.Present.IsBlank(text)) return null;
        text = text!.Trim();
        return text.Length <= MaxText ? text : text[..MaxText];
    }

    public static double? Number(JsonElement parent, string name)
    {
        var value = Child(parent, name);
        if (value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out var d)) return double.IsFinite(d) ? d : null;
        if (value.ValueKind == JsonValueKind.String && double.TryParse(value.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed))
            return double.IsFinite(parsed) ? parsed : null;
        return null;
    }

    /// <summary>A boolean sent as a JSON boolean or as the strings "true"/"false" (AWS Backup's <c>isEncrypted</c>).</summary>
    public static bool? Bool(JsonElement parent, string name)
    {
        var value = Child(parent, name);
        return value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            JsonValueKind.String when bool.TryParse(value.GetString()?.Trim(), out var b) => b,
            _ => null,
        };
    }

    public static DateTimeOffset? Time(JsonElement parent, string name)
    {
        var value = Child(parent, name);
        return Model.Timestamps.TryParse(value, out var t) ? t : null;
    }

    public static IEnumerable<JsonElement> Array(JsonElement parent, string name)
    {
        var value = Child(parent, name);
        return value.ValueKind == JsonValueKind.Array ? value.EnumerateArray() : [];
    }

    /// <summary>The envelope's <c>resources</c> strings (EventBridge's list of ARNs the event is about).</summary>
    public static IReadOnlyList<string> EnvelopeResources(JsonElement root) =>
        [.. Array(root, "resources").Select(AsText).Where(r => r is not null).Select(r => r!)];
}
