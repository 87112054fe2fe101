using Amazon.DynamoDBv2.Model;
using IsmsServerless.Changes;
using IsmsServerless.Engine;
using IsmsServerless.Ledger;
using IsmsServerless.Model;
using IsmsServerless.Settings;
using IsmsServerless.Sweep;
using IsmsServerless.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace IsmsServerless.Tests.Changes;

/// <summary>
/// Review deadlines, reminders, the overdue finding and the review that resolves it: the change register, the sweep
/// step and the real DynamoDB findings ledger on DynamoDB Local, with a FakeTimeProvider for time.
/// </summary>
[Collection(DynamoDbCollection.Name)]
public sealed class ChangeReviewTests(DynamoDbLocalFixture dynamo)
{
    private static readonly RuleRegistry Registry = RuleRegistry.CreateDefault();
    private static readonly IsmsSettings Settings = IsmsSettings.Default;

    private sealed record Harness(string Table, DynamoChangeRegister Register, DynamoDbFindingLedger Ledger, FakeTimeProvider Clock, string ChangeId)
    {
        public ChangeReviewService Service => new(Register, Ledger, Registry, Settings, Clock);

        public SweepContext Sweep(DynamoDbLocalFixture dynamo) => new(dynamo.Client, Table, Ledger, new EvaluationContext(Settings, Clock));

        public string OverdueFindingId(ChangeRecord record) =>
            FindingIdentity.Compute("change.review-overdue", record.AccountId, record.Region, record.ChangeId, "");
    }

    private async Task<Harness> RecordThienSessionAsync()
    {
        var table = await dynamo.NewTableAsync("review");
        var register = new DynamoChangeRegister(dynamo.Client, table, Settings);
        var calls = ChangeTestData.ThienCalls();
        foreach (var call in calls) await register.RecordAsync(call);
        var clock = new FakeTimeProvider(ChangeTestData.ThienLastCall);
        return new Harness(table, register, new DynamoDbFindingLedger(dynamo.Client, table, Settings), clock, calls[0].ChangeId);
    }

    private async Task<bool> AlertExistsAsync(string table, string alertId) =>
        (await dynamo.Client.GetItemAsync(new GetItemRequest
        {
            TableName = table,
            Key = new() { ["PK"] = new() { S = "ALERT#" + alertId }, ["SK"] = new() { S = "ALERT" } },
            ConsistentRead = true,
        })).Item is { Count: > 0 };

    [Theory]
    [InlineData("thien")]
    [InlineData("Thien ")]
    [InlineData("arn:aws:iam::014824332634:user/thien")]
    [InlineData("thien@qwestly.example")]
    public async Task The_person_who_made_the_change_cannot_review_it(string reviewer)
    {
        var h = await RecordThienSessionAsync();
        var ex = await Assert.ThrowsAsync<ChangeReviewException>(() =>
            h.Service.ReviewAsync(new ReviewRequest(h.ChangeId, reviewer, "approved", "https://jira.example/browse/OPS-1")));
        Assert.Equal(ChangeReviewError.SelfReview, ex.Error);
        Assert.Contains("four-eyes", ex.Message, StringComparison.Ordinal);
        Assert.Null((await h.Register.GetAsync(h.ChangeId))!.Review);
    }

