using Amazon.DynamoDBv2;
using Amazon.Runtime;
using IsmsServerless.Changes;
using IsmsServerless.Settings;
using IsmsServerless.Tests.Robustness;
using IsmsServerless.Tests.Support;

namespace IsmsServerless.Tests.Changes;

/// <summary>
/// The register merges a call with two single-item writes (CALL item, then the record), no transaction (issue 20). A
/// process that dies between them leaves a stored call the record does not count; its redelivery (EventBridge retries
/// a failed invocation) must merge it exactly once, whether or not the call is in the record's bounded list.
/// </summary>
[Collection(DynamoDbCollection.Name)]
public sealed class ChangeRegisterCrashTests(DynamoDbLocalFixture dynamo)
{
    [Fact]
    public async Task A_crash_between_the_call_and_the_record_write_is_repaired_by_the_redelivery()
    {
        var table = await dynamo.NewTableAsync("chg-crash");
        var register = new DynamoChangeRegister(dynamo.Client, table, IsmsSettings.Default);
        var calls = ChangeTestData.ThienCalls();
        await register.RecordAsync(calls[0]);

        // Requests of the second call: 1 GetItem record, 2 PutItem CALL, 3 PutItem record: the third never reaches the store.
        await CrashedRecordAsync(table, calls[1], failRequest: 3);
        Assert.Equal(2, (await register.GetCallsAsync(calls[0].ChangeId, 100)).Count);
        Assert.Equal(1, (await register.GetAsync(calls[0].ChangeId))!.CallCount); // the crash: stored, not counted

        var repaired = await register.RecordAsync(calls[1]);
        Assert.Equal(ChangeRecordStatus.Merged, repaired.Status);
        Assert.Equal(2, repaired.Record.CallCount);
        Assert.Contains(repaired.Record.Calls, c => c.EventId == calls[1].EventId);
        // And once only: a further redelivery and the rest of the session count each call once.
        Assert.Equal(ChangeRecordStatus.Duplicate, (await register.RecordAsync(calls[1])).Status);
        foreach (var call in calls.Skip(2)) await register.RecordAsync(call);
        var record = (await register.GetAsync(calls[0].ChangeId))!;
        Assert.Equal((5, 5), (record.CallCount, (await register.GetCallsAsync(calls[0].ChangeId, 100)).Count));
        Assert.Equal(ChangeTestData.ThienLastCall, record.LastCallAt);
    }

    /// <summary>
    /// A long session (more calls than the record lists, so a late call's presence cannot be read off the record), every
    /// call recorded but the last, whose delivery crashed after its CALL item and before the record write.
    /// </summary>
    private async Task<(DynamoChangeRegister Register, ChangeCall First, List<ChangeCall> Calls, ChangeCall Last)> LongSessionWithCrashedLastCallAsync(string prefix)
    {
        var table = await dynamo.NewTableAsync(prefix);
        var register = new DynamoChangeRegister(dynamo.Client, table, IsmsSettings.Default);
        var first = ChangeTestData.ThienCalls()[0];
        var calls = Enumerable.Range(0, ChangeRecord.MaxCalls + 5)
            .Select(i => first with { EventId = $"{first.EventId}-{i:D3}", EventTime = first.EventTime.AddSeconds(i) })
            .ToList();
        foreach (var call in calls.Take(calls.Count - 1)) await register.RecordAsync(call);
        await CrashedRecordAsync(table, calls[^1], failRequest: 3);
        return (register, first, calls, calls[^1]);
    }

    [Fact]
    public async Task A_redelivery_whose_write_only_catches_the_count_up_is_reported_as_a_duplicate()
    {
        // The race behind concurrent redeliveries: a call outside the record's bounded list is delivered again while
        // another call of the session is stored but not yet counted. The redelivery's write moves only the count (to the
        // stored calls); its own call was merged long before, so it is no news.
        var (register, first, calls, last) = await LongSessionWithCrashedLastCallAsync("chg-crash-catchup");
        Assert.Equal(calls.Count - 1, (await register.GetAsync(first.ChangeId))!.CallCount);

        var redelivery = await register.RecordAsync(calls[^3]);
        Assert.Equal(ChangeRecordStatus.Duplicate, redelivery.Status);
        Assert.Equal(calls.Count, (await register.GetAsync(first.ChangeId))!.CallCount); // the stored call is counted

        // The crashed call's own redelivery still merges what it brings (its time), counted once.
        var repaired = await register.RecordAsync(last);
        Assert.Equal(ChangeRecordStatus.Merged, repaired.Status);
        Assert.Equal((calls.Count, last.EventTime), (repaired.Record.CallCount, repaired.Record.LastCallAt));
    }

