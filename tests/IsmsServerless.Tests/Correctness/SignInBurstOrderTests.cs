using System.Globalization;
using IsmsServerless.Engine;
using IsmsServerless.Ledger;
using IsmsServerless.Model;
using IsmsServerless.Monitoring;
using IsmsServerless.Pipeline;
using IsmsServerless.Settings;
using IsmsServerless.Tests.Support;

namespace IsmsServerless.Tests.Correctness;

/// <summary>
/// Found by replaying the project's payloads sorted and reversed into DynamoDB Local: the failed sign-in count looked
/// only backwards from each failure, so a burst delivered newest-first was never seen (every failure counted 1) and the
/// message's counts depended on arrival order. The count is now the densest window holding the failure.
/// </summary>
[Collection(DynamoDbCollection.Name)]
public sealed class SignInBurstOrderTests(DynamoDbLocalFixture dynamo)
{
    private static readonly DateTimeOffset Start = DateTimeOffset.Parse("2022-11-10T16:00:00Z", CultureInfo.InvariantCulture);

    /// <summary>The AWS docs' failed IAM-user sign-in (fixtures/events), eventID and eventTime varied per attempt in memory.</summary>
    internal static byte[] Failure(int attempt, DateTimeOffset at)
    {
        var raw = System.Text.Encoding.UTF8.GetString(Fixtures.Shared("cloudtrail/raw-consolelogin-iamuser-failure.json"))
            .Replace("d38ce1b3-4575-4cb8-a632-611b8243bfc3", $"d38ce1b3-4575-4cb8-a632-{attempt:D12}", StringComparison.Ordinal)
            .Replace("2022-11-10T16:24:34Z", Timestamps.ToWire(at), StringComparison.Ordinal);
        return EventBridgeEnvelope.Wrap(raw);
    }

    [Fact]
    public async Task A_burst_delivered_newest_first_is_still_a_high_burst()
    {
        var table = await dynamo.NewTableAsync("burst-order");
        var pipeline = new IngestPipeline(RuleEngine.CreateDefault(), InputEnrichers.Default(dynamo.Client, table),
            new DynamoDbFindingLedger(dynamo.Client, table, IsmsSettings.Default));
        var context = TestContexts.At("2022-11-10T17:00:00Z");
        Evaluation? last = null;
        foreach (var i in Enumerable.Range(0, 5).Reverse())
            last = (await pipeline.ProcessAsync(Failure(i, Start.AddMinutes(i)), context)).Engine.Evaluations
                .Single(e => e.Rule.Id == "monitoring.console-sign-in-failure-burst" && e.SubKey != "burst:ip");
        Assert.Equal((Severity.High, "burst:user"), (last!.Severity, last.SubKey));
        Assert.Equal("5", last.Evidence["failuresByUser"]);
    }

    [Theory]
    // at, window 15 min, failures (minutes after 16:00) -> the most in one window holding 'at'
    [InlineData(4, new[] { 0, 1, 2, 3, 4 }, 5)]
    [InlineData(0, new[] { 0, 1, 2, 3, 4 }, 5)]          // the earliest, arriving last, sees the later ones
    [InlineData(0, new[] { -20, 0, 1 }, 2)]              // 20 minutes before is outside any window holding 0
    [InlineData(0, new[] { -15, 0, 15 }, 2)]             // both edges count, never both at once
    [InlineData(30, new[] { 0, 1, 2, 3, 30 }, 1)]
    public void Densest_window_holding_the_failure(int at, int[] failures, int expected) =>
        Assert.Equal(expected, SignInFailureCounter.DensestWindowContaining(
            failures.Select(m => Start.AddMinutes(m)).ToList(), Start.AddMinutes(at), TimeSpan.FromMinutes(15)));
}
