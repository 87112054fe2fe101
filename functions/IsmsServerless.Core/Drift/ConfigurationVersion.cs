using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using IsmsServerless.Model;

namespace IsmsServerless.Drift;

/// <summary>
/// The version of a recorded configuration: a digest of what an approval would make the baseline (configuration,
/// supplementary configuration, tags, capture time). The status page shows it with a drift finding, and an approval
/// names the version the reviewer saw, so a configuration that changed in between is never approved unseen.
/// </summary>
public static class ConfigurationVersion
{
    public static string Of(StoredConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var canonical = new StringBuilder()
            .Append(configuration.ResourceKey).Append('\u001f')
            .Append(Raw(configuration.Configuration)).Append('\u001f')
            .Append(Raw(configuration.SupplementaryConfiguration)).Append('\u001f')
            .AppendJoin(',', configuration.Tags.OrderBy(t => t.Key, StringComparer.Ordinal).Select(t => t.Key + "=" + t.Value)).Append('\u001f')
            .Append(configuration.CaptureTime is { } at ? Timestamps.ToWire(at) : "");
        return "cfg-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical.ToString())).AsSpan(0, 12));
    }

    private static string Raw(JsonElement element) => element.ValueKind is JsonValueKind.Undefined ? "" : element.GetRawText();
}

/// <summary>Which drift findings an approval of the current configuration could ever settle.</summary>
public static class DriftApprovability
{
    /// <summary>Baseline requirements no approval can waive (policy: SSH and RDP are never open to the world).</summary>
    public static readonly IReadOnlySet<string> NeverApprovable = new HashSet<string>(StringComparer.Ordinal) { "sg.no-world-admin-ports" };

    /// <summary>Why the finding's configuration can never be approved as a baseline, or null when it can be.</summary>
    public static string? NotApprovable(Ledger.FindingRecord finding)
    {
        ArgumentNullException.ThrowIfNull(finding);
        if (finding.Category != Category.Drift) return "only drift findings have a baseline to approve";
        if (finding.Evidence.TryGetValue("unmetRequirements", out var unmet)
            && unmet.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault(NeverApprovable.Contains) is { } requirement)
            return $"requirement {requirement} can never be approved (SSH/RDP open to the world): fix the configuration instead";
        return null;
    }
}
