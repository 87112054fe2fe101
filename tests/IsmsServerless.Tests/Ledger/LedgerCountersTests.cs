using System.Globalization;
using IsmsServerless.Engine;
using IsmsServerless.Ledger;
using IsmsServerless.Model;
using IsmsServerless.Tests.Support;
using static IsmsServerless.Tests.Ledger.LedgerTestKit;

namespace IsmsServerless.Tests.Ledger;

/// <summary>The overview counters must equal what the indexes hold, however transitions interleave.</summary>
[Collection(DynamoDbCollection.Name)]
public sealed class LedgerCountersTests(DynamoDbLocalFixture dynamo)
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.Parse("2026-03-01T00:00:00Z", CultureInfo.InvariantCulture);

    [Fact]
    public async Task Counters_match_the_status_index_after_concurrent_mixed_transitions_and_sweeps()
    {
        var kit = await CreateAsync(dynamo);
        var random = new Random(20261123);
        // 8 writers, 24 findings over 3 resources: writers contend on the same findings and the same counter shards.
        var script = Enumerable.Range(0, 8).Select(w => Enumerable.Range(0, 12).Select(_ =>
            (Op: random.Next(4), Resource: $"i-{random.Next(3)}", Sub: $"KB{random.Next(8)}", Minutes: random.Next(1, 600))).ToList()).ToList();

        await Task.WhenAll(script.Select(steps => Task.Run(async () =>
        {
            var ledger = new DynamoDbFindingLedger(dynamo.Client, kit.Table, kit.Settings);
            foreach (var (op, resource, sub, minutes) in steps)
            {
                var at = T0.AddMinutes(minutes);
                var evaluation = Finding(PatchRule, resource, at, sub);
                try
                {
                    switch (op)
                    {
                        case 0: await ledger.RecordAsync([evaluation], kit.Context); break;
                        case 1: await ledger.RecordAsync([Compliant(PatchRule, resource, at, sub)], kit.Context); break;
                        case 2: await ledger.AcknowledgeAsync(evaluation.FindingId, "ops", "mine", kit.Now); break;
                        default:
                            await ledger.GrantWaiverAsync(evaluation.FindingId, new Waiver("o", "r", Controls.IsoVulnerabilities, kit.Now.AddDays(2), "cto", kit.Now));
                            break;
                    }
                }
                catch (Exception ex) when (ex is KeyNotFoundException or InvalidTransitionException)
                {
                    // Acknowledging or waiving a finding that does not exist (yet) or is resolved: refused, as it should be.
                }
            }
        })));
        kit.Clock.Advance(TimeSpan.FromDays(3)); // waivers expire, SLAs escalate
        await Task.WhenAll(Enumerable.Range(0, 3).Select(_ =>
            new DynamoDbFindingLedger(dynamo.Client, kit.Table, kit.Settings).AdvanceTimersAsync(new EvaluationContext(kit.Settings, kit.Clock))));

        var byStatus = new Dictionary<FindingStatus, List<FindingRecord>>();
        foreach (var status in Enum.GetValues<FindingStatus>())
            byStatus[status] = [.. (await kit.Ledger.QueryByStatusAsync(status, 500)).Items];
        var overview = await kit.Ledger.GetOverviewAsync();

        Assert.Equal(byStatus[FindingStatus.Open].Count, overview.Total.Open);
        Assert.Equal(byStatus[FindingStatus.Acknowledged].Count, overview.Total.Acknowledged);
        Assert.Equal(byStatus[FindingStatus.Suppressed].Count, overview.Total.Suppressed);
        Assert.Equal(byStatus[FindingStatus.Resolved].Count, overview.Total.Resolved);
        var active = byStatus[FindingStatus.Open].Concat(byStatus[FindingStatus.Acknowledged]).ToList();
        Assert.Equal(active.Count(f => f.SlaState == SlaState.Open), overview.Total.WithinSla);
        Assert.Equal(active.Count(f => f.SlaState == SlaState.AtRisk), overview.Total.AtRisk);
        Assert.Equal(active.Count(f => f.SlaState == SlaState.Breached), overview.Total.Breached);
        Assert.Equal(overview.Total, overview.ByControl[Controls.IsoVulnerabilities]);
        Assert.Equal(overview.Total, overview.ByCategory["patch"]);
        // Every finding's history is gap-free and matches its length.
        foreach (var f in byStatus.Values.SelectMany(v => v))
        {
            var history = await kit.Ledger.GetHistoryAsync(f.Id);
            Assert.Equal(Enumerable.Range(1, f.HistoryLength), history.Select(h => h.Sequence));
        }
        Assert.Empty(await kit.Ledger.QueryDueBeforeAsync(kit.Now, 100));
    }
}
