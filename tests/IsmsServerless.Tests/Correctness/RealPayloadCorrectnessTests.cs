using System.Text;
using System.Text.Json.Nodes;
using IsmsServerless.Changes;
using IsmsServerless.Engine;
using IsmsServerless.Inputs;
using IsmsServerless.Model;
using IsmsServerless.Rules.Drift;
using IsmsServerless.Tests.Drift;
using IsmsServerless.Tests.Support;

namespace IsmsServerless.Tests.Correctness;

/// <summary>
/// Issue 14's detection classes on real payloads (Fixtures/correctness, sources in Fixtures/SOURCES.md): every request
/// form of AuthorizeSecurityGroupIngress and any /0 prefix; console callers (<c>invokedBy: signin.amazonaws.com</c>)
/// are people, not services. Each test failed before the fix.
/// </summary>
public sealed class RealPayloadCorrectnessTests
{
    private static readonly RuleEngine Engine = RuleEngine.CreateDefault();
    private static readonly EvaluationContext Context = TestContexts.At("2026-01-15T12:00:00Z");

    private static JsonObject Record(string name) => JsonNode.Parse(Fixtures.Local("correctness/" + name))!.AsObject();

    private static IReadOnlyList<Evaluation> Evaluate(JsonObject record) =>
        Engine.Evaluate(EventBridgeEnvelope.Wrap(record.ToJsonString()), Context).Evaluations;

    private static Evaluation? SecurityGroupFinding(JsonObject record) =>
        Evaluate(record).SingleOrDefault(e => e.Rule.Id == "drift.security-group-baseline" && e.Outcome == Outcome.Finding);

    private const string SimpleForm = "raw-ec2-authorize-sg-ingress-simple-form-panther-edited.json";

    [Fact]
    public void Simple_request_form_without_a_rule_set_is_ssh_open_to_the_world()
    {
        var finding = SecurityGroupFinding(Record(SimpleForm));
        Assert.NotNull(finding);
        Assert.Equal(Severity.Critical, finding.Severity);
        Assert.Equal("arn:aws:ec2:us-west-2:123456789012:security-group/sg-1", finding.ResourceId);
        Assert.Contains("22 (SSH)", finding.Message, StringComparison.Ordinal);
    }

    [Theory]
    // Any prefix length 0 is the whole address space, whatever the address bits.
    [InlineData("cidrIp", "10.1.2.3/0", "tcp", 22, 22, true)]
    [InlineData("cidrIp", "0.0.0.0/00", "tcp", 22, 22, true)]
    [InlineData("cidrIp", " 0.0.0.0/0 ", "TCP", 22, 22, true)]
    // All traffic, and port ranges containing 22 or 3389.
    [InlineData("cidrIp", "0.0.0.0/0", "-1", null, null, true)]
    [InlineData("cidrIp", "0.0.0.0/0", "tcp", 20, 25, true)]
    [InlineData("cidrIp", "0.0.0.0/0", "tcp", 3000, 4000, true)]
    [InlineData("cidrIp", "0.0.0.0/0", "6", 0, 65535, true)]
    // Not the world, or not an admin port (unapproved world ingress is a HIGH finding, checked below).
    [InlineData("cidrIp", "0.0.0.0/1", "tcp", 22, 22, false)]
    [InlineData("cidrIp", "0.0.0.0/16", "tcp", 22, 22, false)]
    [InlineData("cidrIp", "not-an-ip/0", "tcp", 22, 22, false)]
    [InlineData("cidrIp", "0.0.0.0/0", "udp", 23, 3388, false)]
    public void Simple_form_variants(string field, string cidr, string protocol, int? from, int? to, bool adminPortOpen)
    {
        var record = Record(SimpleForm);
        var request = record["requestParameters"]!.AsObject();
        request.Remove("cidrIp");
        request[field] = cidr;
        request["ipProtocol"] = protocol;
        if (from is null) request.Remove("fromPort"); else request["fromPort"] = from;
        if (to is null) request.Remove("toPort"); else request["toPort"] = to;
        var finding = SecurityGroupFinding(record);
        Assert.Equal(adminPortOpen, finding?.Severity == Severity.Critical);
    }

