using System.Text.Json.Nodes;
using IsmsServerless.Drift;
using IsmsServerless.Engine;
using IsmsServerless.Ingestion;
using IsmsServerless.Inputs;
using IsmsServerless.Ledger;
using IsmsServerless.Model;
using IsmsServerless.Pipeline;
using IsmsServerless.Settings;
using IsmsServerless.Sweep;
using IsmsServerless.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace IsmsServerless.Tests.Drift;

/// <summary>The drift store, approvals, the enricher in the real ingest pipeline, and the sweep re-check, on DynamoDB Local.</summary>
[Collection(DynamoDbCollection.Name)]
public sealed class DriftStoreTests(DynamoDbLocalFixture dynamo)
{
    private const string TrailKey = "arn:aws:cloudtrail:ap-southeast-1:123456789012:trail/APJCCloudTrail";
    private readonly FakeTimeProvider _clock = TestContexts.ClockAt("2026-11-23T09:00:00Z");
    private EvaluationContext Context => new(IsmsSettings.Default, _clock);

    private sealed record Harness(string Table, DriftStore Store, DynamoDbFindingLedger Ledger, IngestPipeline Pipeline, BaselineService Baselines);

    private async Task<Harness> NewHarnessAsync()
    {
        var table = await dynamo.NewTableAsync("drift");
        var ledger = new DynamoDbFindingLedger(dynamo.Client, table, IsmsSettings.Default);
        var store = new DriftStore(dynamo.Client, table);
        var pipeline = new IngestPipeline(RuleEngine.CreateDefault(), InputEnrichers.Default(dynamo.Client, table), ledger);
        return new Harness(table, store, ledger, pipeline, new BaselineService(store, ledger));
    }

    private static JsonObject Trail(string captured)
    {
        var item = DriftPayloads.Item("ci-cloudtrail-trail-rdk.json");
        item["configurationItemCaptureTime"] = captured;
        return item;
    }

    private static async Task<List<FindingRecord>> FindingsAsync(Harness h, string resource, string? ruleId = null) =>
        (await h.Ledger.QueryByResourceAsync(resource, 100)).Items.Where(f => ruleId is null || f.RuleId == ruleId).ToList();

    [Fact]
    public async Task Approve_then_change_shows_a_field_diff_and_reverting_resolves_it()
    {
        var h = await NewHarnessAsync();
        await h.Pipeline.ProcessAsync(DriftPayloads.ItemChange(Trail("2026-11-23T08:00:00Z")), Context);

        // Approve by the Config resource id, as an engineer would type it.
        _clock.Advance(TimeSpan.FromMinutes(5));
        var approval = await h.Baselines.ApproveAndRecordAsync("APJCCloudTrail", "cto@example.com", "CHG-1042 reviewed", Context);
        Assert.Equal(1, approval.Baseline.Version);
        Assert.Equal(TrailKey, approval.Baseline.ResourceKey);

        // Someone changes the trail's bucket and global events by hand.
        _clock.Advance(TimeSpan.FromMinutes(5));
        var changed = Trail("2026-11-23T09:09:00Z");
        changed["configuration"]!["s3BucketName"] = "attacker-bucket";
        changed["configuration"]!["includeGlobalServiceEvents"] = false;
        changed["configuration"]!["hasCustomEventSelectors"] = false; // not tracked: no diff line for it
        await h.Pipeline.ProcessAsync(DriftPayloads.ItemChange(changed), Context);

        var drift = Assert.Single(await FindingsAsync(h, TrailKey, "drift.approved-snapshot-drift"));
        Assert.Equal(FindingStatus.Open, drift.Status);
        Assert.Contains(drift.Diff, d => d.Path == "configuration.s3BucketName" && d.Expected == "mborch-apjc-cloudtrail-bucket" && d.Actual == "attacker-bucket");
        Assert.Contains(drift.Diff, d => d.Path == "configuration.includeGlobalServiceEvents" && d.Expected == "true" && d.Actual == "false");
        Assert.DoesNotContain(drift.Diff, d => d.Path.Contains("hasCustomEventSelectors", StringComparison.Ordinal));
        Assert.Contains("cto@example.com", drift.Message, StringComparison.Ordinal);

        using (var show = new StringWriter())
        {
            Assert.Equal(0, await IsmsServerless.Cli.BaselineCommand.RunShowAsync(dynamo.Client, h.Table, "APJCCloudTrail", show, TextWriter.Null));
            var shown = JsonNode.Parse(show.ToString())!;
            Assert.True(shown["drifted"]!.GetValue<bool>());
            Assert.Equal(1, shown["approvedVersion"]!.GetValue<int>());
            Assert.Contains(shown["diff"]!.AsArray(), d => d!["path"]!.GetValue<string>() == "configuration.s3BucketName");
        }

        // Reverted through code: the drift finding resolves.
        _clock.Advance(TimeSpan.FromMinutes(5));
        await h.Pipeline.ProcessAsync(DriftPayloads.ItemChange(Trail("2026-11-23T09:14:00Z")), Context);
        Assert.Equal(FindingStatus.Resolved, Assert.Single(await FindingsAsync(h, TrailKey, "drift.approved-snapshot-drift")).Status);

        // Changed again, then re-approved: the approval itself resolves the finding it accepts.
        _clock.Advance(TimeSpan.FromMinutes(5));
        var again = changed.DeepClone().AsObject();
        again["configurationItemCaptureTime"] = "2026-11-23T09:19:00Z";
        await h.Pipeline.ProcessAsync(DriftPayloads.ItemChange(again), Context);
        Assert.Equal(FindingStatus.Open, Assert.Single(await FindingsAsync(h, TrailKey, "drift.approved-snapshot-drift")).Status);
        _clock.Advance(TimeSpan.FromMinutes(5));
        using var output = new StringWriter();
        Assert.Equal(0, await IsmsServerless.Cli.BaselineCommand.RunApproveAsync(dynamo.Client, h.Table, TrailKey, "eng@example.com", "bucket moved in CHG-1043", Context, output, TextWriter.Null));
        var approved = JsonNode.Parse(output.ToString())!;
        Assert.Equal(2, approved["version"]!.GetValue<int>());
        Assert.Equal(1, approved["findingsResolved"]!.GetValue<int>());
        Assert.Equal(FindingStatus.Resolved, Assert.Single(await FindingsAsync(h, TrailKey, "drift.approved-snapshot-drift")).Status);
        var versions = await h.Baselines.ListVersionsAsync(TrailKey);
        Assert.Equal([1, 2], versions.Select(v => v.Version));
        Assert.Equal("attacker-bucket", Json.Text(versions[1].Configuration, "s3BucketName"));
    }

