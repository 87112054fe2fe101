using System.Text.Json.Serialization;

namespace IsmsServerless.Model;

/// <summary>Where a finding stands against its remediation deadline.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<SlaState>))]
public enum SlaState
{
    [JsonStringEnumMemberName("open")] Open = 0,
    [JsonStringEnumMemberName("at-risk")] AtRisk = 1,
    [JsonStringEnumMemberName("breached")] Breached = 2,
}

public static class SlaStateNames
{
    public static string ToWire(this SlaState state) => state switch
    {
        SlaState.Open => "open",
        SlaState.AtRisk => "at-risk",
        _ => "breached",
    };

    public static bool TryParse(string? text, out SlaState state)
    {
        switch (text)
        {
            case "open": state = SlaState.Open; return true;
            case "at-risk": state = SlaState.AtRisk; return true;
            case "breached": state = SlaState.Breached; return true;
            default: state = SlaState.Open; return false;
        }
    }
}
