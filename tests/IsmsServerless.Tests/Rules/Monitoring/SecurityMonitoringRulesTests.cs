using IsmsServerless.Engine;
using IsmsServerless.Inputs;
using IsmsServerless.Model;
using IsmsServerless.Settings;
using IsmsServerless.Tests.Support;

namespace IsmsServerless.Tests.Rules.Monitoring;

/// <summary>The security-monitoring rules on real CloudTrail records, each delivered in an EventBridge envelope.</summary>
public sealed class SecurityMonitoringRulesTests
{
    private static readonly RuleEngine Engine = RuleEngine.CreateDefault();

    private static IReadOnlyList<Evaluation> Evaluate(byte[] payload, IsmsSettings? settings = null) =>
        Engine.Evaluate(payload, TestContexts.At("2024-01-01T00:00:00Z", settings)).Evaluations;

    private static IReadOnlyList<Evaluation> Bundle(string name, IsmsSettings? settings = null) =>
        Evaluate(EventBridgeEnvelope.Wrap(EventBridgeEnvelope.FivexlBundle()[name]), settings);

    [Fact]
    public void StopLogging_is_a_critical_trail_tampering_finding()
    {
        var finding = Assert.Single(Bundle("cloudtrail_stop_logging"), e => e.Rule.Id == "monitoring.trail-tampering");
        Assert.Equal(Outcome.Finding, finding.Outcome);
        Assert.Equal(Severity.Critical, finding.Severity);
        Assert.Equal("logging-stopped", finding.SubKey);
        // The anonymised record names the trail 'XXXXXXXXXXX' and has placeholder accounts: still one well-formed ARN.
        Assert.StartsWith("arn:aws:cloudtrail:", finding.ResourceId, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("cloudtrail_delete_trail", "deleted", Severity.Critical)]
    [InlineData("cloudtrail_update_trail", "updated", Severity.High)]
    public void DeleteTrail_and_UpdateTrail_are_trail_tampering(string name, string subKey, Severity severity)
    {
        var finding = Assert.Single(Bundle(name), e => e.Rule.Id == "monitoring.trail-tampering");
        Assert.Equal(subKey, finding.SubKey);
        Assert.Equal(severity, finding.Severity);
    }

    [Fact]
    public void A_failed_StopLogging_is_not_a_change()
    {
        var raw = EventBridgeEnvelope.FivexlBundle()["cloudtrail_stop_logging"];
        var denied = raw.Replace("\"eventName\"", "\"errorCode\": \"AccessDenied\", \"eventName\"", StringComparison.Ordinal);
        var evaluations = Evaluate(EventBridgeEnvelope.Wrap(denied));
        Assert.DoesNotContain(evaluations, e => e.Rule.Id == "monitoring.trail-tampering");
        Assert.DoesNotContain(evaluations, e => e.Outcome == Outcome.Change);
    }

    [Fact]
    public void Config_recorder_stopped_and_delivery_channel_deleted_are_findings_and_start_resolves()
    {
        var stop = Assert.Single(Evaluate(EventBridgeEnvelope.Wrap(Fixtures.Local("monitoring/raw-config-stopconfigurationrecorder.json"))),
            e => e.Rule.Id == "monitoring.config-recorder-stopped");
        Assert.Equal(Outcome.Finding, stop.Outcome);
        Assert.Equal("arn:aws:config:us-west-2:222222222222:config-recorder/default", stop.ResourceId);
        var start = Assert.Single(Evaluate(EventBridgeEnvelope.Wrap(Fixtures.Local("monitoring/raw-config-startconfigurationrecorder.json"))),
            e => e.Rule.Id == "monitoring.config-recorder-stopped");
        Assert.Equal(Outcome.Compliant, start.Outcome);
        Assert.Equal(stop.FindingId, start.FindingId);
        var channel = Assert.Single(Evaluate(EventBridgeEnvelope.Wrap(Fixtures.Local("monitoring/raw-config-deletedeliverychannel.json"))),
            e => e.Rule.Id == "monitoring.config-recorder-stopped");
        Assert.Equal("delivery-channel-deleted", channel.SubKey);
    }

    [Fact]
    public void Iam_admin_actions_on_production_are_tracked_and_staging_is_not_judged()
    {
        var attach = EventBridgeEnvelope.Wrap(Fixtures.Local("changes/raw-iam-attachrolepolicy-console-readonly-panther.json"));
        var finding = Assert.Single(Evaluate(attach), e => e.Rule.Id == "monitoring.iam-admin-action");
        Assert.Equal("arn:aws:iam::123456789012:role/new-role", finding.ResourceId);
        Assert.Equal(Severity.Medium, finding.Severity);
        Assert.Equal("arn:aws:iam::aws:policy/ReadOnlyAccess", finding.Evidence["policyArn"]);
        Assert.DoesNotContain(Evaluate(attach, new IsmsSettings { Environment = "staging" }), e => e.Rule.Id == "monitoring.iam-admin-action");

        var createUser = EventBridgeEnvelope.RecordsOfLogFile(Fixtures.Shared("cloudtrail/raw-logfile-iam-createuser.json")).Single();
        var created = Assert.Single(Evaluate(EventBridgeEnvelope.Wrap(createUser)), e => e.Rule.Id == "monitoring.iam-admin-action");
        Assert.Equal("AWS::IAM::User", created.ResourceType);
    }

    [Fact]
    public void Attaching_AdministratorAccess_is_high()
    {
        var finding = Assert.Single(Evaluate(EventBridgeEnvelope.Wrap(Fixtures.Local("changes/raw-iam-attachrolepolicy-console-admin-panther.json"))),
            e => e.Rule.Id == "monitoring.iam-admin-action");
        Assert.Equal(Severity.High, finding.Severity);
    }

    [Fact]
    public void A_single_failed_console_sign_in_without_state_is_informational_and_carries_no_deadline()
    {
        var failure = Assert.Single(Evaluate(EventBridgeEnvelope.Wrap(Fixtures.Shared("cloudtrail/raw-consolelogin-iamuser-failure.json"))),
            e => e.Rule.Id == "monitoring.console-sign-in-failure-burst");
        Assert.Equal(Outcome.Finding, failure.Outcome);
        Assert.Equal(Severity.Informational, failure.Severity);
        Assert.Equal("arn:aws:iam::111122223333:user/anaya", failure.ResourceId);
        Assert.Null(TestContexts.At("2024-01-01T00:00:00Z").Sla.DeadlineFor(failure, DateTimeOffset.Parse("2024-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture)));
        // A successful sign-in is not a failure.
        Assert.DoesNotContain(Evaluate(Fixtures.Shared("cloudtrail/eb-console-signin-root-success-nomfa.json")), e => e.Rule.Id == "monitoring.console-sign-in-failure-burst");
    }

    [Fact]
    public void A_burst_by_user_or_by_ip_is_high()
    {
        var input = Assert.IsType<CloudTrailInput>(Assert.Single(Engine.Adapt(EventBridgeEnvelope.Wrap(Fixtures.Shared("cloudtrail/raw-consolelogin-root-failure-nomfa.json")),
            TestContexts.At("2024-01-01T00:00:00Z")).Inputs));
        var context = TestContexts.At("2024-01-01T00:00:00Z");
        var rule = new IsmsServerless.Rules.Monitoring.ConsoleSignInFailureBurstRule();
        var byUser = Assert.Single(rule.Evaluate(input with { RecentSignInFailures = new SignInFailureCounts(5, 1, 15) }, context));
        Assert.Equal((Severity.High, "burst:user"), (byUser.Severity, byUser.SubKey));
        Assert.EndsWith(":root", byUser.ResourceId, StringComparison.Ordinal);
        var byIp = Assert.Single(rule.Evaluate(input with { RecentSignInFailures = new SignInFailureCounts(1, 7, 15) }, context));
        Assert.Equal((Severity.High, "burst:ip"), (byIp.Severity, byIp.SubKey));
        var below = Assert.Single(rule.Evaluate(input with { RecentSignInFailures = new SignInFailureCounts(4, 4, 15) }, context));
        Assert.Equal(Severity.Informational, below.Severity);
    }

    [Fact]
    public void Root_console_sign_in_without_mfa_still_raises_both_monitoring_rules()
    {
        var evaluations = Bundle("non_read_action_by_root");
        Assert.Contains(evaluations, e => e.Rule.Id == "monitoring.root-user-activity");
        Assert.DoesNotContain(evaluations, e => e.Outcome == Outcome.Change);
    }
}
