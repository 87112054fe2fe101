using System.Text.Json;
using IsmsServerless.Cli;
using IsmsServerless.Engine;
using IsmsServerless.Settings;
using IsmsServerless.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace IsmsServerless.Tests.Patch;

/// <summary>
/// <c>./isms evaluate --at T</c> over Inspector and SSM events, through <see cref="EvaluateCommand.Run"/>: the deadline
/// and the open / at-risk / breached state, at and around the boundaries, with a fake clock.
/// </summary>
public sealed class PatchSlaCliTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("isms-patch-");

    public void Dispose() => _dir.Delete(recursive: true);

    private static List<JsonElement> Run(string path, string at, IsmsSettings? settings = null)
    {
        var output = new StringWriter();
        var clock = new FakeTimeProvider(DateTimeOffset.Parse(at, System.Globalization.CultureInfo.InvariantCulture));
        var exit = EvaluateCommand.Run([path], new EvaluationContext(settings ?? IsmsSettings.Default, clock), RuleEngine.CreateDefault(), output);
        Assert.Equal(0, exit);
        return [.. output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.Clone())];
    }

    /// <summary>The docs' EC2 finding made ACTIVE and CRITICAL, with its vendor date moved to <paramref name="vendorCreatedAt"/>.</summary>
    private string CriticalInspectorFinding(string vendorCreatedAt) => PatchEvents.TempFile(PatchEvents.Edited(PatchEvents.Ec2Vuln, d =>
    {
        d["status"] = "ACTIVE";
        d["severity"] = "CRITICAL";
        d["packageVulnerabilityDetails"]!["vendorCreatedAt"] = vendorCreatedAt;
    }), _dir, "inspector-critical.json");

    /// <summary>The strict reading, read from the policy-file key as a user writes it.</summary>
    private static readonly IsmsSettings VendorPublished = IsmsSettings.Parse("""{"patchClockStart":"vendorPublished"}""");

    [Theory]
    // patchClockStart vendorPublished. Clock start: vendorCreatedAt Sun Sep 01 00:00:00.000 UTC 2024; CRITICAL = 7 days; at-risk after half the window.
    [InlineData("2024-09-04T11:59:59.999Z", "open")]
    [InlineData("2024-09-04T12:00:00Z", "at-risk")]
    [InlineData("2024-09-08T00:00:00Z", "at-risk")] // exactly 7 days: still within "within 7 days"
    [InlineData("2024-09-08T00:00:00.001Z", "breached")] // 7 days + 1 ms
    [InlineData("2024-09-08T02:00:00.001+02:00", "breached")] // the same instant, written with an offset
    [InlineData("2024-09-07T17:00:00-07:00", "at-risk")] // = 2024-09-08T00:00:00Z
    public void Inspector_critical_is_open_at_risk_then_breached(string at, string state)
    {
        var path = CriticalInspectorFinding("Sun Sep 01 00:00:00.000 UTC 2024");
        var line = Assert.Single(Run(path, at, VendorPublished));
        Assert.Equal("finding", line.GetProperty("outcome").GetString());
        Assert.Equal("patch.inspector-vulnerability", line.GetProperty("ruleId").GetString());
        Assert.Equal("patch", line.GetProperty("category").GetString());
        Assert.Equal("CRITICAL", line.GetProperty("severity").GetString());
        Assert.Equal("CVE-2024-29069", line.GetProperty("subKey").GetString());
        Assert.Equal("2024-09-08T00:00:00.000Z", line.GetProperty("dueAt").GetString());
        Assert.Equal(state, line.GetProperty("state").GetString());
        Assert.Contains("ISO27001:2022 A.8.8", line.GetProperty("controls").EnumerateArray().Select(c => c.GetString()));
    }

    [Fact]
    public void The_sla_table_is_configurable()
    {
        var path = CriticalInspectorFinding("Sun Sep 01 00:00:00.000 UTC 2024");
        var settings = IsmsSettings.Parse("""{"slaDays":{"CRITICAL":3,"HIGH":30,"MEDIUM":90,"LOW":180},"patchClockStart":"vendorPublished"}""");
        var line = Assert.Single(Run(path, "2024-09-04T00:00:00.001Z", settings));
        Assert.Equal("2024-09-04T00:00:00.000Z", line.GetProperty("dueAt").GetString());
        Assert.Equal("breached", line.GetProperty("state").GetString());
    }

    [Fact]
    public void By_default_the_clock_starts_at_first_observation_and_an_unknown_setting_is_refused()
    {
        var path = CriticalInspectorFinding("Sun Sep 01 00:00:00.000 UTC 2024");
        var line = Assert.Single(Run(path, "2024-09-08T00:00:00.001Z"));
        // firstObservedAt Wed Sep 04 16:59:44.356 UTC 2024 + 7 days (at risk from Sep 8 04:59:44): still open where
        // vendorPublished is breached.
        Assert.Equal("2024-09-11T16:59:44.356Z", line.GetProperty("dueAt").GetString());
        Assert.Equal("open", line.GetProperty("state").GetString());
        Assert.Throws<InvalidSettingsException>(() => IsmsSettings.Parse("""{"patchClockStart":"published"}"""));
    }

    [Fact]
    public void A_vendor_date_after_detection_cannot_buy_time()
    {
        // A clock-skewed or future vendor date: the clock starts no later than first observation.
        var path = CriticalInspectorFinding("Wed Dec 25 00:00:00.000 UTC 2024");
        var line = Assert.Single(Run(path, "2024-09-12T00:00:00Z"));
        Assert.Equal("2024-09-11T16:59:44.356Z", line.GetProperty("dueAt").GetString());
        Assert.Equal("breached", line.GetProperty("state").GetString());
    }

    [Theory]
    // SSM event time 2017-07-17T19:02:31Z, severity critical: due 2017-07-24T19:02:31Z.
    [InlineData("2017-07-18T00:00:00Z", "open")]
    [InlineData("2017-07-24T19:02:31Z", "at-risk")]
    [InlineData("2017-07-24T19:02:31.001Z", "breached")]
    public void Ssm_non_compliant_event_is_classified(string at, string state)
    {
        var line = Assert.Single(Run(Fixtures.SharedPath(PatchEvents.SsmNonCompliant), at));
        Assert.Equal("patch.instance-patch-compliance", line.GetProperty("ruleId").GetString());
        Assert.Equal("i-01234567890abcdef", line.GetProperty("resourceId").GetString());
        Assert.Equal("2017-07-24T19:02:31.000Z", line.GetProperty("dueAt").GetString());
        Assert.Equal(state, line.GetProperty("state").GetString());
    }

    [Fact]
    public void Closed_suppressed_and_reachability_events_print_no_deadline()
    {
        var closed = Assert.Single(Run(Fixtures.SharedPath(PatchEvents.Ec2Vuln), "2024-09-05T00:00:00Z"));
        Assert.Equal("compliant", closed.GetProperty("outcome").GetString());
        Assert.False(closed.TryGetProperty("state", out _));
        var suppressed = PatchEvents.TempFile(PatchEvents.Edited(PatchEvents.Ec2Vuln, d => d["status"] = "SUPPRESSED"), _dir, "suppressed.json");
        Assert.Equal("ignored", Assert.Single(Run(suppressed, "2024-09-05T00:00:00Z")).GetProperty("outcome").GetString());
        var reach = Assert.Single(Run(Fixtures.SharedPath(PatchEvents.Reachability), "2024-09-05T00:00:00Z"));
        Assert.Equal("ignored", reach.GetProperty("outcome").GetString());
    }

    [Fact]
    public void Hostile_strings_in_an_inspector_finding_come_out_json_escaped()
    {
        var path = PatchEvents.TempFile(PatchEvents.Edited(PatchEvents.Ec2Vuln, d =>
        {
            d["status"] = "ACTIVE";
            d["title"] = "<img src=x onerror=alert(1)>";
            d["packageVulnerabilityDetails"]!["vulnerablePackages"]![0]!["name"] = "<script>alert(1)</script>\n{\"outcome\":\"compliant\"}";
            d["packageVulnerabilityDetails"]!["vulnerabilityId"] = "CVE-2024-0001\"},{\"x\":\"";
        }), _dir, "evil.json");
        var output = new StringWriter();
        EvaluateCommand.Run([path], TestContexts.At("2024-09-05T00:00:00Z"), RuleEngine.CreateDefault(), output);
        var text = output.ToString();
        Assert.DoesNotContain("<script>", text, StringComparison.Ordinal);
        var line = Assert.Single(text.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        var parsed = JsonDocument.Parse(line).RootElement;
        Assert.Equal("finding", parsed.GetProperty("outcome").GetString());
        Assert.Equal("CVE-2024-0001\"},{\"x\":\"", parsed.GetProperty("subKey").GetString());
        Assert.Contains("<script>", parsed.GetProperty("message").GetString(), StringComparison.Ordinal);
    }
}
