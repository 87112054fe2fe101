using System.Text.Json;
using System.Text.Json.Serialization;
using IsmsServerless.Engine;

namespace IsmsServerless.Compliance;

/// <summary>A control we map evidence to.</summary>
public sealed record ControlDefinition(string Id, string Name, string Policy, bool InScope)
{
    public string Framework => Id.StartsWith("SOC2", StringComparison.Ordinal) ? "SOC 2" : "ISO 27001:2022";
}

/// <summary>A control with the rules that produce automated evidence for it.</summary>
public sealed record ControlCoverage(ControlDefinition Control, IReadOnlyList<string> RuleIds)
{
    /// <summary>Automated when at least one rule evaluates it; otherwise evidence is collected by hand (manual).</summary>
    public bool Automated => RuleIds.Count > 0;
}

/// <summary>
/// The control map as data (Prowler keeps its compliance map apart from the checks): the catalog lists controls,
/// the rules' metadata lists the controls each rule covers, and this class inverts that into coverage. An auditor
/// sees which controls have automated evidence and which are manual.
/// </summary>
public static class ControlCatalog
{
    private static readonly Lazy<IReadOnlyList<ControlDefinition>> Loaded = new(Load);

    public static IReadOnlyList<ControlDefinition> Controls => Loaded.Value;

    public static ControlDefinition? Find(string id) => Controls.FirstOrDefault(c => c.Id == id);

    public static IReadOnlyList<ControlCoverage> Coverage(RuleRegistry registry) =>
        Controls.Select(c => new ControlCoverage(c, registry.Rules
                .Where(r => r.Metadata.Controls.Contains(c.Id))
                .Select(r => r.Metadata.Id)
                .Order(StringComparer.Ordinal)
                .ToList()))
            .ToList();

    private static IReadOnlyList<ControlDefinition> Load()
    {
        using var stream = typeof(ControlCatalog).Assembly.GetManifestResourceStream("IsmsServerless.Compliance.control-catalog.json")
            ?? throw new InvalidOperationException("control-catalog.json is not embedded");
        var file = JsonSerializer.Deserialize(stream, ComplianceJsonContext.Default.ControlCatalogFile)
            ?? throw new InvalidOperationException("control-catalog.json is empty");
        return file.Controls;
    }
}

internal sealed record ControlCatalogFile(IReadOnlyList<ControlDefinition> Controls);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, PropertyNameCaseInsensitive = true)]
[JsonSerializable(typeof(ControlCatalogFile))]
internal sealed partial class ComplianceJsonContext : JsonSerializerContext;
