using System.Text.Json.Nodes;
using IsmsServerless.Drift;
using IsmsServerless.Engine;
using IsmsServerless.Evidence;
using IsmsServerless.Ledger;
using IsmsServerless.Pipeline;
using IsmsServerless.Settings;
using IsmsServerless.Tests.Drift;
using IsmsServerless.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace IsmsServerless.Tests.Evidence;

/// <summary>
/// The controls view's figures (a rule's evaluated / passing / failing) after each step of scripted deliveries through the
/// ingest pipeline, beside the finding's status: first sight, duplicates, a fix, a recurrence, late and equal-time
/// deliveries, a deletion, and a baseline approval (which reaches the ledger only). Pinned as the layout of issue 20 wave 8
/// leaves them, so a layout that stores a failure elsewhere (docs/benchmarks.md, issue-evr9) must show the same figures.
/// It also pins where the figures and the finding's status differ on purpose: an approval resolves the finding while the
/// rule's stored result stays the failure until the next evaluation of the resource, and a terminated instance's
/// vulnerability findings are resolved while their sub-keyed (per CVE) results keep counting.
/// </summary>
[Collection(DynamoDbCollection.Name)]
public sealed class EvidenceFiguresTests(DynamoDbLocalFixture dynamo)
{
    private const string SecurityGroupRule = "drift.security-group-baseline";
    private const string SecurityGroup = "arn:aws:ec2:us-east-2:012345678912:security-group/default";
    private const string SnapshotRule = "drift.approved-snapshot-drift";
    private const string Trail = "arn:aws:cloudtrail:ap-southeast-1:123456789012:trail/APJCCloudTrail";
    private const string InspectorRule = "patch.inspector-vulnerability";
    private const string Instance = "i-12345678901234567";

    private readonly FakeTimeProvider _clock = TestContexts.ClockAt("2024-09-01T00:00:00Z");

    private EvaluationContext Context => new(IsmsSettings.Default, _clock);

    private sealed record Harness(DynamoDbFindingLedger Ledger, DynamoDbEvidenceStore Evidence, IngestPipeline Pipeline, BaselineService Baselines, List<string> Log);

    private async Task<Harness> NewAsync()
    {
        var table = await dynamo.NewTableAsync("evfig");
        var ledger = new DynamoDbFindingLedger(dynamo.Client, table, IsmsSettings.Default);
        var evidence = new DynamoDbEvidenceStore(dynamo.Client, table, "test");
        var pipeline = new IngestPipeline(RuleEngine.CreateDefault(), InputEnrichers.Default(dynamo.Client, table), ledger, evidence);
        return new Harness(ledger, evidence, pipeline, new BaselineService(new DriftStore(dynamo.Client, table), ledger), []);
    }

    /// <summary>One line: the step, the rule's figures (evaluated/passing/failing) and the finding's status (none: no finding).</summary>
    private async Task StepAsync(Harness h, string step, string ruleId, string resource)
    {
        var summaries = await h.Evidence.GetRuleSummariesAsync();
        var figures = summaries.TryGetValue(ruleId, out var s) ? $"{s.Evaluated}/{s.Passing}/{s.Failing}" : "none";
        var findings = (await h.Ledger.QueryByResourceAsync(resource, 100)).Items.Where(f => f.RuleId == ruleId).ToList();
        var status = findings.Count == 0 ? "none" : string.Join(",", findings.Select(f => f.Status.ToWire()));
        h.Log.Add($"{step}: {figures} {status}");
    }

    private static JsonObject Group(string captured, bool open)
    {
        var item = DriftPayloads.Item("ci-security-group-configservice-docs.json");
        item["configurationItemCaptureTime"] = captured;
        if (!open)
        {
            // Tcp 80 and 1433 open to the world are what fails; without them the group passes.
            var configuration = JsonNode.Parse(item["configuration"]!.GetValue<string>())!.AsObject();
            configuration["ipPermissions"] = new JsonArray();
            item["configuration"] = configuration;
        }
        return item;
    }

    private async Task Deliver(Harness h, JsonObject item, string changeType = "UPDATE")
    {
        _clock.Advance(TimeSpan.FromMinutes(1));
        await h.Pipeline.ProcessAsync(DriftPayloads.ItemChange(item, changeType), Context);
    }

