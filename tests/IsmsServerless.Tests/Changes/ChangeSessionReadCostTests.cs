using System.Collections.Concurrent;
using System.Text.Json;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Amazon.Runtime;
using IsmsServerless.Changes;
using IsmsServerless.Ledger;
using IsmsServerless.Obligations;
using IsmsServerless.Settings;
using IsmsServerless.Tests.Obligations;
using IsmsServerless.Tests.Robustness;
using IsmsServerless.Tests.Support;

namespace IsmsServerless.Tests.Changes;

/// <summary>
/// Issue 20 wave 7: the requests a change call makes. A new session's review obligation is created without a read; a
/// redelivered call that the record already names is recognised from the record's read (no CALL put, no recount) and its
/// obligation checked with one eventually consistent read, trusted only when it shows the obligation held. Every case
/// ends in the store a clean, once-delivered run leaves.
/// </summary>
[Collection(DynamoDbCollection.Name)]
public sealed class ChangeSessionReadCostTests(DynamoDbLocalFixture dynamo)
{
    /// <summary>A client through a proxy that records each request's operation and whether it asked for a consistent read.</summary>
    internal sealed class Recorder : IAsyncDisposable
    {
        private readonly FaultProxy _proxy;
        public ConcurrentQueue<string> Requests { get; } = new();
        public AmazonDynamoDBClient Client { get; }

        public Recorder(string endpoint, Func<int, string, Fault>? plan = null)
        {
            _proxy = new FaultProxy(new Uri(endpoint), (n, op, body) =>
            {
                var name = op[(op.LastIndexOf('.') + 1)..];
                using var json = JsonDocument.Parse(body);
                var consistent = json.RootElement.TryGetProperty("ConsistentRead", out var c) && c.ValueKind == JsonValueKind.True;
                var sk = json.RootElement.TryGetProperty("Item", out var item) && item.TryGetProperty("SK", out var s) ? s.GetProperty("S").GetString()
                    : json.RootElement.TryGetProperty("Key", out var key) && key.TryGetProperty("SK", out var k) ? k.GetProperty("S").GetString() : null;
                var what = sk is null ? "" : sk.StartsWith("CALL#", StringComparison.Ordinal) ? " CALL" : " " + sk;
                Requests.Enqueue(name + what + (name is "GetItem" or "Query" ? consistent ? " consistent" : " eventual" : ""));
                return plan?.Invoke(n, name + what) ?? Fault.None;
            });
            Client = new AmazonDynamoDBClient(new BasicAWSCredentials("local", "local"),
                new AmazonDynamoDBConfig { ServiceURL = _proxy.Endpoint, AuthenticationRegion = "us-east-1", MaxErrorRetry = 0 });
        }

        public string[] Take()
        {
            var taken = new List<string>();
            while (Requests.TryDequeue(out var r)) taken.Add(r);
            return [.. taken];
        }

