using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using Amazon.DynamoDBv2;
using Amazon.Runtime;
using IsmsServerless.Engine;
using IsmsServerless.Ledger;
using IsmsServerless.Model;
using IsmsServerless.Pipeline;
using IsmsServerless.Settings;
using IsmsServerless.Tests.Robustness;
using IsmsServerless.Tests.Support;

namespace IsmsServerless.Tests.Correctness;

/// <summary>
/// Issue 20 wave 7: a failed sign-in stored before (a redelivery) reads its window eventually consistently (half a read
/// unit per key); a failure stored by this delivery still reads it strongly consistently, so two failures stored at once
/// see each other. A burst redelivered, in any order, counts what it counted and finds nothing new in the ledger.
/// </summary>
[Collection(DynamoDbCollection.Name)]
public sealed class SignInRedeliveryTests(DynamoDbLocalFixture dynamo)
{
    private static readonly DateTimeOffset Start = DateTimeOffset.Parse("2022-11-10T16:00:00Z", CultureInfo.InvariantCulture);

    /// <summary>The AWS docs' failed IAM-user sign-in, eventID and eventTime varied per attempt (the burst-order tests' event).</summary>
    private static byte[] Failure(int attempt, DateTimeOffset at) => SignInBurstOrderTests.Failure(attempt, at);

    /// <summary>A pipeline through a proxy recording, for each window Query of a SIGNINFAIL partition, whether it was strongly consistent.</summary>
    private sealed class Recorded : IAsyncDisposable
    {
        private readonly FaultProxy _proxy;
        private readonly AmazonDynamoDBClient _client;
        public ConcurrentQueue<bool> Queries { get; } = new();
        public IngestPipeline Pipeline { get; }

        public Recorded(DynamoDbLocalFixture dynamo, string table)
        {
            _proxy = new FaultProxy(new Uri(dynamo.Endpoint), (_, op, body) =>
            {
                if (op.EndsWith(".Query", StringComparison.Ordinal))
                {
                    using var json = JsonDocument.Parse(body);
                    if (json.RootElement.GetProperty("KeyConditionExpression").GetString()!.Contains("BETWEEN", StringComparison.Ordinal)
                        && json.RootElement.GetProperty("ExpressionAttributeValues").GetProperty(":pk").GetProperty("S").GetString()!.StartsWith("SIGNINFAIL#", StringComparison.Ordinal))
                        Queries.Enqueue(json.RootElement.TryGetProperty("ConsistentRead", out var c) && c.ValueKind == JsonValueKind.True);
                }
                return Fault.None;
            });
            _client = new AmazonDynamoDBClient(new BasicAWSCredentials("local", "local"),
                new AmazonDynamoDBConfig { ServiceURL = _proxy.Endpoint, AuthenticationRegion = "us-east-1" });
            Pipeline = new IngestPipeline(RuleEngine.CreateDefault(), InputEnrichers.Default(_client, table), new DynamoDbFindingLedger(_client, table, IsmsSettings.Default));
        }

        public bool[] Take()
        {
            var taken = new List<bool>();
            while (Queries.TryDequeue(out var q)) taken.Add(q);
            return [.. taken];
        }

        public async Task<(string ByUser, string ByIp, string SubKey)> DeliverAsync(int i)
        {
            var evaluation = (await Pipeline.ProcessAsync(Failure(i, Start.AddMinutes(i)), TestContexts.At("2022-11-10T17:00:00Z"))).Engine.Evaluations
                .Single(e => e.Rule.Id == "monitoring.console-sign-in-failure-burst");
            return (evaluation.Evidence["failuresByUser"], evaluation.Evidence["failuresByIp"], evaluation.SubKey);
        }

        public async ValueTask DisposeAsync()
        {
            _client.Dispose();
            await _proxy.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_redelivered_burst_reads_its_windows_eventually_consistently_and_counts_what_it_did()
    {
        var table = await dynamo.NewTableAsync("burst-redeliver");
        await using var recorded = new Recorded(dynamo, table);
        var first = new List<(string, string, string)>();
        foreach (var i in Enumerable.Range(0, 5)) first.Add(await recorded.DeliverAsync(i));
        Assert.Equal(Enumerable.Repeat(true, 10), recorded.Take()); // every first delivery: strongly consistent (user and IP windows)
        Assert.Equal(("5", "5", "burst:user"), first[^1]);

        // Every failure again, newest first: the windows read eventually consistently, and each sees the whole burst (as a
        // strongly consistent read of the stored failures does: five in one window holding each of them), which reaches
        // the threshold (5), so no second read.
        foreach (var i in Enumerable.Range(0, 5).Reverse())
            Assert.Equal(("5", "5", "burst:user"), await recorded.DeliverAsync(i));
        Assert.Equal(Enumerable.Repeat(false, 10), recorded.Take());
        // The redeliveries stored no failure twice: one item per failure and key.
        Assert.Equal(10, (await TableSnapshot.TakeAsync(dynamo.Client, table)).Count(i => i.Contains("entityType=S:SIGNIN_FAILURE;", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_redelivered_failure_whose_eventual_count_is_below_the_threshold_is_counted_again_strongly_consistently()
    {
        // Below the threshold a stale read could hide the failure that makes the burst (a failure stored at the same moment
        // that did not see this one): the count is then read again consistently, so the finding never depends on staleness.
        var table = await dynamo.NewTableAsync("burst-redeliver-below");
        await using var recorded = new Recorded(dynamo, table);
        Assert.Equal(("1", "1", "failures"), await recorded.DeliverAsync(0));
        Assert.Equal([true, true], recorded.Take());
        Assert.Equal(("1", "1", "failures"), await recorded.DeliverAsync(0));
        Assert.Equal([false, true, false, true], recorded.Take());
    }
}
