using System.Text.Json.Nodes;
using IsmsServerless.Backups;
using IsmsServerless.Engine;
using IsmsServerless.Model;
using IsmsServerless.Output;
using IsmsServerless.Settings;
using IsmsServerless.Tests.Drift;
using IsmsServerless.Tests.Support;

namespace IsmsServerless.Tests.Backup;

/// <summary>AWS Backup's own documented events through the one engine path (payload → router → adapter → rules).</summary>
public sealed class BackupRulesTests
{
    private static readonly RuleEngine Engine = RuleEngine.CreateDefault();

    private static EngineResult Run(string fixture, string at = "2020-08-01T00:00:00Z", IsmsSettings? settings = null) =>
        Engine.Evaluate(Fixtures.Local("backup/" + fixture), TestContexts.At(at, settings));

    private static Evaluation Only(EngineResult result, string ruleId) => Assert.Single(result.Evaluations, e => e.Rule.Id == ruleId);

    [Theory]
    [InlineData("eb-backup-job-failed-docs.json", "FAILED")]
    [InlineData("eb-backup-job-aborted-docs.json", "ABORTED")]
    [InlineData("eb-backup-job-expired-docs.json", "EXPIRED")]
    public void A_failed_aborted_or_expired_backup_job_is_a_backup_finding_on_the_jobs_resource(string fixture, string state)
    {
        var result = Run(fixture);
        Assert.Null(result.Error);
        var e = Only(result, "backup.job-failed");
        Assert.Equal(Outcome.Finding, e.Outcome);
        Assert.Equal(Category.Backup, e.Rule.Category);
        Assert.True(e.Severity >= Severity.Medium);
        Assert.Equal("arn:aws:service:us-west-2:1112233445566:resource-type/resource-id", e.ResourceId);
        Assert.Equal(state, e.Evidence["state"]);
        // AWS quotes the status message inside the string; the quotes are not part of the reason.
        Assert.DoesNotContain("\"", e.Evidence["statusMessage"], StringComparison.Ordinal);
    }

    [Fact]
    public void The_evaluate_contract_line_for_a_failed_job_has_category_backup_at_least_medium_and_the_resource()
    {
        var context = TestContexts.At("2020-08-01T00:00:00Z");
        var line = Assert.Single(OutcomeLine.From("f.json", Run("eb-backup-job-failed-docs.json"), context));
        Assert.Equal("finding", line.Outcome);
        Assert.Equal("backup", line.Category);
        Assert.Contains(line.Severity, new[] { "MEDIUM", "HIGH", "CRITICAL" });
        Assert.Equal("arn:aws:service:us-west-2:1112233445566:resource-type/resource-id", line.ResourceId);
    }

    [Fact]
    public void A_completed_job_for_the_same_resource_resolves_the_same_finding()
    {
        var failed = Only(Run("eb-backup-job-failed-docs.json"), "backup.job-failed");
        var completed = Only(Run("eb-backup-job-completed-docs.json"), "backup.job-failed");
        Assert.Equal(Outcome.Compliant, completed.Outcome);
        Assert.Equal(failed.FindingId, completed.FindingId);
        Assert.NotNull(completed.ObservedAt);
        Assert.NotNull(failed.ObservedAt);
    }

    [Fact]
    public void A_running_job_and_a_created_job_are_not_judged()
    {
        Assert.Empty(Run("eb-backup-job-running-docs.json").Evaluations);
        var created = """{"version":"0","id":"29af2bf2-eace-58ab-da3a-8c0bf738d692","detail-type":"Backup Job State Change","source":"aws.backup","account":"1112233445566","time":"2020-06-22T20:32:53Z","region":"us-west-2","resources":[],"detail":{"backupJobId":"7e8845b5-ca30-415f-a842-e0152bf4d0ca","state":"CREATED","creationDate":"2020-06-22T20:32:47.466Z"}}"""u8.ToArray();
        var result = Engine.Evaluate(created, TestContexts.At("2020-08-01T00:00:00Z"));
        Assert.Null(result.Error);
        Assert.Empty(result.Evaluations);
        Assert.NotNull(result.IgnoredReason);
    }

