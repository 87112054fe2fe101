using System.Text.Json;
using Amazon.DynamoDBv2.Model;
using IsmsServerless.Benchmarks.Snapshot;
using IsmsServerless.Functions;
using IsmsServerless.Inventory;
using IsmsServerless.Tests.Support;

namespace IsmsServerless.Tests.Inventory;

/// <summary>
/// Issue 18 section 6 under a real Lambda-style retry: the back-fill handler (<see cref="InventoryBackfillFunction"/>,
/// the Lambda entry point, over DynamoDB Local and a local S3 GetObject server) is killed mid-snapshot by S3 resetting
/// the connection halfway through the body; the invocation fails (so Lambda retries the SAME event), the retry
/// continues from the checkpoint, judges every remaining item exactly once, and the table ends exactly as after one
/// uninterrupted invocation, evidence counters included (an item judged twice would count twice). The snapshot holds
/// the real Config items of <see cref="SnapshotBackfillTests.RealItems"/>, repeated with distinct ids.
/// </summary>
[Collection(DynamoDbCollection.Name)]
public sealed class SnapshotBackfillRetryTests(DynamoDbLocalFixture dynamo) : IAsyncLifetime
{
    private const string Bucket = "config-bucket-123456789012-ohio";
    private const string Key = "AWSLogs/123456789012/Config/us-east-2/2016/9/27/ConfigSnapshot/123456789012_Config_us-east-2_ConfigSnapshot_20160927T183939Z_16da64e4-cb65-4846-b061-e6c3ba43cb96.json.gz";
    private const string SnapshotId = "16da64e4-cb65-4846-b061-e6c3ba43cb96";
    private const int Items = 300;
    private readonly string _dir = Directory.CreateTempSubdirectory("isms-snapshot-retry-").FullName;
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

    private static async Task<JsonDocument> InvokeAsync(string table, string s3Url, byte[] notification)
    {
        Environment.SetEnvironmentVariable(FunctionHost.TableNameVariable, table);
        Environment.SetEnvironmentVariable(InventoryBackfillFunction.BucketVariable, Bucket);
        Environment.SetEnvironmentVariable(InventoryBackfillFunction.S3EndpointVariable, s3Url);
        FunctionHost.ResetForTests();
        InventoryBackfillFunction.ResetForTests();
        FunctionHost.Clock = TestContexts.ClockAt("2026-11-24T12:00:00Z");
        using var input = new MemoryStream(notification);
        return JsonDocument.Parse(await new InventoryBackfillFunction().HandleAsync(input));
    }

    /// <summary>Every item of the table but the back-fill's own checkpoint, as sorted canonical JSON lines.</summary>
    private async Task<List<string>> StateAsync(string table)
    {
        await IsmsServerless.Tests.Support.StreamDrain.DrainAsync(dynamo.Client, table);
        var lines = new List<string>();
        Dictionary<string, AttributeValue>? start = null;
        do
        {
            var page = await dynamo.Client.ScanAsync(new ScanRequest { TableName = table, ExclusiveStartKey = start });
            foreach (var item in page.Items)
            {
                // The back-fill's checkpoint, and the counter projector's markers (keyed by stream sequence numbers).
                if (item["PK"].S.StartsWith("SNAPSHOT#", StringComparison.Ordinal) || item["PK"].S.StartsWith(IsmsServerless.CounterProjection.CounterProjector.MarkerPrefix, StringComparison.Ordinal)) continue;
                lines.Add(string.Join('|', item.OrderBy(a => a.Key, StringComparer.Ordinal).Select(a => a.Key + "=" + Canonical(a.Value))));
            }
            start = page.LastEvaluatedKey is { Count: > 0 } next ? next : null;
        }
        while (start is not null);
        lines.Sort(StringComparer.Ordinal);
        return lines;
    }

