using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Amazon.Runtime;
using IsmsServerless.Changes;
using IsmsServerless.Engine;
using IsmsServerless.Ledger;
using IsmsServerless.Model;
using IsmsServerless.Settings;
using IsmsServerless.Tests.Robustness;
using IsmsServerless.Tests.Support;

namespace IsmsServerless.Tests.Changes;

/// <summary>
/// Issue 20 wave 8: the session's earliest call is kept on the change record (<c>firstCall</c>) instead of as a CALL item,
/// so a one-call session writes the record and its obligation only. Every other call still has its CALL item; a call
/// earlier than the record's earliest takes its place, and the one it replaces is written out as the very CALL item it
/// would have had. Any delivery order, redelivery, concurrency and a crash mid-way leave the items of a clean run; the
/// change view lists every call once; records and CALL items of the layout before read and merge unchanged.
/// </summary>
[Collection(DynamoDbCollection.Name)]
public sealed class ChangeFirstCallTests(DynamoDbLocalFixture dynamo)
{
    private static readonly HashSet<string> Bookkeeping = new(StringComparer.Ordinal) { "version" };

    [Fact]
    public async Task A_one_call_session_writes_no_call_item_and_the_view_still_shows_its_call()
    {
        var table = await dynamo.NewTableAsync("chg-first");
        var register = new DynamoChangeRegister(dynamo.Client, table, IsmsSettings.Default);
        var call = ChangeTestData.ThienCalls()[0];
        Assert.Equal(ChangeRecordStatus.Created, (await register.RecordAsync(call)).Status);

        var partition = await PartitionAsync(table, call.ChangeId);
        var record = Assert.Single(partition); // the record only: no CALL item
        Assert.Equal("CHANGE", record["SK"].S);
        Assert.True(ItemSize.Of(record) <= 1024, $"change record is {ItemSize.Of(record)} bytes");
        // Nothing of the record twice: the call's name and source only, the session key derived from actor and creation time.
        Assert.Equal(["name", "source"], record["firstCall"].M.Keys.Order(StringComparer.Ordinal));
        Assert.DoesNotContain("sessionKey", record.Keys);

        var read = (await register.GetAsync(call.ChangeId))!;
        Assert.Equal((call.SessionKey, 1), (read.SessionKey, read.CallCount));
        Assert.Equal(ChangeCallDetail.Of(call), read.FirstCall! with { Resources = call.Resources });
        Assert.Equal(call.Resources, read.FirstCall!.Resources);
        // The change view (status page, ./isms changes --id) lists the call with every detail a CALL item gave it.
        var listed = Assert.Single(await register.GetCallsAsync(call.ChangeId, 100));
        Assert.Equal(new ChangeCallSummary(call.EventId, call.EventName, call.EventSource, call.EventTime) { Resources = call.Resources, SourceIp = call.SourceIp }, listed);
        var service = new ChangeReviewService(register, null, RuleRegistry.CreateDefault(), IsmsSettings.Default, new FixedTimeProvider(call.EventTime.AddHours(1)));
        Assert.Equal([call.EventId], (await service.GetAsync(call.ChangeId))!.Calls.Select(c => c.EventId));
    }

    /// <summary>Thien's five calls plus an earlier call unlike the rest: no resources, no source IP, another kind and region.</summary>
    private static List<ChangeCall> Session()
    {
        var calls = ChangeTestData.ThienCalls().ToList();
        calls.Add(calls[2] with
        {
            EventId = "00000000-0000-0000-0000-earliest0000",
            EventTime = ChangeTestData.ThienFirstCall.AddMinutes(-3),
            EventName = "TagRole",
            Resources = [],
            SourceIp = null,
            Kind = ChangeKind.Emergency,
            Region = "eu-west-1",
            AccessKeyId = "ASIAEARLIEST",
        });
        return calls;
    }

