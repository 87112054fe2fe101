using IsmsServerless.Tests.Support;
using IsmsServerless.Compliance;
using IsmsServerless.Engine;
using IsmsServerless.Policy;

namespace IsmsServerless.Tests.Compliance;

public sealed class ControlCatalogTests
{
    private static string Seed(string prefix) =>
        File.ReadAllText(Directory.GetFiles(Fixtures.PolicyRoot, prefix + "_*.txt").Single());

    [Fact]
    public void Every_control_a_rule_claims_is_in_the_catalog()
    {
        var known = ControlCatalog.Controls.Select(c => c.Key).ToHashSet();
        var unknown = RuleRegistry.CreateDefault().Rules
            .SelectMany(r => r.Metadata.Controls.Select(c => (Rule: r.Metadata.Id, Control: c)))
            .Where(x => !known.Contains(x.Control))
            .ToList();
        Assert.Empty(unknown);
    }

    [PolicyDocumentsFact]
    public void Catalog_holds_every_control_in_the_PROC_002_front_matter()
    {
        var line = Seed("000").Split('\n').First(l => l.TrimStart().StartsWith("controls:", StringComparison.Ordinal));
        var ids = line[(line.IndexOf('[', StringComparison.Ordinal) + 1)..line.IndexOf(']', StringComparison.Ordinal)]
            .Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(23, ids.Length);
        foreach (var id in ids)
        {
            var control = ControlCatalog.Find("ISO27001:2022 " + id);
            Assert.NotNull(control);
            Assert.Equal("ISO27001:2022", control!.Framework);
            Assert.NotEmpty(control.Clauses);
            Assert.Contains(control.Clauses, c => c.Document is "PROC-002" or "Qwestly");
        }
    }

    [Theory]
    [InlineData("CC6.1")] [InlineData("CC6.2")] [InlineData("CC6.3")] [InlineData("CC8.1")] [InlineData("CC7.1")] [InlineData("CC7.2")]
    [InlineData("CC7.3")] [InlineData("CC7.4")] [InlineData("CC7.5")] [InlineData("A1.2")] [InlineData("A1.3")] [InlineData("CC9.2")]
    [InlineData("CC1.4")] [InlineData("CC2.2")] [InlineData("CC3.1")] [InlineData("CC3.2")]
    public void Catalog_covers_the_SOC2_criteria_the_Qwestly_policy_touches(string id)
    {
        var control = ControlCatalog.Find("SOC2 " + id);
        Assert.NotNull(control);
        Assert.Equal("SOC2", control!.Framework);
    }

    [PolicyDocumentsFact]
    public void Every_clause_section_names_a_heading_or_line_of_its_seed_policy()
    {
        var proc = Seed("000");
        var qwestly = Seed("002");
        foreach (var c in ControlCatalog.Controls)
        {
            foreach (var clause in c.Clauses)
            {
                var text = clause.Document == "PROC-002" ? proc : qwestly;
                var head = clause.Section.Split(':')[0].Trim();
                Assert.True(text.Contains(head, StringComparison.OrdinalIgnoreCase), $"{c.Key}: '{head}' is not in {clause.Document}");
            }
        }
    }

    [Fact]
    public void Duty_evidenced_controls_reference_the_obligation_mechanisms_duty_ids_and_not_applicable_ones_are_justified()
    {
        Assert.Contains(ControlCatalog.Controls, c => c.Evidence == EvidenceKinds.Duty);
        foreach (var c in ControlCatalog.Controls)
        {
            Assert.All(c.Duties, d => Assert.Contains(d, ControlCatalog.KnownDutyIds));
            if (c.Evidence == EvidenceKinds.NotApplicable) Assert.True(c.Justification?.Length >= 20, c.Key);
            if (c.Evidence == EvidenceKinds.Automated) Assert.NotEmpty(c.Rules);
        }
        Assert.Contains(ControlCatalog.Controls, c => c.Evidence == EvidenceKinds.NotApplicable);
    }

    [Fact]
    public void The_reviewed_catalog_lists_every_rule_that_claims_each_control_and_validates_without_warnings()
    {
        // The policy file is what the IT Director reviews: a rule counted under a control it does not list is evidence
        // the reviewed document does not show. A rule added with a new claim must be added to policy/isms.yaml too.
        var (errors, warnings) = ControlCatalog.Check(PolicyDocument.Embedded, RuleRegistry.CreateDefault());
        Assert.Empty(errors);
        Assert.True(warnings.Count == 0, string.Join("\n", warnings.Select(w => $"{w.Line}: {w.Path}: {w.Message}")));
    }

    [Fact]
    public void Coverage_is_the_listed_rules_plus_any_rule_claiming_the_control()
    {
        var coverage = ControlCatalog.Coverage(RuleRegistry.CreateDefault());
        var monitoring = coverage.Single(c => c.Control.Key == "ISO27001:2022 A.8.16");
        Assert.Contains("monitoring.root-user-activity", monitoring.RuleIds);
        Assert.True(monitoring.Automated);
        Assert.Contains(coverage, c => !c.Automated);
        Assert.Empty(coverage.Single(c => c.Control.Evidence == EvidenceKinds.NotApplicable).RuleIds);
    }

    [Fact]
    public void The_catalog_checks_find_unknown_rules_rules_not_claiming_the_control_and_unknown_duties()
    {
        var policy = PolicyDocument.Embedded;
        var a88 = policy.Controls.Single(c => c.Key == "ISO27001:2022 A.8.8");
        var broken = policy with
        {
            Controls = policy.Controls.Select(c => c == a88
                ? c with { Rules = [.. c.Rules, "patch.no-such-rule", "change.review-overdue"], Duties = ["no-such-duty"] }
                : c).ToList(),
        };
        var (errors, _) = ControlCatalog.Check(broken, RuleRegistry.CreateDefault());
        Assert.Contains(errors, e => e.Message.Contains("unknown rule 'patch.no-such-rule'", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Message.Contains("'change.review-overdue' does not claim ISO27001:2022 A.8.8", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Message.Contains("unknown duty 'no-such-duty'", StringComparison.Ordinal));
        Assert.All(errors, e => Assert.True(e.Line > 0, e.ToString()));
        var (clean, _) = ControlCatalog.Check(policy, RuleRegistry.CreateDefault());
        Assert.Empty(clean);
    }
}
