using System.Text;
using System.Text.Json.Nodes;
using IsmsServerless.Cli.Local;
using IsmsServerless.Engine;
using IsmsServerless.Model;
using IsmsServerless.Output;
using IsmsServerless.Tests.Support;

namespace IsmsServerless.Tests.Drift;

/// <summary>
/// Issue 18 section 5: the baselines beyond the first four storage types, judged on published Config items
/// (tests/…/Fixtures/baselines/, SOURCES.md) delivered as AWS delivers them (EventBridge item change).
/// </summary>
public sealed class BaselineBreadthTests
{
    private static readonly RuleEngine Engine = RuleEngine.CreateDefault();
    private static readonly EvaluationContext Context = TestContexts.At("2026-11-24T12:00:00Z");

    internal static JsonObject Baseline(string file) => JsonNode.Parse(Fixtures.Local("baselines/" + file))!.AsObject();

    internal static JsonObject SharedItem(string file) => JsonNode.Parse(Fixtures.Shared("config/" + file))!.AsObject();

    private static Evaluation Single(byte[] payload, string ruleId)
    {
        var result = Engine.Evaluate(payload, Context);
        Assert.False(result.Rejected, result.Error);
        return Assert.Single(result.Evaluations, e => e.Rule.Id == ruleId);
    }

    public static TheoryData<string, string, string, string?> RealItems() => new()
    {
        // file, rule, outcome, unmet requirement (null when compliant)
        { "baselines/ci-sns-topic-rdk.json", "drift.sns-topic-encryption", "finding", "sns.kms-encrypted" },
        { "baselines/ci-redshift-cluster-rdk.json", "drift.redshift-cluster-encryption", "compliant", null },
        { "baselines/ci-opensearch-domain-rdk.json", "drift.opensearch-domain-encryption", "compliant", null },
        { "baselines/ci-apigateway-stage-rdk.json", "drift.api-gateway-stage-waf", "finding", "apigateway.waf" },
        { "baselines/ci-cloudfront-distribution-rdk.json", "drift.cloudfront-distribution-waf", "finding", "cloudfront.waf" },
        { "drift/ci-security-group-configservice-docs.json", "drift.default-security-group-closed", "finding", "sg.default-no-ingress" },
        { "shared:ci-s3-bucket-rdk.json", "drift.s3-bucket-tls-required", "finding", "s3.tls-required" },
    };

    private static JsonObject Load(string file) => file.StartsWith("shared:", StringComparison.Ordinal)
        ? SharedItem(file["shared:".Length..])
        : JsonNode.Parse(Fixtures.Local(file))!.AsObject();

    [Theory]
    [MemberData(nameof(RealItems))]
    public void Real_config_items_of_the_new_types_are_judged_as_drift(string file, string ruleId, string outcome, string? unmet)
    {
        var evaluation = Single(DriftPayloads.ItemChange(Load(file)), ruleId);
        Assert.Equal(Category.Drift, evaluation.Rule.Category);
        Assert.Equal(outcome, evaluation.Outcome.ToWire());
        if (unmet is null)
        {
            Assert.False(evaluation.Evidence.ContainsKey("unmetRequirements"));
        }
        else
        {
            Assert.Equal(unmet, evaluation.Evidence["unmetRequirements"]);
            Assert.NotEmpty(evaluation.Diff);
        }
        Assert.StartsWith("AWS::", evaluation.ResourceType, StringComparison.Ordinal);
        Assert.Equal("config-item-change", evaluation.Evidence["trigger"]);
    }

