using IsmsServerless.Ledger;
using IsmsServerless.Tests.Support;
using static IsmsServerless.Tests.Ledger.LedgerTestKit;

namespace IsmsServerless.Tests.Ledger;

[Collection(DynamoDbCollection.Name)]
public sealed class LedgerIdempotencyTests(DynamoDbLocalFixture dynamo)
{
    private static readonly DateTimeOffset EventTime = DateTimeOffset.Parse("2026-02-27T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public async Task First_detection_creates_one_open_finding_with_deadline_from_the_event_time_one_history_line_and_one_alert()
    {
        var kit = await CreateAsync(dynamo);
        var evaluation = Finding(PatchRule, "i-0abc", EventTime);

        var result = await kit.Ledger.RecordAsync([evaluation], kit.Context);

        Assert.Equal(1, result.Created);
        Assert.Single(result.AlertIds);
        var finding = await kit.Ledger.GetAsync(evaluation.FindingId);
        Assert.NotNull(finding);
        Assert.Equal(FindingStatus.Open, finding.Status);
        Assert.Equal(EventTime.AddDays(8), finding.DueAt);
        Assert.Equal(EventTime.AddDays(4), finding.AtRiskAt);
        Assert.Equal(IsmsServerless.Model.SlaState.Open, finding.SlaState);
        Assert.Equal(1, finding.HistoryLength);
        Assert.Equal([IsmsServerless.Model.Controls.IsoVulnerabilities, "SOC2 CC7.1"], finding.Controls);
        var history = await kit.Ledger.GetHistoryAsync(finding.Id);
        var created = Assert.Single(history);
        Assert.Equal("created", created.Action);
        Assert.Equal("rule:" + PatchRule.Id, created.Actor);
        Assert.Equal(kit.Now, created.At);
        var alert = Assert.Single(await kit.AlertsTodayAsync());
        Assert.Equal("new", alert.Kind);
        Assert.Equal(finding.Id, alert.FindingId);
        Assert.Equal("CRITICAL", alert.Severity);
        Assert.Equal("[\"ISO27001:2022 A.8.8\",\"SOC2 CC7.1\"]", alert.Controls);
        Assert.Equal("2026-03-07T10:00:00.000Z", alert.DueAt);
        // An open finding never carries a TTL.
        Assert.False((await kit.RawFindingAsync(finding.Id)).ContainsKey(LedgerSchema.TimeToLive));
    }

    [Fact]
    public async Task Redelivered_event_changes_nothing_and_raises_no_second_alert()
    {
        var kit = await CreateAsync(dynamo);
        var evaluation = Finding(PatchRule, "i-0abc", EventTime);
        await kit.Ledger.RecordAsync([evaluation], kit.Context);
        var before = await kit.Ledger.GetAsync(evaluation.FindingId);

        kit.Clock.Advance(TimeSpan.FromMinutes(3));
        var again = await kit.Ledger.RecordAsync([evaluation, evaluation], kit.Context);

        Assert.Equal(2, again.Unchanged);
        Assert.Empty(again.AlertIds);
        var after = await kit.Ledger.GetAsync(evaluation.FindingId);
        Assert.Equal((before!.Version, before.LastSeenAt, before.HistoryLength), (after!.Version, after.LastSeenAt, after.HistoryLength));
        Assert.Single(await kit.AlertsTodayAsync());
    }

    [Fact]
    public async Task Eight_concurrent_writers_of_the_same_event_make_one_finding_one_history_line_and_one_alert()
    {
        var kit = await CreateAsync(dynamo);
        var evaluation = Finding(PatchRule, "i-0race", EventTime);
        // Each writer has its own ledger instance (as eight Lambda sandboxes would) on the same table.
        using var start = new ManualResetEventSlim(false);
        var writers = Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            var ledger = new DynamoDbFindingLedger(dynamo.Client, kit.Table, kit.Settings);
            start.Wait();
            return await ledger.RecordAsync([evaluation], kit.Context);
        })).ToList();
        start.Set();
        var results = await Task.WhenAll(writers);

        Assert.Equal(1, results.Sum(r => r.Created));
        Assert.Equal(7, results.Sum(r => r.Unchanged));
        // One alert id among the writers' results: the creator's, and possibly a concurrent writer's that found it owed and
        // put it first (LedgerWriteResult.AlertIds), never a second id; the outbox holds it once.
        Assert.Single(results.SelectMany(r => r.AlertIds).Distinct());
        Assert.Single(results.Single(r => r.Created == 1).AlertIds);
        var open = await kit.Ledger.QueryByStatusAsync(FindingStatus.Open, 50);
        Assert.Single(open.Items);
        Assert.Single(await kit.Ledger.GetHistoryAsync(evaluation.FindingId));
        Assert.Single(await kit.AlertsTodayAsync());
        Assert.Equal(1, (await kit.Ledger.GetOverviewAsync()).Total.Open);
    }

    [Fact]
    public async Task Eight_concurrent_writers_of_a_newer_detection_update_it_once_without_alerts()
    {
        var kit = await CreateAsync(dynamo);
        await kit.Ledger.RecordAsync([Finding(PatchRule, "i-0race", EventTime)], kit.Context);
        var newer = Finding(PatchRule, "i-0race", EventTime.AddHours(1));
        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() =>
            new DynamoDbFindingLedger(dynamo.Client, kit.Table, kit.Settings).RecordAsync([newer], kit.Context))));

        Assert.Equal(1, results.Sum(r => r.Updated));
        Assert.Equal(7, results.Sum(r => r.Unchanged));
        Assert.Empty(results.SelectMany(r => r.AlertIds));
        var finding = await kit.Ledger.GetAsync(newer.FindingId);
        Assert.Equal(2, finding!.Version);
        Assert.Equal(EventTime.AddDays(8), finding.DueAt);
    }

    [Fact]
    public async Task Identity_separates_sub_keys_and_resources()
    {
        var kit = await CreateAsync(dynamo);
        await kit.Ledger.RecordAsync(
        [
            Finding(PatchRule, "i-1", EventTime, "KB5001"),
            Finding(PatchRule, "i-1", EventTime, "KB5002"),
            Finding(PatchRule, "i-2", EventTime, "KB5001"),
        ], kit.Context);
        Assert.Equal(3, (await kit.Ledger.QueryByStatusAsync(FindingStatus.Open, 50)).Items.Count);
        Assert.Equal(2, (await kit.Ledger.QueryByResourceAsync("i-1", 50)).Items.Count);
    }
}