    [Fact]
    public async Task Deleting_a_resource_closes_its_drift_findings_and_the_sweep_forgets_it()
    {
        var h = await NewHarnessAsync();
        var item = DriftPayloads.Item("ci-security-group-configservice-docs.json");
        var key = "arn:aws:ec2:us-east-2:012345678912:security-group/default";
        await h.Pipeline.ProcessAsync(DriftPayloads.ItemChange(item), Context);
        Assert.Equal(FindingStatus.Open, Assert.Single(await FindingsAsync(h, key, "drift.security-group-baseline")).Status);
        Assert.NotNull(await h.Store.GetLatestAsync(key));

        _clock.Advance(TimeSpan.FromHours(1));
        var deleted = DriftPayloads.Item("ci-security-group-configservice-docs.json");
        deleted["configurationItemStatus"] = "ResourceDeleted";
        deleted["configuration"] = null;
        deleted["configurationItemCaptureTime"] = "2026-11-23T09:30:00Z";
        var result = await h.Pipeline.ProcessAsync(DriftPayloads.ItemChange(deleted, "DELETE"), Context);
        Assert.Equal(1, result.ResourcesGone);
        // The group is the default one: its world-open baseline finding and its not-closed finding both close.
        Assert.Equal(2, result.FindingsClosed);
        Assert.Equal(FindingStatus.Resolved, Assert.Single(await FindingsAsync(h, key, "drift.security-group-baseline")).Status);
        Assert.Equal(FindingStatus.Resolved, Assert.Single(await FindingsAsync(h, key, "drift.default-security-group-closed")).Status);
        Assert.Null(await h.Store.GetLatestAsync(key));

        var sweep = await new DriftRecheckStep().RunAsync(new SweepContext(dynamo.Client, h.Table, h.Ledger, Context), CancellationToken.None);
        Assert.Equal(0, sweep.Examined);
        Assert.Equal(FindingStatus.Resolved, Assert.Single(await FindingsAsync(h, key, "drift.security-group-baseline")).Status);
    }

