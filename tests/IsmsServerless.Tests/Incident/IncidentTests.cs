using System.Text.Json.Nodes;
using IsmsServerless.Alerts;
using IsmsServerless.Engine;
using IsmsServerless.Incidents;
using IsmsServerless.Model;
using IsmsServerless.Output;
using IsmsServerless.Settings;
using IsmsServerless.Tests.Support;

namespace IsmsServerless.Tests.Incident;

/// <summary>GuardDuty and Security Hub findings through the one engine path: threshold, incident clocks, correlation.</summary>
public sealed class IncidentTests
{
    private static readonly RuleEngine Engine = RuleEngine.CreateDefault();
    private const string At = "2017-11-01T22:10:00Z";

    private static EngineResult Run(string fixture, string at = At, IsmsSettings? settings = null) =>
        Engine.Evaluate(Fixtures.Local("incident/" + fixture), TestContexts.At(at, settings));

    [Fact]
    public void A_GuardDuty_finding_at_severity_8_is_an_incident_due_an_hour_after_the_event_with_all_three_clocks()
    {
        var context = TestContexts.At(At);
        var line = Assert.Single(OutcomeLine.From("gd.json", Run("eb-guardduty-sshbruteforce-sev8-derived.json"), context));
        Assert.Equal("finding", line.Outcome);
        Assert.Equal("incident", line.Category);
        Assert.Equal("incident.security-incident", line.RuleId);
        Assert.Equal("i-0d6c314027f74dc82", line.ResourceId);
        // The event's time is 2017-11-01T22:05:00Z.
        Assert.Equal("2017-11-01T23:05:00.000Z", line.DueAt);
        Assert.NotNull(line.Deadlines);
        Assert.Equal("2017-11-01T23:05:00.000Z", line.Deadlines!["acknowledge"]);
        Assert.Equal("2017-11-02T22:05:00.000Z", line.Deadlines["document"]);
        Assert.Equal("2017-11-08T22:05:00.000Z", line.Deadlines["review"]);
        Assert.Equal("open", line.State);
    }

