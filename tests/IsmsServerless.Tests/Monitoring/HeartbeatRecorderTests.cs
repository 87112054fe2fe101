using Amazon.DynamoDBv2.Model;
using IsmsServerless.Heartbeats;
using IsmsServerless.Ledger;
using IsmsServerless.Sweep;
using IsmsServerless.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace IsmsServerless.Tests.Monitoring;

[Collection(DynamoDbCollection.Name)]
public sealed class HeartbeatRecorderTests(DynamoDbLocalFixture dynamo)
{
    private static readonly DateTimeOffset Now = DateTimeOffset.Parse("2026-03-01T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture);

    private async Task<IReadOnlyList<HeartbeatItem>> HeartbeatsAsync(string table) =>
        (await HeartbeatReader.ReadAsync(dynamo.Client, table)).Heartbeats;

    [Fact]
    public async Task Real_payloads_record_their_source_per_account_and_region()
    {
        var table = await dynamo.NewTableAsync();
        var recorder = new HeartbeatRecorder(dynamo.Client, table, new FakeTimeProvider(Now));

        Assert.True(await recorder.RecordAsync(Fixtures.Shared("config/eb-config-item-change-sqs-create.json")));
        Assert.True(await recorder.RecordAsync(Fixtures.Shared("cloudtrail/eb-api-call-s3-createbucket-docs.json")));
        Assert.True(await recorder.RecordAsync(Fixtures.Shared("patch/eb-inspector2-finding-ec2-package-vuln.json")));
        // Same source, account and region as the CloudTrail event just recorded: throttled, no second write.
        Assert.False(await recorder.RecordAsync(Fixtures.Local("monitoring/raw-events-putrule-docs.json")));

        var items = await HeartbeatsAsync(table);
        Assert.Contains(items, h => h is { Source: HeartbeatSources.Config, AccountId: "662108712480", Region: "us-east-1" });
        Assert.Contains(items, h => h is { Source: HeartbeatSources.CloudTrail, AccountId: "123456789012", Region: "us-east-1" });
        Assert.Contains(items, h => h is { Source: HeartbeatSources.Inspector, AccountId: "123456789012", Region: "eu-central-1" });
        Assert.All(items, h => Assert.Equal(Now, h.LastSeenAt));
        Assert.Equal(3, items.Count);

        var raw = await dynamo.Client.GetItemAsync(table, new Dictionary<string, AttributeValue>
        {
            [LedgerSchema.PartitionKey] = new() { S = "HEARTBEAT" },
            [LedgerSchema.SortKey] = new() { S = "SOURCE#aws.config#662108712480#us-east-1" },
        });
        Assert.Equal("HEARTBEAT", raw.Item[LedgerSchema.EntityType].S);
        Assert.Equal("Config Configuration Item Change", raw.Item["lastDetailType"].S);
    }

    [Fact]
    public async Task Raw_cloudtrail_records_and_log_files_carry_account_and_region_inside_the_record()
    {
        var table = await dynamo.NewTableAsync();
        var recorder = new HeartbeatRecorder(dynamo.Client, table, new FakeTimeProvider(Now));
        Assert.True(await recorder.RecordAsync(Fixtures.Local("monitoring/raw-events-putrule-docs.json")));
        Assert.True(await recorder.RecordAsync(Fixtures.Shared("cloudtrail/raw-logfile-iam-createuser.json")));
        var items = await HeartbeatsAsync(table);
        Assert.Contains(items, h => h is { Source: HeartbeatSources.CloudTrail, AccountId: "123456789012", Region: "us-east-1" });
        Assert.All(items, h => Assert.NotEqual("unknown", h.AccountId));
    }

    [Fact]
    public async Task The_pipelines_result_is_reused_and_events_without_inputs_fall_back_to_the_payload()
    {
        var table = await dynamo.NewTableAsync();
        var recorder = new HeartbeatRecorder(dynamo.Client, table, new FakeTimeProvider(Now));
        var engine = IsmsServerless.Engine.RuleEngine.CreateDefault();
        var context = TestContexts.At("2026-03-01T12:00:00Z");

        var cloudTrail = Fixtures.Shared("cloudtrail/eb-console-signin-root-success-nomfa.json");
        Assert.True(await recorder.RecordAsync(engine.Adapt(cloudTrail, context), cloudTrail));
        // No adapter for Inspector here: no inputs, so the recorder reads account and region from the envelope.
        var inspector = Fixtures.Shared("patch/eb-inspector2-finding-ec2-package-vuln.json");
        Assert.True(await recorder.RecordAsync(engine.Adapt(inspector, context), inspector));
        var scheduled = Fixtures.Shared("scheduled/eventbridge-docs-scheduled-event.json");
        Assert.False(await recorder.RecordAsync(engine.Adapt(scheduled, context), scheduled));

        var items = await HeartbeatsAsync(table);
        Assert.Contains(items, h => h is { Source: HeartbeatSources.CloudTrail, AccountId: "123456789012", Region: "us-east-1" });
        Assert.Contains(items, h => h is { Source: HeartbeatSources.Inspector, AccountId: "123456789012", Region: "eu-central-1" });
        Assert.Equal(2, items.Count);
    }

    [Fact]
    public async Task Unwatched_malformed_and_hostile_payloads_record_nothing()
    {
        var table = await dynamo.NewTableAsync();
        var recorder = new HeartbeatRecorder(dynamo.Client, table, new FakeTimeProvider(Now));
        Assert.False(await recorder.RecordAsync(Fixtures.Shared("scheduled/eventbridge-docs-scheduled-event.json")));
        Assert.False(await recorder.RecordAsync("{not json"u8.ToArray()));
        Assert.False(await recorder.RecordAsync(ReadOnlyMemory<byte>.Empty));
        Assert.False(await recorder.RecordAsync("[1,2,3]"u8.ToArray()));
        Assert.Empty(await HeartbeatsAsync(table));

        // A forged account id cannot inject key separators or control characters into the sort key.
        Assert.True(await recorder.RecordAsync("""{"version":"0","id":"x","detail-type":"Config Rules Compliance Change","source":"aws.config","account":"1#2\n<script>","region":"eu-west-1","time":"2026-03-01T00:00:00Z","detail":{}}"""u8.ToArray()));
        var item = Assert.Single(await HeartbeatsAsync(table));
        Assert.Equal("12script", item.AccountId);
    }

    [Fact]
    public async Task A_busy_source_is_written_at_most_once_per_interval_and_never_backwards()
    {
        var table = await dynamo.NewTableAsync();
        var clock = new FakeTimeProvider(Now);
        var recorder = new HeartbeatRecorder(dynamo.Client, table, clock);
        var payload = Fixtures.Shared("cloudtrail/eb-api-call-s3-createbucket-docs.json");

        Assert.True(await recorder.RecordAsync(payload));
        clock.Advance(TimeSpan.FromMinutes(2));
        Assert.False(await recorder.RecordAsync(payload));
        Assert.Equal(Now, Assert.Single(await HeartbeatsAsync(table)).LastSeenAt);

        clock.Advance(TimeSpan.FromMinutes(4));
        Assert.True(await recorder.RecordAsync(payload));
        Assert.Equal(Now.AddMinutes(6), Assert.Single(await HeartbeatsAsync(table)).LastSeenAt);

        // Another process with a clock behind (or a slow invocation) does not move the heartbeat back.
        var late = new HeartbeatRecorder(dynamo.Client, table, new FakeTimeProvider(Now.AddMinutes(1)));
        Assert.False(await late.RecordAsync(payload));
        Assert.Equal(Now.AddMinutes(6), Assert.Single(await HeartbeatsAsync(table)).LastSeenAt);
    }
}
