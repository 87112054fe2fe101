using System.Text;
using System.Text.Json.Nodes;
using IsmsServerless.Engine;
using IsmsServerless.Model;
using IsmsServerless.Output;
using IsmsServerless.Rules.Backup;
using IsmsServerless.Settings;
using IsmsServerless.Tests.Drift;
using IsmsServerless.Tests.Support;

namespace IsmsServerless.Tests.Backup;

/// <summary>
/// The Config-item backup rules (plan, selection, S3 replication) through the one engine path: the constructed plan and
/// selection items of <c>Fixtures/backup</c> and the real aws-config-rdk S3 bucket item, edited visibly here.
/// </summary>
public sealed class BackupConfigItemRulesTests
{
    private static readonly RuleEngine Engine = RuleEngine.CreateDefault();
    private const string At = "2026-11-20T06:00:00Z";

    private static JsonObject Event(string fixture) => JsonNode.Parse(Fixtures.Local("backup/" + fixture))!.AsObject();

    private static JsonObject Plan(JsonObject e) => e["detail"]!["configurationItem"]!["configuration"]!["BackupPlan"]!.AsObject();

    private static JsonObject FirstRule(JsonObject e) => Plan(e)["BackupPlanRule"]![0]!.AsObject();

    private static EngineResult Run(JsonObject e, IsmsSettings? settings = null) =>
        Engine.Evaluate(Encoding.UTF8.GetBytes(e.ToJsonString()), TestContexts.At(At, settings));

    private static Evaluation Only(EngineResult result, string ruleId) => Assert.Single(result.Evaluations, x => x.Rule.Id == ruleId);

    [Fact]
    public void A_daily_plan_kept_a_year_and_copied_to_another_region_is_compliant()
    {
        var e = Only(Run(Event("eb-config-item-backup-plan-constructed.json")), "backup.plan-baseline");
        Assert.Equal(Outcome.Compliant, e.Outcome);
        Assert.Equal("arn:aws:backup:us-east-1:123456789012:backup-plan:bp-12345678-1234-1234-1234-123456789012", e.ResourceId);
        Assert.Equal("us-west-2", e.Evidence["copyRegions"]);
        Assert.Equal("DailyBackupPlan", e.Evidence["planName"]);
        Assert.Contains("cron(0 5 ? * * *)", e.Evidence["schedules"], StringComparison.Ordinal);
    }

    [Fact]
    public void A_weekly_plan_is_a_backup_finding_and_the_fixed_plan_resolves_the_same_finding()
    {
        var weekly = Event("eb-config-item-backup-plan-constructed.json");
        FirstRule(weekly)["ScheduleExpression"] = "cron(0 5 ? * SAT *)";
        var finding = Only(Run(weekly), "backup.plan-baseline");
        Assert.Equal(Outcome.Finding, finding.Outcome);
        Assert.Equal(Category.Backup, finding.Rule.Category);
        Assert.Contains("backup-plan.daily-schedule", finding.Evidence["unmetRequirements"], StringComparison.Ordinal);
        // The copy belongs to the weekly rule: no daily rule copies anywhere either.
        Assert.Contains("backup-plan.cross-region-copy", finding.Evidence["unmetRequirements"], StringComparison.Ordinal);
        Assert.Contains("SAT", finding.Message, StringComparison.Ordinal);

        var fixedPlan = Only(Run(Event("eb-config-item-backup-plan-constructed.json")), "backup.plan-baseline");
        Assert.Equal(Outcome.Compliant, fixedPlan.Outcome);
        Assert.Equal(finding.FindingId, fixedPlan.FindingId);
    }