    [Theory]
    [InlineData("ok", "https://jira.example/browse/OPS-1", "verdict")]
    [InlineData("approved", "http://jira.example/browse/OPS-1", "https://")]
    [InlineData("approved", "javascript:alert(1)", "https://")]
    [InlineData("approved", "https://user:secret@jira.example/OPS-1", "https://")]
    [InlineData("approved", "https://jira.example/a b", "https://")]
    [InlineData("rejected", null, "needs a ticket")]
    [InlineData("needs-follow-up", "", "needs a ticket")]
    public async Task Invalid_reviews_are_refused_with_a_reason(string verdict, string? ticket, string reason)
    {
        var h = await RecordThienSessionAsync();
        var ex = await Assert.ThrowsAsync<ChangeReviewException>(() => h.Service.ReviewAsync(new ReviewRequest(h.ChangeId, "alice", verdict, ticket)));
        Assert.Equal(ChangeReviewError.Invalid, ex.Error);
        Assert.Contains(reason, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unknown_and_malformed_change_ids_are_refused()
    {
        var h = await RecordThienSessionAsync();
        Assert.Equal(ChangeReviewError.NotFound, (await Assert.ThrowsAsync<ChangeReviewException>(() =>
            h.Service.ReviewAsync(new ReviewRequest("chg-ffffffffffffffffffffffff", "alice", "approved")))).Error);
        Assert.Equal(ChangeReviewError.Invalid, (await Assert.ThrowsAsync<ChangeReviewException>(() =>
            h.Service.ReviewAsync(new ReviewRequest("CHANGE#x<script>", "alice", "approved")))).Error);
        Assert.Equal(ChangeReviewError.Invalid, (await Assert.ThrowsAsync<ChangeReviewException>(() =>
            h.Service.ReviewAsync(new ReviewRequest(h.ChangeId, "alice\u0007", "approved")))).Error);
    }

    [Fact]
    public async Task A_review_is_stored_once_and_moves_the_change_from_pending_to_reviewed()
    {
        var h = await RecordThienSessionAsync();
        h.Clock.SetUtcNow(ChangeTestData.ThienFirstCall.AddHours(3));
        var reviewed = await h.Service.ReviewAsync(new ReviewRequest(h.ChangeId, "alice", "needs-follow-up", "https://jira.example/browse/OPS-42", "fold the role deletion into the CDK app"));
        var review = reviewed.Review!;
        Assert.Equal(("alice", ReviewVerdict.NeedsFollowUp, "https://jira.example/browse/OPS-42"), (review.Reviewer, review.Verdict, review.TicketUrl));
        Assert.Equal(ChangeTestData.ThienFirstCall.AddHours(3), review.ReviewedAt);

        Assert.Empty(await h.Service.ListPendingAsync());
        Assert.Equal(h.ChangeId, Assert.Single(await h.Service.ListReviewedAsync()).Change.ChangeId);
        var again = await Assert.ThrowsAsync<ChangeReviewException>(() => h.Service.ReviewAsync(new ReviewRequest(h.ChangeId, "bob", "approved")));
        Assert.Equal(ChangeReviewError.AlreadyReviewed, again.Error);
        Assert.Contains("alice", again.Message, StringComparison.Ordinal);
        // Reviewed in time: no timers left, so no reminder and no overdue finding ever.
        Assert.Empty(await h.Register.QueryTimersDueAsync(ChangeTestData.ThienFirstCall.AddDays(30), 10));
        var detail = (await h.Service.GetAsync(h.ChangeId))!;
        Assert.Equal(5, detail.Calls.Count);
        Assert.False(detail.Summary.Overdue);
    }

    [Fact]
    public async Task Reminders_at_50_and_90_percent_then_a_high_overdue_finding_that_the_review_resolves()
    {
        var h = await RecordThienSessionAsync();
        var step = new ChangeReviewDeadlineStep(Registry);
        var first = ChangeTestData.ThienFirstCall;

        h.Clock.SetUtcNow(first.AddHours(11));
        Assert.Equal(0, (await step.RunAsync(h.Sweep(dynamo), default)).Examined);

        h.Clock.SetUtcNow(first.AddHours(12));
        var remind1 = await step.RunAsync(h.Sweep(dynamo), default);
        Assert.Contains(remind1.Notes, n => n.StartsWith("reminder 1", StringComparison.Ordinal));
        Assert.True(await AlertExistsAsync(h.Table, h.ChangeId + "-reminder-1"));
        Assert.Equal(0, (await step.RunAsync(h.Sweep(dynamo), default)).Examined); // sent once

        h.Clock.SetUtcNow(first.AddHours(21.6));
        await step.RunAsync(h.Sweep(dynamo), default);
        Assert.True(await AlertExistsAsync(h.Table, h.ChangeId + "-reminder-2"));
        var summary = Assert.Single(await h.Service.ListPendingAsync());
        Assert.Equal(SlaState.AtRisk, summary.State);

        // Exactly at the deadline the change is still within its 24 hours.
        h.Clock.SetUtcNow(first.AddHours(24));
        Assert.Equal(0, (await step.RunAsync(h.Sweep(dynamo), default)).Findings);

        h.Clock.SetUtcNow(first.AddHours(24).AddMilliseconds(1));
        var overdue = await step.RunAsync(h.Sweep(dynamo), default);
        Assert.Equal(1, overdue.Findings);
        var record = (await h.Register.GetAsync(h.ChangeId))!;
        var finding = (await h.Ledger.GetAsync(h.OverdueFindingId(record)))!;
        Assert.Equal((FindingStatus.Open, Severity.High, "change.review-overdue"), (finding.Status, finding.Severity, finding.RuleId));
        Assert.Equal(h.ChangeId, finding.ResourceId);
        Assert.True(Assert.Single(await h.Service.ListPendingAsync()).Overdue);
        Assert.Equal(0, (await step.RunAsync(h.Sweep(dynamo), default)).Findings); // raised once

        h.Clock.SetUtcNow(first.AddHours(30));
        var reviewed = await h.Service.ReviewAsync(new ReviewRequest(h.ChangeId, "alice", "approved", "https://jira.example/browse/OPS-7"));
        Assert.True(reviewed.FindingResolved);
        Assert.Equal(FindingStatus.Resolved, (await h.Ledger.GetAsync(h.OverdueFindingId(record)))!.Status);
        Assert.Empty(await h.Register.QueryTimersDueAsync(first.AddDays(30), 10));
    }

    [Fact]
    public async Task A_sweep_that_was_down_sends_only_the_overdue_finding_not_stale_reminders()
    {
        var h = await RecordThienSessionAsync();
        h.Clock.SetUtcNow(ChangeTestData.ThienFirstCall.AddHours(40));
        var result = await new ChangeReviewDeadlineStep(Registry).RunAsync(h.Sweep(dynamo), default);
        Assert.Equal(1, result.Findings);
        Assert.False(await AlertExistsAsync(h.Table, h.ChangeId + "-reminder-1"));
        Assert.False(await AlertExistsAsync(h.Table, h.ChangeId + "-reminder-2"));
    }

    [Fact]
    public async Task A_review_whose_ledger_write_failed_is_resolved_by_the_next_sweep()
    {
        var h = await RecordThienSessionAsync();
        var step = new ChangeReviewDeadlineStep(Registry);
        h.Clock.SetUtcNow(ChangeTestData.ThienFirstCall.AddHours(25));
        await step.RunAsync(h.Sweep(dynamo), default);
        var record = (await h.Register.GetAsync(h.ChangeId))!;

        // Review without a ledger (as if the ledger call failed): the review stands, the finding is still open.
        h.Clock.SetUtcNow(ChangeTestData.ThienFirstCall.AddHours(26));
        var offline = new ChangeReviewService(h.Register, null, Registry, Settings, h.Clock);
        var reviewed = await offline.ReviewAsync(new ReviewRequest(h.ChangeId, "alice", "approved"));
        Assert.False(reviewed.FindingResolved);
        Assert.Equal(FindingStatus.Open, (await h.Ledger.GetAsync(h.OverdueFindingId(record)))!.Status);

        var sweep = await step.RunAsync(h.Sweep(dynamo), default);
        Assert.Equal(1, sweep.Resolved);
        Assert.Equal(FindingStatus.Resolved, (await h.Ledger.GetAsync(h.OverdueFindingId(record)))!.Status);
        Assert.Empty(await h.Register.QueryTimersDueAsync(ChangeTestData.ThienFirstCall.AddDays(30), 10));
    }
}
