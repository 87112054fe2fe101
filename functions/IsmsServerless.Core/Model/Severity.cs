using System.Text.Json.Serialization;

namespace IsmsServerless.Model;

/// <summary>How bad a finding is. Serialized in upper case, as Security Hub and Inspector spell it.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<Severity>))]
public enum Severity
{
    [JsonStringEnumMemberName("INFORMATIONAL")] Informational = 0,
    [JsonStringEnumMemberName("LOW")] Low = 1,
    [JsonStringEnumMemberName("MEDIUM")] Medium = 2,
    [JsonStringEnumMemberName("HIGH")] High = 3,
    [JsonStringEnumMemberName("CRITICAL")] Critical = 4,
}

public static class SeverityNames
{
    public static string ToWire(this Severity severity) => severity switch
    {
        Severity.Critical => "CRITICAL",
        Severity.High => "HIGH",
        Severity.Medium => "MEDIUM",
        Severity.Low => "LOW",
        _ => "INFORMATIONAL",
    };

    public static bool TryParse(string? text, out Severity severity)
    {
        switch (text?.Trim().ToUpperInvariant())
        {
            case "CRITICAL": severity = Severity.Critical; return true;
            case "HIGH": severity = Severity.High; return true;
            case "MEDIUM": case "MODERATE": severity = Severity.Medium; return true;
            case "LOW": severity = Severity.Low; return true;
            case "INFORMATIONAL": case "INFO": case "UNTRIAGED": case "NONE": severity = Severity.Informational; return true;
            default: severity = Severity.Informational; return false;
        }
    }
}