    [Theory]
    [InlineData("::/0")]
    [InlineData("2001:db8::/0")]
    [InlineData("0:0:0:0:0:0:0:0/0")]
    public void Ipv6_ranges_in_ip_permissions_items_any_zero_prefix_is_the_world(string cidr)
    {
        var record = Record(SimpleForm);
        record["requestParameters"] = JsonNode.Parse("""
            {"groupId":"sg-1","ipPermissions":{"items":[{"ipProtocol":"tcp","fromPort":3389,"toPort":3389,"groups":{},"ipRanges":{},
             "ipv6Ranges":{"items":[{"cidrIpv6":"CIDR"}]},"prefixListIds":{}}]}}
            """.Replace("CIDR", cidr, StringComparison.Ordinal));
        var finding = SecurityGroupFinding(record);
        Assert.NotNull(finding);
        Assert.Contains("3389 (RDP)", finding.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Config_item_with_odd_world_cidr_forms_is_judged_the_same()
    {
        var item = DriftPayloads.Item("ci-security-group-configservice-docs.json");
        var configuration = item["configuration"] is JsonValue text ? JsonNode.Parse(text.GetValue<string>())!.AsObject() : item["configuration"]!.AsObject();
        item["configuration"] = configuration;
        configuration["ipPermissions"] = JsonNode.Parse("""
            [{"ipProtocol":"tcp","fromPort":22,"toPort":22,"ipv4Ranges":[{"cidrIp":"192.168.7.1/0"}],"ipRanges":[],"ipv6Ranges":[]},
             {"ipProtocol":"-1","ipv6Ranges":[{"cidrIpv6":"2600:1f18::/0"}],"ipv4Ranges":[],"ipRanges":[]}]
            """);
        var evaluation = Engine.Evaluate(DriftPayloads.ItemChange(item), Context).Evaluations.Single(e => e.Rule.Id == "drift.security-group-baseline");
        Assert.Equal(Outcome.Finding, evaluation.Outcome);
        Assert.Equal(Severity.Critical, evaluation.Severity);
        Assert.Contains("192.168.7.1/0", evaluation.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0.0.0.0/0", true)]
    [InlineData("255.255.255.255/0", true)]
    [InlineData("::/0", true)]
    [InlineData("fe80::1/0", true)]
    [InlineData("0.0.0.0/32", false)]
    [InlineData("/0", false)]
    [InlineData("0.0.0.0/", false)]
    [InlineData("0.0.0.0/-0", false)]
    [InlineData("sg-123/0", false)]
    public void World_means_prefix_length_zero(string cidr, bool world) => Assert.Equal(world, SecurityGroupBaselineRule.IsWorld(cidr));

    [Fact]
    public void A_console_call_invoked_by_signin_is_a_person_and_a_change()
    {
        // AWS's own Redshift example: IAM user Admin creating a cluster from the console.
        var input = Assert.IsType<CloudTrailInput>(Assert.Single(Engine.Evaluate(EventBridgeEnvelope.Wrap(Fixtures.Local("correctness/raw-redshift-createcluster-console-iamuser-awsdocs.json")), Context).Inputs));
        Assert.False(input.IsAwsService);
        Assert.True(input.InvokedByConsole);
        Assert.Null(ChangeClassifier.WhyNotAChange(input));
        Assert.Equal(ChangeKind.ManualConsole, ChangeClassifier.Classify(input, Context.Settings));
        Assert.Contains(Engine.Evaluate(EventBridgeEnvelope.Wrap(Fixtures.Local("correctness/raw-redshift-createcluster-console-iamuser-awsdocs.json")), Context).Evaluations,
            e => e.Outcome == Outcome.Change && e.Rule.Id == "change.manual-console-change");
    }

    [Fact]
    public void A_root_access_key_created_in_the_console_keeps_its_iam_admin_action_finding()
    {
        var evaluations = Engine.Evaluate(EventBridgeEnvelope.Wrap(Fixtures.Local("correctness/raw-iam-createaccesskey-root-console-panther.json")), Context).Evaluations;
        Assert.Contains(evaluations, e => e.Rule.Id == "monitoring.iam-admin-action" && e.Outcome == Outcome.Finding);
        Assert.Contains(evaluations, e => e.Rule.Id == "monitoring.root-user-activity" && e.Outcome == Outcome.Finding);
    }

    [Fact]
    public void Start_logging_from_the_console_is_a_person_not_a_service()
    {
        var input = Assert.IsType<CloudTrailInput>(Assert.Single(Engine.Evaluate(EventBridgeEnvelope.Wrap(Fixtures.Local("correctness/raw-cloudtrail-startlogging-console-iamuser-awsdocs.json")), Context).Inputs));
        Assert.False(input.IsAwsService);
        Assert.Equal(ChangeKind.ManualConsole, ChangeClassifier.Classify(input, Context.Settings));
    }

    [Fact]
    public void Services_acting_for_someone_are_still_services()
    {
        // Cloud Custodian's real RunInstances by root invokedBy autoscaling.amazonaws.com: the service acted, root's credentials were used.
        var autoscaling = Assert.IsType<CloudTrailInput>(Assert.Single(Engine.Evaluate(EventBridgeEnvelope.Wrap(Fixtures.Shared("cloudtrail/raw-ec2-runinstances-root-autoscaling.json")), Context).Inputs));
        Assert.True(autoscaling.IsAwsService);
        Assert.False(autoscaling.InvokedByConsole);
        Assert.NotNull(ChangeClassifier.WhyNotAChange(autoscaling));
        // Every invokedBy that is the console is a person; every other *.amazonaws.com is a service.
        foreach (var console in CloudTrailInput.PersonInvokers)
        {
            var record = Record("raw-redshift-createcluster-console-iamuser-awsdocs.json");
            record["userIdentity"]!["invokedBy"] = console.ToUpperInvariant();
            var input = Assert.IsType<CloudTrailInput>(Assert.Single(Engine.Evaluate(Encoding.UTF8.GetBytes(EnvelopeOf(record)), Context).Inputs));
            Assert.False(input.IsAwsService, console);
        }
    }

    private static string EnvelopeOf(JsonObject record) => Encoding.UTF8.GetString(EventBridgeEnvelope.Wrap(record.ToJsonString()));
}