    private static string Canonical(AttributeValue v) =>
        v.S ?? v.N ?? (v.IsBOOLSet ? v.BOOL.ToString() : null)
        ?? (v.SS is { Count: > 0 } ? "SS[" + string.Join(',', v.SS.Order(StringComparer.Ordinal)) + "]" : null)
        ?? (v.NS is { Count: > 0 } ? "NS[" + string.Join(',', v.NS.Order(StringComparer.Ordinal)) + "]" : null)
        ?? (v.IsMSet ? "M{" + string.Join(',', v.M.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Key + ":" + Canonical(p.Value))) + "}" : null)
        ?? (v.IsLSet ? "L[" + string.Join(',', v.L.Select(Canonical)) + "]" : null)
        ?? (v.NULL == true ? "null" : "?");

    [Fact]
    public async Task A_handler_killed_mid_snapshot_and_retried_with_the_same_event_judges_each_item_once_and_ends_as_one_run()
    {
        var path = Path.Combine(_dir, "snapshot.json.gz");
        SnapshotFiles.Write(path, SnapshotBackfillTests.RealItems(), Items, SnapshotId);
        _s3.Put(Bucket, Key, path);
        var notification = SnapshotBackfillTests.Notification(Bucket, Key);
        var interrupted = await dynamo.NewTableAsync("retry-cut");
        var whole = await dynamo.NewTableAsync("retry-whole");
        Environment.SetEnvironmentVariable(FunctionHost.DynamoDbEndpointVariable, dynamo.Endpoint);
        try
        {
            // One uninterrupted invocation on its own table: the end state to compare with.
            using (var once = await InvokeAsync(whole, _s3.Url, notification))
                Assert.Equal(Items, once.RootElement.GetProperty("items").GetInt64());
            var expected = await StateAsync(whole);

            // First invocation: S3 resets the connection 45% into the gzip body; the handler fails (Lambda will retry).
            _s3.CutNextResponseAfter(new FileInfo(path).Length * 45 / 100);
            var failure = await Assert.ThrowsAnyAsync<Exception>(() => InvokeAsync(interrupted, _s3.Url, notification));
            Assert.IsNotType<TimeoutException>(failure); // killed by the stream, not by the time budget
            var checkpoint = await new SnapshotCheckpointStore(dynamo.Client, interrupted).GetAsync(SnapshotId);
            Assert.NotNull(checkpoint);
            Assert.False(checkpoint.Done);
            Assert.InRange(checkpoint.Watermark, 0, Items - 2); // some done, not all
            var doneFirst = checkpoint.Watermark + 1 + (checkpoint.Ahead?.Count ?? 0);

            // Lambda's retry: the SAME event. It resumes after the checkpoint and judges only what is left.
            using (var retry = await InvokeAsync(interrupted, _s3.Url, notification))
            {
                Assert.Equal(Items - doneFirst, retry.RootElement.GetProperty("items").GetInt64());
                Assert.Equal("null", retry.RootElement.GetProperty("error").GetRawText());
            }
            Assert.Equal(new SnapshotCheckpoint(Items - 1, true), await new SnapshotCheckpointStore(dynamo.Client, interrupted).GetAsync(SnapshotId));

            // The same end state as the uninterrupted invocation, item for item.
            var actual = await StateAsync(interrupted);
            Assert.True(expected.Count > Items / 10, $"only {expected.Count} items stored");
            Assert.Equal(expected, actual);

            // A further redelivery after completion judges nothing.
            using (var redelivered = await InvokeAsync(interrupted, _s3.Url, notification))
                Assert.Equal(0, redelivered.RootElement.GetProperty("items").GetInt64());
        }
        finally
        {
            Environment.SetEnvironmentVariable(FunctionHost.TableNameVariable, null);
            Environment.SetEnvironmentVariable(FunctionHost.DynamoDbEndpointVariable, null);
            Environment.SetEnvironmentVariable(InventoryBackfillFunction.BucketVariable, null);
            Environment.SetEnvironmentVariable(InventoryBackfillFunction.S3EndpointVariable, null);
            FunctionHost.Clock = TimeProvider.System;
            FunctionHost.ResetForTests();
            InventoryBackfillFunction.ResetForTests();
        }
    }

    [Fact]
    public async Task A_checkpoint_keeps_the_items_finished_ahead_of_the_watermark_and_only_moves_forward()
    {
        var table = await dynamo.NewTableAsync("checkpoint-ahead");
        var store = new SnapshotCheckpointStore(dynamo.Client, table);
        var now = DateTimeOffset.Parse("2026-11-24T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture);
        await store.SaveAsync("s", 9, false, now, [11, 12, 9, 3]);
        var saved = (await store.GetAsync("s"))!;
        Assert.Equal(new SnapshotCheckpoint(9, false, new HashSet<long> { 11, 12 }), saved);
        Assert.True(saved.Covers(5) && saved.Covers(9) && saved.Covers(11) && saved.Covers(12));
        Assert.False(saved.Covers(10) || saved.Covers(13));
        // An older invocation's checkpoint never moves it back; done clears what was ahead.
        await store.SaveAsync("s", 4, false, now);
        Assert.Equal(9, (await store.GetAsync("s"))!.Watermark);
        await store.SaveAsync("s", 20, true, now, [25]);
        Assert.Equal(new SnapshotCheckpoint(20, true), await store.GetAsync("s"));
    }
}
