using IsmsServerless.Changes;
using IsmsServerless.Engine;
using IsmsServerless.Inputs;
using IsmsServerless.Model;
using IsmsServerless.Settings;
using IsmsServerless.Tests.Support;

namespace IsmsServerless.Tests.Changes;

/// <summary>Change detection on real CloudTrail payloads, delivered through EventBridge envelopes.</summary>
public sealed class ChangeDetectionTests
{
    private static readonly RuleEngine Engine = RuleEngine.CreateDefault();

    internal static readonly string[] ThienSession =
    [
        "changes/eb-console-session-thien-1-detachrolepolicy.json",
        "changes/eb-console-session-thien-2-deletepolicy.json",
        "changes/eb-console-session-thien-3-deleterole.json",
        "changes/eb-console-session-thien-4-deleterolepolicy.json",
        "changes/eb-console-session-thien-5-putrolepolicy-rotated-key.json",
    ];

    private static EngineResult Evaluate(byte[] payload, IsmsSettings? settings = null) =>
        Engine.Evaluate(payload, TestContexts.At("2023-06-01T00:00:00Z", settings));

    private static CloudTrailInput Input(byte[] payload) =>
        Assert.IsType<CloudTrailInput>(Assert.Single(Engine.Adapt(payload, TestContexts.At("2023-06-01T00:00:00Z")).Inputs));

    [Fact]
    public void Console_session_calls_on_production_are_manual_changes_of_one_change_record()
    {
        var changeIds = new HashSet<string>();
        foreach (var file in ThienSession)
        {
            var result = Evaluate(Fixtures.Local(file));
            var change = Assert.Single(result.Evaluations, e => e.Outcome == Outcome.Change);
            Assert.Equal("change.manual-console-change", change.Rule.Id);
            Assert.Equal("thien", change.Evidence["principal"]);
            changeIds.Add(change.ResourceId);
        }
        // The console rotated the session's access key (ASIAQG44ZLVNLHDE7DRA → ASIAQG44ZLVNJO2HJMNI) under one creationDate.
        Assert.Single(changeIds);
        Assert.StartsWith("chg-", changeIds.Single(), StringComparison.Ordinal);
    }

    [Fact]
    public void Python_reserialized_fields_from_other_tools_are_read_like_aws_ones()
    {
        // Panther's console AttachRolePolicy (Apache-2.0) with the fields a Python re-serialiser writes, EDITED in here:
        // "readOnly": "False", "managementEvent": "True", "responseElements": "None" (not AWS's own spelling; seen in
        // payloads other tools forward).
        var raw = System.Text.Json.Nodes.JsonNode.Parse(Fixtures.Local("changes/raw-iam-attachrolepolicy-console-readonly-panther.json"))!.AsObject();
        raw["readOnly"] = "False";
        raw["managementEvent"] = "True";
        raw["responseElements"] = "None";
        var input = Input(EventBridgeEnvelope.Wrap(raw.ToJsonString()));
        Assert.True(input.Mutating);
        Assert.Equal(ChangeKind.ManualConsole, ChangeClassifier.Classify(input, IsmsSettings.Default));
        var call = ChangeClassifier.ToCall(input, IsmsSettings.Default)!;
        Assert.Contains("arn:aws:iam::aws:policy/ReadOnlyAccess", call.Resources);
        Assert.Contains("iam:roleName/new-role", call.Resources);
    }

    [Fact]
    public void Staging_does_not_register_manual_changes_but_still_registers_emergency_ones()
    {
        var staging = new IsmsSettings { Environment = "staging" };
        Assert.DoesNotContain(Evaluate(Fixtures.Local(ThienSession[0]), staging).Evaluations, e => e.Outcome == Outcome.Change);

        var input = Input(Fixtures.Shared("cloudtrail/eb-api-call-s3-createbucket-assumedrole.json"));
        Assert.NotNull(input.RoleName);
        var breakGlass = new IsmsSettings { Environment = "staging", EmergencyRoleNames = [input.RoleName!] };
        var change = Assert.Single(Evaluate(Fixtures.Shared("cloudtrail/eb-api-call-s3-createbucket-assumedrole.json"), breakGlass).Evaluations,
            e => e.Outcome == Outcome.Change);
        Assert.Equal("change.emergency-role-change", change.Rule.Id);
        Assert.Equal(Severity.High, change.Severity);
    }