    [Fact]
    public async Task A_rules_figures_follow_its_latest_result_through_fix_recurrence_late_and_equal_deliveries_and_deletion()
    {
        var h = await NewAsync();
        _clock.SetUtcNow(DateTimeOffset.Parse("2026-11-23T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        await Deliver(h, Group("2026-11-23T09:00:00Z", open: true));
        await StepAsync(h, "first failure", SecurityGroupRule, SecurityGroup);
        await Deliver(h, Group("2026-11-23T09:00:00Z", open: true));
        await StepAsync(h, "delivered again", SecurityGroupRule, SecurityGroup);
        await Deliver(h, Group("2026-11-23T09:05:00Z", open: true));
        await StepAsync(h, "failing again", SecurityGroupRule, SecurityGroup);
        await Deliver(h, Group("2026-11-23T09:10:00Z", open: false));
        await StepAsync(h, "fixed", SecurityGroupRule, SecurityGroup);
        await Deliver(h, Group("2026-11-23T09:20:00Z", open: true));
        await StepAsync(h, "recurred", SecurityGroupRule, SecurityGroup);
        await Deliver(h, Group("2026-11-23T09:15:00Z", open: false));
        await StepAsync(h, "older fix late", SecurityGroupRule, SecurityGroup);
        await Deliver(h, Group("2026-11-23T09:20:00Z", open: false));
        await StepAsync(h, "fix at the same time", SecurityGroupRule, SecurityGroup);
        var deleted = Group("2026-11-23T09:30:00Z", open: true);
        deleted["configurationItemStatus"] = "ResourceDeleted";
        deleted["configuration"] = null;
        await Deliver(h, deleted, "DELETE");
        await StepAsync(h, "deleted", SecurityGroupRule, SecurityGroup);
        await Deliver(h, Group("2026-11-23T09:25:00Z", open: true));
        await StepAsync(h, "older failure late", SecurityGroupRule, SecurityGroup);
        await Deliver(h, Group("2026-11-23T09:40:00Z", open: true));
        await StepAsync(h, "back and failing", SecurityGroupRule, SecurityGroup);

        Assert.Equal(
            """
            first failure: 1/0/1 open
            delivered again: 1/0/1 open
            failing again: 1/0/1 open
            fixed: 1/1/0 resolved
            recurred: 1/0/1 open
            older fix late: 1/0/1 open
            fix at the same time: 1/0/1 open
            deleted: 0/0/0 resolved
            older failure late: 0/0/0 resolved
            back and failing: 1/0/1 open
            """.ReplaceLineEndings("\n"),
            string.Join("\n", h.Log));
    }

    [Fact]
    public async Task An_approval_resolves_the_drift_finding_through_the_ledger_only_and_the_rules_failure_stays_until_the_next_evaluation()
    {
        var h = await NewAsync();
        JsonObject TrailItem(string captured, string bucket)
        {
            var item = DriftPayloads.Item("ci-cloudtrail-trail-rdk.json");
            item["configurationItemCaptureTime"] = captured;
            item["configuration"]!["s3BucketName"] = bucket;
            return item;
        }

        // Each delivery a minute after its capture, each approval a few minutes after what it approves.
        async Task At(string now, Func<Task> step)
        {
            _clock.SetUtcNow(DateTimeOffset.Parse(now, System.Globalization.CultureInfo.InvariantCulture));
            await step();
        }

        await At("2026-11-23T08:00:00Z", () => Deliver(h, TrailItem("2026-11-23T08:00:00Z", "mborch-apjc-cloudtrail-bucket")));
        await StepAsync(h, "first seen", SnapshotRule, Trail);
        await At("2026-11-23T08:05:00Z", () => h.Baselines.ApproveAndRecordAsync("APJCCloudTrail", "cto@example.com", "CHG-1042 reviewed", Context));
        await StepAsync(h, "approved", SnapshotRule, Trail);
        await At("2026-11-23T09:09:00Z", () => Deliver(h, TrailItem("2026-11-23T09:09:00Z", "second-bucket")));
        await StepAsync(h, "drifted", SnapshotRule, Trail);
        await At("2026-11-23T09:15:00Z", () => h.Baselines.ApproveAndRecordAsync("APJCCloudTrail", "cto@example.com", "CHG-1043 reviewed", Context));
        await StepAsync(h, "drift approved", SnapshotRule, Trail);
        await At("2026-11-23T09:50:00Z", () => Deliver(h, TrailItem("2026-11-23T09:50:00Z", "second-bucket")));
        await StepAsync(h, "evaluated again", SnapshotRule, Trail);

        Assert.Equal(
            """
            first seen: none none
            approved: none none
            drifted: 1/0/1 open
            drift approved: 1/0/1 resolved
            evaluated again: 1/1/0 resolved
            """.ReplaceLineEndings("\n"),
            string.Join("\n", h.Log));
    }

    [Fact]
    public async Task A_terminated_instance_closes_its_vulnerability_findings_and_their_sub_keyed_failures_stay_counted()
    {
        // IngestPipeline.GoneResults tombstones the results of a gone resource without a sub-key only: a CVE's result (sub-key
        // the CVE id) stays what it was, while the ledger resolves every finding on the resource.
        var h = await NewAsync();
        _clock.SetUtcNow(DateTimeOffset.Parse("2024-09-05T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        await h.Pipeline.ProcessAsync(IsmsServerless.Tests.Patch.PatchEvents.Edited(IsmsServerless.Tests.Patch.PatchEvents.Ec2Vuln, d => d["status"] = "ACTIVE"), Context);
        await StepAsync(h, "vulnerable", InspectorRule, Instance);
        _clock.SetUtcNow(DateTimeOffset.Parse("2024-09-06T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var terminated = JsonNode.Parse(Fixtures.Local("patch/eb-ec2-state-change-terminated.json"))!.AsObject();
        terminated["time"] = "2024-09-05T12:00:00Z";
        terminated["region"] = "eu-central-1";
        terminated["resources"] = new JsonArray();
        terminated["detail"]!["instance-id"] = Instance;
        await h.Pipeline.ProcessAsync(DriftPayloads.Bytes(terminated), Context);
        await StepAsync(h, "terminated", InspectorRule, Instance);

        Assert.Equal(
            """
            vulnerable: 1/0/1 open
            terminated: 1/0/1 resolved
            """.ReplaceLineEndings("\n"),
            string.Join("\n", h.Log));
    }
}
