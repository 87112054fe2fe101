using System.IO.Compression;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Amazon.S3;
using IsmsServerless.Benchmarks.Snapshot;
using IsmsServerless.Engine;
using IsmsServerless.Inventory;
using IsmsServerless.Ledger;
using IsmsServerless.Model;
using IsmsServerless.Pipeline;
using IsmsServerless.Settings;
using IsmsServerless.Tests.Drift;
using IsmsServerless.Tests.Support;

namespace IsmsServerless.Tests.Inventory;

/// <summary>
/// Issue 18 section 6: the configuration snapshot a "Configuration Snapshot Delivery Completed" notification names is
/// read from S3 (a local server speaking GetObject to the real S3 client) and every item goes through the same adapter,
/// enrichers, rules and ledger (DynamoDB Local) as a change event.
/// </summary>
[Collection(DynamoDbCollection.Name)]
public sealed class SnapshotBackfillTests(DynamoDbLocalFixture dynamo) : IAsyncLifetime
{
    private const string Bucket = "config-bucket-123456789012-ohio";
    private const string Key = "AWSLogs/123456789012/Config/us-east-2/2016/9/27/ConfigSnapshot/123456789012_Config_us-east-2_ConfigSnapshot_20160927T183939Z_16da64e4-cb65-4846-b061-e6c3ba43cb96.json.gz";
    private readonly string _dir = Directory.CreateTempSubdirectory("isms-snapshot-").FullName;
    private S3ObjectServer _s3 = null!;

