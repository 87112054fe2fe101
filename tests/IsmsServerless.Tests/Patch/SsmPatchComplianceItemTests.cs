using System.Text.Json.Nodes;
using IsmsServerless.Engine;
using IsmsServerless.Inputs;
using IsmsServerless.Model;
using IsmsServerless.Tests.Support;

namespace IsmsServerless.Tests.Patch;

public sealed class SsmPatchComplianceItemTests
{
    private const string Item = "patch/eb-config-item-ssm-patchcompliance-constructed.json";
    private static readonly RuleEngine Engine = RuleEngine.CreateDefault();

    private static JsonNode Load() => JsonNode.Parse(Fixtures.Local(Item))!;

    private static JsonObject ItemOf(JsonNode node) => node["detail"]!["configurationItem"]!.AsObject();

    private static JsonObject PatchesOf(JsonNode node) => ItemOf(node)["configuration"]!["AWS:ComplianceItem"]!["Content"]!["Patch"]!.AsObject();

    private static EngineResult Evaluate(JsonNode node, string at = "2024-03-13T00:00:00Z") => Engine.Evaluate(PatchEvents.Bytes(node), TestContexts.At(at));

    [Fact]
    public void Config_item_yields_instance_and_per_patch_findings_under_the_shared_rules()
    {
        var result = Evaluate(Load());
        Assert.Equal("config", result.Adapter);
        Assert.IsType<ConfigItemInput>(Assert.Single(result.Inputs));
        var scan = DateTimeOffset.Parse("2024-03-12T09:14:51Z", System.Globalization.CultureInfo.InvariantCulture);

        var instance = Assert.Single(result.Evaluations, e => e.Rule.Id == "patch.instance-patch-compliance");
        Assert.Equal(Outcome.Finding, instance.Outcome);
        Assert.Equal("i-0123456789abcdef0", instance.ResourceId);
        Assert.Equal(Severity.Critical, instance.Severity);
        Assert.Equal(scan, instance.ClockStart);
        Assert.Equal("config", instance.Evidence["origin"]);

        var missing = Assert.Single(result.Evaluations, e => e.SubKey == "KB5035857");
        Assert.Equal(("patch.missing-patch", Outcome.Finding, Severity.Critical), (missing.Rule.Id, missing.Outcome, missing.Severity));
        Assert.Equal("CVE-2024-21407,CVE-2024-21408", missing.Evidence["cveIds"]);
        Assert.Equal(scan, missing.ClockStart);
        Assert.Equal(Outcome.Finding, Assert.Single(result.Evaluations, e => e.SubKey == "KB890830").Outcome); // pending reboot
        Assert.Equal(Outcome.Compliant, Assert.Single(result.Evaluations, e => e.SubKey == "KB5034439").Outcome);
        Assert.DoesNotContain(result.Evaluations, e => e.SubKey == "KB4052623"); // NotApplicable
        Assert.Equal(4, result.Evaluations.Count);
    }

    [Fact]
    public void Config_sweep_and_event_share_finding_identities()
    {
        var fromConfig = Evaluate(Load()).Evaluations.Single(e => e.SubKey == "KB5035857");
        var fromSweep = new MissingPatchInput
        {
            AccountId = "123456789012",
            Region = "us-east-1",
            InstanceId = "i-0123456789abcdef0",
            PatchId = "KB5035857",
            State = "Missing",
            Origin = "ssm-sweep",
        }.Dispatch(RuleRegistry.CreateDefault(), TestContexts.At("2024-03-13T00:00:00Z")).Single();
        Assert.Equal(fromSweep.FindingId, fromConfig.FindingId);
    }

    [Fact]
    public void A_stale_item_reports_what_is_missing_but_resolves_nothing()
    {
        var result = Evaluate(Load(), "2024-03-19T09:14:51.001Z"); // scan + 7 days + 1 ms
        Assert.Contains(result.Evaluations, e => e.SubKey == "KB5035857" && e.Outcome == Outcome.Finding);
        Assert.DoesNotContain(result.Evaluations, e => e.Outcome == Outcome.Compliant);
    }

    [Fact]
    public void A_compliant_summary_resolves_the_instance_finding()
    {
        var node = Load();
        PatchesOf(node)["ComplianceSummary"]!["Status"] = "COMPLIANT";
        var instance = Assert.Single(Evaluate(node).Evaluations, e => e.Rule.Id == "patch.instance-patch-compliance");
        Assert.Equal(Outcome.Compliant, instance.Outcome);
    }

    [Fact]
    public void A_bare_instance_resource_id_is_understood()
    {
        var node = Load();
        ItemOf(node)["resourceId"] = "i-0123456789abcdef0";
        Assert.Contains(Evaluate(node).Evaluations, e => e.ResourceId == "i-0123456789abcdef0" && e.Rule.Id == "patch.missing-patch");
    }

    [Fact]
    public void Items_without_an_instance_or_patch_content_are_ignored_with_a_reason()
    {
        var noInstance = Load();
        ItemOf(noInstance)["resourceId"] = "not-an-instance";
        ItemOf(noInstance)["ARN"] = "arn:aws:ssm:us-east-1:123456789012:something/else";
        var ignored = Assert.Single(Evaluate(noInstance).Evaluations);
        Assert.Equal(Outcome.Ignored, ignored.Outcome);
        Assert.Contains("no managed instance id", ignored.Message, StringComparison.Ordinal);

        var noContent = Load();
        ItemOf(noContent)["configuration"]!["AWS:ComplianceItem"]!["Content"] = "garbage";
        Assert.Contains("no AWS:ComplianceItem.Content.Patch", Assert.Single(Evaluate(noContent).Evaluations).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Hostile_patch_entries_are_skipped_or_kept_as_data()
    {
        var node = Load();
        PatchesOf(node)["evil"] = new JsonObject { ["Id"] = new string('x', 5000), ["PatchState"] = "Missing" };
        PatchesOf(node)["odd"] = "not an object";
        PatchesOf(node)["<script>"] = new JsonObject { ["PatchState"] = "Missing", ["Title"] = "<script>alert(1)</script>" };
        var result = Evaluate(node);
        Assert.False(result.Rejected);
        Assert.DoesNotContain(result.Evaluations, e => e.SubKey.Length > 256);
        Assert.Contains(result.Evaluations, e => e.SubKey == "<script>" && e.Outcome == Outcome.Finding);
    }
}
