using System.Text.Json;
using Amazon.DynamoDBv2.Model;
using IsmsServerless.Changes;
using IsmsServerless.Ledger;
using IsmsServerless.Settings;
using IsmsServerless.Tests.Support;

namespace IsmsServerless.Tests.Changes;

/// <summary>
/// Issue 20 wave 5: the change record no longer stores its calls list (the CALL items hold every call), so it stays under
/// 1 KB; it keeps the earliest call's eventID instead. Records an older version stored with the list still read and merge.
/// </summary>
[Collection(DynamoDbCollection.Name)]
public sealed class ChangeRecordLayoutTests(DynamoDbLocalFixture dynamo)
{
    [Fact]
    public async Task The_record_of_a_five_call_session_stores_no_calls_list_and_stays_under_1_KB()
    {
        var table = await dynamo.NewTableAsync("chg-size");
        var register = new DynamoChangeRegister(dynamo.Client, table, IsmsSettings.Default);
        var calls = ChangeTestData.ThienCalls();
        foreach (var call in calls.Reverse()) await register.RecordAsync(call);

        var item = await RawAsync(table, calls[0].ChangeId);
        Assert.DoesNotContain("calls", item.Keys);
        Assert.True(ItemSize.Of(item) <= 1024, $"change record is {ItemSize.Of(item)} bytes: " + string.Join(", ", item.Select(a => $"{a.Key}={ItemSize.Of(new() { [a.Key] = a.Value })}")));
        // Delivered latest first, the earliest call still names the record's first call and identity details.
        var record = (await register.GetAsync(calls[0].ChangeId))!;
        Assert.Equal((calls[0].EventId, ChangeTestData.ThienFirstCall, calls[0].AccessKeyId), (record.FirstCallId, record.FirstCallAt, record.AccessKeyId));
        // The view's calls come from the CALL items, every one of them, in time order.
        Assert.Equal(calls.OrderBy(c => c.EventTime).ThenBy(c => c.EventId, StringComparer.Ordinal).Select(c => c.EventId),
            (await register.GetCallsAsync(record.ChangeId, 100)).Select(c => c.EventId));
    }

    [Fact]
    public async Task A_long_sessions_record_does_not_grow_with_its_calls()
    {
        // A 60-call console session: the record used to carry its earliest 50 calls (~7 KB, billed on every merge).
        var table = await dynamo.NewTableAsync("chg-long");
        var register = new DynamoChangeRegister(dynamo.Client, table, IsmsSettings.Default);
        var first = ChangeTestData.ThienCalls()[0];
        var calls = Enumerable.Range(0, 60)
            .Select(i => first with { EventId = $"{first.EventId}-{i:D3}", EventTime = first.EventTime.AddSeconds(i) })
            .ToList();
        await register.RecordAsync(calls[0]);
        var afterOne = ItemSize.Of(await RawAsync(table, first.ChangeId));
        foreach (var call in calls.Skip(1)) await register.RecordAsync(call);
        var afterSixty = ItemSize.Of(await RawAsync(table, first.ChangeId));
        // Only the call count's digits may differ.
        Assert.InRange(afterSixty - afterOne, 0, 2);
        Assert.True(afterSixty <= 1024, $"change record is {afterSixty} bytes");
        Assert.Equal(60, (await register.GetAsync(first.ChangeId))!.CallCount);
        Assert.Equal(60, (await register.GetCallsAsync(first.ChangeId, 1000)).Count);
    }

    [Fact]
    public async Task A_record_stored_with_its_calls_list_reads_merges_and_is_rewritten_without_it()
    {
        var table = await dynamo.NewTableAsync("chg-legacy");
        var register = new DynamoChangeRegister(dynamo.Client, table, IsmsSettings.Default);
        var calls = ChangeTestData.ThienCalls();
        foreach (var call in calls.Take(3)) await register.RecordAsync(call);

        // The layout before: the earliest calls as JSON on the record, no firstCallId; its access key marks where the
        // identity details came from.
        var legacy = await RawAsync(table, calls[0].ChangeId);
        legacy.Remove("firstCallId");
        legacy["accessKeyId"] = new AttributeValue { S = "ASIALEGACYEARLIEST" };
        var list = calls.Take(3).Select(c => new ChangeCallSummary(c.EventId, c.EventName, c.EventSource, c.EventTime)).ToList();
        legacy["calls"] = new AttributeValue { S = JsonSerializer.Serialize(list, ChangeJsonContext.Default.ListChangeCallSummary) };
        await dynamo.Client.PutItemAsync(new PutItemRequest { TableName = table, Item = legacy });

        var read = (await register.GetAsync(calls[0].ChangeId))!;
        Assert.Equal((calls[0].EventId, 3), (read.FirstCallId, read.Calls.Count));
        // A call in the stored list is a redelivery: nothing written.
        Assert.Equal(ChangeRecordStatus.Duplicate, (await register.RecordAsync(calls[1])).Status);
        Assert.Equal(read.Version, (await register.GetAsync(calls[0].ChangeId))!.Version);

        // A later call merges; the earliest call (from the stored list) keeps its identity details.
        Assert.Equal(ChangeRecordStatus.Merged, (await register.RecordAsync(calls[3])).Status);
        var rewritten = await RawAsync(table, calls[0].ChangeId);
        Assert.DoesNotContain("calls", rewritten.Keys);
        Assert.Equal((calls[0].EventId, "ASIALEGACYEARLIEST"), (rewritten["firstCallId"].S, rewritten["accessKeyId"].S));

        // An earlier call than every stored one takes over the identity details.
        var earlier = calls[0] with { EventId = "00000000-early", EventTime = calls[0].EventTime.AddMinutes(-1), AccessKeyId = "ASIAEARLIER" };
        await register.RecordAsync(earlier);
        var after = (await register.GetAsync(calls[0].ChangeId))!;
        Assert.Equal(("00000000-early", "ASIAEARLIER", earlier.EventTime, 5), (after.FirstCallId, after.AccessKeyId, after.FirstCallAt, after.CallCount));
    }

    private async Task<Dictionary<string, AttributeValue>> RawAsync(string table, string changeId) =>
        (await dynamo.Client.GetItemAsync(new GetItemRequest
        {
            TableName = table,
            Key = new()
            {
                [LedgerSchema.PartitionKey] = new AttributeValue { S = "CHANGE#" + changeId },
                [LedgerSchema.SortKey] = new AttributeValue { S = "CHANGE" },
            },
            ConsistentRead = true,
        })).Item;
}