    [Fact]
    public void A_failed_copy_job_whose_destination_arn_is_an_empty_object_is_a_missing_off_region_copy()
    {
        var e = Only(Run("eb-copy-job-failed-docs.json"), "backup.cross-region-copy");
        Assert.Equal(Outcome.Finding, e.Outcome);
        Assert.Equal("arn:aws:ec2:us-west-2:1112233445566:instance/i-0515aee7de03f58e1", e.ResourceId);
        Assert.Contains("FAILED", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_completed_copy_into_the_same_region_is_still_a_finding_and_into_another_region_resolves_it()
    {
        var same = Only(Run("eb-copy-job-completed-docs.json"), "backup.cross-region-copy");
        Assert.Equal(Outcome.Finding, same.Outcome);
        Assert.Contains("same region", same.Message, StringComparison.Ordinal);

        var node = JsonNode.Parse(Fixtures.Local("backup/eb-copy-job-completed-docs.json"))!;
        node["detail"]!["destinationBackupVaultArn"] = "arn:aws:backup:eu-west-1:1112233445566:backup-vault:dr-vault";
        var other = Assert.Single(Engine.Evaluate(System.Text.Encoding.UTF8.GetBytes(node.ToJsonString()), TestContexts.At("2020-08-01T00:00:00Z")).Evaluations,
            e => e.Rule.Id == "backup.cross-region-copy");
        Assert.Equal(Outcome.Compliant, other.Outcome);
        Assert.Equal(same.FindingId, other.FindingId);

        var off = new IsmsSettings { Backup = new BackupSettings { CopyRegionRequired = false } };
        Assert.DoesNotContain(Run("eb-copy-job-completed-docs.json", settings: off).Evaluations, e => e.Rule.Id == "backup.cross-region-copy");
    }

    [Fact]
    public void A_restore_within_the_RTO_passes_and_starts_the_next_quarterly_clock()
    {
        var e = Only(Run("eb-restore-testing-job-completed-derived.json"), "backup.restore-test");
        Assert.Equal(Outcome.Compliant, e.Outcome);
        Assert.Equal("arn:aws:rds:us-west-2:1112233445566:db:example-database", e.ResourceId);
        Assert.Equal("true", e.Evidence["restoreTest"]);
        // completionDate 2020-07-15T03:14:53.128Z + 92 days.
        Assert.Equal("2020-10-15T03:14:53.128Z", e.Evidence["nextRestoreTestDue"]);
    }

    [Fact]
    public void A_restore_slower_than_the_RTO_is_a_finding_and_a_longer_RTO_setting_accepts_it()
    {
        var slow = Only(Run("eb-restore-testing-job-completed-slow-derived.json"), "backup.restore-test");
        Assert.Equal(Outcome.Finding, slow.Outcome);
        Assert.Contains("5.5 h", slow.Message, StringComparison.Ordinal);
        var relaxed = new IsmsSettings { Backup = new BackupSettings { RtoHours = 6 } };
        Assert.Equal(Outcome.Compliant, Only(Run("eb-restore-testing-job-completed-slow-derived.json", settings: relaxed), "backup.restore-test").Outcome);
    }

    [Fact]
    public void A_failed_restore_names_the_envelope_resource_when_the_detail_has_none()
    {
        var e = Only(Run("eb-restore-job-failed-docs.json"), "backup.restore-test");
        Assert.Equal(Outcome.Finding, e.Outcome);
        Assert.Equal("arn:aws:ec2:us-west-2::image/ami-12b3456dfb7f8cf90", e.ResourceId);
    }

    [Fact]
    public void An_unencrypted_recovery_point_is_a_finding_its_isEncrypted_string_read_as_a_boolean()
    {
        var e = Only(Run("eb-recovery-point-completed-unencrypted-docs.json"), "backup.recovery-point-encrypted");
        Assert.Equal(Outcome.Finding, e.Outcome);
        Assert.Equal("arn:aws:rds:us-west-2:1112233445566:cluster:id", e.ResourceId);
        Assert.Equal("AWS::RDS::DBCluster", e.ResourceType);
        var node = JsonNode.Parse(Fixtures.Local("backup/eb-recovery-point-completed-unencrypted-docs.json"))!;
        node["detail"]!["isEncrypted"] = "true";
        var encrypted = Assert.Single(Engine.Evaluate(System.Text.Encoding.UTF8.GetBytes(node.ToJsonString()), TestContexts.At("2020-08-01T00:00:00Z")).Evaluations);
        Assert.Equal(Outcome.Compliant, encrypted.Outcome);
        Assert.Equal(e.FindingId, encrypted.FindingId);
    }

    [Fact]
    public void DynamoDB_table_in_scope_without_PITR_breaks_the_one_hour_RPO()
    {
        var item = DriftPayloads.Item("ci-dynamodb-table-rdk.json");
        var payload = DriftPayloads.ItemChange(item);
        var e = Assert.Single(Engine.Evaluate(payload, TestContexts.At("2026-03-01T00:00:00Z")).Evaluations, x => x.Rule.Id == "backup.continuous-backup");
        Assert.Equal(Outcome.Finding, e.Outcome);
        Assert.Contains("DISABLED", e.Message, StringComparison.Ordinal);

        item["supplementaryConfiguration"]!["ContinuousBackupsDescription"]!["pointInTimeRecoveryDescription"]!["pointInTimeRecoveryStatus"] = "ENABLED";
        payload = DriftPayloads.ItemChange(item);
        Assert.Equal(Outcome.Compliant, Assert.Single(Engine.Evaluate(payload, TestContexts.At("2026-03-01T00:00:00Z")).Evaluations, x => x.Rule.Id == "backup.continuous-backup").Outcome);

        // A daily RPO does not ask for continuous backup; a table type out of scope is not judged.
        var daily = new IsmsSettings { Backup = new BackupSettings { RpoHours = 24 } };
        Assert.DoesNotContain(Engine.Evaluate(payload, TestContexts.At("2026-03-01T00:00:00Z", daily)).Evaluations, x => x.Rule.Id == "backup.continuous-backup");
        var noTables = new IsmsSettings { Backup = new BackupSettings { Scope = [new("AWS::RDS::DBInstance")] } };
        Assert.DoesNotContain(Engine.Evaluate(payload, TestContexts.At("2026-03-01T00:00:00Z", noTables)).Evaluations, x => x.Rule.Id == "backup.continuous-backup");
    }

    [Fact]
    public void Scope_matches_types_and_tags()
    {
        var settings = new BackupSettings();
        Assert.True(settings.InScope("AWS::RDS::DBInstance", new Dictionary<string, string>()));
        Assert.False(settings.InScope("AWS::EC2::Volume", new Dictionary<string, string>()));
        Assert.True(settings.InScope("AWS::EC2::Volume", new Dictionary<string, string> { ["Environment"] = "Production" }));
        Assert.False(settings.InScope("AWS::EC2::Volume", new Dictionary<string, string> { ["environment"] = "staging" }));
        Assert.False(settings.InScope("AWS::S3::Bucket", new Dictionary<string, string>()));
    }

    [Fact]
    public void Backup_clocks_are_pure_instants_from_the_last_success()
    {
        var settings = new BackupSettings();
        var last = DateTimeOffset.Parse("2026-03-01T02:00:00Z", System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(last.AddHours(26), BackupClocks.NextBackup(last, settings).DueAt);
        Assert.Equal(last.AddDays(92), BackupClocks.NextRestoreTest(last, settings).DueAt);
        Assert.Equal(TimeSpan.FromMinutes(5), BackupClocks.Duration(last, last.AddMinutes(5)));
        Assert.Null(BackupClocks.Duration(last, last.AddMinutes(-5)));
    }

    [Fact]
    public void Backup_settings_are_validated()
    {
        var bad = new IsmsSettings { Backup = new BackupSettings { GraceHours = 48, RtoHours = 0, Scope = [new("RDS")] } };
        var errors = bad.Validate();
        Assert.Contains(errors, e => e.Contains("backup.graceHours", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("backup.rtoHours", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("backup.scope", StringComparison.Ordinal));
        var parsed = IsmsSettings.Parse("""{"backup":{"rtoHours":2,"scope":[{"resourceType":"AWS::EFS::FileSystem"}]},"incidents":{"guardDutyMinSeverity":5}}""");
        Assert.Equal(2, parsed.Backup.RtoHours);
        Assert.Equal(92, parsed.Backup.RestoreTestDays);
        Assert.Equal("AWS::EFS::FileSystem", Assert.Single(parsed.Backup.Scope).ResourceType);
        Assert.Equal(5, parsed.Incidents.GuardDutyMinSeverity);
        Assert.Equal(1, parsed.Incidents.AcknowledgeHours);
    }
}