    [Fact]
    public async Task Every_delivery_order_with_redeliveries_and_concurrent_writers_leaves_the_same_items()
    {
        var calls = Session();
        var (expected, _) = await ReplayAsync("chg-first-order", calls);
        // Six calls: the record keeps the earliest (the odd one: every detail it does not share stored), five CALL items.
        Assert.Equal(6, expected.Count);
        Assert.Single(expected, i => i.Contains("SK=S:CHANGE;", StringComparison.Ordinal) && i.Contains("firstCall=M:", StringComparison.Ordinal));
        Assert.Equal(5, expected.Count(i => i.Contains("entityType=S:CHANGE_CALL;", StringComparison.Ordinal)));
        Assert.DoesNotContain(expected, i => i.Contains("SK=S:CALL#" + calls[^1].EventId, StringComparison.Ordinal));

        var random = new Random(2008);
        var orders = new List<IReadOnlyList<ChangeCall>> { calls.AsEnumerable().Reverse().ToList() };
        for (var n = 0; n < 4; n++)
        {
            var order = calls.OrderBy(_ => random.Next()).ToList();
            for (var d = 0; d < 3; d++) order.Insert(random.Next(order.Count + 1), calls[random.Next(calls.Count)]);
            orders.Add(order);
        }
        foreach (var order in orders)
        {
            var (actual, register) = await ReplayAsync("chg-first-order", order);
            Assert.True(expected.SetEquals(actual), string.Join(", ", order.Select(c => c.EventId[..8])) + "\n" + TableSnapshot.Difference(expected, actual));
            await AssertSessionAsync(register, calls);
        }

        // Eight concurrent writers, every call twice, latest first: displacements, conflicts, recounts.
        var (concurrent, concurrentRegister) = await ReplayAsync("chg-first-conc", calls.Concat(calls).Reverse().ToList(), writers: 8);
        Assert.True(expected.SetEquals(concurrent), TableSnapshot.Difference(expected, concurrent));
        await AssertSessionAsync(concurrentRegister, calls);
    }

    [Fact]
    public async Task A_crash_after_the_replaced_call_is_stored_lists_it_once_and_the_redelivery_leaves_a_clean_runs_items()
    {
        var calls = Session();
        var earliest = calls[^1];
        var (expected, _) = await ReplayAsync("chg-first-crash-clean", calls);

        var table = await dynamo.NewTableAsync("chg-first-crash");
        var register = new DynamoChangeRegister(dynamo.Client, table, IsmsSettings.Default);
        foreach (var call in calls.Take(5)) await register.RecordAsync(call);
        // The earliest call last: 1 GetItem record, 2 PutItem CALL of the call it replaces, 3 PutItem record: dies there.
        await using (var crashing = new ChangeSessionReadCostTests.Recorder(dynamo.Endpoint, (n, _) => n == 3 ? Fault.InternalError : Fault.None))
            await Assert.ThrowsAnyAsync<AmazonServiceException>(() => new DynamoChangeRegister(crashing.Client, table, IsmsSettings.Default).RecordAsync(earliest));
        // The replaced call is on the record and in its CALL item: listed and counted once.
        Assert.Equal(calls.Take(5).Select(c => c.EventId).Order(StringComparer.Ordinal), (await register.GetCallsAsync(earliest.ChangeId, 100)).Select(c => c.EventId).Order(StringComparer.Ordinal));
        Assert.Equal(5, (await register.GetAsync(earliest.ChangeId))!.CallCount);
        // A later call's redelivery recounts through it.
        Assert.Equal(ChangeRecordStatus.Duplicate, (await register.RecordAsync(calls[3])).Status);
        Assert.Equal(5, (await register.GetAsync(earliest.ChangeId))!.CallCount);

        Assert.Equal(ChangeRecordStatus.Merged, (await register.RecordAsync(earliest)).Status);
        Assert.Equal(ChangeRecordStatus.Duplicate, (await register.RecordAsync(earliest)).Status);
        Assert.True(expected.SetEquals(await SnapshotAsync(table)), TableSnapshot.Difference(expected, await SnapshotAsync(table)));
        await AssertSessionAsync(register, calls);
    }

