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
    [JsonStringEnumMemberName("backup")] Backup,
    [JsonStringEnumMemberName("incident")] Incident,

    /// <summary>Recurring duties and other obligations (Obligations/): overdue attestations.</summary>
    [JsonStringEnumMemberName("duty")] Duty,

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
        Category.Backup => "backup",
        Category.Incident => "incident",
        Category.Duty => "duty",
        Category.Access => "access",
        _ => "monitoring",
    };
}
