using System.Reflection;
using System.Text.Json;
using IsmsServerless.Cli;
using IsmsServerless.Cli.Local;
using IsmsServerless.Policy;
using IsmsServerless.Settings;

namespace IsmsServerless.Tests.Policy;

public sealed class PolicyFileTests
{
    private static string PolicyPath => Path.Combine(RepositoryRoot.Find(), "policy", "isms.yaml");
    private static string SchemaPath => Path.Combine(RepositoryRoot.Find(), "policy", "isms.schema.json");
    private static string Yaml => File.ReadAllText(PolicyPath);

    [Fact]
    public void The_repository_policy_is_valid_and_is_the_one_bundled_in_the_functions()
    {
        var result = PolicyValidator.Validate(Yaml);
        Assert.True(result.Valid, string.Join("\n", result.Errors));
        Assert.Equal(Yaml, PolicyDocument.ReadEmbedded());
        Assert.Equal(result.Policy!.Version, PolicyDocument.Embedded.Version);
        Assert.Equal("2027-01-09", PolicyDocument.Embedded.Document.NextReview);
        Assert.StartsWith("# yaml-language-server: $schema=./isms.schema.json", Yaml, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_IsmsSettings_property_is_a_schema_key_and_every_schema_key_a_setting()
    {
        using var schema = JsonDocument.Parse(File.ReadAllText(SchemaPath));
        var keys = schema.RootElement.GetProperty("properties").EnumerateObject().Select(p => p.Name)
            .Where(k => !PolicyDocument.NonSettingKeys.Contains(k)).ToHashSet(StringComparer.Ordinal);
        var settings = typeof(IsmsSettings).GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanWrite)
            .Select(p => JsonNamingPolicy.CamelCase.ConvertName(p.Name)).ToHashSet(StringComparer.Ordinal);
        Assert.Empty(settings.Except(keys));
        Assert.Empty(keys.Except(settings));
        Assert.Equal(PolicyValidator.SchemaText, File.ReadAllText(SchemaPath));
    }

    [Fact]
    public void The_policy_settings_map_onto_IsmsSettings_through_its_own_parser()
    {
        var policy = PolicyDocument.Parse(Yaml);
        Assert.Equal(7, policy.Settings.SlaDays["CRITICAL"]);
        Assert.Equal(24, policy.Settings.ChangeReviewHours);
        Assert.Equal("https://isms.example.com", policy.Settings.StatusPageUrl);
        var changed = PolicyDocument.Parse(Yaml.Replace("changeReviewHours: 24", "changeReviewHours: 12", StringComparison.Ordinal));
        Assert.Equal(12, changed.Settings.ChangeReviewHours);
    }

    [Fact]
    public void Every_error_is_listed_with_its_yaml_line_and_path()
    {
        var lines = Yaml.Split('\n').ToList();
        int LineOf(string start) => lines.FindIndex(l => l.StartsWith(start, StringComparison.Ordinal)) + 1;
        var bad = Yaml
            .Replace("changeReviewHours: 24", "changeReviewHours: 9000", StringComparison.Ordinal)
            .Replace("atRiskShare: 0.5", "atRiskShare: lots", StringComparison.Ordinal)
            .Replace("patchScanMaxAgeDays: 7", "patchScanMaxAgeDays: 7\nsurpriseKey: 1", StringComparison.Ordinal)
            .Replace("framework: SOC2\n    title: Recovery plan testing", "framework: SOX\n    title: Recovery plan testing", StringComparison.Ordinal);
        var result = PolicyValidator.Validate(bad);
        Assert.False(result.Valid);
        var badLines = bad.Split('\n').ToList();
        Assert.Contains(result.Errors, e => e.Path == "/changeReviewHours" && e.Line == LineOf("changeReviewHours:"));
        Assert.Contains(result.Errors, e => e.Path == "/atRiskShare" && e.Line == LineOf("atRiskShare:"));
        Assert.Contains(result.Errors, e => e.Message.Contains("surpriseKey", StringComparison.Ordinal) || e.Path == "/surpriseKey");
        var soxLine = badLines.FindIndex(l => l.Contains("framework: SOX", StringComparison.Ordinal)) + 1;
        Assert.Contains(result.Errors, e => e.Path.EndsWith("/framework", StringComparison.Ordinal) && e.Line == soxLine);
    }

    [Fact]
    public void One_mistake_is_reported_once_not_as_every_alternative_and_every_unmatched_if_of_the_schema()
    {
        // Two mistakes: one duty's cadence and one SLA value. The schema's anyOf (cadence word or ISO duration) and the
        // controls' if/then (evidence kinds) must not report their non-matching branches for every other duty and control.
        var first = Yaml.IndexOf("cadence: quarterly", StringComparison.Ordinal);
        Assert.True(first > 0);
        var bad = string.Concat(Yaml.AsSpan(0, first), "cadence: fortnightly-ish", Yaml.AsSpan(first + "cadence: quarterly".Length))
            .Replace("changeReviewHours: 24", "changeReviewHours: -3", StringComparison.Ordinal);
        var result = PolicyValidator.Validate(bad);
        Assert.False(result.Valid);
        var paths = result.Errors.Select(e => e.Path).Distinct().Order(StringComparer.Ordinal).ToList();
        Assert.Contains("/changeReviewHours", paths);
        var duty = Assert.Single(paths, p => p.StartsWith("/duties/", StringComparison.Ordinal));
        Assert.EndsWith("/cadence", duty, StringComparison.Ordinal);
        Assert.DoesNotContain(paths, p => p.StartsWith("/controls", StringComparison.Ordinal));
        Assert.True(result.Errors.Count <= 6, string.Join("\n", result.Errors));
    }

    [Fact]
    public void Settings_rules_the_schema_cannot_express_are_still_errors_with_their_line()
    {
        // Ascending reminder shares is a Validate() rule, not a schema rule.
        var bad = Yaml.Replace("changeReviewReminderShares: [0.5, 0.9]", "changeReviewReminderShares: [0.9, 0.5]", StringComparison.Ordinal);
        var result = PolicyValidator.Validate(bad);
        var error = Assert.Single(result.Errors);
        Assert.Equal("/changeReviewReminderShares", error.Path);
        Assert.Equal(Yaml.Split('\n').ToList().FindIndex(l => l.StartsWith("changeReviewReminderShares", StringComparison.Ordinal)) + 1, error.Line);
    }

    [Fact]
    public void Yaml_syntax_errors_and_duplicate_keys_are_reported_not_thrown()
    {
        var syntax = PolicyValidator.Validate("version: \"1\"\ncontrols: [\n  - oops: {\n");
        Assert.False(syntax.Valid);
        Assert.True(syntax.Errors[0].Line > 0);
        var duplicate = PolicyValidator.Validate(Yaml.Replace("failedLoginThreshold: 5", "failedLoginThreshold: 5\nfailedLoginThreshold: 6", StringComparison.Ordinal));
        Assert.Contains(duplicate.Errors, e => e.Message.Contains("duplicate key", StringComparison.OrdinalIgnoreCase) && e.Message.Contains("failedLoginThreshold", StringComparison.Ordinal) && e.Line > 0);
    }

    [Fact]
    public void Policy_validate_prints_file_line_path_and_exits_1_on_any_error()
    {
        var dir = Directory.CreateTempSubdirectory("isms-policy-");
        try
        {
            var good = Path.Combine(dir.FullName, "good.yaml");
            var bad = Path.Combine(dir.FullName, "bad.yaml");
            File.WriteAllText(good, Yaml);
            File.WriteAllText(bad, Yaml.Replace("- id: A.8.8\n", "- id: A.8.8\n    freshnessDays: 0\n", StringComparison.Ordinal)
                .Replace("rules: [change.review-overdue]\n    duties: [fault-log-review]", "rules: [change.nope]\n    duties: [fault-log-review]", StringComparison.Ordinal));
            var output = new StringWriter();
            var errors = new StringWriter();
            Assert.Equal(0, PolicyCommand.Validate(good, output, errors));
            Assert.Contains("valid (version", output.ToString(), StringComparison.Ordinal);

            errors = new StringWriter();
            Assert.Equal(1, PolicyCommand.Validate(bad, new StringWriter(), errors));
            var text = errors.ToString();
            Assert.Matches(@"bad\.yaml:\d+: error: /controls/\d+/freshnessDays: ", text);
            Assert.Equal(2, PolicyCommand.Validate(Path.Combine(dir.FullName, "missing.yaml"), new StringWriter(), new StringWriter()));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void Cdk_json_no_longer_carries_the_isms_block()
    {
        using var cdk = JsonDocument.Parse(File.ReadAllText(Path.Combine(RepositoryRoot.Find(), "cdk.json")));
        var context = cdk.RootElement.GetProperty("context");
        Assert.False(context.TryGetProperty("isms", out _));
        Assert.Equal("policy/isms.yaml", context.GetProperty("policyFile").GetString());
    }

    [Fact]
    public void The_policy_lists_people_backup_incidents_anti_malware_and_the_default_duties()
    {
        var policy = PolicyDocument.Parse(Yaml);
        var settings = policy.Settings;
        Assert.Equal(["it-director", "cto", "ceo"], settings.People.Select(p => p.Roles.Single()));
        Assert.All(settings.People, p => Assert.EndsWith("@example.com", p.Email, StringComparison.Ordinal));
        Assert.All(settings.People, p => Assert.Empty(p.AllPrincipals));
        Assert.Equal(92, settings.Backup.RestoreTestDays);
        Assert.Equal("CRITICAL", settings.Incidents.MinSeverity);
        Assert.True(settings.AntiMalware.GuardDutyRequired);
        // The duties are the defaults, value for value: the stack then leaves them out of ISMS_SETTINGS (4 KB cap).
        Assert.Equal(JsonSerializer.Serialize(DutyDefaults.All()), JsonSerializer.Serialize(settings.Duties));
        Assert.DoesNotContain("\"duties\"", settings.ToJson(), StringComparison.Ordinal);
        Assert.True(System.Text.Encoding.UTF8.GetByteCount(settings.ToJson()) < 4096 - 512);
    }

    [Theory]
    [InlineData("  - email: adam@example.com ", "  - email: not-an-email ", "/people/2/email")]
    [InlineData("    roles: [ceo]", "    roles: [emperor]", "/people/2/roles/0")]
    [InlineData("    cadence: quarterly\n    firstDue: 2026-12-31\n    fourEyes: true", "    cadence: fortnightly\n    firstDue: 2026-12-31\n    fourEyes: true", "/duties/0/cadence")]
    [InlineData("    ownerRole: it-team\n    cadence: quarterly", "    ownerRole: janitor\n    cadence: quarterly", "/duties/1/ownerRole")]
    [InlineData("  rtoHours: 4", "  rtoHours: 400", "/backup/rtoHours")]
    [InlineData("  minSeverity: CRITICAL", "  minSeverity: DIRE", "/incidents/minSeverity")]
    [InlineData("  requiredApplications: []", "  requiredApplications: []\n  surprise: true", "/antiMalware")]
    [InlineData("unmappedAuthorReview: allow-flagged", "unmappedAuthorReview: shrug", "/unmappedAuthorReview")]
    public void The_schema_checks_the_identity_backup_incident_and_duty_keys(string from, string to, string path)
    {
        Assert.Contains(from, Yaml, StringComparison.Ordinal);
        var result = PolicyValidator.Validate(Yaml.Replace(from, to, StringComparison.Ordinal));
        Assert.False(result.Valid);
        Assert.Contains(result.Errors, e => e.Path.StartsWith(path, StringComparison.Ordinal) && e.Line > 0);
    }

    [Fact]
    public void A_duty_that_evidences_a_control_missing_from_the_catalog_is_an_error()
    {
        var bad = Yaml.Replace("controls: [\"ISO27001:2022 A.8.13\", \"SOC2 A1.3\"]", "controls: [\"ISO27001:2022 A.8.13\", \"SOC2 CC9.9\"]", StringComparison.Ordinal);
        var result = PolicyValidator.Validate(bad);
        Assert.Contains(result.Errors, e => e.Path == "/duties/1/controls/1" && e.Message.Contains("SOC2 CC9.9", StringComparison.Ordinal));
    }
}