    [Fact]
    public async Task A_record_and_call_items_of_the_layout_before_read_merge_and_list_every_call_once()
    {
        var table = await dynamo.NewTableAsync("chg-first-legacy");
        var register = new DynamoChangeRegister(dynamo.Client, table, IsmsSettings.Default);
        var calls = Session();
        var thien = calls.Take(5).ToList();
        foreach (var call in thien.Take(3)) await register.RecordAsync(call);

        // The layout before issue 20 wave 8, written raw: every call (the earliest too) a CALL item, the record with its
        // session key and without firstCall.
        var record = (await dynamo.Client.GetItemAsync(table, Key(thien[0].ChangeId, "CHANGE"))).Item;
        record.Remove("firstCall");
        record["sessionKey"] = new AttributeValue { S = thien[0].SessionKey };
        await dynamo.Client.PutItemAsync(new PutItemRequest { TableName = table, Item = record });
        await dynamo.Client.PutItemAsync(new PutItemRequest { TableName = table, Item = OldCallItem(thien[0]) });

        var read = (await register.GetAsync(thien[0].ChangeId))!;
        Assert.Null(read.FirstCall);
        Assert.Equal((thien[0].SessionKey, thien[0].EventId, 3), (read.SessionKey, read.FirstCallId, read.CallCount));
        Assert.Equal(thien.Take(3).Select(c => c.EventId), (await register.GetCallsAsync(read.ChangeId, 100)).Select(c => c.EventId));
        Assert.Equal(ChangeRecordStatus.Duplicate, (await register.RecordAsync(thien[0])).Status);
        Assert.Equal(read.Version, (await register.GetAsync(read.ChangeId))!.Version);

        // A later call merges and a redelivery of a stored call recounts: the old earliest's CALL item counted once.
        Assert.Equal(ChangeRecordStatus.Merged, (await register.RecordAsync(thien[3])).Status);
        Assert.Equal(ChangeRecordStatus.Duplicate, (await register.RecordAsync(thien[1])).Status);
        Assert.Equal(4, (await register.GetAsync(read.ChangeId))!.CallCount);
        // An earlier call takes the record's place; the old earliest keeps its own CALL item (no second one is written).
        Assert.Equal(ChangeRecordStatus.Merged, (await register.RecordAsync(calls[^1])).Status);
        Assert.Equal(ChangeRecordStatus.Merged, (await register.RecordAsync(thien[4])).Status);
        var after = (await register.GetAsync(read.ChangeId))!;
        Assert.Equal((6, calls[^1].EventId, calls[^1].EventId), (after.CallCount, after.FirstCallId, after.FirstCall!.EventId));
        var listed = await register.GetCallsAsync(read.ChangeId, 100);
        Assert.Equal(calls.OrderBy(c => c.EventTime).Select(c => c.EventId), listed.Select(c => c.EventId));
        Assert.Equal(OldCallItem(thien[0])["eventName"].S, listed.Single(c => c.EventId == thien[0].EventId).EventName);
        Assert.Equal(thien[0].SessionKey, after.SessionKey);
    }

    [Fact]
    public async Task A_session_key_the_reader_cannot_derive_is_stored()
    {
        var table = await dynamo.NewTableAsync("chg-first-key");
        var register = new DynamoChangeRegister(dynamo.Client, table, IsmsSettings.Default);
        // A principal without an ARN: the key names its principal id, the actor its type and name.
        var call = ChangeTestData.ThienCalls()[0] with { SessionKey = "day|AIDAEXAMPLE|AKIAEXAMPLE|2023-05-31", Actor = "IAMUser:thien", SessionCreatedAt = null };
        await register.RecordAsync(call);
        var item = (await dynamo.Client.GetItemAsync(table, Key(call.ChangeId, "CHANGE"))).Item;
        Assert.Equal(call.SessionKey, item["sessionKey"].S);
        Assert.Equal(call.SessionKey, (await register.GetAsync(call.ChangeId))!.SessionKey);
    }

