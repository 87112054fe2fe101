using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using IsmsServerless.Backups;
using IsmsServerless.Engine;
using IsmsServerless.Ledger;
using IsmsServerless.Model;
using IsmsServerless.Obligations;
using IsmsServerless.Pipeline;
using IsmsServerless.Rules.Backup;
using IsmsServerless.Settings;
using IsmsServerless.Sweep;
using IsmsServerless.Tests.Drift;
using IsmsServerless.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace IsmsServerless.Tests.Backup;

/// <summary>
/// Replaying old events (`./isms replay`, a backlog after an outage) must not raise clocks as if they had been missed
/// live. A cycle opened after its own deadline waits <see cref="BackupObligations.Settle"/> (the grace hours) before the
/// sweep may raise it, so the rest of the replay can satisfy it; what is still unsatisfied is then raised once, dated by
/// its real deadline. On DynamoDB Local with a fake clock; the sweep runs after every replayed event.
/// </summary>
[Collection(DynamoDbCollection.Name)]
public sealed class BackupReplayTests(DynamoDbLocalFixture dynamo)
{
    private const string Table = "arn:aws:dynamodb:us-east-2:123456789012:table/test";
    private const string Account = "123456789012";
    private static readonly DateTimeOffset T0 = DateTimeOffset.Parse("2026-03-01T00:00:00Z", CultureInfo.InvariantCulture);

    /// <summary>The replay runs a fortnight after the week it replays.</summary>
    private static readonly DateTimeOffset ReplayedAt = T0.AddDays(14);

    /// <summary>The last replayed backup (day 7, 05:00) opens the cycle nothing satisfies: due 24 h + 2 h grace later.</summary>
    private static readonly DateTimeOffset LastCycleDue = T0.AddDays(7).AddHours(5 + 26);

    private sealed record Kit(IngestPipeline Pipeline, DynamoDbFindingLedger Ledger, DynamoObligationStore Store, FakeTimeProvider Clock, string TableName);

    private async Task<Kit> NewAsync(DateTimeOffset now)
    {
        var table = await dynamo.NewTableAsync("backup-replay");
        var settings = IsmsSettings.Default;
        var ledger = new DynamoDbFindingLedger(dynamo.Client, table, settings);
        var pipeline = new IngestPipeline(RuleEngine.CreateDefault(), [], ledger, null, RecordedHooks.Default(dynamo.Client, table, settings));
        return new Kit(pipeline, ledger, new DynamoObligationStore(dynamo.Client, table, settings), new FakeTimeProvider(now), table);
    }

    private static EvaluationContext Context(FakeTimeProvider clock) => new(IsmsSettings.Default, clock);

    private Task<SweepStepResult> SweepAsync(Kit kit) =>
        new ObligationSweepStep(RuleRegistry.CreateDefault()).RunAsync(new SweepContext(dynamo.Client, kit.TableName, kit.Ledger, Context(kit.Clock)), CancellationToken.None);

    /// <summary>Each event is ingested, then the sweep runs (as the scheduled sweep would, during a long replay).</summary>
    private async Task<int> ReplayAsync(Kit kit, IEnumerable<byte[]> events)
    {
        var raised = 0;
        foreach (var payload in events)
        {
            var result = await kit.Pipeline.ProcessAsync(payload, Context(kit.Clock));
            Assert.Null(result.Engine.Error);
            raised += (await SweepAsync(kit)).Findings;
        }
        return raised;
    }

    private static byte[] TableSeen(DateTimeOffset captured)
    {
        var item = DriftPayloads.Item("ci-dynamodb-table-rdk.json");
        item["configurationItemCaptureTime"] = Timestamps.ToWire(captured);
        return DriftPayloads.ItemChange(item, "UPDATE", Account, "us-east-2");
    }

    /// <summary>AWS Backup's documented COMPLETED backup and copy job events, moved onto the table and the day.</summary>
    private static byte[] Job(string fixture, DateTimeOffset completed, bool copy)
    {
        var node = JsonNode.Parse(Fixtures.Local("backup/" + fixture))!.AsObject();
        node["id"] = Guid.NewGuid().ToString();
        node["account"] = Account;
        node["region"] = "us-east-2";
        node["time"] = Timestamps.ToWire(completed.AddSeconds(10));
        var d = node["detail"]!.AsObject();
        if (d.ContainsKey("creationDate")) d["creationDate"] = Timestamps.ToWire(completed.AddMinutes(-5));
        d["completionDate"] = Timestamps.ToWire(completed);
        d["resourceArn"] = Table;
        d["resourceType"] = "DynamoDB";
        if (copy)
        {
            d["sourceBackupVaultArn"] = $"arn:aws:backup:us-east-2:{Account}:backup-vault:Default";
            d["destinationBackupVaultArn"] = $"arn:aws:backup:us-west-2:{Account}:backup-vault:Default";
        }
        return Encoding.UTF8.GetBytes(node.ToJsonString());
    }

    /// <summary>A week of a healthy table: in scope at T0, then each day a backup at 05:00 and its copy at 06:00.</summary>
    private static List<byte[]> Week()
    {
        var events = new List<byte[]> { TableSeen(T0) };
        for (var day = 1; day <= 7; day++)
        {
            events.Add(Job("eb-backup-job-completed-docs.json", T0.AddDays(day).AddHours(5), copy: false));
            events.Add(Job("eb-copy-job-completed-docs.json", T0.AddDays(day).AddHours(6), copy: true));
        }
        return events;
    }

    private async Task<List<FindingRecord>> MissedAsync(Kit kit) =>
        [.. (await kit.Ledger.QueryByResourceAsync(Table, 50)).Items.Where(f => f.RuleId == ClockMissedRule.RuleId)];

