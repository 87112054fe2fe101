using System.Text.RegularExpressions;
using IsmsServerless.Engine;
using IsmsServerless.Model;

namespace IsmsServerless.Tests.Engine;

public sealed partial class RuleRegistryTests
{
    private static readonly RuleRegistry Registry = RuleRegistry.CreateDefault();

    public static TheoryData<string> RuleIds()
    {
        var data = new TheoryData<string>();
        foreach (var rule in Registry.Rules) data.Add(rule.Metadata.Id);
        return data;
    }

    [Fact]
    public void Rule_ids_are_unique()
    {
        var duplicates = Registry.Rules.GroupBy(r => r.Metadata.Id).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        Assert.Empty(duplicates);
    }

    [Theory]
    [MemberData(nameof(RuleIds))]
    public void Rule_id_matches_its_class_name_and_category(string ruleId)
    {
        var rule = Registry.Find(ruleId)!;
        var className = rule.GetType().Name;
        Assert.EndsWith("Rule", className, StringComparison.Ordinal);
        var expected = rule.Metadata.Category.ToWire() + "." + Kebab(className[..^"Rule".Length]);
        Assert.Equal(expected, ruleId);
        // The rule lives in its own folder named after it, under its area's namespace (Prowler's one check per folder).
        Assert.Equal("IsmsServerless.Rules." + rule.Metadata.Category, rule.GetType().Namespace);
    }

    [Theory]
    [MemberData(nameof(RuleIds))]
    public void Rule_metadata_is_complete(string ruleId)
    {
        var m = Registry.Find(ruleId)!.Metadata;
        Assert.False(string.IsNullOrWhiteSpace(m.Title));
        Assert.InRange(m.Title.Length, 5, 120);
        Assert.False(string.IsNullOrWhiteSpace(m.PolicyClause));
        Assert.Matches("PROC-002|Qwestly", m.PolicyClause);
        Assert.False(string.IsNullOrWhiteSpace(m.Risk));
        Assert.False(string.IsNullOrWhiteSpace(m.Remediation));
        Assert.Matches(@"^AWS::", m.ResourceType);
        Assert.Contains(m.Controls, c => c.StartsWith("ISO27001:2022 A.", StringComparison.Ordinal));
        Assert.Contains(m.Controls, c => c.StartsWith("SOC2 ", StringComparison.Ordinal));
        Assert.All(m.Controls, c => Assert.Matches(@"^(ISO27001:2022 A\.[5-8]\.\d{1,2}|SOC2 (CC\d\.\d|A1\.\d|PI1\.\d|C1\.\d))$", c));
        Assert.Equal(m.Controls.Count, m.Controls.Distinct().Count());
    }

    private static string Kebab(string pascal) => KebabRegex().Replace(pascal, "$1-$2").ToLowerInvariant();

    [GeneratedRegex("([a-z0-9])([A-Z])")]
    private static partial Regex KebabRegex();
}
