using Amazon.DynamoDBv2.Model;
using IsmsServerless.Changes;
using IsmsServerless.Engine;
using IsmsServerless.Ledger;
using IsmsServerless.Model;
using IsmsServerless.Obligations;
using IsmsServerless.Settings;
using IsmsServerless.Sweep;
using IsmsServerless.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace IsmsServerless.Tests.Changes;

/// <summary>
/// Issue 20 wave 9: a change review is opened without a timer index entry when the change sweep has not read that far;
/// the sweep finds its first timer from the change record's <c>CHANGE#PENDING</c> entry (<see cref="PendingChangeTimers"/>)
/// and from then on it is timed by the index like every obligation. Late deliveries, obligations written before, a
/// missing obligation and an opener that raced the sweep's claim all still fire, once and on time. DynamoDB Local, fake clock.
/// </summary>
[Collection(DynamoDbCollection.Name)]
public sealed class ChangePendingTimerTests(DynamoDbLocalFixture dynamo)
{
    private static readonly RuleRegistry Registry = RuleRegistry.CreateDefault();
    private static readonly IsmsSettings Settings = IsmsSettings.Default;
    private static readonly DateTimeOffset First = ChangeTestData.ThienFirstCall;

    private SweepContext Sweep(string table, FakeTimeProvider clock) =>
        new(dynamo.Client, table, new DynamoDbFindingLedger(dynamo.Client, table, Settings), new EvaluationContext(Settings, clock));

    /// <summary>Another session's one call at <paramref name="at"/> (same shape as Thien's first call).</summary>
    private static ChangeCall Session(string hex, DateTimeOffset at) => ChangeTestData.ThienCalls()[0] with
    {
        ChangeId = "chg-" + hex.PadLeft(24, '0'),
        EventId = "evt-" + hex,
        EventTime = at,
        SessionKey = "test|" + hex,
    };

    private async Task<Dictionary<string, AttributeValue>> ObligationItemAsync(string table, string changeId) =>
        (await dynamo.Client.GetItemAsync(new GetItemRequest
        {
            TableName = table,
            Key = new()
            {
                [LedgerSchema.PartitionKey] = new() { S = "OBLIGATION#" + ChangeReviewObligations.IdOf(changeId) },
                [LedgerSchema.SortKey] = new() { S = "OBLIGATION" },
            },
            ConsistentRead = true,
        })).Item;

    private async Task<bool> AlertExistsAsync(string table, string alertId) =>
        (await dynamo.Client.GetItemAsync(new GetItemRequest
        {
            TableName = table,
            Key = new() { ["PK"] = new() { S = "ALERT#" + alertId }, ["SK"] = new() { S = "ALERT" } },
            ConsistentRead = true,
        })).Item is { Count: > 0 };

    [Fact]
    public async Task A_review_opened_ahead_of_the_sweep_is_indexed_only_when_its_first_reminder_fires()
    {
        var table = await dynamo.NewTableAsync("pend-ahead");
        var register = new DynamoChangeRegister(dynamo.Client, table, Settings);
        var calls = ChangeTestData.ThienCalls();
        foreach (var call in calls) await register.RecordAsync(call);
        var changeId = calls[0].ChangeId;
        Assert.DoesNotContain("GSI4PK", (await ObligationItemAsync(table, changeId)).Keys);

        var clock = new FakeTimeProvider(First.AddHours(11));
        var step = new ChangeReviewDeadlineStep(Registry);
        Assert.Equal(0, (await step.RunAsync(Sweep(table, clock), default)).Examined);
        Assert.DoesNotContain("GSI4PK", (await ObligationItemAsync(table, changeId)).Keys);

        // At 50% of the window: the reminder, found from the record's pending entry; the next timer (90%) is indexed.
        clock.SetUtcNow(First.AddHours(12));
        var remind = await step.RunAsync(Sweep(table, clock), default);
        Assert.Equal(1, remind.Examined);
        Assert.True(await AlertExistsAsync(table, changeId + "-reminder-1"));
        var item = await ObligationItemAsync(table, changeId);
        Assert.StartsWith(Timestamps.ToWire(First.AddHours(21.6)), item["GSI4SK"].S, StringComparison.Ordinal);
        Assert.DoesNotContain("timerIndexed", item.Keys);
        Assert.Equal(0, (await step.RunAsync(Sweep(table, clock), default)).Examined); // once

        clock.SetUtcNow(First.AddHours(21.6));
        await step.RunAsync(Sweep(table, clock), default);
        Assert.True(await AlertExistsAsync(table, changeId + "-reminder-2"));
        clock.SetUtcNow(First.AddHours(24).AddMilliseconds(1));
        Assert.Equal(1, (await step.RunAsync(Sweep(table, clock), default)).Findings);
        Assert.Equal(0, (await step.RunAsync(Sweep(table, clock), default)).Findings);
    }