    private async Task<List<(string Kind, DateTimeOffset DueAt)>> OpenAsync(Kit kit)
    {
        var open = new List<(string, DateTimeOffset)>();
        foreach (var kind in BackupObligations.Kinds)
            open.AddRange((await kit.Store.QueryKindAsync(kind, 100)).Items.Where(o => !o.Done).Select(o => (o.Kind, o.DueAt)));
        return [.. open.OrderBy(o => o.Item1, StringComparer.Ordinal)];
    }

    /// <summary>After the replay: the settle window passes, then the one cycle nothing satisfied is raised once, with its real dates.</summary>
    private async Task AssertRaisedOnceAfterSettleAsync(Kit kit)
    {
        Assert.Equal(
            [(BackupObligations.DailyKind, LastCycleDue), (BackupObligations.RestoreTestKind, T0.AddDays(92))],
            await OpenAsync(kit));
        Assert.Empty(await MissedAsync(kit));

        kit.Clock.SetUtcNow(ReplayedAt + BackupObligations.Settle(IsmsSettings.Default.Backup) - TimeSpan.FromMinutes(1));
        Assert.Equal(0, (await SweepAsync(kit)).Findings);
        kit.Clock.SetUtcNow(ReplayedAt + BackupObligations.Settle(IsmsSettings.Default.Backup) + TimeSpan.FromMinutes(1));
        Assert.Equal(1, (await SweepAsync(kit)).Findings);
        Assert.Equal(0, (await SweepAsync(kit)).Findings);

        var missed = Assert.Single(await MissedAsync(kit));
        Assert.Equal((BackupObligations.DailyKind, FindingStatus.Open), (missed.SubKey, missed.Status));
        Assert.Equal(Timestamps.ToWire(LastCycleDue), missed.Evidence["dueAt"]);
        Assert.Equal("true", missed.Evidence["openedLate"]);
        Assert.Equal(Timestamps.ToWire(ReplayedAt), missed.Evidence["openedAt"]);
    }

    [Fact]
    public async Task Replaying_a_week_old_event_set_in_order_raises_nothing_the_replay_itself_satisfies()
    {
        var kit = await NewAsync(ReplayedAt);
        // Every cycle the replay opens (first-seen, days 1-6, each copy) is already past its deadline when opened, and the
        // next replayed event satisfies it: none may be raised, though a sweep runs between every two events.
        Assert.Equal(0, await ReplayAsync(kit, Week()));
        await AssertRaisedOnceAfterSettleAsync(kit);
    }

    [Fact]
    public async Task Replaying_the_same_week_in_reversed_order_ends_in_the_same_state()
    {
        var kit = await NewAsync(ReplayedAt);
        var reversed = Week();
        reversed.Reverse();
        Assert.Equal(0, await ReplayAsync(kit, reversed));
        await AssertRaisedOnceAfterSettleAsync(kit);
    }

    [Fact]
    public async Task A_cycle_opened_live_is_raised_at_the_first_sweep_after_the_sweep_was_down_across_its_deadline()
    {
        var kit = await NewAsync(T0.AddMinutes(1));
        await ReplayAsync(kit, [TableSeen(T0), Job("eb-backup-job-completed-docs.json", T0.AddHours(1), copy: false),
            Job("eb-copy-job-completed-docs.json", T0.AddHours(2), copy: true)]);
        // Down from T0 to T0+3d: the daily cycle (due T0+27h) was opened live, so no settle window applies.
        kit.Clock.SetUtcNow(T0.AddDays(3));
        Assert.Equal(1, (await SweepAsync(kit)).Findings);
        var missed = Assert.Single(await MissedAsync(kit));
        Assert.Equal(Timestamps.ToWire(T0.AddHours(27)), missed.Evidence["dueAt"]);
        Assert.False(missed.Evidence.ContainsKey("openedLate"));
        Assert.Equal(0, (await SweepAsync(kit)).Findings);
    }

    [Fact]
    public void A_late_opened_obligation_keeps_its_stage_count_and_fires_no_stale_reminder()
    {
        var due = T0.AddHours(1);
        var spec = new ObligationSpec
        {
            Kind = "incident.acknowledge", Subject = "inc-000000000000000000000000", Title = "t", OpensAt = T0, DueAt = due,
            Reminders = [T0.AddMinutes(30)], LateOpenSettle = TimeSpan.FromHours(1),
        };
        var late = new Obligation { Id = "obl-000000000000000000000000", Spec = spec, CreatedAt = T0.AddDays(7) };
        Assert.True(ObligationSchedule.OpenedLate(late));
        Assert.Equal([T0.AddDays(7).AddHours(1), T0.AddDays(7).AddHours(1)], ObligationSchedule.Timers(late));
        Assert.Equal((ObligationTimerAction.None, 0), ObligationSchedule.Due(late, T0.AddDays(7).AddMinutes(59)));
        Assert.Equal((ObligationTimerAction.Overdue, 2), ObligationSchedule.Due(late, T0.AddDays(7).AddHours(1)));
        Assert.True(ObligationSchedule.OverdueRaised(late with { Stage = 2 }));

        // Opened before its deadline (live), or without the opt-in: the ordinary timers.
        var live = late with { CreatedAt = T0.AddMinutes(5) };
        Assert.False(ObligationSchedule.OpenedLate(live));
        Assert.Equal(ObligationSchedule.Timers(spec), ObligationSchedule.Timers(live));
        var notOptedIn = late with { Spec = spec with { LateOpenSettle = null } };
        Assert.Equal((ObligationTimerAction.Overdue, 2), ObligationSchedule.Due(notOptedIn, T0.AddDays(7)));
    }
}