    [Fact]
    public async Task A_crashed_call_beyond_the_records_bounded_list_is_counted_once_from_the_stored_calls()
    {
        var (register, first, calls, last) = await LongSessionWithCrashedLastCallAsync("chg-crash-long");
        Assert.Equal(calls.Count - 1, (await register.GetAsync(first.ChangeId))!.CallCount);

        var repaired = await register.RecordAsync(last);
        Assert.Equal(calls.Count, repaired.Record.CallCount);
        Assert.Equal(last.EventTime, repaired.Record.LastCallAt);
        Assert.Equal(calls.Count, (await register.GetCallsAsync(first.ChangeId, 1000)).Count); // counted from the CALL items

        // Redeliveries of calls outside the list (this one, an earlier one) write nothing and count nothing.
        var version = repaired.Record.Version;
        Assert.Equal(ChangeRecordStatus.Duplicate, (await register.RecordAsync(last)).Status);
        Assert.Equal(ChangeRecordStatus.Duplicate, (await register.RecordAsync(calls[^3])).Status);
        var after = (await register.GetAsync(first.ChangeId))!;
        Assert.Equal((calls.Count, version), (after.CallCount, after.Version));
    }

    [Fact]
    public async Task Concurrent_redeliveries_of_a_long_session_count_every_call_once()
    {
        var table = await dynamo.NewTableAsync("chg-conc-long");
        var register = new DynamoChangeRegister(dynamo.Client, table, IsmsSettings.Default);
        var first = ChangeTestData.ThienCalls()[0];
        var calls = Enumerable.Range(0, ChangeRecord.MaxCalls + 10)
            .Select(i => first with { EventId = $"{first.EventId}-{i:D3}", EventTime = first.EventTime.AddSeconds(i) })
            .ToList();
        // Every call twice, latest first, eight at a time: conflicts, recounts and duplicates outside the list.
        var deliveries = calls.Concat(calls).Reverse().ToList();
        using var gate = new SemaphoreSlim(8);
        await Task.WhenAll(deliveries.Select(async call =>
        {
            await gate.WaitAsync();
            try { await register.RecordAsync(call); }
            finally { gate.Release(); }
        }));
        var record = (await register.GetAsync(first.ChangeId))!;
        Assert.Equal(calls.Count, record.CallCount);
        Assert.Equal(calls.Count, (await register.GetCallsAsync(first.ChangeId, 1000)).Count);
        Assert.Equal(first.EventId + "-000", record.FirstCallId);
        Assert.Equal((first.EventTime, calls[^1].EventTime), (record.FirstCallAt, record.LastCallAt));
    }

    /// <summary>Records <paramref name="call"/> through a proxy that fails request <paramref name="failRequest"/> with no SDK retry: the process "dies" there.</summary>
    private async Task CrashedRecordAsync(string table, ChangeCall call, int failRequest)
    {
        await using var proxy = new FaultProxy(new Uri(dynamo.Endpoint), n => n == failRequest ? Fault.InternalError : Fault.None);
        using var client = new AmazonDynamoDBClient(new BasicAWSCredentials("local", "local"),
            new AmazonDynamoDBConfig { ServiceURL = proxy.Endpoint, AuthenticationRegion = "us-east-1", MaxErrorRetry = 0 });
        var crashing = new DynamoChangeRegister(client, table, IsmsSettings.Default);
        await Assert.ThrowsAnyAsync<AmazonServiceException>(() => crashing.RecordAsync(call));
        Assert.Equal(1, proxy.Injected(Fault.InternalError));
    }
}
