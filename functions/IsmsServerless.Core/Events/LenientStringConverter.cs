using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace IsmsServerless.Events;

/// <summary>
/// Reads a JSON string, number or boolean as text. Real CloudTrail and Config payloads are inconsistent about
/// this (<c>"mfaAuthenticated": "false"</c> next to <c>"readOnly": false</c>; the fivexl fixtures even carry
/// <c>"requestParameters": "null"</c>), and a shape quirk must never cost us an event.
/// Objects and arrays are skipped and read as null, and so is a blank string (empty, whitespace, or only control or
/// format characters: <see cref="Model.Present"/>): every typed record then sees a blank ARN, account or name as absent,
/// and its fallbacks apply.
/// </summary>
public sealed class LenientStringConverter : JsonConverter<string?>
{
    public override bool HandleNull => true;

    public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.String: return Model.Present.OrNull(reader.GetString());
            case JsonTokenType.True: return "true";
            case JsonTokenType.False: return "false";
            case JsonTokenType.Number:
                return reader.TryGetInt64(out var l) ? l.ToString(CultureInfo.InvariantCulture)
                    : reader.GetDouble().ToString("R", CultureInfo.InvariantCulture);
            case JsonTokenType.StartObject:
            case JsonTokenType.StartArray:
                reader.Skip();
                return null;
            default: return null;
        }
    }

    public override void Write(Utf8JsonWriter writer, string? value, JsonSerializerOptions options)
    {
        if (value is null) writer.WriteNullValue();
        else writer.WriteStringValue(value);
    }
}