    public Task InitializeAsync()
    {
        _s3 = S3ObjectServer.Start();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _s3.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    /// <summary>Real configuration items (published fixtures), one of each covered type plus an EC2 instance no baseline covers.</summary>
    internal static List<JsonObject> RealItems() =>
    [
        BaselineBreadthTests.Baseline("ci-sns-topic-rdk.json"),
        BaselineBreadthTests.Baseline("ci-redshift-cluster-rdk.json"),
        BaselineBreadthTests.Baseline("ci-opensearch-domain-rdk.json"),
        BaselineBreadthTests.Baseline("ci-apigateway-stage-rdk.json"),
        BaselineBreadthTests.Baseline("ci-cloudfront-distribution-rdk.json"),
        BaselineBreadthTests.SharedItem("ci-s3-bucket-rdk.json"),
        BaselineBreadthTests.SharedItem("ci-ec2-instance-rdk.json"),
        JsonNode.Parse(Fixtures.Shared("config/eb-config-item-change-sqs-create.json"))!["detail"]!["configurationItem"]!.DeepClone().AsObject(),
        DriftPayloads.Item("ci-security-group-configservice-docs.json"),
        DriftPayloads.Item("ci-dynamodb-table-rdk.json"),
    ];

    /// <summary>
    /// The EventBridge form of the notification: the Config guide's EventBridge envelope ("Config Configuration Snapshot
    /// Delivery Status") around the documented SNS message body (CONSTRUCTED: AWS documents the two separately).
    /// </summary>
    internal static byte[] Notification(string bucket = Bucket, string key = Key, string messageType = "ConfigurationSnapshotDeliveryCompleted")
    {
        var sns = JsonNode.Parse(Fixtures.Local("baselines/sns-config-snapshot-delivery-completed-docs.json"))!;
        var detail = sns["Message"]!.DeepClone().AsObject();
        detail["s3Bucket"] = bucket;
        detail["s3ObjectKey"] = key;
        detail["messageType"] = messageType;
        return Encoding.UTF8.GetBytes(new JsonObject
        {
            ["version"] = "0", ["id"] = "cd4d811e-ab12-322b-8255-872ce65b1bc8", ["detail-type"] = "Config Configuration Snapshot Delivery Status",
            ["source"] = "aws.config", ["account"] = "123456789012", ["time"] = "2016-09-27T18:39:40Z", ["region"] = "us-east-2",
            ["resources"] = new JsonArray(), ["detail"] = detail,
        }.ToJsonString());
    }

    private async Task<(SnapshotBackfill Backfill, IngestPipeline Pipeline)> NewBackfillAsync()
    {
        var table = await dynamo.NewTableAsync("snapshot");
        var pipeline = new IngestPipeline(RuleEngine.CreateDefault(), InputEnrichers.Default(dynamo.Client, table), new DynamoDbFindingLedger(dynamo.Client, table, IsmsSettings.Default));
        return (new SnapshotBackfill(pipeline, new S3SnapshotObjectSource(_s3.CreateClient()), Bucket), pipeline);
    }

    /// <summary>A snapshot file of the real items (twice each) plus a malformed item and a bare number, served at <see cref="Key"/>.</summary>
    private string Serve(List<JsonObject> templates, string name)
    {
        var path = Path.Combine(_dir, name);
        using (var file = File.Create(path))
        using (var gzip = new GZipStream(file, CompressionLevel.Fastest))
        {
            using var buffer = new MemoryStream();
            SnapshotFiles.Write(buffer, templates, templates.Count * 2, "16da64e4-cb65-4846-b061-e6c3ba43cb96");
            // EDITED: two hostile elements appended to the array (no resourceType; not an object).
            var text = Encoding.UTF8.GetString(buffer.ToArray());
            text = text[..text.LastIndexOf(']')] + ",{\"resourceId\":\"x\",\"configuration\":{}},42]}";
            gzip.Write(Encoding.UTF8.GetBytes(text));
        }
        _s3.Put(Bucket, Key, path);
        return path;
    }

    private static string FindingId(string ruleId, string account, string region, string resource) => FindingIdentity.Compute(ruleId, account, region, resource, "");

    [Fact]
    public async Task Every_item_of_the_snapshot_is_judged_through_the_pipeline_and_a_compliant_snapshot_resolves()
    {
        var (backfill, pipeline) = await NewBackfillAsync();
        var templates = RealItems();
        Serve(templates, "first.json.gz");
        var context = TestContexts.At("2026-11-24T12:00:00Z");

        var result = await backfill.RunAsync(Notification(), context);
        Assert.Null(result.Error);
        Assert.Equal(templates.Count * 2 + 2, result.Items);
        Assert.Equal(2, result.Rejected);
        Assert.Equal(2, result.Ignored);
        Assert.True(result.Findings >= 10, $"findings {result.Findings}");
        Assert.Equal("16da64e4-cb65-4846-b061-e6c3ba43cb96", result.SnapshotId);

        var topic = FindingId("drift.sns-topic-encryption", "123456789012", "us-east-1", "arn:aws:sns:us-east-1:123456789012:topic-0");
        var record = (await pipeline.Ledger.GetAsync(topic))!;
        Assert.Equal(FindingStatus.Open, record.Status);
        Assert.Equal(Category.Drift, record.Category);
        Assert.Equal("config-snapshot", record.Evidence["trigger"]);
        Assert.Equal("16da64e4-cb65-4846-b061-e6c3ba43cb96", record.Evidence["eventId"]);
        var stage = FindingId("drift.api-gateway-stage-waf", "123456789012", "us-east-2", "arn:aws:apigateway:us-east-2::/restapis/test/stages/test-3");
        Assert.Equal(FindingStatus.Open, (await pipeline.Ledger.GetAsync(stage))!.Status);

        // The same snapshot again changes nothing (idempotent); a later one with the topic encrypted resolves it.
        var again = await backfill.RunAsync(Notification(), context);
        Assert.Equal(0, again.Created);
        // Config captures the encrypted topic as a new item, later than the one judged (older captures never win).
        templates[0]["configuration"]!["KmsMasterKeyId"] = "alias/aws/sns";
        templates[0]["configurationItemCaptureTime"] = "2021-08-07T04:33:39.914Z";
        Serve(templates, "second.json.gz");
        var later = await backfill.RunAsync(Notification(), TestContexts.At("2026-11-25T12:00:00Z"));
        Assert.True(later.Resolved >= 2, $"resolved {later.Resolved}");
        Assert.Equal(FindingStatus.Resolved, (await pipeline.Ledger.GetAsync(topic))!.Status);
        Assert.Equal(FindingStatus.Open, (await pipeline.Ledger.GetAsync(stage))!.Status);
    }

    [Fact]
    public async Task A_run_out_of_time_checkpoints_and_the_retry_resumes_after_the_last_finished_item()
    {
        var table = await dynamo.NewTableAsync("snapshot-resume");
        var pipeline = new IngestPipeline(RuleEngine.CreateDefault(), InputEnrichers.Default(dynamo.Client, table), new DynamoDbFindingLedger(dynamo.Client, table, IsmsSettings.Default));
        var checkpoints = new SnapshotCheckpointStore(dynamo.Client, table);
        var templates = RealItems();
        Serve(templates, "resume.json.gz");
        var total = templates.Count * 2 + 2;
        var context = TestContexts.At("2026-11-24T12:00:00Z");

        // The first invocation's budget runs out after 8 items have been pulled.
        var pulls = 0;
        var first = new SnapshotBackfill(pipeline, new S3SnapshotObjectSource(_s3.CreateClient()), Bucket)
        {
            Checkpoints = checkpoints, MaxConcurrency = 4, CheckpointEvery = 3,
            RemainingTime = () => ++pulls > 8 ? TimeSpan.Zero : TimeSpan.FromHours(1), StopBefore = TimeSpan.FromSeconds(1),
        };
        var stopped = await first.RunAsync(Notification(), context);
        Assert.True(stopped.Incomplete);
        Assert.Equal(8, stopped.Items);
        Assert.Equal(new SnapshotCheckpoint(7, false), await checkpoints.GetAsync("16da64e4-cb65-4846-b061-e6c3ba43cb96"));

        // The retry skips what is done and reads the rest; nothing is judged twice, and the file is marked done.
        var retry = new SnapshotBackfill(pipeline, new S3SnapshotObjectSource(_s3.CreateClient()), Bucket) { Checkpoints = checkpoints };
        var resumed = await retry.RunAsync(Notification(), context);
        Assert.False(resumed.Incomplete);
        Assert.Equal(8, resumed.Skipped);
        Assert.Equal(total - 8, resumed.Items);
        Assert.Equal(new SnapshotCheckpoint(total - 1, true), await checkpoints.GetAsync("16da64e4-cb65-4846-b061-e6c3ba43cb96"));

        // A redelivery of the same notification after completion reads nothing; an older checkpoint never moves it back.
        var requests = _s3.Requests;
        var redelivered = await retry.RunAsync(Notification(), context);
        Assert.Equal(0, redelivered.Items);
        Assert.Equal(requests + 1, _s3.Requests); // the object is opened, its items are not judged
        await checkpoints.SaveAsync("16da64e4-cb65-4846-b061-e6c3ba43cb96", 3, false, context.Now);
        Assert.Equal(new SnapshotCheckpoint(total - 1, true), await checkpoints.GetAsync("16da64e4-cb65-4846-b061-e6c3ba43cb96"));
    }

    [Fact]
    public async Task A_notification_naming_another_bucket_is_refused_without_reading_anything()
    {
        var (backfill, _) = await NewBackfillAsync();
        var result = await backfill.RunAsync(Notification(bucket: "attacker-bucket"), TestContexts.At("2026-11-24T12:00:00Z"));
        Assert.Contains("not the configured snapshot bucket", result.Error, StringComparison.Ordinal);
        Assert.Equal(0, _s3.Requests);
    }

    [Theory]
    [InlineData("ConfigurationSnapshotDeliveryStarted", null, "no snapshot to read")]
    [InlineData("ConfigurationSnapshotDeliveryFailed", null, "no snapshot to read")]
    [InlineData("ConfigurationItemChangeNotification", "is not ConfigurationSnapshotDeliveryCompleted", null)]
    public async Task Other_delivery_messages_are_ignored_or_rejected_with_the_reason(string messageType, string? error, string? ignored)
    {
        var (backfill, _) = await NewBackfillAsync();
        var result = await backfill.RunAsync(Notification(messageType: messageType), TestContexts.At("2026-11-24T12:00:00Z"));
        if (error is not null) Assert.Contains(error, result.Error, StringComparison.Ordinal);
        if (ignored is not null) Assert.Contains(ignored, result.IgnoredReason, StringComparison.Ordinal);
        Assert.Equal(0, result.Items);
    }

    [Fact]
    public async Task A_missing_object_fails_the_invocation_so_eventbridge_retries()
    {
        var (backfill, _) = await NewBackfillAsync();
        await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => backfill.RunAsync(Notification(), TestContexts.At("2026-11-24T12:00:00Z")));
    }

