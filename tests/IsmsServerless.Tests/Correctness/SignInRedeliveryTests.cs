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

    /// <summary>The AWS docs' failed IAM-user sign-in (fixtures/events), eventID and eventTime varied per attempt in memory.</summary>
    private static byte[] Failure(int attempt, DateTimeOffset at)
    {
        var raw = System.Text.Encoding.UTF8.GetString(Fixtures.Shared("cloudtrail/raw-consolelogin-iamuser-failure.json"))
            .Replace("d38ce1b3-4575-4cb8-a632-611b8243bfc3", $"d38ce1b3-4575-4cb8-a632-{attempt:D12}", StringComparison.Ordinal)
            .Replace("2022-11-10T16:24:34Z", Timestamps.ToWire(at), StringComparison.Ordinal);
        return EventBridgeEnvelope.Wrap(raw);
    }

    [Fact]
    public async Task A_redelivered_burst_reads_its_windows_eventually_consistently_and_counts_and_stores_what_it_did()
    {
        var table = await dynamo.NewTableAsync("burst-redeliver");
        var queries = new ConcurrentQueue<bool>();
        await using var proxy = new FaultProxy(new Uri(dynamo.Endpoint), (_, op, body) =>
        {
            if (op.EndsWith(".Query", StringComparison.Ordinal))
            {
                using var json = JsonDocument.Parse(body);
                if (json.RootElement.GetProperty("KeyConditionExpression").GetString()!.Contains("BETWEEN", StringComparison.Ordinal)
                    && json.RootElement.GetProperty("ExpressionAttributeValues").GetProperty(":pk").GetProperty("S").GetString()!.StartsWith("SIGNINFAIL#", StringComparison.Ordinal))
                    queries.Enqueue(json.RootElement.TryGetProperty("ConsistentRead", out var c) && c.ValueKind == JsonValueKind.True);
            }
            return Fault.None;
        });
        using var client = new AmazonDynamoDBClient(new BasicAWSCredentials("local", "local"),
            new AmazonDynamoDBConfig { ServiceURL = proxy.Endpoint, AuthenticationRegion = "us-east-1" });
        var pipeline = new IngestPipeline(RuleEngine.CreateDefault(), InputEnrichers.Default(client, table), new DynamoDbFindingLedger(client, table, IsmsSettings.Default));
        var context = TestContexts.At("2022-11-10T17:00:00Z");

        async Task<(string ByUser, string ByIp, string SubKey)> DeliverAsync(int i)
        {
            var evaluation = (await pipeline.ProcessAsync(Failure(i, Start.AddMinutes(i)), context)).Engine.Evaluations
                .Single(e => e.Rule.Id == "monitoring.console-sign-in-failure-burst");
            return (evaluation.Evidence["failuresByUser"], evaluation.Evidence["failuresByIp"], evaluation.SubKey);
        }

        var first = new List<(string, string, string)>();
        foreach (var i in Enumerable.Range(0, 5)) first.Add(await DeliverAsync(i));
        Assert.All(queries, Assert.True); // every first delivery: strongly consistent (user and IP windows)
        Assert.Equal(10, queries.Count);
        Assert.Equal(("5", "5", "burst:user"), first[^1]);
        queries.Clear();

        // Every failure again, newest first: the windows read eventually consistently, and each sees the whole burst (as a
        // strongly consistent read of the stored failures does: five in one window holding each of them).
        foreach (var i in Enumerable.Range(0, 5).Reverse())
            Assert.Equal(("5", "5", "burst:user"), await DeliverAsync(i));
        Assert.Equal(10, queries.Count);
        Assert.All(queries, Assert.False);
        // The redeliveries stored no failure twice: one item per failure and key.
        Assert.Equal(10, (await TableSnapshot.TakeAsync(dynamo.Client, table)).Count(i => i.Contains("entityType=S:SIGNIN_FAILURE;", StringComparison.Ordinal)));
    }
}
