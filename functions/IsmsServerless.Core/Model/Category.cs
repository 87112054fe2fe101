using System.Text.Json.Serialization;

namespace IsmsServerless.Model;

/// <summary>The policy area a rule belongs to; the status page groups by it.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<Category>))]
public enum Category
{
    [JsonStringEnumMemberName("drift")] Drift,
    [JsonStringEnumMemberName("patch")] Patch,
    [JsonStringEnumMemberName("change")] Change,
    [JsonStringEnumMemberName("monitoring")] Monitoring,

    /// <summary>Who can get in: root and IAM credentials, MFA, password policy (Qwestly "Access Control").</summary>
    [JsonStringEnumMemberName("access")] Access,
}

public static class CategoryNames
{
    public static string ToWire(this Category category) => category switch
    {
        Category.Drift => "drift",
        Category.Patch => "patch",
        Category.Change => "change",
        Category.Access => "access",
        _ => "monitoring",
    };
}
