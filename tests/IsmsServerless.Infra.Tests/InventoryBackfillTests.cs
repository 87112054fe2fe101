using System.Text.Json;
using Amazon.CDK.Assertions;
using IsmsServerless.Drift;

namespace IsmsServerless.Infra.Tests;

/// <summary>Issue 18 sections 5 and 6 in the template: what the recorder and rules cover, and the back-fill's grants.</summary>
public sealed class InventoryBackfillTests(StackTemplate stack, PlatformTemplates platform) : IClassFixture<StackTemplate>, IClassFixture<PlatformTemplates>
{
    private static Dictionary<string, object> Props(params (string Key, object Value)[] pairs) => pairs.ToDictionary(p => p.Key, p => p.Value);

    [Fact]
    public void Without_a_snapshot_bucket_no_backfill_function_or_s3_read_exists()
    {
        var json = stack.Template.ToJSON().ToString()!;
        Assert.DoesNotContain("Config Configuration Snapshot Delivery Status", json, StringComparison.Ordinal);
        Assert.DoesNotContain("s3:GetObject", json, StringComparison.Ordinal);
    }

    [Fact]
    public void With_the_stacks_own_recorder_the_backfill_reads_only_this_accounts_snapshot_keys_and_decrypts_with_the_data_key()
    {
        var template = platform.FullTemplate;
        template.HasResourceProperties("AWS::Events::Rule", Props(("EventPattern", Props(
            ("source", new[] { "aws.config" }),
            ("detail-type", new[] { "Config Configuration Snapshot Delivery Status" }),
            ("detail", Props(("messageType", new[] { "ConfigurationSnapshotDeliveryCompleted" })))))));
        var policies = JsonSerializer.Serialize(template.FindResources("AWS::IAM::Policy"));
        Assert.Contains("\"ReadConfigSnapshotsOnly\"", policies, StringComparison.Ordinal);
        using var doc = JsonDocument.Parse(policies);
        var statements = doc.RootElement.EnumerateObject()
            .SelectMany(p => p.Value.GetProperty("Properties").GetProperty("PolicyDocument").GetProperty("Statement").EnumerateArray())
            .Where(s => s.TryGetProperty("Sid", out var sid) && sid.GetString() == "ReadConfigSnapshotsOnly").ToList();
        var read = Assert.Single(statements);
        Assert.Equal("s3:GetObject", read.GetProperty("Action").GetString());
        var resource = read.GetProperty("Resource").GetRawText();
        Assert.Contains("/AWSLogs/111122223333/Config/*", resource, StringComparison.Ordinal);
        Assert.DoesNotContain("s3:ListBucket", policies, StringComparison.Ordinal);
        template.HasResourceProperties("AWS::Lambda::Function", Props(
            ("Handler", "IsmsServerless.Functions::IsmsServerless.Functions.InventoryBackfillFunction::HandleAsync"),
            ("Timeout", 900)));
    }

    [Fact]
    public void A_configured_bucket_and_prefix_scope_the_grant_and_reach_the_function()
    {
        var (_, template) = StackTemplate.Synthesize(new Dictionary<string, object> { ["configSnapshotBucket"] = "org-config-snapshots", ["configSnapshotPrefix"] = "/central/" });
        var policies = JsonSerializer.Serialize(template.FindResources("AWS::IAM::Policy"));
        Assert.Contains("s3:::org-config-snapshots/central/AWSLogs/111122223333/Config/*", policies, StringComparison.Ordinal);
        template.HasResourceProperties("AWS::Lambda::Function", Props(("Environment", Props(("Variables", Match.ObjectLike(Props(("CONFIG_SNAPSHOT_BUCKET", "org-config-snapshots"))))))));
        Assert.Empty(new TemplateSecurityChecks(template.ToJSON()).All());
    }

    [Fact]
    public void A_bad_bucket_name_fails_synth_with_the_reason()
    {
        var error = Assert.Throws<ArgumentException>(() => StackTemplate.Synthesize(new Dictionary<string, object> { ["configSnapshotBucket"] = "Bad_Bucket*" }));
        Assert.Contains("configSnapshotBucket must be an S3 bucket name", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_recorder_records_every_type_the_baselines_judge_and_the_item_rule_does_not_filter_types()
    {
        // The stack's recorder (when it creates one) records all supported types, the new baseline types included.
        platform.FullTemplate.HasResourceProperties("AWS::Config::ConfigurationRecorder", Props(("RecordingGroup", Props(("AllSupported", true), ("IncludeGlobalResourceTypes", true)))));
        var rules = stack.Template.FindResources("AWS::Events::Rule");
        var configRule = rules.Values.Select(r => JsonSerializer.Serialize(r)).Single(r => r.Contains("Config Configuration Item Change", StringComparison.Ordinal));
        Assert.DoesNotContain("resourceType", configRule, StringComparison.Ordinal);
        // Every resource type a deployed managed rule is scoped to is one the engine also understands.
        var scoped = ManagedConfigRules.All.SelectMany(r => r.ResourceTypes).Distinct().ToList();
        Assert.Contains("AWS::ElasticLoadBalancingV2::LoadBalancer", scoped);
        Assert.Contains("AWS::EC2::Instance", scoped);
    }

    [Fact]
    public void Root_and_credential_rules_are_deployed_daily_with_their_parameters()
    {
        stack.Template.HasResourceProperties("AWS::Config::ConfigRule", Props(
            ("ConfigRuleName", "isms-access-keys-rotated"),
            ("MaximumExecutionFrequency", "TwentyFour_Hours"),
            ("InputParameters", Props(("maxAccessKeyAge", "90")))));
        stack.Template.HasResourceProperties("AWS::Config::ConfigRule", Props(
            ("ConfigRuleName", "isms-root-account-mfa-enabled"),
            ("Source", Props(("Owner", "AWS"), ("SourceIdentifier", "ROOT_ACCOUNT_MFA_ENABLED")))));
        stack.Template.HasResourceProperties("AWS::Config::ConfigRule", Props(
            ("ConfigRuleName", "isms-alb-waf-enabled"),
            ("Scope", Props(("ComplianceResourceTypes", new[] { "AWS::ElasticLoadBalancingV2::LoadBalancer" })))));
    }
}