    [Theory]
    [InlineData("baselines/ci-sns-topic-rdk.json", "drift.sns-topic-encryption", "finding")]
    [InlineData("baselines/ci-cloudfront-distribution-rdk.json", "drift.cloudfront-distribution-waf", "finding")]
    [InlineData("baselines/ci-redshift-cluster-rdk.json", "drift.redshift-cluster-encryption", "compliant")]
    public void A_bare_configuration_item_file_is_evaluated_as_published(string file, string ruleId, string outcome)
    {
        // What ./isms evaluate and replay get from a file holding one item of a snapshot or of get-resource-config-history.
        var lines = OutcomeLine.From(file, Engine.Evaluate(Fixtures.Local(file), Context), Context).ToList();
        var line = Assert.Single(lines, l => l.RuleId == ruleId);
        Assert.Equal(outcome, line.Outcome);
        Assert.Equal("drift", line.Category);
    }

    [Fact]
    public void The_sqs_queue_cloud_custodian_captured_is_unencrypted_and_the_string_flag_turns_it_compliant()
    {
        var payload = Fixtures.Shared("config/eb-config-item-change-sqs-create.json");
        var finding = Single(payload, "drift.sqs-queue-encryption");
        Assert.Equal(Outcome.Finding, finding.Outcome);
        Assert.Contains("SqsManagedSseEnabled not set", finding.Message, StringComparison.Ordinal);

        // EDITED in memory: the flag as Config's schema types it (a string), as SSE-SQS queues report it.
        var edited = JsonNode.Parse(payload)!;
        edited["detail"]!["configurationItem"]!["configuration"]!["SqsManagedSseEnabled"] = "true";
        Assert.Equal(Outcome.Compliant, Single(Encoding.UTF8.GetBytes(edited.ToJsonString()), "drift.sqs-queue-encryption").Outcome);
    }

    [Fact]
    public void An_sns_topic_given_a_kms_key_meets_its_baseline()
    {
        var item = Baseline("ci-sns-topic-rdk.json");
        item["configuration"]!["KmsMasterKeyId"] = "alias/aws/sns";
        Assert.Equal(Outcome.Compliant, Single(DriftPayloads.ItemChange(item), "drift.sns-topic-encryption").Outcome);
    }

    [Fact]
    public void Redshift_and_opensearch_turn_to_findings_when_encryption_is_off()
    {
        var redshift = Baseline("ci-redshift-cluster-rdk.json");
        redshift["configuration"]!["encrypted"] = false;
        var finding = Single(DriftPayloads.ItemChange(redshift), "drift.redshift-cluster-encryption");
        Assert.Equal(Outcome.Finding, finding.Outcome);
        Assert.Equal(Severity.High, finding.Severity);
        Assert.Equal("arn:aws:redshift:us-west-2:382822795712:cluster:cluster-with-kms", finding.ResourceId);

        var domain = Baseline("ci-opensearch-domain-rdk.json");
        domain["configuration"]!["EncryptionAtRestOptions"]!["Enabled"] = false;
        Assert.Equal(Outcome.Finding, Single(DriftPayloads.ItemChange(domain), "drift.opensearch-domain-encryption").Outcome);
    }

    [Fact]
    public void Web_acls_on_the_stage_and_the_distribution_resolve_the_waf_findings()
    {
        var stage = Baseline("ci-apigateway-stage-rdk.json");
        stage["configuration"]!["webAclArn"] = "arn:aws:wafv2:us-east-2:123456789012:regional/webacl/public/0123";
        Assert.Equal(Outcome.Compliant, Single(DriftPayloads.ItemChange(stage), "drift.api-gateway-stage-waf").Outcome);

        var distribution = Baseline("ci-cloudfront-distribution-rdk.json");
        Assert.Contains("(empty)", Single(DriftPayloads.ItemChange(distribution), "drift.cloudfront-distribution-waf").Message, StringComparison.Ordinal);
        distribution["configuration"]!["distributionConfig"]!["webACLId"] = "arn:aws:wafv2:us-east-1:12345678912:global/webacl/edge/0123";
        Assert.Equal(Outcome.Compliant, Single(DriftPayloads.ItemChange(distribution), "drift.cloudfront-distribution-waf").Outcome);
    }

