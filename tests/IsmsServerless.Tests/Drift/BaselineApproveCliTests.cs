using System.Text.Json.Nodes;
using IsmsServerless.Cli;
using IsmsServerless.Drift;
using IsmsServerless.Engine;
using IsmsServerless.Ledger;
using IsmsServerless.Pipeline;
using IsmsServerless.Settings;
using IsmsServerless.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace IsmsServerless.Tests.Drift;

/// <summary>
/// Issue 15 item 6 on the CLI: <c>./isms baseline approve</c> names the configuration version the approver saw (from
/// <c>./isms baseline show</c>); a configuration that arrived meanwhile is not approved unseen: exit 3 with the new
/// version and its diff, no baseline written. DynamoDB Local, RDK's real CloudTrail trail configuration item.
/// </summary>
[Collection(DynamoDbCollection.Name)]
public sealed class BaselineApproveCliTests(DynamoDbLocalFixture dynamo)
{
    private const string TrailKey = "arn:aws:cloudtrail:ap-southeast-1:123456789012:trail/APJCCloudTrail";
    private readonly FakeTimeProvider _clock = TestContexts.ClockAt("2026-11-23T09:00:00Z");
    private EvaluationContext Context => new(IsmsSettings.Default, _clock);

    private static JsonObject Trail(string captured, string bucket)
    {
        var item = DriftPayloads.Item("ci-cloudtrail-trail-rdk.json");
        item["configurationItemCaptureTime"] = captured;
        item["configuration"]!["s3BucketName"] = bucket;
        return item;
    }

    private async Task<JsonNode> ShowAsync(string table)
    {
        using var show = new StringWriter();
        Assert.Equal(0, await BaselineCommand.RunShowAsync(dynamo.Client, table, "APJCCloudTrail", show, TextWriter.Null));
        return JsonNode.Parse(show.ToString())!;
    }

    [Fact]
    public async Task Approve_names_the_version_seen_and_a_newer_configuration_exits_3_with_its_diff_and_approves_nothing()
    {
        var table = await dynamo.NewTableAsync("cliapprove");
        var ledger = new DynamoDbFindingLedger(dynamo.Client, table, IsmsSettings.Default);
        var pipeline = new IngestPipeline(RuleEngine.CreateDefault(), InputEnrichers.Default(dynamo.Client, table), ledger);
        await pipeline.ProcessAsync(DriftPayloads.ItemChange(Trail("2026-11-23T08:00:00Z", "mborch-apjc-cloudtrail-bucket")), Context);

        var first = (await ShowAsync(table))["configurationVersion"]!.GetValue<string>();
        _clock.Advance(TimeSpan.FromMinutes(5));
        using (var output = new StringWriter())
        {
            Assert.Equal(0, await BaselineCommand.RunApproveAsync(dynamo.Client, table, "APJCCloudTrail", "cto@example.com", "CHG-1042 reviewed", Context, output, TextWriter.Null,
                configurationVersion: first));
            Assert.Equal(1, JsonNode.Parse(output.ToString())!["version"]!.GetValue<int>());
        }

        // The approver looks (version seen), then a change to the bucket arrives before they approve.
        _clock.Advance(TimeSpan.FromMinutes(5));
        await pipeline.ProcessAsync(DriftPayloads.ItemChange(Trail("2026-11-23T09:09:00Z", "second-bucket")), Context);
        var seen = (await ShowAsync(table))["configurationVersion"]!.GetValue<string>();
        Assert.NotEqual(first, seen);
        _clock.Advance(TimeSpan.FromMinutes(1));
        await pipeline.ProcessAsync(DriftPayloads.ItemChange(Trail("2026-11-23T09:11:00Z", "attacker-bucket")), Context);

        using var stale = new StringWriter();
        using var errors = new StringWriter();
        Assert.Equal(BaselineCommand.StaleExitCode, await BaselineCommand.RunApproveAsync(dynamo.Client, table, "APJCCloudTrail", "cto@example.com", "CHG-1043 reviewed",
            Context, stale, errors, configurationVersion: seen));
        var refusal = JsonNode.Parse(stale.ToString())!;
        Assert.Equal("stale-configuration", refusal["error"]!.GetValue<string>());
        Assert.Equal(seen, refusal["seenVersion"]!.GetValue<string>());
        var current = refusal["configurationVersion"]!.GetValue<string>();
        Assert.NotEqual(seen, current);
        Assert.Contains(refusal["diff"]!.AsArray(), d => d!["path"]!.GetValue<string>() == "configuration.s3BucketName"
            && d["expected"]!.GetValue<string>() == "mborch-apjc-cloudtrail-bucket" && d["actual"]!.GetValue<string>() == "attacker-bucket");
        Assert.Contains("nothing was approved", errors.ToString(), StringComparison.Ordinal);

        var store = new DriftStore(dynamo.Client, table);
        Assert.Equal([1], (await store.ListBaselinesAsync(TrailKey)).Select(v => v.Version));

        // Approving the version now shown works.
        using var again = new StringWriter();
        Assert.Equal(0, await BaselineCommand.RunApproveAsync(dynamo.Client, table, "APJCCloudTrail", "cto@example.com", "CHG-1043 reviewed", Context, again, TextWriter.Null,
            configurationVersion: current));
        Assert.Equal(2, JsonNode.Parse(again.ToString())!["version"]!.GetValue<int>());
    }
}