    [Fact]
    public void The_sns_forms_of_the_notification_are_understood_and_keys_outside_configs_layout_are_rejected()
    {
        // The Config guide prints Message as an object; SNS delivers it as a JSON string. Both parse.
        var docs = Fixtures.Local("baselines/sns-config-snapshot-delivery-completed-docs.json");
        var parsed = ConfigSnapshotNotification.Parse(docs, out _)!;
        Assert.Equal((Bucket, Key, "123456789012"), (parsed.Bucket, parsed.Key, parsed.AccountId));
        var envelope = JsonNode.Parse(docs)!;
        envelope["Message"] = envelope["Message"]!.ToJsonString();
        Assert.Equal(parsed, ConfigSnapshotNotification.Parse(Encoding.UTF8.GetBytes(envelope.ToJsonString()), out _));

        foreach (var key in new[] { "../../etc/passwd", "AWSLogs/123456789012/CloudTrail/us-east-2/2016/9/27/x.json.gz", "AWSLogs/123456789012/Config/us-east-2/2016/9/27/ConfigHistory/x.json.gz" })
            Assert.Throws<IsmsServerless.Ingestion.EventRejectedException>(() => ConfigSnapshotNotification.Parse(Notification(key: key), out _));
        Assert.Throws<IsmsServerless.Ingestion.EventRejectedException>(() => ConfigSnapshotNotification.Parse("not json"u8.ToArray(), out _));
    }
}