    [Fact]
    public void Short_retention_on_the_rule_or_its_copy_breaks_the_policy_files_minimum()
    {
        var e = Event("eb-config-item-backup-plan-constructed.json");
        FirstRule(e)["Lifecycle"]!["DeleteAfterDays"] = 7.0;
        var finding = Only(Run(e), "backup.plan-baseline");
        Assert.Equal(Outcome.Finding, finding.Outcome);
        Assert.Equal("backup-plan.retention", finding.Evidence["unmetRequirements"]);
        Assert.Contains("after 7 days, expected at least 35", finding.Message, StringComparison.Ordinal);

        // The minimum is policy: at 5 days the same plan passes; the copy's own lifecycle is judged too.
        var lenient = new IsmsSettings { Backup = new BackupSettings { MinRetentionDays = 5 } };
        Assert.Equal(Outcome.Compliant, Only(Run(e, lenient), "backup.plan-baseline").Outcome);
        var copy = Event("eb-config-item-backup-plan-constructed.json");
        FirstRule(copy)["CopyActions"]![0]!["Lifecycle"]!["DeleteAfterDays"] = "14";
        var copyFinding = Only(Run(copy), "backup.plan-baseline");
        Assert.Equal(Outcome.Finding, copyFinding.Outcome);
        Assert.Contains("its copy in arn:aws:backup:us-west-2", copyFinding.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_copy_into_the_same_region_is_not_a_copy_in_another_region()
    {
        var e = Event("eb-config-item-backup-plan-constructed.json");
        FirstRule(e)["CopyActions"]![0]!["DestinationBackupVaultArn"] = "arn:aws:backup:us-east-1:123456789012:backup-vault:Secondary";
        var finding = Only(Run(e), "backup.plan-baseline");
        Assert.Equal(Outcome.Finding, finding.Outcome);
        Assert.Equal("backup-plan.cross-region-copy", finding.Evidence["unmetRequirements"]);
        Assert.Contains("no copy outside us-east-1", finding.Message, StringComparison.Ordinal);

        // Where the policy file does not ask for another region, the same plan passes.
        var noCopy = new IsmsSettings { Backup = new BackupSettings { CopyRegionRequired = false } };
        Assert.Equal(Outcome.Compliant, Only(Run(e, noCopy), "backup.plan-baseline").Outcome);
    }

    [Fact]
    public void The_API_spelling_Rules_and_a_rule_without_a_schedule_read_as_AWS_defines_them()
    {
        var e = Event("eb-config-item-backup-plan-constructed.json");
        var rule = FirstRule(e);
        rule.Remove("ScheduleExpression"); // AWS Backup's default: daily at 05:00 UTC
        var plan = Plan(e);
        var rules = plan["BackupPlanRule"]!.DeepClone();
        plan.Remove("BackupPlanRule");
        plan["Rules"] = rules;
        var result = Only(Run(e), "backup.plan-baseline");
        Assert.Equal(Outcome.Compliant, result.Outcome);
        Assert.Contains(PlanBaselineRule.DefaultSchedule, result.Evidence["schedules"], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("cron(0 5 ? * * *)", true)]
    [InlineData("cron(0 12 * * ? *)", true)]
    [InlineData("cron(0 */4 * * ? *)", true)]
    [InlineData("cron(0 5 ? * SUN-SAT *)", true)]
    [InlineData("rate(12 hours)", true)]
    [InlineData("rate(1 day)", true)]
    [InlineData("rate(60 minutes)", true)]
    [InlineData("cron(0 5 ? * SAT *)", false)]
    [InlineData("cron(0 5 1 * ? *)", false)]
    [InlineData("cron(0 5 ? 1 * *)", false)]
    [InlineData("rate(2 days)", false)]
    [InlineData("rate(25 hours)", false)]
    [InlineData("cron(0 5 * *)", false)]
    [InlineData("every day", false)]
    public void Daily_schedules_are_told_from_the_rest(string schedule, bool daily) =>
        Assert.Equal(daily, PlanBaselineRule.AtLeastDaily(schedule));

    [Theory]
    [InlineData("rule-list-absent", "configuration.BackupPlan has no BackupPlanRule list")]
    [InlineData("rule-list-string", "configuration.BackupPlan has no BackupPlanRule list")]
    [InlineData("plan-absent", "configuration has no BackupPlan object")]
    public void A_plan_item_without_its_rule_list_is_rejected_with_the_reason_and_not_judged(string variant, string reason)
    {
        var e = Event("eb-config-item-backup-plan-constructed.json");
        var configuration = e["detail"]!["configurationItem"]!["configuration"]!.AsObject();
        switch (variant)
        {
            case "rule-list-absent": Plan(e).Remove("BackupPlanRule"); break;
            case "rule-list-string": Plan(e)["BackupPlanRule"] = "<script>alert(1)</script>"; break;
            case "plan-absent": configuration.Remove("BackupPlan"); break;
        }
        var result = Run(e);
        Assert.Null(result.Error);
        var rejected = Only(result, "backup.plan-baseline");
        Assert.Equal(Outcome.Rejected, rejected.Outcome);
        Assert.Contains(reason, rejected.Message, StringComparison.Ordinal);
        Assert.Equal("true", rejected.Evidence[RuleRegistry.InputRejectedEvidence]);
        var line = Assert.Single(OutcomeLine.From("plan.json", result, TestContexts.At(At)), l => l.RuleId == "backup.plan-baseline");
        Assert.Equal("rejected", line.Outcome);
        Assert.Contains(reason, line.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_selection_names_what_it_protects_and_one_that_selects_nothing_is_a_finding()
    {
        var e = Event("eb-config-item-backup-selection-constructed.json");
        var ok = Only(Run(e), "backup.selection-scope");
        Assert.Equal(Outcome.Compliant, ok.Outcome);
        Assert.Equal("AWS::RDS::DBInstance,AWS::RDS::DBCluster,AWS::DynamoDB::Table", ok.Evidence["coversScopeTypes"]);
        Assert.Equal("bp-12345678-1234-1234-1234-123456789012", ok.Evidence["backupPlanId"]);

        var selection = e["detail"]!["configurationItem"]!["configuration"]!["BackupSelection"]!.AsObject();
        selection["Resources"] = new JsonArray();
        selection["ListOfTags"] = new JsonArray();
        var empty = Only(Run(e), "backup.selection-scope");
        Assert.Equal(Outcome.Finding, empty.Outcome);
        Assert.Equal(Category.Backup, empty.Rule.Category);
        Assert.Equal(ok.FindingId, empty.FindingId);

        e["detail"]!["configurationItem"]!["configuration"]!.AsObject().Remove("BackupSelection");
        var rejected = Only(Run(e), "backup.selection-scope");
        Assert.Equal(Outcome.Rejected, rejected.Outcome);
        Assert.Contains("no BackupSelection object", rejected.Message, StringComparison.Ordinal);
    }

    private static readonly IsmsSettings CriticalBuckets = new()
    {
        Backup = new BackupSettings { Scope = [new("AWS::DynamoDB::Table"), new("AWS::S3::Bucket")] },
    };

    [Fact]
    public void A_critical_bucket_without_replication_is_a_finding_and_an_enabled_rule_to_another_bucket_resolves_it()
    {
        var bucket = Drift.BaselineBreadthTests.SharedItem("ci-s3-bucket-rdk.json");
        var missing = Only(Engine.Evaluate(DriftPayloads.ItemChange(bucket), TestContexts.At(At, CriticalBuckets)), "backup.s3-replication");
        Assert.Equal(Outcome.Finding, missing.Outcome);
        Assert.Equal("arn:aws:s3:::mborch-test-bucket-config-item", missing.ResourceId);
        Assert.Contains("not configured", missing.Message, StringComparison.Ordinal);

        // EDITED (visibly): the replication configuration in the S3 SDK model's shape, a map from rule id to rule.
        bucket["supplementaryConfiguration"]!["BucketReplicationConfiguration"] = new JsonObject
        {
            ["roleARN"] = "arn:aws:iam::123456789012:role/s3-replication",
            ["rules"] = new JsonObject
            {
                ["to-us-west-2"] = new JsonObject
                {
                    ["destinationConfig"] = new JsonObject { ["bucketARN"] = "arn:aws:s3:::mborch-test-bucket-replica", ["storageClass"] = null },
                    ["prefix"] = "",
                    ["status"] = "Disabled",
                },
            },
        };
        var disabled = Only(Engine.Evaluate(DriftPayloads.ItemChange(bucket), TestContexts.At(At, CriticalBuckets)), "backup.s3-replication");
        Assert.Equal(Outcome.Finding, disabled.Outcome);
        Assert.Contains("no enabled rule to another bucket (to-us-west-2)", disabled.Message, StringComparison.Ordinal);

        bucket["supplementaryConfiguration"]!["BucketReplicationConfiguration"]!["rules"]!["to-us-west-2"]!["status"] = "Enabled";
        var replicated = Only(Engine.Evaluate(DriftPayloads.ItemChange(bucket), TestContexts.At(At, CriticalBuckets)), "backup.s3-replication");
        Assert.Equal(Outcome.Compliant, replicated.Outcome);
        Assert.Equal(missing.FindingId, replicated.FindingId);
        Assert.Equal("arn:aws:s3:::mborch-test-bucket-replica", replicated.Evidence["replicaBuckets"]);
        Assert.Contains("carry no region", replicated.Evidence["destinationRegion"], StringComparison.Ordinal);
    }

    [Fact]
    public void Buckets_out_of_scope_are_not_judged_for_replication()
    {
        var bucket = Drift.BaselineBreadthTests.SharedItem("ci-s3-bucket-rdk.json");
        Assert.DoesNotContain(Engine.Evaluate(DriftPayloads.ItemChange(bucket), TestContexts.At(At)).Evaluations, x => x.Rule.Id == "backup.s3-replication");
        var tagged = new IsmsSettings { Backup = new BackupSettings { Scope = [new("AWS::S3::Bucket", new Dictionary<string, string> { ["data"] = "critical" })] } };
        Assert.DoesNotContain(Engine.Evaluate(DriftPayloads.ItemChange(bucket), TestContexts.At(At, tagged)).Evaluations, x => x.Rule.Id == "backup.s3-replication");
        bucket["tags"] = new JsonObject { ["data"] = "critical" };
        Assert.Equal(Outcome.Finding, Only(Engine.Evaluate(DriftPayloads.ItemChange(bucket), TestContexts.At(At, tagged)), "backup.s3-replication").Outcome);
    }

    [Fact]
    public void The_managed_retention_rules_take_the_same_minimum_from_the_policy_file()
    {
        var settings = new BackupSettings { MinRetentionDays = 90 };
        var plan = BackupConfigRules.Find("backup-plan-min-frequency-and-min-retention-check")!;
        Assert.Equal("90", plan.Parameters(settings)["requiredRetentionDays"]);
        Assert.Equal("35", plan.Parameters(new BackupSettings())["requiredRetentionDays"]);
        Assert.Contains(new BackupSettings { MinRetentionDays = 0 }.Validate(), m => m.Contains("minRetentionDays", StringComparison.Ordinal));
    }
}