    [Fact]
    public void Only_the_default_group_is_held_to_the_closed_baseline_and_emptying_it_resolves()
    {
        var group = JsonNode.Parse(Fixtures.Local("drift/ci-security-group-configservice-docs.json"))!.AsObject();
        var finding = Single(DriftPayloads.ItemChange(group), "drift.default-security-group-closed");
        Assert.Contains("inbound rules present", finding.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("sg.default-no-egress", finding.Evidence["unmetRequirements"], StringComparison.Ordinal);

        // The published configuration is a JSON string (as Config's history API returns it); edit the parsed form.
        var configuration = JsonNode.Parse(group["configuration"]!.GetValue<string>())!.AsObject();
        configuration["ipPermissions"] = new JsonArray();
        group["configuration"] = configuration.ToJsonString();
        Assert.Equal(Outcome.Compliant, Single(DriftPayloads.ItemChange(group), "drift.default-security-group-closed").Outcome);

        configuration["groupName"] = "web";
        configuration["ipPermissions"] = JsonNode.Parse("[{\"ipProtocol\":\"tcp\",\"fromPort\":443,\"toPort\":443,\"ipRanges\":[\"10.0.0.0/8\"]}]");
        group["configuration"] = configuration.ToJsonString();
        Assert.DoesNotContain(Engine.Evaluate(DriftPayloads.ItemChange(group), Context).Evaluations, e => e.Rule.Id == "drift.default-security-group-closed");
    }

    [Fact]
    public void A_tls_deny_on_the_bucket_arn_alone_does_not_cover_objects_and_adding_them_resolves()
    {
        var bucket = SharedItem("ci-s3-bucket-rdk.json");
        var finding = Single(DriftPayloads.ItemChange(bucket), "drift.s3-bucket-tls-required");
        Assert.Contains("not the bucket's objects", finding.Message, StringComparison.Ordinal);

        // EDITED in memory: the same statement with the objects added, as CDK's enforceSSL writes it.
        var policy = bucket["supplementaryConfiguration"]!["BucketPolicy"]!["policyText"]!.GetValue<string>();
        bucket["supplementaryConfiguration"]!["BucketPolicy"]!["policyText"] = policy.Replace(
            "\"Resource\":\"arn:aws:s3:::mborch-test-bucket-config-item\"",
            "\"Resource\":[\"arn:aws:s3:::mborch-test-bucket-config-item\",\"arn:aws:s3:::mborch-test-bucket-config-item/*\"]", StringComparison.Ordinal);
        Assert.Equal(Outcome.Compliant, Single(DriftPayloads.ItemChange(bucket), "drift.s3-bucket-tls-required").Outcome);

        // An Allow with the same condition is not a requirement; no policy at all is a finding.
        bucket["supplementaryConfiguration"]!["BucketPolicy"]!["policyText"] = policy.Replace("\"Effect\":\"Deny\"", "\"Effect\":\"Allow\"", StringComparison.Ordinal);
        Assert.Equal(Outcome.Finding, Single(DriftPayloads.ItemChange(bucket), "drift.s3-bucket-tls-required").Outcome);
        bucket["supplementaryConfiguration"]!.AsObject().Remove("BucketPolicy");
        Assert.Contains("no bucket policy", Single(DriftPayloads.ItemChange(bucket), "drift.s3-bucket-tls-required").Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// CONSTRUCTED items: no published Config item of these types was found. Each takes the envelope of the real SNS item
    /// and a configuration holding the properties AWS's published schema (awslabs/aws-config-resource-schema) names.
    /// </summary>
    public static TheoryData<string, string, string, string, string> SchemaItems() => new()
    {
        // type, rule, non-compliant configuration, compliant configuration, unmet requirement
        { "AWS::EFS::FileSystem", "drift.efs-file-system-encryption", "{\"FileSystemId\":\"fs-0123\",\"Encrypted\":false,\"PerformanceMode\":\"generalPurpose\"}", "{\"FileSystemId\":\"fs-0123\",\"Encrypted\":true,\"KmsKeyId\":\"arn:aws:kms:us-east-1:123456789012:key/k\"}", "efs.encrypted" },
        { "AWS::ElastiCache::ReplicationGroup", "drift.elasticache-encryption", "{\"ReplicationGroupId\":\"sessions\",\"AtRestEncryptionEnabled\":false}", "{\"ReplicationGroupId\":\"sessions\",\"AtRestEncryptionEnabled\":true}", "elasticache.at-rest-encryption" },
        { "AWS::Backup::RecoveryPoint", "drift.backup-recovery-point-encryption", "{\"RecoveryPointArn\":\"arn:aws:ec2:us-east-1::snapshot/snap-0123\",\"IsEncrypted\":false,\"Status\":\"COMPLETED\"}", "{\"RecoveryPointArn\":\"arn:aws:ec2:us-east-1::snapshot/snap-0123\",\"IsEncrypted\":true,\"EncryptionKeyArn\":\"arn:aws:kms:us-east-1:123456789012:key/k\"}", "backup.recovery-point-encrypted" },
        { "AWS::Logs::LogGroup", "drift.log-group-baseline", "{\"LogGroupName\":\"/aws/lambda/app\"}", "{\"LogGroupName\":\"/aws/lambda/app\",\"RetentionInDays\":365,\"KmsKeyId\":\"arn:aws:kms:us-east-1:123456789012:key/k\"}", "logs.retention-set,logs.kms-encrypted" },
    };

    [Theory]
    [MemberData(nameof(SchemaItems))]
    public void Types_without_a_published_item_are_judged_from_their_schema_properties(string type, string ruleId, string bad, string good, string unmet)
    {
        JsonObject Item(string configuration)
        {
            var item = Baseline("ci-sns-topic-rdk.json");
            item["resourceType"] = type;
            item["resourceId"] = "res-0123";
            item["arn"] = $"arn:aws:example:us-east-1:123456789012:{type.Replace("::", "-", StringComparison.Ordinal)}/res-0123";
            item["configuration"] = JsonNode.Parse(configuration);
            return item;
        }
        var finding = Single(DriftPayloads.ItemChange(Item(bad)), ruleId);
        Assert.Equal(Outcome.Finding, finding.Outcome);
        Assert.Equal(unmet, finding.Evidence["unmetRequirements"]);
        Assert.Equal(Outcome.Compliant, Single(DriftPayloads.ItemChange(Item(good)), ruleId).Outcome);
    }

    [Fact]
    public void An_item_of_a_type_no_baseline_covers_is_ignored_with_the_type_named()
    {
        var line = Assert.Single(OutcomeLine.From("ec2.json", Engine.Evaluate(DriftPayloads.ItemChange(SharedItem("ci-ec2-instance-rdk.json")), Context), Context));
        Assert.Equal("ignored", line.Outcome);
        Assert.Contains("no baseline covers resource type AWS::EC2::Instance", line.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("resourceType", "no resourceType")]
    [InlineData("resourceId", "no resourceId")]
    public void A_malformed_item_of_a_new_type_is_rejected_with_the_reason(string removed, string reason)
    {
        var item = Baseline("ci-redshift-cluster-rdk.json");
        item.Remove(removed);
        var line = Assert.Single(OutcomeLine.From("bad.json", Engine.Evaluate(DriftPayloads.ItemChange(item), Context), Context));
        Assert.Equal("rejected", line.Outcome);
        Assert.Contains(reason, line.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_config_item_baseline_type_is_covered_by_the_deploy_guide_and_recorded_by_the_stack_recorder()
    {
        var types = RuleRegistry.CreateDefault().Rules.OfType<IsmsServerless.Drift.ConfigItemBaselineRule>().SelectMany(r => r.ResourceTypes).Distinct().ToList();
        Assert.True(types.Count >= 12);
        var deploy = File.ReadAllText(Path.Combine(RepositoryRoot.Find(), "docs", "deploy.md"));
        Assert.All(types, t => Assert.Contains(t, deploy, StringComparison.Ordinal));
    }
}
