using System.Text.Json;
using Amazon.CDK;
using Amazon.CDK.Assertions;
using Amazon.CDK.AWS.Lambda;
using Amazon.CDK.AWS.SNS;
using IsmsServerless.Infra.Constructs;
using IsmsServerless.Settings;

namespace IsmsServerless.Infra.Tests;

public sealed class PlatformStackTests(StackTemplate stack, PlatformTemplates platform) : IClassFixture<StackTemplate>, IClassFixture<PlatformTemplates>
{
    private readonly Template _template = stack.Template;

    private static Dictionary<string, object> Props(params (string Key, object Value)[] pairs) => pairs.ToDictionary(p => p.Key, p => p.Value);

    [Fact]
    public void Ingest_function_has_errors_and_throttles_alarms_and_its_dlq_a_depth_alarm_all_to_the_alert_topic()
    {
        var topic = _template.FindResources("AWS::SNS::Topic").Keys.Single();
        foreach (var metric in new[] { "Errors", "Throttles", "ApproximateNumberOfMessagesVisible" })
        {
            _template.HasResourceProperties("AWS::CloudWatch::Alarm", Props(
                ("MetricName", metric),
                ("Threshold", 0),
                ("ComparisonOperator", "GreaterThanThreshold"),
                ("AlarmActions", new object[] { new Dictionary<string, object> { ["Ref"] = topic } }),
                ("OKActions", new object[] { new Dictionary<string, object> { ["Ref"] = topic } })));
        }
    }