    [Fact]
    public void Emergency_wins_over_console_and_a_break_glass_session_name_counts_without_the_role()
    {
        // Cloud Custodian's sample: role Sandbox_Dev, session "user", user agent [S3Console/0.4].
        var input = Input(Fixtures.Shared("cloudtrail/eb-api-call-s3-createbucket-assumedrole.json"));
        Assert.Equal(ChangeKind.ManualConsole, ChangeClassifier.Classify(input, IsmsSettings.Default));
        var byPrefix = new IsmsSettings { EmergencySessionNamePrefixes = ["us"] };
        Assert.Equal(ChangeKind.Emergency, ChangeClassifier.Classify(input, byPrefix));
    }

    [Fact]
    public void The_pipeline_role_is_not_a_change_unless_someone_uses_it_from_the_console()
    {
        var cli = Input(EventBridgeEnvelope.Wrap(CrossAccountRecord));
        Assert.Equal(ChangeKind.OutOfPipeline, ChangeClassifier.Classify(cli, IsmsSettings.Default));
        Assert.Null(ChangeClassifier.Classify(cli, new IsmsSettings { PipelineRoleNames = ["Ops"] }));
        // Assuming the pipeline's role in the console is a manual change all the same.
        var console = Input(Fixtures.Shared("cloudtrail/eb-api-call-s3-createbucket-assumedrole.json"));
        Assert.Equal(ChangeKind.ManualConsole, ChangeClassifier.Classify(console, new IsmsSettings { PipelineRoleNames = ["Sandbox_Dev"] }));
    }

    [Fact]
    public void Root_console_creating_a_bucket_is_a_manual_change_and_root_activity()
    {
        var result = Evaluate(Fixtures.Shared("cloudtrail/eb-api-call-s3-createbucket-root.json"));
        Assert.Contains(result.Evaluations, e => e.Rule.Id == "monitoring.root-user-activity");
        var change = Assert.Single(result.Evaluations, e => e.Outcome == Outcome.Change);
        Assert.Equal("root", change.Evidence["principal"]);
    }

    [Theory]
    [InlineData("unauthorized_operation", "the call failed")]
    [InlineData("access_denied", "the call failed")]
    [InlineData("console_login_without_MFA_and_SSO", "read-only")]
    public void Failed_and_read_only_calls_are_not_changes(string bundleEvent, string reason)
    {
        var raw = EventBridgeEnvelope.FivexlBundle()[bundleEvent];
        var input = Input(EventBridgeEnvelope.Wrap(raw));
        Assert.Contains(reason, ChangeClassifier.WhyNotAChange(input) ?? "", StringComparison.Ordinal);
        Assert.Null(ChangeClassifier.Classify(input, IsmsSettings.Default));
    }

    [Fact]
    public void Aws_service_principals_and_service_invoked_calls_are_not_changes()
    {
        // trailscraper log file: AssumeRole by type AWSService (config.amazonaws.com), and a read by a role invokedBy config.
        foreach (var raw in EventBridgeEnvelope.RecordsOfLogFile(Fixtures.Shared("cloudtrail/raw-logfile-trailscraper-assumerole.json")))
            Assert.Null(ChangeClassifier.Classify(Input(EventBridgeEnvelope.Wrap(raw)), IsmsSettings.Default));
        // Control Tower account creation invoked by Service Catalog on an SSO admin's behalf: the service made the calls;
        // the admin's own ProvisionProduct call is the change to review.
        var sso = Input(EventBridgeEnvelope.Wrap(Fixtures.Shared("cloudtrail/raw-sso-admin-assumedrole-controltower.json")));
        Assert.True(sso.IsAwsService);
        Assert.Null(ChangeClassifier.Classify(sso, IsmsSettings.Default));
        // Root RunInstances invokedBy autoscaling.
        Assert.Null(ChangeClassifier.Classify(Input(EventBridgeEnvelope.Wrap(Fixtures.Shared("cloudtrail/raw-ec2-runinstances-root-autoscaling.json"))), IsmsSettings.Default));
    }