        public async ValueTask DisposeAsync()
        {
            Client.Dispose();
            await _proxy.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_new_session_creates_its_review_obligation_without_reading_it_and_its_redelivery_writes_nothing()
    {
        var table = await dynamo.NewTableAsync("chg-cost");
        await using var recorder = new Recorder(dynamo.Endpoint);
        var register = new DynamoChangeRegister(recorder.Client, table, IsmsSettings.Default);
        var call = ChangeTestData.ThienCalls()[0];

        var first = await register.RecordAsync(call);
        Assert.Equal(ChangeRecordStatus.Created, first.Status);
        // No CALL item (issue 20 wave 8): the session's earliest call is kept on the record. Issue 20 wave 9: the change
        // sweep's cursor (eventually consistent, half a unit) says whether the obligation's timer needs its own index entry.
        Assert.Equal(["GetItem CHANGE consistent", "PutItem CHANGE", "GetItem PENDING eventual", "PutItem OBLIGATION"], recorder.Take());

        var again = await register.RecordAsync(call);
        Assert.Equal(ChangeRecordStatus.Duplicate, again.Status);
        Assert.Equal(["GetItem CHANGE consistent", "GetItem OBLIGATION eventual"], recorder.Take());

        // The same store as one delivery: one call counted, one obligation due a day after the call.
        var direct = new DynamoChangeRegister(dynamo.Client, table, IsmsSettings.Default);
        Assert.Equal(1, (await direct.GetAsync(call.ChangeId))!.CallCount);
        Assert.Single(await direct.GetCallsAsync(call.ChangeId, 10));
        var obligation = await new DynamoObligationStore(dynamo.Client, table, IsmsSettings.Default).GetAsync(ChangeReviewObligations.IdOf(call.ChangeId));
        Assert.Equal((1L, ChangeTestData.ThienFirstCall.AddHours(24)), (obligation!.Version, obligation.DueAt));
    }

    [Fact]
    public async Task A_crash_after_the_record_before_the_obligation_is_repaired_by_the_redelivery_through_the_consistent_path()
    {
        var table = await dynamo.NewTableAsync("chg-cost-crash");
        var call = ChangeTestData.ThienCalls()[0];
        // Requests of a new session's first call: 1 GetItem record, 2 PutItem record, 3 GetItem sweep cursor, 4 PutItem obligation.
        await using (var crashing = new Recorder(dynamo.Endpoint, (n, _) => n == 4 ? Fault.InternalError : Fault.None))
            await Assert.ThrowsAnyAsync<AmazonServiceException>(() => new DynamoChangeRegister(crashing.Client, table, IsmsSettings.Default).RecordAsync(call));
        var store = new DynamoObligationStore(dynamo.Client, table, IsmsSettings.Default);
        Assert.Null(await store.GetAsync(ChangeReviewObligations.IdOf(call.ChangeId)));

        await using var recorder = new Recorder(dynamo.Endpoint);
        var redelivery = await new DynamoChangeRegister(recorder.Client, table, IsmsSettings.Default).RecordAsync(call);
        Assert.Equal(ChangeRecordStatus.Duplicate, redelivery.Status);
        // Recognised from the record; the eventually consistent read shows no obligation, so it is opened as OpenAsync does.
        Assert.Equal(["GetItem CHANGE consistent", "GetItem OBLIGATION eventual", "GetItem OBLIGATION consistent", "GetItem PENDING eventual", "PutItem OBLIGATION"], recorder.Take());
        var obligation = await store.GetAsync(ChangeReviewObligations.IdOf(call.ChangeId));
        Assert.Equal((1L, ChangeTestData.ThienFirstCall.AddHours(24), ChangeTestData.ThienFirstCall), (obligation!.Version, obligation.DueAt, obligation.CreatedAt));
        Assert.Equal(1, (await new DynamoChangeRegister(dynamo.Client, table, IsmsSettings.Default).GetAsync(call.ChangeId))!.CallCount);
    }

    [Theory]
    [InlineData(-2)] // an obligation opened earlier with an earlier due time: it stands
    [InlineData(+2)] // a later one: the new record's open moves it earlier
    public async Task A_created_record_whose_obligation_exists_falls_back_to_the_read_and_the_earliest_due_wins(int hours)
    {
        var table = await dynamo.NewTableAsync("chg-cost-exists");
        var call = ChangeTestData.ThienCalls()[0];
        var store = new DynamoObligationStore(dynamo.Client, table, IsmsSettings.Default);
        var spec = ChangeReviewObligations.Spec(ChangeRecordMerger.Start(call), IsmsSettings.Default);
        await store.OpenAsync(spec with { DueAt = spec.DueAt.AddHours(hours), Reminders = [] }, call.EventTime.AddHours(-1));

        await using var recorder = new Recorder(dynamo.Endpoint);
        Assert.Equal(ChangeRecordStatus.Created, (await new DynamoChangeRegister(recorder.Client, table, IsmsSettings.Default).RecordAsync(call)).Status);
        var requests = recorder.Take();
        // The blind create fails its condition (its check re-reads the item: not the one sent), then the read-and-decide.
        Assert.Equal(["GetItem CHANGE consistent", "PutItem CHANGE", "GetItem PENDING eventual", "PutItem OBLIGATION", "GetItem OBLIGATION consistent", "GetItem OBLIGATION consistent"],
            requests.Take(6));
        var obligation = await store.GetAsync(ChangeReviewObligations.IdOf(call.ChangeId));
        Assert.Equal(hours < 0 ? spec.DueAt.AddHours(hours) : spec.DueAt, obligation!.DueAt);
        Assert.Equal(call.EventTime.AddHours(-1), obligation.CreatedAt);
    }

    [Fact]
    public async Task A_redelivery_trusts_a_read_only_when_it_shows_the_obligation_held()
    {
        var table = await dynamo.NewTableAsync("chg-cost-held");
        var store = new DynamoObligationStore(dynamo.Client, table, IsmsSettings.Default);
        var spec = ObligationStoreTests.Spec("held", kind: "duty.held");
        var opened = await store.OpenAsync(spec, spec.OpensAt);

        // Held (due no later than asked): the read is trusted, nothing written.
        Assert.Equal(OpenStatus.Existing, (await store.OpenUnlessHeldAsync(spec with { DueAt = spec.DueAt.AddHours(1) }, spec.OpensAt)).Status);
        Assert.Equal(opened.Obligation.Version, (await store.GetAsync(opened.Obligation.Id))!.Version);
        // Asked earlier than stored: not held, decided on the consistent read and moved earlier, as OpenAsync does.
        var earlier = await store.OpenUnlessHeldAsync(spec with { DueAt = spec.DueAt.AddHours(-1), Reminders = [] }, spec.OpensAt);
        Assert.Equal(OpenStatus.Rescheduled, earlier.Status);
        Assert.Equal(spec.DueAt.AddHours(-1), (await store.GetAsync(opened.Obligation.Id))!.DueAt);
        // Done: held whatever the due time.
        await store.AttestAsync(opened.Obligation.Id, new Attestation("ops@qwestly.example", "cli:ops@qwestly.example", spec.OpensAt.AddHours(1), "done", ["https://runbook.example/1"]));
        Assert.Equal(OpenStatus.Existing, (await store.OpenUnlessHeldAsync(spec with { DueAt = spec.DueAt.AddHours(-5), Reminders = [] }, spec.OpensAt)).Status);
        Assert.True((await store.GetAsync(opened.Obligation.Id))!.Done);
    }
}