    [Fact]
    public void Key_rotates_and_its_policy_lets_cloudwatch_logs_encrypt_only_this_accounts_log_groups()
    {
        _template.HasResourceProperties("AWS::KMS::Key", Props(
            ("EnableKeyRotation", true),
            ("KeyPolicy", Match.ObjectLike(Props(("Statement", Match.ArrayWith(new object[]
            {
                Match.ObjectLike(Props(
                    ("Principal", Props(("Service", "logs.eu-west-1.amazonaws.com"))),
                    ("Condition", Props(("ArnLike", Props(("kms:EncryptionContext:aws:logs:arn", Match.AnyValue()))))))),
            })))))));
        _template.HasResource("AWS::KMS::Key", Props(("DeletionPolicy", "Retain")));
        // The partition is a token even with an explicit environment; the joined ARN still ends in this account's log groups.
        var key = JsonSerializer.Serialize(_template.FindResources("AWS::KMS::Key"));
        Assert.Contains(":logs:eu-west-1:111122223333:log-group:*", key, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_log_group_keeps_a_year_encrypted_and_is_retained()
    {
        var groups = _template.FindResources("AWS::Logs::LogGroup");
        Assert.NotEmpty(groups);
        _template.AllResourcesProperties("AWS::Logs::LogGroup", Props(("RetentionInDays", 365), ("KmsKeyId", Match.AnyValue())));
        _template.AllResources("AWS::Logs::LogGroup", Props(("DeletionPolicy", "Retain")));
    }

    [Fact]
    public void Functions_receive_the_sweep_interval_and_the_stacks_rule_prefix_in_their_settings()
    {
        var json = JsonSerializer.Serialize(_template.FindResources("AWS::Lambda::Function"));
        var environment = JsonDocument.Parse(json).RootElement.EnumerateObject().First().Value
            .GetProperty("Properties").GetProperty("Environment").GetProperty("Variables").GetProperty("ISMS_SETTINGS").GetString()!;
        var settings = IsmsSettings.Parse(environment);
        Assert.Equal(15, settings.SweepIntervalMinutes);
        Assert.Equal(["IsmsServerless-"], settings.OwnRuleNamePrefixes);
    }

    [Fact]
    public void Heartbeat_signals_route_config_delivery_and_inspector_activity_to_the_ingest_function()
    {
        _template.HasResourceProperties("AWS::Events::Rule", Props(("EventPattern", Props(
            ("source", new[] { "aws.config" }),
            ("detail-type", new[] { "Config Configuration History Delivery Status", "Config Configuration Snapshot Delivery Status" })))));
        _template.HasResourceProperties("AWS::Events::Rule", Props(("EventPattern", Props(
            ("source", new[] { "aws.inspector2" }),
            ("detail-type", new[] { "Inspector2 Scan", "Inspector2 Coverage" })))));
    }

    [Fact]
    public void Optional_parts_are_absent_by_default()
    {
        _template.ResourceCountIs("AWS::Config::ConfigurationRecorder", 0);
        _template.ResourceCountIs("AWS::CloudTrail::Trail", 0);
        _template.ResourceCountIs("AWS::Events::EventBusPolicy", 0);
        _template.ResourceCountIs("AWS::IAM::OIDCProvider", 0);
        // The Slack path always subscribes its queue to the topic; people are subscribed only when configured.
        foreach (var protocol in new[] { "email", "email-json", "sms" })
            Assert.Empty(_template.FindResources("AWS::SNS::Subscription", Props(("Properties", Match.ObjectLike(Props(("Protocol", protocol)))))));
    }

    [Fact]
    public void Config_recorder_records_everything_and_delivers_encrypted_after_the_recorder_exists()
    {
        var full = platform.FullTemplate;
        full.HasResourceProperties("AWS::Config::ConfigurationRecorder", Props(("RecordingGroup", Props(("AllSupported", true), ("IncludeGlobalResourceTypes", true)))));
        var recorder = full.FindResources("AWS::Config::ConfigurationRecorder").Keys.Single();
        full.HasResource("AWS::Config::DeliveryChannel", Props(
            ("Properties", Match.ObjectLike(Props(("S3KmsKeyArn", Match.AnyValue())))),
            ("DependsOn", Match.ArrayWith(new object[] { recorder }))));
    }

    [Fact]
    public void Trail_is_multi_region_validated_and_encrypted_into_a_private_ssl_only_bucket()
    {
        var full = platform.FullTemplate;
        full.HasResourceProperties("AWS::CloudTrail::Trail", Props(
            ("IsMultiRegionTrail", true),
            ("IncludeGlobalServiceEvents", true),
            ("EnableLogFileValidation", true),
            ("IsLogging", true),
            ("KMSKeyId", Match.AnyValue())));
        full.AllResources("AWS::S3::Bucket", Props(("DeletionPolicy", "Retain")));
        full.HasResourceProperties("AWS::KMS::Key", Props(("KeyPolicy", Match.ObjectLike(Props(("Statement", Match.ArrayWith(new object[]
        {
            Match.ObjectLike(Props(("Sid", "AllowCloudTrailToEncryptLogs"), ("Principal", Props(("Service", "cloudtrail.amazonaws.com"))))),
        })))))));
    }

    [Fact]
    public void Central_bus_accepts_puts_from_the_organization_and_listed_members_only()
    {
        var full = platform.FullTemplate;
        full.HasResourceProperties("AWS::Events::EventBusPolicy", Props(("Statement", Props(
            ("Effect", "Allow"), ("Principal", "*"), ("Action", "events:PutEvents"), ("Resource", Match.AnyValue()),
            ("Sid", "IsmsOrganizationPutEvents"),
            ("Condition", Props(("StringEquals", Props(("aws:PrincipalOrgID", PlatformTemplates.OrganizationId)))))))));
        full.HasResourceProperties("AWS::Events::EventBusPolicy", Props(("Statement", Match.ObjectLike(Props(
            ("Sid", $"IsmsMember{PlatformTemplates.MemberAccount}"), ("Principal", Props(("AWS", Match.AnyValue()))), ("Action", "events:PutEvents"))))));
        Assert.Contains($":iam::{PlatformTemplates.MemberAccount}:root", JsonSerializer.Serialize(full.FindResources("AWS::Events::EventBusPolicy")), StringComparison.Ordinal);
    }

    [Fact]
    public void Email_subscribers_are_subscribed_to_the_alert_topic() =>
        platform.FullTemplate.HasResourceProperties("AWS::SNS::Subscription", Props(("Protocol", "email"), ("Endpoint", "secops@example.com")));

    [Fact]
    public void GitHub_role_trusts_only_the_repositorys_environment_and_branch_and_can_only_assume_cdk_roles()
    {
        var full = platform.FullTemplate;
        full.HasResourceProperties("AWS::IAM::OIDCProvider", Props(("Url", "https://token.actions.githubusercontent.com"), ("ClientIdList", new[] { "sts.amazonaws.com" })));
        full.HasResourceProperties("AWS::IAM::Role", Props(
            ("RoleName", "GitHubActionsDeployRole"),
            ("AssumeRolePolicyDocument", Match.ObjectLike(Props(("Statement", new object[]
            {
                Match.ObjectLike(Props(
                    ("Action", "sts:AssumeRoleWithWebIdentity"),
                    ("Condition", Props(("StringEquals", Props(
                        ("token.actions.githubusercontent.com:aud", "sts.amazonaws.com"),
                        ("token.actions.githubusercontent.com:sub", new[]
                        {
                            "repo:example-org/isms-serverless:environment:production",
                            "repo:example-org/isms-serverless:ref:refs/heads/main",
                        })))))))
            }))))));
        full.HasResourceProperties("AWS::IAM::Policy", Props(("PolicyDocument", Props(("Statement", new object[]
        {
            Match.ObjectLike(Props(("Action", new[] { "sts:AssumeRole", "sts:TagSession" }), ("Resource", Match.AnyValue()))),
        }), ("Version", "2012-10-17")))));
        var policies = JsonSerializer.Serialize(full.FindResources("AWS::IAM::Policy"));
        Assert.Contains(":iam::111122223333:role/cdk-hnb659fds-*", policies, StringComparison.Ordinal);
    }

    [Fact]
    public void Forwarder_sends_each_watched_source_to_the_central_bus_with_a_put_only_role()
    {
        var forwarder = platform.ForwarderTemplate;
        forwarder.ResourceCountIs("AWS::Events::Rule", IsmsForwarderStack.Patterns.Count);
        foreach (var (source, detailType) in new (string?, string?)[]
        {
            ("aws.config", null), (null, "AWS API Call via CloudTrail"), (null, "AWS Console Sign In via CloudTrail"),
            ("aws.inspector2", null), ("aws.ssm", null), ("aws.ec2", "EC2 Instance State-change Notification"),
        })
        {
            var pattern = new Dictionary<string, object>();
            if (source is not null) pattern["source"] = new[] { source };
            if (detailType is not null) pattern["detail-type"] = new[] { detailType };
            forwarder.HasResourceProperties("AWS::Events::Rule", Props(("EventPattern", pattern), ("Targets", new object[]
            {
                Match.ObjectLike(Props(("Arn", Match.ObjectLike(new Dictionary<string, object>())), ("RoleArn", Match.AnyValue()), ("DeadLetterConfig", Match.AnyValue()))),
            })));
        }
        forwarder.HasResourceProperties("AWS::IAM::Policy", Props(("PolicyDocument", Props(("Statement", new object[]
        {
            Match.ObjectLike(Props(("Action", "events:PutEvents"), ("Effect", "Allow"))),
        }), ("Version", "2012-10-17")))));
        forwarder.ResourceCountIs("AWS::Lambda::Function", 0);
        forwarder.ResourceCountIs("AWS::DynamoDB::Table", 0);
    }

    [Fact]
    public void Multi_account_without_a_central_account_or_with_bad_ids_fails_synth_with_every_problem()
    {
        var ex = Assert.Throws<ArgumentException>(() => StackTemplate.Synthesize(new Dictionary<string, object>
        {
            ["memberAccountIds"] = new[] { "12345", "444455556666" },
            ["organizationId"] = "org-1",
            ["alertEmails"] = new[] { "not-an-email" },
            ["createCloudTrail"] = "maybe",
            ["slackWebhookParameter"] = "slack url",
            ["githubOidc"] = new Dictionary<string, object> { ["repository"] = "no-slash", ["branch"] = "*" },
            ["isms"] = new Dictionary<string, object> { ["inspectorSilenceDays"] = -1, ["sweepMissedIntervals"] = 1 },
        }));
        foreach (var expected in new[]
        {
            "memberAccountIds has '12345'", "organizationId must look like o-", "alertEmails: 'not-an-email' is not an email address",
            "createCloudTrail must be true or false", "slackWebhookParameter must be an SSM parameter path", "centralAccountId is required",
            "githubOidc:", "repository must be owner/name", "isms.inspectorSilenceDays must be between 0 (off) and 90", "isms.sweepMissedIntervals",
        })
        {
            Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Central_account_in_its_own_member_list_is_refused()
    {
        var ex = Assert.Throws<ArgumentException>(() => StackTemplate.Synthesize(new Dictionary<string, object>
        {
            ["memberAccountIds"] = "111122223333,444455556666",
            ["centralAccountId"] = "111122223333",
        }));
        Assert.Contains("must not contain the central account 111122223333", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Operational_alarms_cover_streams_pipes_and_schedules_for_other_constructs()
    {
        var app = new App();
        var test = new Stack(app, "AlarmsTest", new StackProps { Env = new Amazon.CDK.Environment { Account = "111122223333", Region = "eu-west-1" } });
        var topic = new Topic(test, "Topic");
        var alarms = new OperationalAlarms(test, "Alarms", new OperationalAlarmsProps { Topic = topic });
        var function = new Function(test, "Sweep", new FunctionProps
        {
            Runtime = Runtime.NODEJS_20_X, Handler = "index.handler", Code = Code.FromInline("exports.handler = async () => {}"),
        });
        alarms.AddScheduledFunction(function, Duration.Minutes(15), 3);
        alarms.AddScheduledFunction(function, Duration.Minutes(15), 3);
        alarms.AddStreamConsumer(function, Duration.Minutes(10));
        alarms.AddPipe("isms-alerts", "AlertsPipe");
        alarms.AlarmEveryFunction(test);
        var template = Template.FromStack(test);

        template.HasResourceProperties("AWS::CloudWatch::Alarm", Props(
            ("MetricName", "Invocations"), ("Threshold", 1), ("ComparisonOperator", "LessThanThreshold"),
            ("EvaluationPeriods", 3), ("Period", 900), ("TreatMissingData", "breaching")));
        template.HasResourceProperties("AWS::CloudWatch::Alarm", Props(("MetricName", "IteratorAge"), ("Threshold", 600000), ("Statistic", "Maximum")));
        template.HasResourceProperties("AWS::CloudWatch::Alarm", Props(("Namespace", "AWS/EventBridge/Pipes"), ("MetricName", "ExecutionFailed"),
            ("Dimensions", new object[] { Props(("Name", "PipeName"), ("Value", "isms-alerts")) })));
        // Registered through the aspect alone: errors and throttles.
        template.HasResourceProperties("AWS::CloudWatch::Alarm", Props(("MetricName", "Errors")));
        template.HasResourceProperties("AWS::CloudWatch::Alarm", Props(("MetricName", "Throttles")));
        // Idempotent: the second AddScheduledFunction added nothing.
        Assert.Equal(6, template.FindResources("AWS::CloudWatch::Alarm").Count);
    }
}
