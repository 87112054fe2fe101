using System.Text.Json.Serialization;

namespace IsmsServerless.Model;

/// <summary>What one rule concluded about one resource or event.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<Outcome>))]
public enum Outcome
{
    /// <summary>The resource or event breaks the policy.</summary>
    [JsonStringEnumMemberName("finding")] Finding,
    /// <summary>The resource was checked and meets the policy; resolves an open finding.</summary>
    [JsonStringEnumMemberName("compliant")] Compliant,
    /// <summary>A change that must be registered and reviewed (emergency or manual change).</summary>
    [JsonStringEnumMemberName("change")] Change,
    /// <summary>The input is understood but no rule applies to it.</summary>
    [JsonStringEnumMemberName("ignored")] Ignored,
    /// <summary>The input could not be understood; carries an error.</summary>
    [JsonStringEnumMemberName("rejected")] Rejected,
}

public static class OutcomeNames
{
    public static string ToWire(this Outcome outcome) => outcome switch
    {
        Outcome.Finding => "finding",
        Outcome.Compliant => "compliant",
        Outcome.Change => "change",
        Outcome.Ignored => "ignored",
        _ => "rejected",
    };
}
