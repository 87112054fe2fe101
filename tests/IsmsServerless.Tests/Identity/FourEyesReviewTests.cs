using System.Text;
using System.Text.Json;
using Amazon.DynamoDBv2.Model;
using IsmsServerless.Changes;
using IsmsServerless.Cli;
using IsmsServerless.Identity;
using IsmsServerless.Settings;
using IsmsServerless.Tests.Changes;
using IsmsServerless.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace IsmsServerless.Tests.Identity;

/// <summary>
/// Four-eyes on people through <c>./isms review</c> and <c>./isms changes</c> on DynamoDB Local: break-glass sessions,
/// look-alike names, unmapped authors, token identities, and calls after a review.
/// </summary>
[Collection(DynamoDbCollection.Name)]
public sealed class FourEyesReviewTests(DynamoDbLocalFixture dynamo)
{
    private static readonly IsmsSettings WithPeople = new() { People = [IdentityResolverTests.Alice, IdentityResolverTests.Bob] };
    private const string Ticket = "https://jira.example/browse/OPS-7";

    /// <summary>
    /// Cloud Custodian's real console sample (role Sandbox_Dev, session "user", shared/fixtures SOURCES.md) with the
    /// session renamed and the event id / time varied: the rename is the attack under test.
    /// </summary>
    internal static ChangeCall Call(string session, string eventId, DateTimeOffset at, IsmsSettings settings)
    {
        var text = Encoding.UTF8.GetString(Fixtures.Shared("cloudtrail/eb-api-call-s3-createbucket-assumedrole.json"))
            .Replace("Sandbox_Dev/user\"", "Sandbox_Dev/" + session + "\"", StringComparison.Ordinal)
            .Replace("AROAJCZT7HI7JILHGR6JS:user\"", "AROAJCZT7HI7JILHGR6JS:" + session + "\"", StringComparison.Ordinal)
            .Replace("80486b96-9f31-441e-b4e2-b85a4e520a07", eventId, StringComparison.Ordinal)
            .Replace("\"eventTime\": \"2015-11-23T07:45:25Z\"", "\"eventTime\": \"" + at.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture) + "\"", StringComparison.Ordinal);
        return ChangeClassifier.ToCall(ChangeTestData.Input(Encoding.UTF8.GetBytes(text)), settings)!;
    }

    internal static readonly DateTimeOffset SessionStart = DateTimeOffset.Parse("2015-11-23T07:45:25Z", System.Globalization.CultureInfo.InvariantCulture);

    private async Task<(string Table, string ChangeId)> RecordAsync(string session, IsmsSettings settings)
    {
        var table = await dynamo.NewTableAsync("foureyes");
        var call = Call(session, "80486b96-9f31-441e-b4e2-b85a4e520a07", SessionStart, settings);
        await new DynamoChangeRegister(dynamo.Client, table, settings).RecordAsync(call);
        return (table, call.ChangeId);
    }

    private async Task<(int Exit, string Output, string Errors)> ReviewAsync(string table, IsmsSettings settings, ReviewRequest request, DateTimeOffset at)
    {
        var output = new StringWriter();
        var errors = new StringWriter();
        var exit = await ReviewCommand.RunAsync(dynamo.Client, table, settings, new FakeTimeProvider(at), request, output, errors);
        return (exit, output.ToString(), errors.ToString());
    }

    [Theory]
    [InlineData("breakglass-alice", "alice")]
    [InlineData("emergency-alice", "Alice")]
    [InlineData("breakglass-alice", "\u0430lice")]          // Cyrillic а
    [InlineData("breakglass-\u0430lice", "alice")]
    [InlineData("breakglass-alice", "al\u200Bice")]         // zero-width space
    public async Task Review_refuses_alice_on_a_change_made_in_her_break_glass_session_without_people_configured(string session, string reviewer)
    {
        var (table, changeId) = await RecordAsync(session, IsmsSettings.Default);
        var (exit, _, errors) = await ReviewAsync(table, IsmsSettings.Default, new ReviewRequest(changeId, reviewer, "approved", Ticket), SessionStart.AddHours(1));
        Assert.Equal(1, exit);
        Assert.Contains("SelfReview", errors, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("alice")]
    [InlineData("alice@qwestly.example")]
    [InlineData("alice-admin")]
    [InlineData("ALICE.SRC")]
    public async Task With_people_every_principal_of_the_author_is_refused_and_another_person_is_recorded_by_email(string reviewer)
    {
        var (table, changeId) = await RecordAsync("breakglass-alice-admin", WithPeople);
        var (exit, _, errors) = await ReviewAsync(table, WithPeople, new ReviewRequest(changeId, reviewer, "approved", Ticket), SessionStart.AddHours(1));
        Assert.Equal(1, exit);
        Assert.Contains("alice@qwestly.example", errors, StringComparison.Ordinal);

        var ok = await ReviewAsync(table, WithPeople, new ReviewRequest(changeId, "bob-ops", "approved", Ticket), SessionStart.AddHours(1));
        Assert.Equal(0, ok.Exit);
        var view = JsonDocument.Parse(ok.Output).RootElement;
        Assert.Equal("bob@qwestly.example", view.GetProperty("reviewer").GetString());
        Assert.Equal("alice@qwestly.example", view.GetProperty("authorEmail").GetString());
        Assert.Equal("checked", view.GetProperty("fourEyes").GetString());
    }

    [Fact]
    public async Task A_token_with_an_opaque_username_is_resolved_by_its_verified_email_and_its_subject_is_recorded()
    {
        var (table, changeId) = await RecordAsync("breakglass-alice", WithPeople);
        const string sub = "9a1b2c3d-1111-2222-3333-444455556666";
        var self = await ReviewAsync(table, WithPeople, new ReviewRequest(changeId, sub, "approved", Ticket, null, sub, "alice@qwestly.example"), SessionStart.AddHours(1));
        Assert.Equal(1, self.Exit);
        // An opaque username that maps to nobody is refused when people are configured (it could be anyone, even alice).
        var nobody = await ReviewAsync(table, WithPeople, new ReviewRequest(changeId, sub, "approved", Ticket, null, sub, null), SessionStart.AddHours(1));
        Assert.Equal(1, nobody.Exit);
        Assert.Contains("UnmappedIdentity", nobody.Errors, StringComparison.Ordinal);
        var bob = await ReviewAsync(table, WithPeople, new ReviewRequest(changeId, sub, "approved", Ticket, null, sub, "bob@qwestly.example"), SessionStart.AddHours(1));
        Assert.Equal(0, bob.Exit);
        var stored = (await new DynamoChangeRegister(dynamo.Client, table, WithPeople).GetAsync(changeId))!.Review!;
        Assert.Equal(("bob@qwestly.example", sub, "checked"), (stored.Reviewer, stored.ReviewerSubject, stored.FourEyes));
    }

    [Fact]
    public async Task An_unmapped_author_is_flagged_by_default_and_refused_when_the_settings_say_so()
    {
        var (table, changeId) = await RecordAsync("mallory", WithPeople);
        var refuse = new IsmsSettings { People = WithPeople.People, UnmappedAuthorReview = UnmappedAuthorReview.Refuse };
        var refused = await ReviewAsync(table, refuse, new ReviewRequest(changeId, "bob", "approved", Ticket), SessionStart.AddHours(1));
        Assert.Equal(1, refused.Exit);
        Assert.Contains("maps to no person", refused.Errors, StringComparison.Ordinal);

        var flagged = await ReviewAsync(table, WithPeople, new ReviewRequest(changeId, "bob", "approved", Ticket), SessionStart.AddHours(1));
        Assert.Equal(0, flagged.Exit);
        var view = JsonDocument.Parse(flagged.Output).RootElement;
        Assert.Equal("author-unmapped", view.GetProperty("fourEyes").GetString());
        Assert.False(view.TryGetProperty("authorEmail", out _));
    }

    [Fact]
    public async Task A_call_after_the_review_leaves_the_change_pending_in_changes_pending_with_a_new_deadline_an_alert_and_the_old_review_kept()
    {
        var settings = IsmsSettings.Default;
        var (table, changeId) = await RecordAsync("ops-carol", settings);
        var reviewedAt = SessionStart.AddHours(2);
        Assert.Equal(0, (await ReviewAsync(table, settings, new ReviewRequest(changeId, "dave", "approved", Ticket), reviewedAt)).Exit);
        var register = new DynamoChangeRegister(dynamo.Client, table, settings);

        // A call of the same session made before the review but delivered late stays in the approved record.
        var late = await register.RecordAsync(Call("ops-carol", "11111111-0000-0000-0000-000000000001", SessionStart.AddMinutes(30), settings));
        Assert.NotNull(late.Record.Review);

        // A call made after the review: pending again.
        var afterAt = reviewedAt.AddMinutes(10);
        var after = Call("ops-carol", "11111111-0000-0000-0000-000000000002", afterAt, settings);
        Assert.Equal(changeId, after.ChangeId);
        var result = await register.RecordAsync(after);
        Assert.Null(result.Record.Review);
        Assert.Equal(2, result.Record.Round);
        Assert.Equal("dave", Assert.Single(result.Record.PriorReviews).Reviewer);
        // Redelivery: no change, no second round.
        Assert.Equal(ChangeRecordStatus.Duplicate, (await register.RecordAsync(after)).Status);

        var pending = new StringWriter();
        Assert.Equal(0, await ChangesCommand.RunAsync(dynamo.Client, table, settings, new FakeTimeProvider(afterAt.AddHours(1)), pendingOnly: true, 50, pending));
        var line = JsonDocument.Parse(pending.ToString().Trim()).RootElement;
        Assert.Equal(changeId, line.GetProperty("changeId").GetString());
        Assert.Equal(2, line.GetProperty("round").GetInt32());
        Assert.Equal(Model.Timestamps.ToWire(afterAt.AddHours(settings.ChangeReviewHours)), line.GetProperty("dueAt").GetString());
        Assert.Equal("dave", line.GetProperty("priorReviews")[0].GetProperty("reviewer").GetString());

        var alert = await dynamo.Client.GetItemAsync(new GetItemRequest
        {
            TableName = table,
            Key = new() { ["PK"] = new() { S = "ALERT#" + changeId + "-round-2" }, ["SK"] = new() { S = "ALERT" } },
            ConsistentRead = true,
        });
        Assert.True(alert.Item is { Count: > 0 }, "the new round raised an alert");

        // The new round is reviewed like the first; both reviews stay.
        Assert.Equal(0, (await ReviewAsync(table, settings, new ReviewRequest(changeId, "erin", "approved", Ticket), afterAt.AddHours(2))).Exit);
        var final = (await register.GetAsync(changeId))!;
        Assert.Equal(("erin", "dave"), (final.Review!.Reviewer, final.PriorReviews[0].Reviewer));
    }
}