    [Fact]
    public void A_cli_change_with_long_term_keys_is_out_of_pipeline_grouped_per_day()
    {
        var input = Input(EventBridgeEnvelope.Wrap(Fixtures.Local("monitoring/raw-config-stopconfigurationrecorder.json")));
        var call = ChangeClassifier.ToCall(input, IsmsSettings.Default)!;
        Assert.Equal(ChangeKind.OutOfPipeline, call.Kind);
        Assert.Equal("johndoe", call.Principal);
        Assert.StartsWith("day|arn:aws:iam::222222222222:user/JohnDoe|AKIAI44QH8DHBEXAMPLE|2014-12-11", call.SessionKey, StringComparison.Ordinal);
        var start = ChangeClassifier.ToCall(Input(EventBridgeEnvelope.Wrap(Fixtures.Local("monitoring/raw-config-startconfigurationrecorder.json"))), IsmsSettings.Default)!;
        Assert.Equal(call.ChangeId, start.ChangeId);
    }

    /// <summary>
    /// CONSTRUCTED (no public cross-account sample was found): a role session of account 999999999999 writing a bucket
    /// policy in 123456789012, in the documented record shape (userIdentity.accountId ≠ recipientAccountId).
    /// </summary>
    private const string CrossAccountRecord = """
            {"eventVersion":"1.08","userIdentity":{"type":"AssumedRole","principalId":"AROAEXAMPLE:ops","arn":"arn:aws:sts::999999999999:assumed-role/Ops/ops",
             "accountId":"999999999999","accessKeyId":"ASIAEXAMPLE","sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROAEXAMPLE",
             "arn":"arn:aws:iam::999999999999:role/Ops","accountId":"999999999999","userName":"Ops"},"attributes":{"creationDate":"2024-01-01T10:00:00Z","mfaAuthenticated":"false"}}},
             "eventTime":"2024-01-01T10:05:00Z","eventSource":"s3.amazonaws.com","eventName":"PutBucketPolicy","awsRegion":"eu-west-1","sourceIPAddress":"203.0.113.9",
             "userAgent":"aws-cli/2.15.0","requestParameters":{"bucketName":"prod-data"},"responseElements":null,"eventID":"11111111-2222-3333-4444-555555555555",
             "readOnly":false,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"123456789012","eventCategory":"Management"}
            """;

    [Fact]
    public void Cross_account_callers_are_recorded_with_their_account()
    {
        var call = ChangeClassifier.ToCall(Input(EventBridgeEnvelope.Wrap(CrossAccountRecord)), IsmsSettings.Default)!;
        Assert.Equal("123456789012", call.AccountId);
        Assert.Equal("999999999999", call.CallerAccountId);
        Assert.Equal("ops", call.Principal);
        Assert.Contains("s3:bucketName/prod-data", call.Resources);
    }

    [Fact]
    public void Envelope_helper_reproduces_the_published_eventbridge_console_sign_in_shape()
    {
        // The awsdocs sample is a real EventBridge delivery; wrapping its own detail must give the same routing facts.
        var published = Fixtures.Shared("cloudtrail/eb-console-signin-root-success-nomfa.json");
        using var doc = System.Text.Json.JsonDocument.Parse(published);
        var wrapped = EventBridgeEnvelope.Wrap(doc.RootElement.GetProperty("detail").GetRawText());
        using var ours = System.Text.Json.JsonDocument.Parse(wrapped);
        Assert.Equal(doc.RootElement.GetProperty("detail-type").GetString(), ours.RootElement.GetProperty("detail-type").GetString());
        Assert.Equal(doc.RootElement.GetProperty("source").GetString(), ours.RootElement.GetProperty("source").GetString());
        Assert.Equal(doc.RootElement.GetProperty("region").GetString(), ours.RootElement.GetProperty("region").GetString());
    }
}
