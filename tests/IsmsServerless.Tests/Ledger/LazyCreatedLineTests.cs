using Amazon.DynamoDBv2.Model;
using IsmsServerless.Ledger;
using IsmsServerless.Tests.Robustness;
using IsmsServerless.Tests.Support;

namespace IsmsServerless.Tests.Ledger;

/// <summary>
/// Issue 20, wave 7: a new finding's created line is paid lazily (owed by the finding until its next write). Whether a
/// finding is written again can depend on arrival order: two violations at one instant keep the ordinally smaller message,
/// so the smaller one arriving second rewrites the line (a write) and arriving first makes the other a no-op. These tests
/// pin what the ledger guarantees then (docs/data-model.md, "The created line, paid lazily"): the history every reader
/// gets is the same in both orders, the stored tables differ only in an owed line against its stored item, and the next
/// write makes them equal item for item.
/// </summary>
[Collection(DynamoDbCollection.Name)]
public sealed class LazyCreatedLineTests(DynamoDbLocalFixture dynamo)
{
    private const string Resource = "i-0lazyline";

    [Fact]
    public async Task Tied_violations_in_either_order_give_the_same_history_and_the_next_write_gives_the_same_table()
    {
        var t0 = DateTimeOffset.Parse("2026-02-27T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture);
        var larger = LedgerTestKit.Finding(LedgerTestKit.PatchRule, Resource, t0) with { Message = "B: patch missing" };
        var smaller = larger with { Message = "A: patch missing" };

        var firstLarger = await LedgerTestKit.CreateAsync(dynamo);
        await firstLarger.Ledger.RecordAsync([larger], firstLarger.Context);
        await firstLarger.Ledger.RecordAsync([smaller], firstLarger.Context);
        var firstSmaller = await LedgerTestKit.CreateAsync(dynamo);
        await firstSmaller.Ledger.RecordAsync([smaller], firstSmaller.Context);
        await firstSmaller.Ledger.RecordAsync([larger], firstSmaller.Context);

        // Larger first: the smaller message rewrote the line, so that write paid it. Smaller first: the larger one held, so
        // the line is still owed, and shown from the finding with the same text.
        Assert.Null((await firstLarger.Ledger.GetAsync(larger.FindingId))!.OwedLine);
        Assert.Equal("created", (await firstSmaller.Ledger.GetAsync(larger.FindingId))!.OwedLine);
        var history = await firstLarger.Ledger.GetHistoryAsync(larger.FindingId);
        Assert.Equal("A: patch missing", Assert.Single(history).Reason);
        Assert.Equal(history, await firstSmaller.Ledger.GetHistoryAsync(larger.FindingId));

        // The stored tables differ exactly by the owed line against its stored item (and the finding's owedLine and version).
        // The alert is left out here: a `new` alert says what was sent when the finding was created, i.e. the message of the
        // violation that arrived first (that was so before the lazy line, and is not what this test is about).
        var paid = await TableSnapshot.TakeAsync(dynamo.Client, firstLarger.Table);
        var owing = await TableSnapshot.TakeAsync(dynamo.Client, firstSmaller.Table);
        static bool LineOrObservation(string item) => !item.Contains("entityType=S:FINDING;", StringComparison.Ordinal) && !item.Contains("entityType=S:ALERT;", StringComparison.Ordinal);
        var onlyPaid = paid.Except(owing).Where(LineOrObservation).ToList();
        var line = OutboxMarker.LineItem((await firstSmaller.Ledger.GetAsync(larger.FindingId))!, firstSmaller.Settings.ResolvedRetentionDays)!;
        Assert.Equal([TableSnapshot.Canonical(line)], onlyPaid);
        Assert.DoesNotContain(owing.Except(paid), LineOrObservation);

        // Any later write (here a newer compliant verdict resolving the finding) pays the owed line: the tables are then equal
        // item for item, version aside (it counts writes, which differ by one) and the alert as above.
        var resolve = LedgerTestKit.Compliant(LedgerTestKit.PatchRule, Resource, t0.AddHours(1));
        await firstLarger.Ledger.RecordAsync([resolve], firstLarger.Context);
        await firstSmaller.Ledger.RecordAsync([resolve], firstSmaller.Context);
        var expected = await WithoutVersionAsync(firstLarger.Table);
        var actual = await WithoutVersionAsync(firstSmaller.Table);
        Assert.True(expected.SetEquals(actual), TableSnapshot.Difference(expected, actual));
        Assert.Equal(2, (await firstSmaller.Ledger.GetHistoryAsync(larger.FindingId)).Count);
    }

    [Fact]
    public async Task A_sweep_escalation_is_a_write_and_pays_the_line_as_the_creating_version_owed_it()
    {
        var kit = await LedgerTestKit.CreateAsync(dynamo);
        var violation = LedgerTestKit.Finding(LedgerTestKit.PatchRule, Resource, kit.Now);
        await kit.Ledger.RecordAsync([violation], kit.Context);
        var created = (await kit.Ledger.GetAsync(violation.FindingId))!;
        Assert.Equal("created", created.OwedLine);
        var before = await kit.Ledger.GetHistoryAsync(violation.FindingId);

        kit.Clock.Advance(TimeSpan.FromDays(7.5));
        Assert.NotEqual(0, (await kit.Ledger.AdvanceTimersAsync(kit.Context)).Escalated);

        Assert.Null((await kit.Ledger.GetAsync(violation.FindingId))!.OwedLine);
        var stored = await kit.Dynamo.Client.GetItemAsync(new GetItemRequest
        {
            TableName = kit.Table,
            Key = new() { ["PK"] = new() { S = LedgerKeys.Finding(violation.FindingId) }, ["SK"] = new() { S = LedgerKeys.HistoryPrefix + created.TimelineHead } },
            ConsistentRead = true,
        });
        Assert.Equal(TableSnapshot.Canonical(OutboxMarker.LineItem(created, kit.Settings.ResolvedRetentionDays)!), TableSnapshot.Canonical(stored.Item));
        // The history keeps the created line first (as it was shown while owed) and adds the escalation.
        var after = await kit.Ledger.GetHistoryAsync(violation.FindingId);
        Assert.Equal(before[0], after[0]);
        Assert.Equal("escalated", after[^1].Action);
    }

    [Fact]
    public async Task The_audit_export_of_a_finding_that_owes_its_line_carries_the_created_line()
    {
        var kit = await LedgerTestKit.CreateAsync(dynamo);
        var violation = LedgerTestKit.Finding(LedgerTestKit.PatchRule, Resource, kit.Now.AddMinutes(-5));
        await kit.Ledger.RecordAsync([violation], kit.Context);
        Assert.Equal("created", (await kit.Ledger.GetAsync(violation.FindingId))!.OwedLine);
        Assert.Empty(TableSnapshot.OfType(await TableSnapshot.TakeAsync(dynamo.Client, kit.Table), LedgerItems.HistoryEntity));

        // The CSV is the auditor's package: one row per history line. The owed line is there, said by the rule, at creation.
        var csv = await IsmsServerless.Cli.ExportCommand.RunAsync(dynamo.Client, kit.Table, kit.Now.AddDays(-1), kit.Now.AddDays(1), "csv", kit.Now);
        var row = Assert.Single(csv.Split("\r\n", StringSplitOptions.RemoveEmptyEntries), r => r.StartsWith("finding," + violation.FindingId + ",", StringComparison.Ordinal));
        Assert.Contains(",created,", row, StringComparison.Ordinal);
        Assert.Contains("rule:" + LedgerTestKit.PatchRule.Id, row, StringComparison.Ordinal);
    }

    private async Task<SortedSet<string>> WithoutVersionAsync(string table)
    {
        // The counters complete (the stream drained), the projector's markers left out (bookkeeping; TableSnapshot says why).
        await StreamDrain.DrainAsync(dynamo.Client, table);
        var items = new SortedSet<string>(StringComparer.Ordinal);
        Dictionary<string, AttributeValue>? start = null;
        do
        {
            var page = await dynamo.Client.ScanAsync(new ScanRequest { TableName = table, ExclusiveStartKey = start, ConsistentRead = true });
            foreach (var item in page.Items)
            {
                if (item.GetValueOrDefault("entityType")?.S is LedgerItems.AlertEntity or IsmsServerless.CounterProjection.CounterProjector.MarkerEntity) continue;
                items.Add(TableSnapshot.Canonical(item.Where(a => a.Key != "version").ToDictionary(a => a.Key, a => a.Value)));
            }
            start = page.LastEvaluatedKey is { Count: > 0 } next ? next : null;
        }
        while (start is not null);
        return items;
    }
}
