using IsmsServerless.Cli;
using IsmsServerless.Compliance;
using IsmsServerless.Engine;
using IsmsServerless.Tests.Support;

namespace IsmsServerless.Tests.Compliance;

public sealed class ControlCatalogTests
{
    [Fact]
    public void Every_control_a_rule_claims_is_in_the_catalog()
    {
        var known = ControlCatalog.Controls.Select(c => c.Id).ToHashSet();
        var unknown = RuleRegistry.CreateDefault().Rules
            .SelectMany(r => r.Metadata.Controls.Select(c => (Rule: r.Metadata.Id, Control: c)))
            .Where(x => !known.Contains(x.Control))
            .ToList();
        Assert.Empty(unknown);
    }

    [PolicyDocumentsFact]
    public void Catalog_holds_every_control_in_the_PROC_002_front_matter()
    {
        var seed = File.ReadAllText(Path.Combine(Fixtures.PolicyRoot, "000_683f0c6aa7809749.txt"));
        var line = seed.Split('\n').First(l => l.TrimStart().StartsWith("controls:", StringComparison.Ordinal));
        var ids = line[(line.IndexOf('[', StringComparison.Ordinal) + 1)..line.IndexOf(']', StringComparison.Ordinal)]
            .Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(23, ids.Length);
        foreach (var id in ids)
        {
            var control = ControlCatalog.Find("ISO27001:2022 " + id);
            Assert.NotNull(control);
            Assert.True(control!.InScope, id);
        }
    }

    [Fact]
    public void Coverage_is_derived_from_rule_metadata()
    {
        var coverage = ControlCatalog.Coverage(RuleRegistry.CreateDefault());
        var monitoring = coverage.Single(c => c.Control.Id == "ISO27001:2022 A.8.16");
        Assert.Contains("monitoring.root-user-activity", monitoring.RuleIds);
        Assert.True(monitoring.Automated);
        Assert.Contains(coverage, c => !c.Automated); // some controls (e.g. secure disposal of media) stay manual
    }

    [Fact]
    public void Json_output_is_one_object_per_control()
    {
        var output = new StringWriter();
        ControlsCommand.Write(ControlCatalog.Coverage(RuleRegistry.CreateDefault()), "json", output);
        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(ControlCatalog.Controls.Count, lines.Length);
        Assert.All(lines, l => Assert.Contains("\"evidence\":", l, StringComparison.Ordinal));
    }
}