    private async Task AssertSessionAsync(DynamoChangeRegister register, List<ChangeCall> calls)
    {
        var record = (await register.GetAsync(calls[0].ChangeId))!;
        var earliest = calls.MinBy(c => c.EventTime)!;
        Assert.Equal((calls.Count, earliest.EventId, earliest.EventTime, ChangeTestData.ThienLastCall), (record.CallCount, record.FirstCallId, record.FirstCallAt, record.LastCallAt));
        Assert.Equal((earliest.AccessKeyId, ChangeKind.Emergency), (record.AccessKeyId, record.Kind));
        Assert.Equal(ChangeCallDetail.Of(earliest) with { Resources = [] }, record.FirstCall! with { Resources = [] });
        Assert.Empty(record.FirstCall!.Resources);
        var listed = await register.GetCallsAsync(record.ChangeId, 100);
        Assert.Equal(calls.OrderBy(c => c.EventTime).Select(c => new ChangeCallSummary(c.EventId, c.EventName, c.EventSource, c.EventTime) { Resources = c.Resources, SourceIp = c.SourceIp }), listed);
        // Fewer asked for than stored: the Query stops before the record, whose earliest call is still listed first.
        var two = await register.GetCallsAsync(record.ChangeId, 2);
        Assert.Equal(2, two.Count);
        Assert.Equal(earliest.EventId, two[0].EventId);
    }

    private async Task<(SortedSet<string> Items, DynamoChangeRegister Register)> ReplayAsync(string prefix, IReadOnlyList<ChangeCall> order, int writers = 1)
    {
        var table = await dynamo.NewTableAsync(prefix);
        var register = new DynamoChangeRegister(dynamo.Client, table, IsmsSettings.Default);
        using var gate = new SemaphoreSlim(writers);
        await Task.WhenAll(order.Select(async call =>
        {
            await gate.WaitAsync();
            try { await register.RecordAsync(call); }
            finally { gate.Release(); }
        }));
        return (await SnapshotAsync(table), register);
    }

    private async Task<SortedSet<string>> SnapshotAsync(string table)
    {
        var items = new SortedSet<string>(StringComparer.Ordinal);
        var page = await dynamo.Client.ScanAsync(new ScanRequest { TableName = table, ConsistentRead = true });
        foreach (var item in page.Items.Where(i => i["PK"].S.StartsWith("CHANGE#", StringComparison.Ordinal)))
            items.Add(TableSnapshot.Canonical(item.Where(a => !Bookkeeping.Contains(a.Key)).ToDictionary(a => a.Key, a => a.Value, StringComparer.Ordinal)));
        return items;
    }

    private async Task<List<Dictionary<string, AttributeValue>>> PartitionAsync(string table, string changeId) =>
        (await dynamo.Client.QueryAsync(new QueryRequest
        {
            TableName = table,
            KeyConditionExpression = "PK = :pk",
            ExpressionAttributeValues = new() { [":pk"] = new AttributeValue { S = "CHANGE#" + changeId } },
            ConsistentRead = true,
        })).Items;

    private static Dictionary<string, AttributeValue> Key(string changeId, string sk) => new()
    {
        [LedgerSchema.PartitionKey] = new AttributeValue { S = "CHANGE#" + changeId },
        [LedgerSchema.SortKey] = new AttributeValue { S = sk },
    };

    /// <summary>A CALL item as every version before issue 20 wave 8 wrote it (for every call, the earliest too).</summary>
    private static Dictionary<string, AttributeValue> OldCallItem(ChangeCall call)
    {
        var item = Key(call.ChangeId, "CALL#" + call.EventId);
        item["entityType"] = new AttributeValue { S = "CHANGE_CALL" };
        item["changeId"] = new AttributeValue { S = call.ChangeId };
        item["eventId"] = new AttributeValue { S = call.EventId };
        item["eventName"] = new AttributeValue { S = call.EventName };
        item["eventSource"] = new AttributeValue { S = call.EventSource };
        item["eventTime"] = new AttributeValue { S = Timestamps.ToWire(call.EventTime) };
        item["kind"] = new AttributeValue { S = call.Kind.ToWire() };
        item["actor"] = new AttributeValue { S = call.Actor };
        item["region"] = new AttributeValue { S = call.Region };
        item["resources"] = new AttributeValue { L = call.Resources.Select(r => new AttributeValue { S = r }).ToList() };
        if (call.SourceIp is { Length: > 0 } ip) item["sourceIp"] = new AttributeValue { S = ip };
        return item;
    }
}
