using System.Globalization;
using IsmsServerless.Engine;
using IsmsServerless.Inputs;
using IsmsServerless.Model;
using IsmsServerless.Settings;
using IsmsServerless.Tests.Support;

namespace IsmsServerless.Tests.Patch;

/// <summary>The patch rules on their own, with a fake clock.</summary>
public sealed class PatchRuleTests
{
    private static readonly RuleRegistry Registry = RuleRegistry.CreateDefault();

    private static DateTimeOffset Utc(string iso) => DateTimeOffset.Parse(iso, CultureInfo.InvariantCulture);

    private static MissingPatchInput Patch(string state, string severity = "Critical", DateTimeOffset? release = null) => new()
    {
        AccountId = "111122223333",
        Region = "eu-west-1",
        InstanceId = "i-0123456789abcdef0",
        PatchId = "KB5034441",
        Title = "2024-01 Security Update",
        Classification = "SecurityUpdates",
        SeverityText = severity,
        State = state,
        ReleaseDate = release,
        ObservedMissingAt = Utc("2024-01-20T00:00:00Z"),
        Origin = "test",
    };

    [Theory]
    [InlineData("Missing", Outcome.Finding)]
    [InlineData("Failed", Outcome.Finding)]
    [InlineData("InstalledPendingReboot", Outcome.Finding)]
    [InlineData("InstalledRejected", Outcome.Finding)]
    [InlineData("Installed", Outcome.Compliant)]
    [InlineData("InstalledOther", Outcome.Compliant)]
    [InlineData("NotApplicable", Outcome.Compliant)]
    [InlineData("Quantum", Outcome.Ignored)]
    public void Patch_states_map_to_outcomes(string state, Outcome expected)
    {
        var evaluation = Assert.Single(Patch(state).Dispatch(Registry, TestContexts.At("2024-01-21T00:00:00Z")));
        Assert.Equal(expected, evaluation.Outcome);
        Assert.Equal("KB5034441", evaluation.SubKey);
    }

    [Theory]
    [InlineData("Critical", Severity.Critical)]
    [InlineData("Important", Severity.High)]
    [InlineData("Moderate", Severity.Medium)]
    [InlineData("Low", Severity.Low)]
    [InlineData("Unspecified", Severity.Medium)]
    [InlineData("", Severity.Medium)]
    public void Msrc_and_linux_severities_map_to_ours(string vendor, Severity expected) =>
        Assert.Equal(expected, Assert.Single(Patch("Missing", vendor).Dispatch(Registry, TestContexts.At("2024-01-21T00:00:00Z"))).Severity);

    [Fact]
    public void The_clock_starts_at_the_scan_that_found_the_patch_missing_by_default_and_at_the_release_with_vendorPublished()
    {
        var release = Utc("2024-01-09T18:00:00Z");
        var scan = Utc("2024-01-20T00:00:00Z");
        var context = TestContexts.At("2024-01-21T00:00:00Z");
        var evaluation = Assert.Single(Patch("Missing", release: release).Dispatch(Registry, context));
        Assert.Equal(scan, evaluation.ClockStart);
        Assert.Equal("scanEndTime", evaluation.Evidence["clockStartSource"]);
        Assert.Equal(scan.AddDays(7), context.Sla.DeadlineFor(evaluation, context.Now)!.DueAt);

        var strict = TestContexts.At("2024-01-21T00:00:00Z", new IsmsSettings { PatchClockStart = PatchClockStarts.VendorPublished });
        var vendor = Assert.Single(Patch("Missing", release: release).Dispatch(Registry, strict));
        Assert.Equal(release, vendor.ClockStart);
        Assert.Equal("releaseDate", vendor.Evidence["clockStartSource"]);
        Assert.Equal(release.AddDays(7), strict.Sla.DeadlineFor(vendor, strict.Now)!.DueAt);
    }

    [Fact]
    public void Never_before_a_fix_exists_a_release_after_the_scan_starts_the_clock()
    {
        var release = Utc("2024-01-25T00:00:00Z"); // released after the scan that saw it missing
        var evaluation = Assert.Single(Patch("Missing", release: release).Dispatch(Registry, TestContexts.At("2024-01-26T00:00:00Z")));
        Assert.Equal(release, evaluation.ClockStart);
    }

    private static PatchScanStatusInput Scan(DateTimeOffset? last, string ping = "Online", DateTimeOffset? registered = null) => new()
    {
        AccountId = "111122223333",
        Region = "eu-west-1",
        InstanceId = "i-0123456789abcdef0",
        LastOperationEndedAt = last,
        LastOperation = "Scan",
        RegisteredAt = registered,
        PingStatus = ping,
        Platform = "Ubuntu",
    };

    [Fact]
    public void Scan_age_boundary_is_exclusive_and_configurable()
    {
        var last = Utc("2024-03-01T00:00:00Z");
        Assert.Equal(Outcome.Compliant, Assert.Single(Scan(last).Dispatch(Registry, TestContexts.At("2024-03-08T00:00:00Z"))).Outcome);
        var stale = Assert.Single(Scan(last).Dispatch(Registry, TestContexts.At("2024-03-08T00:00:00.001Z")));
        Assert.Equal(Outcome.Finding, stale.Outcome);
        Assert.Equal(Utc("2024-03-08T00:00:00Z"), stale.ClockStart);
        var strict = IsmsSettings.Parse("""{"patchScanMaxAgeDays":2}""");
        Assert.Equal(Outcome.Finding, Assert.Single(Scan(last).Dispatch(Registry, TestContexts.At("2024-03-03T00:00:00.001Z", strict))).Outcome);
    }

    [Fact]
    public void Never_scanned_is_a_finding_whose_clock_runs_from_registration_plus_the_limit()
    {
        var evaluation = Assert.Single(Scan(null, "ConnectionLost", Utc("2024-02-01T00:00:00Z")).Dispatch(Registry, TestContexts.At("2024-03-01T00:00:00Z")));
        Assert.Equal(Outcome.Finding, evaluation.Outcome);
        Assert.Equal(Utc("2024-02-08T00:00:00Z"), evaluation.ClockStart);
        Assert.Contains("ConnectionLost", evaluation.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Inactive_nodes_are_not_judged() =>
        Assert.Empty(Scan(null, "Inactive").Dispatch(Registry, TestContexts.At("2024-03-01T00:00:00Z")));

    [Fact]
    public void Every_patch_rule_cites_a_8_8_and_the_seven_day_clause()
    {
        var patchRules = Registry.Rules.Where(r => r.Metadata.Category == Category.Patch).ToList();
        Assert.Equal(5, patchRules.Count);
        Assert.All(patchRules, r =>
        {
            Assert.Contains(Controls.IsoVulnerabilities, r.Metadata.Controls);
            Assert.Contains("Apply critical security patches within 7 days", r.Metadata.PolicyClause, StringComparison.Ordinal);
        });
    }
}