    [Fact]
    public async Task A_change_delivered_behind_the_sweeps_claim_is_indexed_at_once_and_raised_by_the_next_sweep()
    {
        var table = await dynamo.NewTableAsync("pend-late");
        var register = new DynamoChangeRegister(dynamo.Client, table, Settings);
        var now = DateTimeOffset.Parse("2026-11-26T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture);
        var clock = new FakeTimeProvider(now);
        var step = new ChangeReviewDeadlineStep(Registry);
        await step.RunAsync(Sweep(table, clock), default); // claims now + 12 h

        // A backlog: a session three days old, delivered now. Its due time is behind the claim: indexed at once.
        var late = Session("a1", now.AddDays(-3));
        await register.RecordAsync(late);
        Assert.Contains("GSI4PK", (await ObligationItemAsync(table, late.ChangeId)).Keys);
        // A live session: due a day from now, ahead of the claim: left to its pending entry.
        var live = Session("b2", now.AddMinutes(1));
        await register.RecordAsync(live);
        Assert.DoesNotContain("GSI4PK", (await ObligationItemAsync(table, live.ChangeId)).Keys);

        clock.SetUtcNow(now.AddMinutes(5));
        var result = await step.RunAsync(Sweep(table, clock), default);
        Assert.Equal(1, result.Findings);
        Assert.Contains(result.Notes, n => n.Contains(late.ChangeId, StringComparison.Ordinal) && n.StartsWith("overdue", StringComparison.Ordinal));

        clock.SetUtcNow(now.AddMinutes(1).AddHours(12));
        await step.RunAsync(Sweep(table, clock), default);
        Assert.True(await AlertExistsAsync(table, live.ChangeId + "-reminder-1"));
    }

    [Fact]
    public async Task A_review_obligation_written_before_with_its_timer_entry_fires_once_from_the_index()
    {
        var table = await dynamo.NewTableAsync("pend-legacy");
        var calls = ChangeTestData.ThienCalls();
        // The layout before: opened with its GSI4 timer entry (the public open indexes it).
        var store = new DynamoObligationStore(dynamo.Client, table, Settings);
        await store.OpenAsync(ChangeReviewObligations.Spec(ChangeRecordMerger.Start(calls[0]), Settings), First);
        var register = new DynamoChangeRegister(dynamo.Client, table, Settings);
        foreach (var call in calls) await register.RecordAsync(call);
        Assert.Contains("GSI4PK", (await ObligationItemAsync(table, calls[0].ChangeId)).Keys);

        var clock = new FakeTimeProvider(First.AddHours(12));
        var step = new ChangeReviewDeadlineStep(Registry);
        var result = await step.RunAsync(Sweep(table, clock), default);
        Assert.Equal(1, result.Examined);
        Assert.Single(result.Notes, n => n.StartsWith("reminder 1", StringComparison.Ordinal));
        Assert.True(await AlertExistsAsync(table, calls[0].ChangeId + "-reminder-1"));
        Assert.Equal(0, (await step.RunAsync(Sweep(table, clock), default)).Examined);
    }

    [Fact]
    public async Task A_pending_change_whose_obligation_was_never_written_gets_it_from_the_sweep()
    {
        var table = await dynamo.NewTableAsync("pend-missing");
        var calls = ChangeTestData.ThienCalls();
        var register = new DynamoChangeRegister(dynamo.Client, table, Settings);
        foreach (var call in calls) await register.RecordAsync(call);
        // As if the process died between the record's write and the obligation's, and the call was never redelivered.
        await dynamo.Client.DeleteItemAsync(new DeleteItemRequest
        {
            TableName = table,
            Key = new()
            {
                [LedgerSchema.PartitionKey] = new() { S = "OBLIGATION#" + ChangeReviewObligations.IdOf(calls[0].ChangeId) },
                [LedgerSchema.SortKey] = new() { S = "OBLIGATION" },
            },
        });

        var clock = new FakeTimeProvider(First.AddHours(40));
        var step = new ChangeReviewDeadlineStep(Registry);
        var findings = 0;
        for (var run = 0; run < 2; run++) findings += (await step.RunAsync(Sweep(table, clock), default)).Findings;
        Assert.Equal(1, findings);
        var obligation = await new DynamoObligationStore(dynamo.Client, table, Settings).GetAsync(ChangeReviewObligations.IdOf(calls[0].ChangeId));
        Assert.Equal((First.AddHours(24), ObligationState.Overdue), (obligation!.DueAt, obligation.StoredState));
        Assert.False(await AlertExistsAsync(table, calls[0].ChangeId + "-reminder-1"));
    }

    [Fact]
    public async Task An_opener_that_read_the_claim_before_a_sweep_moved_it_is_still_found_by_the_next_run()
    {
        var table = await dynamo.NewTableAsync("pend-race");
        var now = DateTimeOffset.Parse("2026-11-26T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture);
        var clock = new FakeTimeProvider(now);
        var step = new ChangeReviewDeadlineStep(Registry);
        await step.RunAsync(Sweep(table, clock), default); // claims now + 12 h
        clock.SetUtcNow(now.AddMinutes(5));
        await step.RunAsync(Sweep(table, clock), default); // claims now + 12 h 5 min; handled up to the first claim

        // An opener that read the cursor before the second claim: its review (due at now + 12 h 2 min, between the two
        // claims; first reminder at now + 2 min) was left unindexed, and its record appeared after that run's query.
        var call = Session("c3", now.AddHours(-12).AddMinutes(2));
        var store = new DynamoObligationStore(dynamo.Client, table, Settings);
        await store.OpenAsync(ChangeReviewObligations.Spec(ChangeRecordMerger.Start(call), Settings), call.EventTime, (_, _) => Task.FromResult(false), default);
        await new DynamoChangeRegister(dynamo.Client, table, Settings).RecordAsync(call);
        Assert.DoesNotContain("GSI4PK", (await ObligationItemAsync(table, call.ChangeId)).Keys);

        // The cursor never passes the claim of the run before: the next run reads that range again and fires it.
        clock.SetUtcNow(now.AddMinutes(10));
        var result = await step.RunAsync(Sweep(table, clock), default);
        Assert.Equal(1, result.Examined);
        Assert.True(await AlertExistsAsync(table, call.ChangeId + "-reminder-1"));
        Assert.Contains("GSI4PK", (await ObligationItemAsync(table, call.ChangeId)).Keys);
    }

    [Fact]
    public async Task A_review_whose_attestation_was_lost_on_an_unindexed_obligation_is_attested_by_the_sweep()
    {
        var table = await dynamo.NewTableAsync("pend-attest");
        var calls = ChangeTestData.ThienCalls();
        foreach (var call in calls) await new DynamoChangeRegister(dynamo.Client, table, Settings).RecordAsync(call);
        var id = ChangeReviewObligations.IdOf(calls[0].ChangeId);

        // The review's record write succeeds; every obligation write after it fails, as if the process died there.
        await using (var recorder = new ChangeSessionReadCostTests.Recorder(dynamo.Endpoint,
            (_, op) => op == "PutItem OBLIGATION" ? Robustness.Fault.InternalError : Robustness.Fault.None))
        {
            var clock = new FakeTimeProvider(First.AddHours(3));
            var register = new DynamoChangeRegister(recorder.Client, table, Settings);
            try
            {
                await new ChangeReviewService(register, new DynamoDbFindingLedger(recorder.Client, table, Settings), Registry, Settings, clock)
                    .ReviewAsync(new ReviewRequest(calls[0].ChangeId, "alice", "approved", "https://jira.example/browse/OPS-7"));
            }
            catch (Amazon.Runtime.AmazonServiceException)
            {
                // The process "died" after the record's write.
            }
        }
        Assert.NotNull((await new DynamoChangeRegister(dynamo.Client, table, Settings).GetAsync(calls[0].ChangeId))!.Review);
        var store = new DynamoObligationStore(dynamo.Client, table, Settings);
        Assert.False((await store.GetAsync(id))!.Done);

        var sweepClock = new FakeTimeProvider(First.AddHours(3).AddMinutes(5));
        var step = new ChangeReviewDeadlineStep(Registry);
        await step.RunAsync(Sweep(table, sweepClock), default);
        Assert.False((await store.GetAsync(id))!.Done); // read only once the review has settled

        sweepClock.SetUtcNow(First.AddHours(4));
        var result = await step.RunAsync(Sweep(table, sweepClock), default);
        Assert.Contains(result.Notes, n => n == "attested the review of " + calls[0].ChangeId);
        var attested = (await store.GetAsync(id))!;
        Assert.Equal(("alice", First.AddHours(3)), (attested.Attestation!.By, attested.Attestation.At));
        Assert.Equal(0, (await step.RunAsync(Sweep(table, sweepClock), default)).Examined);
    }

    [Fact]
    public async Task Runs_at_one_instant_read_nothing_past_the_cursor_and_fail_nothing()
    {
        var table = await dynamo.NewTableAsync("pend-still");
        var calls = ChangeTestData.ThienCalls();
        foreach (var call in calls) await new DynamoChangeRegister(dynamo.Client, table, Settings).RecordAsync(call);
        var clock = new FakeTimeProvider(First.AddHours(12));
        var step = new ChangeReviewDeadlineStep(Registry);
        var results = new List<SweepStepResult>();
        // The cursor reaches the bound on the second run; later runs at the same instant have nothing after it to read.
        for (var run = 0; run < 4; run++) results.Add(await step.RunAsync(Sweep(table, clock), default));
        Assert.Equal([1, 0, 0, 0], results.Select(r => r.Examined).ToArray());
        Assert.DoesNotContain(results.SelectMany(r => r.Notes), n => n.Contains("pending change timers", StringComparison.Ordinal) || n.StartsWith("failed", StringComparison.Ordinal));
    }
}