    [Fact]
    public async Task Sweep_rechecks_every_stored_configuration_and_is_idempotent()
    {
        var h = await NewHarnessAsync();
        var engine = RuleEngine.CreateDefault();
        foreach (var payload in new[] { DriftPayloads.ItemChange(DriftPayloads.Item("ci-dynamodb-table-rdk.json")), DriftPayloads.ItemChange(Trail("2026-11-23T08:00:00Z")) })
        {
            // Stored without the ledger (as if the events were seen before the findings table was wiped).
            var input = Assert.IsType<ConfigItemInput>(Assert.Single(engine.Adapt(payload, Context).Inputs));
            Assert.True(await h.Store.PutLatestAsync(input, Context.Now));
        }
        var step = new DriftRecheckStep();
        var first = await step.RunAsync(new SweepContext(dynamo.Client, h.Table, h.Ledger, Context), CancellationToken.None);
        Assert.Equal(2, first.Examined);
        // The drift baseline finding, and backup.continuous-backup: the table is critical data without PITR.
        Assert.Equal(2, first.Findings);
        var pitr = Assert.Single(await FindingsAsync(h, "arn:aws:dynamodb:us-east-2:123456789012:table/test", "drift.dynamodb-table-baseline"));
        Assert.Equal(FindingStatus.Open, pitr.Status);

        _clock.Advance(TimeSpan.FromHours(1));
        var second = await step.RunAsync(new SweepContext(dynamo.Client, h.Table, h.Ledger, Context), CancellationToken.None);
        Assert.Equal(2, second.Examined);
        var history = await h.Ledger.GetHistoryAsync(pitr.Id);
        Assert.Single(history, entry => entry.Action == "created");
    }

    [Fact]
    public async Task Older_captures_never_replace_a_newer_stored_configuration()
    {
        var h = await NewHarnessAsync();
        var engine = RuleEngine.CreateDefault();
        ConfigItemInput Input(string captured, string bucket)
        {
            var item = Trail(captured);
            item["configuration"]!["s3BucketName"] = bucket;
            return Assert.IsType<ConfigItemInput>(Assert.Single(engine.Adapt(DriftPayloads.ItemChange(item), Context).Inputs));
        }
        Assert.True(await h.Store.PutLatestAsync(Input("2026-11-23T08:00:00Z", "newer"), Context.Now));
        Assert.False(await h.Store.PutLatestAsync(Input("2026-11-23T07:00:00Z", "older"), Context.Now));
        Assert.Equal("newer", Json.Text((await h.Store.GetLatestAsync(TrailKey))!.Configuration, "s3BucketName"));
    }

    [Fact]
    public async Task Approvals_need_a_known_resource_an_actor_and_a_reason()
    {
        var h = await NewHarnessAsync();
        var unknown = await Assert.ThrowsAsync<BaselineApprovalException>(() => h.Baselines.ApproveAsync("sg-doesnotexist", "a", "b", Context.Now));
        Assert.Contains("no configuration has been recorded", unknown.Message, StringComparison.Ordinal);
        await h.Pipeline.ProcessAsync(DriftPayloads.ItemChange(Trail("2026-11-23T08:00:00Z")), Context);
        await Assert.ThrowsAsync<BaselineApprovalException>(() => h.Baselines.ApproveAsync(TrailKey, " ", "b", Context.Now));
        await Assert.ThrowsAsync<BaselineApprovalException>(() => h.Baselines.ApproveAsync(TrailKey, "a", "", Context.Now));
        using var errors = new StringWriter();
        Assert.Equal(1, await IsmsServerless.Cli.BaselineCommand.RunApproveAsync(dynamo.Client, h.Table, "vol-nope", "a", "b", Context, TextWriter.Null, errors));
        Assert.Contains("no configuration has been recorded", errors.ToString(), StringComparison.Ordinal);
        Assert.Equal(1, await IsmsServerless.Cli.BaselineCommand.RunShowAsync(dynamo.Client, h.Table, "vol-nope", TextWriter.Null, TextWriter.Null));
    }

    [Fact]
    public async Task Hostile_text_round_trips_through_the_store_unchanged()
    {
        var h = await NewHarnessAsync();
        var item = Trail("2026-11-23T08:00:00Z");
        const string hostile = "<script>alert(1)</script> ‮ 😀 \"quoted\" ' OR 1=1 --";
        item["configuration"]!["s3BucketName"] = hostile;
        item["tags"] = new JsonObject { ["owner"] = hostile };
        await h.Pipeline.ProcessAsync(DriftPayloads.ItemChange(item), Context);
        var stored = (await h.Store.GetLatestAsync(TrailKey))!;
        Assert.Equal(hostile, Json.Text(stored.Configuration, "s3BucketName"));
        Assert.Equal(hostile, stored.Tags["owner"]);
        var baseline = await h.Baselines.ApproveAsync(TrailKey, hostile, hostile, Context.Now);
        Assert.Equal(hostile, (await h.Baselines.GetAsync(TrailKey))!.ApprovedBy);
        Assert.Equal(1, baseline.Version);
    }

    [Fact]
    public async Task Oversized_items_are_not_stored_and_do_not_touch_the_baseline()
    {
        var h = await NewHarnessAsync();
        var result = await h.Pipeline.ProcessAsync(Fixtures.Shared("config/rule-invoke-oversized.json"), Context);
        Assert.False(result.Engine.Rejected);
        Assert.Null(await h.Store.GetLatestAsync("arn:aws:ec2:us-west-2:123456789012:instance/i-00000000"));
    }
}
