using System.Globalization;
using System.Text.Json;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using IsmsServerless.CounterProjection;
using IsmsServerless.Engine;
using IsmsServerless.Ledger;
using IsmsServerless.Model;
using IsmsServerless.Tests.Support;
using static IsmsServerless.Tests.Ledger.LedgerTestKit;

namespace IsmsServerless.Tests.Ledger;

/// <summary>
/// The counter projector on real DynamoDB Local stream records (read through the Streams API and the same JSON reader the
/// Lambda handler uses): every record applied exactly once whatever Lambda's at-least-once delivery does (a redelivered
/// batch, a crash between two sub-range transactions, a partial failure retried from the reported sequence number, a
/// shorter redelivery), malformed images skipped without blocking, and images of the previous writer (which ADDed its
/// counter delta in its own transaction) never counted twice.
/// </summary>
[Collection(DynamoDbCollection.Name)]
public sealed class CounterProjectorTests(DynamoDbLocalFixture dynamo)
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.Parse("2026-02-28T00:00:00Z", CultureInfo.InvariantCulture);

    private static readonly RuleMetadata DriftRule = new("drift.test-projector", "World-open ingress", Category.Drift, Severity.High,
        "AWS::EC2::SecurityGroup", "PROC-002", [Controls.IsoNetworkSecurity], "Exposure", "Close it");

    private sealed record Scenario(string Table, DynamoDbFindingLedger Ledger, List<StreamChange> Records, List<string> FindingIds);

    /// <summary>
    /// New findings over three rules, some resolved by a compliant verdict, some re-detected, one acknowledged: written by
    /// the ledger with the projector off, then the table's stream read back (nothing applied yet).
    /// </summary>
    private async Task<Scenario> WriteAsync()
    {
        var kit = await CreateAsync(dynamo);
        var ledger = new DynamoDbFindingLedger(dynamo.Client, kit.Table, kit.Settings) { Clock = kit.Clock, CounterCatchUp = null };
        var ids = new List<string>();
        var evaluations = new List<Evaluation>();
        for (var i = 0; i < 6; i++)
        {
            evaluations.Add(Finding(PatchRule, $"i-{i}", T0.AddHours(-i)));
            evaluations.Add(Finding(DriftRule, $"sg-{i}", T0.AddHours(-i)));
            evaluations.Add(Finding(MonitoringRule, $"arn:aws:iam::12345678901{i}:root", T0.AddMinutes(i)));
        }
        await ledger.RecordAsync(evaluations, kit.Context);
        ids.AddRange(evaluations.Select(e => e.FindingId));
        await ledger.RecordAsync([Compliant(PatchRule, "i-0", T0.AddHours(1)), Compliant(DriftRule, "sg-1", T0.AddHours(1)), Finding(PatchRule, "i-2", T0.AddHours(2))], kit.Context);
        await ledger.AcknowledgeAsync(evaluations[5].FindingId, "alice@example.com", "looking", kit.Now);
        var records = await LocalStreamProjection.ForEndpoint(dynamo.Client, kit.Table)!.ReadAllAsync();
        return new Scenario(kit.Table, ledger, records, ids);
    }

    private CounterProjector Projector(string table, int perWrite = CounterProjector.MaxCounterUpdates) =>
        new(dynamo.Client, table, [new FindingCounterSource(dynamo.Client, table)], TimeProvider.System) { CounterUpdatesPerWrite = perWrite };

    /// <summary>The counter items, each as its sorted attributes (item-for-item comparison).</summary>
    private async Task<SortedDictionary<string, string>> CountersAsync(string table)
    {
        var response = await dynamo.Client.QueryAsync(new QueryRequest
        {
            TableName = table,
            KeyConditionExpression = "PK = :pk",
            ExpressionAttributeValues = new() { [":pk"] = new AttributeValue { S = "STATS" } },
            ConsistentRead = true,
        });
        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var item in response.Items)
            result[item["SK"].S] = string.Join(";", item.OrderBy(a => a.Key, StringComparer.Ordinal)
                .Select(a => a.Key + "=" + (a.Value.S ?? a.Value.N ?? string.Join(",", (a.Value.L ?? []).Select(l => l.S)))));
        return result;
    }

    /// <summary>What the counters must say: the findings as stored, counted one by one.</summary>
    private static async Task AssertCountsMatchFindingsAsync(Scenario s)
    {
        var findings = new List<FindingRecord>();
        foreach (var id in s.FindingIds.Distinct()) findings.Add((await s.Ledger.GetAsync(id))!);
        var overview = await s.Ledger.GetOverviewAsync();
        Assert.Equal(findings.Count(f => f.Status == FindingStatus.Open), overview.Total.Open);
        Assert.Equal(findings.Count(f => f.Status == FindingStatus.Acknowledged), overview.Total.Acknowledged);
        Assert.Equal(findings.Count(f => f.Status == FindingStatus.Resolved), overview.Total.Resolved);
        Assert.Equal(findings.Count(f => f.Status is FindingStatus.Open or FindingStatus.Acknowledged && f.SlaState == SlaState.Open), overview.Total.WithinSla);
        Assert.Equal(findings.Count(f => f.Category == Category.Drift && f.Status == FindingStatus.Open), overview.ByCategory["drift"].Open);
    }

    [Fact]
    public async Task The_stream_applied_once_counts_every_finding_and_a_redelivered_batch_changes_nothing()
    {
        var s = await WriteAsync();
        Assert.Empty(await CountersAsync(s.Table));
        var projector = Projector(s.Table);

        var first = await projector.ApplyAsync(s.Records);
        var counted = await CountersAsync(s.Table);
        var again = await projector.ApplyAsync(s.Records);

        Assert.Null(first.FailedAt);
        Assert.True(first.Applied > 18, $"applied {first.Applied}");
        Assert.Equal(0, again.Applied);
        Assert.Equal(first.Applied, again.AlreadyApplied);
        Assert.Equal(counted, await CountersAsync(s.Table));
        await AssertCountsMatchFindingsAsync(s);
    }

    [Fact]
    public async Task A_crash_between_two_sub_range_transactions_then_the_same_batch_again_counts_each_record_once()
    {
        var clean = await WriteAsync();
        await Projector(clean.Table, perWrite: 2).ApplyAsync(clean.Records);

        var crashed = await WriteAsync();
        var dying = Projector(crashed.Table, perWrite: 2);
        dying.AfterSubRange = n => n == 2 ? throw new InvalidOperationException("the process died here") : Task.CompletedTask;
        await Assert.ThrowsAsync<InvalidOperationException>(() => dying.ApplyAsync(crashed.Records));
        var partial = await CountersAsync(crashed.Table);
        Assert.NotEqual(await CountersAsync(clean.Table), partial);

        var retried = await Projector(crashed.Table, perWrite: 2).ApplyAsync(crashed.Records);

        Assert.True(retried.AlreadyApplied > 0);
        Assert.Equal(await CountersAsync(clean.Table), await CountersAsync(crashed.Table));
        await AssertCountsMatchFindingsAsync(crashed);
    }

    [Fact]
    public async Task A_store_error_reports_the_sub_range_to_retry_from_and_the_retry_from_there_and_a_shorter_redelivery_are_exact()
    {
        var clean = await WriteAsync();
        await Projector(clean.Table, perWrite: 1).ApplyAsync(clean.Records);

        var faulty = await WriteAsync();
        var failing = Projector(faulty.Table, perWrite: 1);
        var calls = 0;
        failing.BeforeWrite = () => ++calls == 2 ? throw new AmazonDynamoDBException("injected: the table did not answer") : Task.CompletedTask;
        var result = await failing.ApplyAsync(faulty.Records);
        Assert.NotNull(result.FailedAt);
        Assert.True(result.Applied > 0);

        // Lambda (ReportBatchItemFailures) redelivers from the reported record, with the records after it.
        var from = faulty.Records.FindIndex(r => r.SequenceNumber == result.FailedAt);
        Assert.True(from > 0);
        var retry = await Projector(faulty.Table, perWrite: 1).ApplyAsync(faulty.Records[from..]);
        Assert.Null(retry.FailedAt);
        Assert.Equal(await CountersAsync(clean.Table), await CountersAsync(faulty.Table));

        // A redelivery that is only the first half of the batch (a shorter batch from the same first record) is covered.
        var half = await Projector(faulty.Table, perWrite: 1).ApplyAsync(faulty.Records[..(faulty.Records.Count / 2)]);
        Assert.Equal(0, half.Applied);
        Assert.Equal(await CountersAsync(clean.Table), await CountersAsync(faulty.Table));
        await AssertCountsMatchFindingsAsync(faulty);
    }

    [Fact]
    public async Task Malformed_images_are_logged_and_skipped_without_blocking_the_records_after_them()
    {
        var clean = await WriteAsync();
        await Projector(clean.Table).ApplyAsync(clean.Records);

        var s = await WriteAsync();
        var good = s.Records;
        // A counted image whose status is not one the ledger knows, and a record whose image is not DynamoDB JSON.
        var bogus = new Dictionary<string, AttributeValue>(good[0].NewImage!, StringComparer.Ordinal) { ["status"] = new AttributeValue { S = "exploded" } };
        var unreadableJson = JsonDocument.Parse("""
            {"eventID":"x1","eventName":"MODIFY","dynamodb":{"Keys":{"PK":{"S":"FINDING#zz"},"SK":{"S":"META"}},
             "NewImage":{"PK":{"S":"FINDING#zz"},"SK":{"S":"META"},"version":{"N":"not a number"}},"SequenceNumber":"1"}}
            """);
        Assert.True(StreamRecordJson.TryReadRecord(unreadableJson.RootElement, null, out var unreadable, out _));
        Assert.NotNull(unreadable.Problem);
        var first = good[0].SequenceNumber;
        var batch = new List<StreamChange>
        {
            good[0] with { NewImage = bogus, EventId = "bogus" },
            unreadable with { SequenceNumber = first, EventSourceArn = good[0].EventSourceArn },
        };
        // The malformed ones share the first record's place; the real records follow.
        batch = [batch[0], batch[1], .. good];
        var result = await Projector(s.Table).ApplyAsync(batch);

        Assert.Equal(2, result.Skipped);
        Assert.Null(result.FailedAt);
        Assert.Equal(await CountersAsync(clean.Table), await CountersAsync(s.Table));
    }

    [Fact]
    public async Task An_image_the_previous_writer_made_is_not_counted_again_and_the_next_write_moves_its_count()
    {
        var kit = await CreateAsync(dynamo);
        var ledger = new DynamoDbFindingLedger(dynamo.Client, kit.Table, kit.Settings) { Clock = kit.Clock, CounterCatchUp = null };
        var e = Finding(PatchRule, "i-legacy", T0);
        await ledger.RecordAsync([e], kit.Context);
        await kit.DrainAsync();
        Assert.Equal(1, (await kit.Ledger.GetOverviewAsync()).Total.Open);

        // The previous version acknowledges it: the item without the counted mark, its counter delta ADDed in its transaction.
        var before = (await ledger.GetAsync(e.FindingId))!;
        var after = before with { Status = FindingStatus.Acknowledged, Version = before.Version + 1 };
        var oldItem = LedgerItems.FindingItem(after, null);
        Assert.False(oldItem.ContainsKey("cs"));
        await dynamo.Client.TransactWriteItemsAsync(new TransactWriteItemsRequest
        {
            TransactItems =
            [
                new TransactWriteItem { Put = new Put { TableName = kit.Table, Item = oldItem } },
                new TransactWriteItem { Update = LedgerCounters.Update(kit.Table, before, after) },
            ],
        });
        var overview = await kit.Ledger.GetOverviewAsync();
        Assert.Equal(0, overview.Total.Open);
        Assert.Equal(1, overview.Total.Acknowledged);

        // The current writer's next write (resolved by a compliant verdict) takes the acknowledged count out and counts it resolved.
        await ledger.RecordAsync([Compliant(PatchRule, "i-legacy", T0.AddHours(3))], kit.Context);
        overview = await kit.Ledger.GetOverviewAsync();
        Assert.Equal(0, overview.Total.Open);
        Assert.Equal(0, overview.Total.Acknowledged);
        Assert.Equal(1, overview.Total.Resolved);
    }

    [Fact]
    public async Task A_new_finding_is_one_conditional_put_without_a_counter_and_the_views_list_it_once_projected()
    {
        var kit = await CreateAsync(dynamo);
        var ledger = new DynamoDbFindingLedger(dynamo.Client, kit.Table, kit.Settings) { Clock = kit.Clock, CounterCatchUp = null };
        var e = Finding(DriftRule, "sg-new", T0);
        await ledger.RecordAsync([e], kit.Context);

        var raw = await kit.RawFindingAsync(e.FindingId);
        Assert.Equal("1", raw["cs"].N);
        // Before the projector ran: no counter item, so the by-status view (which reads only rules with counts) does not list it yet.
        Assert.Empty(await CountersAsync(kit.Table));
        Assert.Empty((await ledger.QueryByStatusAsync(FindingStatus.Open, 10)).Items);

        await kit.DrainAsync();
        Assert.Equal([e.FindingId], (await ledger.QueryByStatusAsync(FindingStatus.Open, 10)).Items.Select(f => f.Id));
        Assert.Equal(1, (await ledger.GetOverviewAsync()).Total.Open);
    }

    [Fact]
    public async Task The_repair_rebuilds_counters_that_lost_a_record_equal_to_the_projected_ones()
    {
        var clean = await WriteAsync();
        await Projector(clean.Table).ApplyAsync(clean.Records);

        var damaged = await WriteAsync();
        // A record lost for good (the batch kept failing past the stream's retention): every record but one applied.
        var lost = damaged.Records.FindIndex(r => r.EventName == "INSERT");
        await Projector(damaged.Table).ApplyAsync([.. damaged.Records[..lost], .. damaged.Records[(lost + 1)..]]);
        Assert.NotEqual(await CountersAsync(clean.Table), await CountersAsync(damaged.Table));

        var result = await CounterRebuild.RebuildAsync(dynamo.Client, damaged.Table);

        Assert.Equal(damaged.FindingIds.Distinct().Count(), result.Findings);
        Assert.Equal(await CountersAsync(clean.Table), await CountersAsync(damaged.Table));
        await AssertCountsMatchFindingsAsync(damaged);
    }
}
