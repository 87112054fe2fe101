using Amazon.DynamoDBv2.Model;
using IsmsServerless.Changes;
using IsmsServerless.Engine;
using IsmsServerless.Ledger;
using IsmsServerless.Obligations;
using IsmsServerless.Settings;
using IsmsServerless.Tests.Changes;
using IsmsServerless.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace IsmsServerless.Tests.Obligations;

/// <summary>
/// Issue 20 wave 7: a change review has no open/done (GSI3) entry of its own; the calendar lists it from the change
/// register's index. Items written before (with an <c>OBLIGATION#OPEN</c> entry) still read, are listed once, and their
/// attestation rewrites them in the new layout.
/// </summary>
[Collection(DynamoDbCollection.Name)]
public sealed class ChangeReviewListingTests(DynamoDbLocalFixture dynamo)
{
    private static readonly IsmsSettings Settings = IsmsSettings.Default;

    private static AttestationService Calendar(DynamoObligationStore store, DynamoChangeRegister register, TimeProvider clock) =>
        new(store, Settings, clock, "111122223333", "eu-west-1", new ChangeReviewListing(register));

    [Fact]
    public async Task The_calendar_lists_open_and_reviewed_changes_from_the_register_among_the_duties_in_the_index_orders()
    {
        var table = await dynamo.NewTableAsync("chg-listing");
        var register = new DynamoChangeRegister(dynamo.Client, table, Settings);
        var store = new DynamoObligationStore(dynamo.Client, table, Settings);
        var first = ChangeTestData.ThienCalls()[0];
        // Three one-call changes a day apart, and a duty due between the first two.
        var calls = Enumerable.Range(0, 3).Select(i => first with { ChangeId = $"chg-{i:D24}", EventId = $"{first.EventId}-{i}", EventTime = first.EventTime.AddDays(i) }).ToList();
        foreach (var call in calls) await register.RecordAsync(call);
        var duty = await store.OpenAsync(ObligationStoreTests.Spec("restore-test", due: first.EventTime.AddHours(36), kind: "duty.restore-test") with { OpensAt = first.EventTime }, first.EventTime);
        var clock = new FakeTimeProvider(first.EventTime.AddHours(1));
        var review = new ChangeReviewService(register, new DynamoDbFindingLedger(dynamo.Client, table, Settings), RuleRegistry.CreateDefault(), Settings, clock);
        await review.ReviewAsync(new ReviewRequest(calls[1].ChangeId, "alice", "approved", "https://jira.example/browse/OPS-1"));

        // (The manual console change's review also opened its change.code-update obligation, in the open index as before.)
        var lines = (await Calendar(store, register, clock).ListAsync()).Where(l => l.Obligation.Kind != ChangeCodeUpdateObligations.Kind).ToList();
        Assert.Equal(
            [(ChangeReviewObligations.IdOf(calls[0].ChangeId), false), (duty.Obligation.Id, false), (ChangeReviewObligations.IdOf(calls[2].ChangeId), false),
             (ChangeReviewObligations.IdOf(calls[1].ChangeId), true)],
            lines.Select(l => (l.Obligation.Id, l.Obligation.Done)).ToArray());
        // The bounds hold for the merged lists: one open line, one done line.
        var bounded = await Calendar(store, register, clock).ListAsync(limit: 1, doneLimit: 1);
        Assert.Equal([ChangeReviewObligations.IdOf(calls[0].ChangeId), ChangeReviewObligations.IdOf(calls[1].ChangeId)], bounded.Select(l => l.Obligation.Id).ToArray());
        // The open/done index itself holds no change review now: the duty-state and backup scans no longer page through them.
        Assert.Equal([duty.Obligation.Id], (await store.QueryOpenAsync(100)).Items.Where(o => o.Kind != ChangeCodeUpdateObligations.Kind).Select(o => o.Id).ToArray());
        Assert.Empty((await store.QueryDoneAsync(100)).Items);
    }

    [Fact]
    public async Task A_change_review_written_with_an_open_entry_is_listed_once_and_its_attestation_writes_the_new_layout()
    {
        var table = await dynamo.NewTableAsync("chg-listing-old");
        var register = new DynamoChangeRegister(dynamo.Client, table, Settings);
        var store = new DynamoObligationStore(dynamo.Client, table, Settings);
        var call = ChangeTestData.ThienCalls()[0];
        await register.RecordAsync(call);
        var id = ChangeReviewObligations.IdOf(call.ChangeId);
        var opened = (await store.GetAsync(id))!;
        // The layout before issue 20 wave 7: the same item with its OBLIGATION#OPEN entry (due time, then id).
        await dynamo.Client.UpdateItemAsync(new UpdateItemRequest
        {
            TableName = table,
            Key = new() { ["PK"] = new AttributeValue { S = "OBLIGATION#" + id }, ["SK"] = new AttributeValue { S = "OBLIGATION" } },
            UpdateExpression = "SET GSI3PK = :pk, GSI3SK = :sk",
            ExpressionAttributeValues = new()
            {
                [":pk"] = new AttributeValue { S = "OBLIGATION#OPEN" },
                [":sk"] = new AttributeValue { S = LedgerKeys.Instant(opened.DueAt) + "#" + id },
            },
        });
        var old = (await store.GetAsync(id))!;
        Assert.Equal((opened.DueAt, opened.Spec.Title, false), (old.DueAt, old.Spec.Title, old.Spec.StateIndexed));
        Assert.Single((await store.QueryOpenAsync(10)).Items, o => o.Id == id);

        var clock = new FakeTimeProvider(call.EventTime.AddHours(1));
        Assert.Single(await Calendar(store, register, clock).ListAsync(), l => l.Obligation.Id == id);

        var review = new ChangeReviewService(register, new DynamoDbFindingLedger(dynamo.Client, table, Settings), RuleRegistry.CreateDefault(), Settings, clock);
        await review.ReviewAsync(new ReviewRequest(call.ChangeId, "alice", "approved", "https://jira.example/browse/OPS-1"));
        var raw = (await dynamo.Client.GetItemAsync(new GetItemRequest
        {
            TableName = table,
            Key = new() { ["PK"] = new AttributeValue { S = "OBLIGATION#" + id }, ["SK"] = new AttributeValue { S = "OBLIGATION" } },
            ConsistentRead = true,
        })).Item;
        Assert.DoesNotContain(raw.Keys, k => k.StartsWith("GSI3", StringComparison.Ordinal));
        Assert.False(raw.ContainsKey("stateIndexed")); // the kind's default, not stored
        Assert.DoesNotContain((await store.QueryOpenAsync(10)).Items, o => o.Kind == ChangeReviewObligations.Kind);
        Assert.Single(await Calendar(store, register, clock).ListAsync(), l => l.Obligation.Id == id && l.Obligation.Done);
    }
}