    [Fact]
    public void The_json_line_carries_the_deadlines_object()
    {
        var context = TestContexts.At(At);
        var line = Assert.Single(OutcomeLine.From("gd.json", Run("eb-guardduty-sshbruteforce-sev8-derived.json"), context));
        var json = JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(line, OutputJsonContext.Default.OutcomeLine))!;
        Assert.Equal("2017-11-08T22:05:00.000Z", json["deadlines"]!["review"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("eb-guardduty-portprobe-sev2-sumologic.json", "LOW")]
    [InlineData("eb-guardduty-recon-userpermissions-sev5-awscli-derived.json", "MEDIUM")]
    public void Below_the_threshold_a_GuardDuty_finding_is_a_monitoring_finding(string fixture, string severity)
    {
        var e = Assert.Single(Run(fixture, "2020-06-01T00:00:00Z").Evaluations);
        Assert.Equal("monitoring.security-finding", e.Rule.Id);
        Assert.Equal(Category.Monitoring, e.Rule.Category);
        Assert.Equal(Outcome.Finding, e.Outcome);
        Assert.Equal(severity, e.Severity.ToWire());
        Assert.Empty(e.Deadlines);
    }

    [Fact]
    public void The_threshold_is_a_setting()
    {
        var lower = new IsmsSettings { Incidents = new IncidentSettings { GuardDutyMinSeverity = 5 } };
        var e = Assert.Single(Run("eb-guardduty-recon-userpermissions-sev5-awscli-derived.json", "2020-06-01T00:00:00Z", lower).Evaluations);
        Assert.Equal("incident.security-incident", e.Rule.Id);
        // A credential finding's cause is the actor, not the access key.
        Assert.Equal("principal/testuser", e.ResourceId);
        var higher = new IsmsSettings { Incidents = new IncidentSettings { GuardDutyMinSeverity = 9 } };
        Assert.Equal("monitoring.security-finding", Assert.Single(Run("eb-guardduty-sshbruteforce-sev8-derived.json", settings: higher).Evaluations).Rule.Id);
    }

    [Fact]
    public void Three_GuardDuty_findings_on_one_instance_are_one_incident_and_another_instance_is_another()
    {
        var files = new[] { "eb-guardduty-sshbruteforce-sev8-derived.json", "eb-guardduty-bitcoin-dns-sev8-derived.json", "eb-guardduty-c2-dns-sev8-derived.json" };
        var ids = files.Select(f => Assert.Single(Run(f, "2017-11-02T00:00:00Z").Evaluations)).Select(e => (e.FindingId, e.Evidence["incidentId"])).Distinct().ToList();
        Assert.Single(ids);
        var other = Assert.Single(Run("eb-guardduty-bitcoin-dns-sev8-other-instance-derived.json", "2017-11-02T00:00:00Z").Evaluations);
        Assert.NotEqual(ids[0].FindingId, other.FindingId);
    }

    [Fact]
    public void Security_Hub_OCSF_and_ASFF_findings_are_read_and_out_of_scope_ones_ignored_with_the_reason()
    {
        // The published OCSF sample is a suppressed GuardDuty finding: ignored, and the reason says so.
        var suppressed = Assert.Single(Run("eb-securityhub-findings-imported-v2-ocsf-sumologic.json", "2025-07-22T04:00:00Z").Evaluations);
        Assert.Equal(Outcome.Ignored, suppressed.Outcome);
        Assert.Contains("SUPPRESSED", suppressed.Message, StringComparison.Ordinal);
        var line = Assert.Single(OutcomeLine.From("x.json", Run("eb-securityhub-findings-imported-v2-ocsf-sumologic.json", "2025-07-22T04:00:00Z"), TestContexts.At("2025-07-22T04:00:00Z")));
        Assert.Equal("ignored", line.Outcome);

        var critical = Assert.Single(Run("eb-securityhub-findings-imported-v2-ocsf-critical-derived.json", "2025-07-22T04:00:00Z").Evaluations);
        Assert.Equal("incident.security-incident", critical.Rule.Id);
        Assert.Equal(Severity.Critical, critical.Severity);
        Assert.Equal("principal/cis_automation", critical.ResourceId);
        Assert.Equal("869728294964", critical.AccountId);

        var passed = Assert.Single(Run("eb-securityhub-findings-imported-asff-cis-passed-derived.json", "2019-08-01T00:00:00Z").Evaluations);
        Assert.Equal(Outcome.Ignored, passed.Outcome);
        var failed = Assert.Single(Run("eb-securityhub-findings-imported-asff-cis-failed-critical-derived.json", "2019-08-01T00:00:00Z").Evaluations);
        Assert.Equal("incident.security-incident", failed.Rule.Id);
        Assert.Equal("arn:aws:cloudtrail:us-east-1:644160558196:trail/skunk-trails", failed.ResourceId);
        var inspector = Assert.Single(Run("eb-securityhub-findings-imported-asff-inspector-log4j-derived.json", "2022-01-01T00:00:00Z").Evaluations);
        Assert.Equal(Outcome.Ignored, inspector.Outcome);
        Assert.Contains("patch rules", inspector.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Root_activity_from_this_system_opens_an_incident_beside_its_own_finding_at_or_above_the_threshold()
    {
        // Root activity is HIGH: below the default CRITICAL threshold it stays an ordinary finding.
        Assert.DoesNotContain(Engine.Evaluate(Fixtures.Shared("cloudtrail/eb-console-signin-root-success-nomfa.json"), TestContexts.At("2030-01-01T00:00:00Z")).Evaluations,
            e => e.Rule.Id == "incident.security-incident");
        var high = new IsmsSettings { Incidents = new IncidentSettings { MinSeverity = "HIGH" } };
        var result = Engine.Evaluate(Fixtures.Shared("cloudtrail/eb-console-signin-root-success-nomfa.json"), TestContexts.At("2030-01-01T00:00:00Z", high));
        var root = Assert.Single(result.Evaluations, e => e.Rule.Id == "monitoring.root-user-activity" && e.Outcome == Outcome.Finding);
        var incident = Assert.Single(result.Evaluations, e => e.Rule.Id == "incident.security-incident");
        Assert.Equal(root.ResourceId, incident.ResourceId);
        Assert.Equal(root.FindingId, incident.Evidence["escalatedFromFinding"]);
        Assert.Equal(3, incident.Deadlines.Count);
        var off = new IsmsSettings { Incidents = new IncidentSettings { MinSeverity = "HIGH", OwnRuleIds = [] } };
        Assert.DoesNotContain(Engine.Evaluate(Fixtures.Shared("cloudtrail/eb-console-signin-root-success-nomfa.json"), TestContexts.At("2030-01-01T00:00:00Z", off)).Evaluations,
            e => e.Rule.Id == "incident.security-incident");
    }

    [Fact]
    public void Escalation_matches_own_rule_ids_exactly_and_without_the_incident_rule_changes_nothing()
    {
        var high = new IsmsSettings { Incidents = new IncidentSettings { MinSeverity = "HIGH" } };
        var context = TestContexts.At("2030-01-01T00:00:00Z", high);
        var evaluations = Engine.Evaluate(Fixtures.Shared("cloudtrail/eb-console-signin-root-success-nomfa.json"), context).Evaluations
            .Where(e => e.Rule.Id != IncidentEscalation.IncidentRuleId).ToList();
        var root = Assert.Single(evaluations, e => e.Rule.Id == "monitoring.root-user-activity" && e.Outcome == Outcome.Finding);

        // The default registry escalates the root finding: one incident after the evaluations, which keep their order.
        var escalated = IncidentEscalation.Escalate(evaluations, Engine.Registry, context);
        Assert.Equal(evaluations.Count + 1, escalated.Count);
        Assert.Equal(evaluations, escalated.Take(evaluations.Count));
        Assert.Equal(root.FindingId, escalated[^1].Evidence["escalatedFromFinding"]);

        // A registry without the incident rule: the same list back, nothing added.
        var withoutIncident = new RuleRegistry(Engine.Registry.Rules.Where(r => r.Metadata.Id != IncidentEscalation.IncidentRuleId));
        Assert.Same(evaluations, IncidentEscalation.Escalate(evaluations, withoutIncident, context));

        // Own rule ids compare ordinally: the same id in other case, or with a space, escalates nothing.
        foreach (var near in new[] { "Monitoring.Root-User-Activity", "monitoring.root-user-activity ", "monitoring.root-user" })
        {
            var other = TestContexts.At("2030-01-01T00:00:00Z", new IsmsSettings { Incidents = new IncidentSettings { MinSeverity = "HIGH", OwnRuleIds = [near] } });
            Assert.Same(evaluations, IncidentEscalation.Escalate(evaluations, Engine.Registry, other));
        }
    }

    [Fact]
    public void The_Slack_alert_shows_the_three_clocks()
    {
        var e = Assert.Single(Run("eb-guardduty-sshbruteforce-sev8-derived.json").Evaluations);
        var alert = new AlertRecord
        {
            AlertId = "a-1", Kind = "new", FindingId = e.FindingId, RuleId = e.Rule.Id, Title = e.Rule.Title, Severity = e.Severity.ToWire(),
            Category = e.Rule.Category.ToWire(), ResourceId = e.ResourceId, Message = e.Message, CreatedAt = At, DueAt = "2017-11-01T23:05:00.000Z",
        };
        var text = System.Text.Json.JsonDocument.Parse(SlackMessageBuilder.ForAlert(alert)).RootElement.GetRawText();
        Assert.Contains("acknowledge, assess and notify by 2017-11-01 23:05 UTC", text, StringComparison.Ordinal);
        Assert.Contains("document and fix by 2017-11-02 22:05 UTC", text, StringComparison.Ordinal);
        Assert.Contains("post-incident review by 2017-11-08 22:05 UTC", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"version":"0","id":"x","detail-type":"GuardDuty Finding","source":"aws.guardduty","account":"1","time":"2020-01-01T00:00:00Z","region":"us-east-1","resources":[],"detail":{"id":"abc","type":"T"}}""", "severity")]
    [InlineData("""{"version":"0","id":"x","detail-type":"GuardDuty Finding","source":"aws.guardduty","account":"1","time":"2020-01-01T00:00:00Z","region":"us-east-1","resources":[],"detail":{"id":"abc","severity":"eleven"}}""", "severity")]
    [InlineData("""{"version":"0","id":"x","detail-type":"GuardDuty Finding","source":"aws.guardduty","account":"1","time":"2020-01-01T00:00:00Z","region":"us-east-1","resources":[],"detail":"nope"}""", "detail")]
    [InlineData("""{"version":"0","id":"x","detail-type":"Findings Imported V2","source":"aws.securityhub","account":"1","time":"2020-01-01T00:00:00Z","region":"us-east-1","resources":[],"detail":{"findings":{}}}""", "findings")]
    [InlineData("""{"version":"0","id":"x","detail-type":"Security Hub Findings - Imported","source":"aws.securityhub","account":"1","time":"2020-01-01T00:00:00Z","region":"us-east-1","resources":[],"detail":{"findings":[{"Id":"i","Severity":{}}]}}""", "Severity")]
    [InlineData("""{"version":"0","id":"x","detail-type":"Backup Job State Change","source":"aws.backup","account":"1","time":"2020-01-01T00:00:00Z","region":"us-east-1","resources":[],"detail":{"backupJobId":"j"}}""", "state")]
    [InlineData("""{"version":"0","id":"x","detail-type":"Backup Job State Change","source":"aws.backup","account":"1","time":"2020-01-01T00:00:00Z","region":"us-east-1","resources":[],"detail":{"backupJobId":"j","state":"FAILED"}}""", "resource")]
    [InlineData("""{"version":"0","id":"x","detail-type":"Backup Job State Change","source":"aws.backup","account":"1","time":"2020-01-01T00:00:00Z","region":"us-east-1","resources":[],"detail":{"backupJobId":"j","state":"FAILED","resourceArn":"arn:\u0007bell"}}""", "usable")]
    public void Bad_shapes_are_rejected_with_a_reason_never_a_crash(string json, string reasonMentions)
    {
        var result = Engine.Evaluate(System.Text.Encoding.UTF8.GetBytes(json), TestContexts.At(At));
        Assert.NotNull(result.Error);
        Assert.Contains(reasonMentions, result.Error, StringComparison.OrdinalIgnoreCase);
        Assert.Empty(result.Evaluations);
    }

    [Fact]
    public void An_unknown_aws_backup_event_is_ignored_not_rejected()
    {
        var json = """{"version":"0","id":"2895aefb-dd4a-0a23-6071-2652abd92c3f","detail-type":"Backup Plan State Change","source":"aws.backup","account":"1112233445566","time":"2020-06-24T23:18:25Z","region":"us-west-2","resources":["arn:aws:backup:us-west-2:1112233445566:backup-plan:83fcb8ee-2d93-42ac-b06f-591563f3f8de"],"detail":{"backupPlanId":"83fcb8ee-2d93-42ac-b06f-591563f3f8de","versionId":"NjIwNDFjMDEtNmZlNC00M2JmLTkzZDgtNzNkZjQyNzkxNDk0","modifiedAt":"2020-06-24T23:18:19.168Z","state":"MODIFIED"}}"""u8.ToArray();
        var result = Engine.Evaluate(json, TestContexts.At(At));
        Assert.Null(result.Error);
        Assert.Empty(result.Evaluations);
        Assert.Equal("backup", result.Adapter);
        Assert.NotNull(result.IgnoredReason);
    }

    [Fact]
    public void A_GuardDuty_event_time_that_is_redacted_falls_back_and_still_yields_an_incident()
    {
        var node = JsonNode.Parse(Fixtures.Local("incident/eb-guardduty-sshbruteforce-sev8-derived.json"))!;
        node["time"] = "XXXX-XX-XXTXX:XX:XXZ";
        node["detail"]!["updatedAt"] = "XXXX-XX-XXTXX:XX:XXZ";
        var result = Engine.Evaluate(System.Text.Encoding.UTF8.GetBytes(node.ToJsonString()), TestContexts.At(At));
        var e = Assert.Single(result.Evaluations);
        Assert.Equal("incident.security-incident", e.Rule.Id);
        // No event time: the clock starts at GuardDuty's eventFirstSeen (2017-11-01T22:01:00Z).
        Assert.Equal(DateTimeOffset.Parse("2017-11-01T23:01:00Z", System.Globalization.CultureInfo.InvariantCulture), e.Deadlines[0].DueAt);
    }
}
