using System.Text;
using System.Text.Json;
using IsmsServerless.Changes;
using IsmsServerless.Cli;
using IsmsServerless.Identity;
using IsmsServerless.Obligations;
using IsmsServerless.Settings;
using IsmsServerless.Tests.Identity;
using IsmsServerless.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace IsmsServerless.Tests.Changes;

/// <summary>
/// PROC-002 "The IT Director checks the implementation" on DynamoDB Local: an it-director approval is the check; a type
/// approved without one opens a <c>change.implementation-check</c> obligation only an IT Director other than the author closes.
/// </summary>
[Collection(DynamoDbCollection.Name)]
public sealed class ImplementationCheckTests(DynamoDbLocalFixture dynamo)
{
    private static readonly Person Dora = new() { Email = "dora@qwestly.example", Name = "Dora", Roles = ["it-director"] };
    private static readonly Person Alice = new() { Email = "alice@qwestly.example", Name = "Alice", Roles = ["cto"] };
    private static readonly Person Bob = new() { Email = "bob@qwestly.example", Name = "Bob", Roles = ["it-team"] };
    // The author: an IT Team member who is also a (second) IT Director, so four-eyes is what refuses them.
    private static readonly Person Zed = new()
    {
        Email = "zed@qwestly.example", Name = "Zed", Roles = ["it-team", "it-director"], Principals = new PersonPrincipals { RoleSessionNames = ["zed"] },
    };

    private static readonly IsmsSettings Team = new() { People = [Dora, Alice, Bob, Zed] };
    private const string Ticket = "https://qwestly.atlassian.net/browse/OPS-12";
    private static readonly FakeTimeProvider Clock = new(FourEyesReviewTests.SessionStart.AddHours(2));

    /// <summary>Cloud Custodian's real console CreateBucket sample by Zed's session; <paramref name="lambda"/> swaps the service to Lambda (a software change).</summary>
    private async Task<(string Table, string ChangeId)> RecordAsync(bool lambda)
    {
        var table = await dynamo.NewTableAsync("implcheck");
        var text = Encoding.UTF8.GetString(Fixtures.Shared("cloudtrail/eb-api-call-s3-createbucket-assumedrole.json"))
            .Replace("Sandbox_Dev/user\"", "Sandbox_Dev/zed\"", StringComparison.Ordinal)
            .Replace("AROAJCZT7HI7JILHGR6JS:user\"", "AROAJCZT7HI7JILHGR6JS:zed\"", StringComparison.Ordinal);
        if (lambda) text = text.Replace("s3.amazonaws.com", "lambda.amazonaws.com", StringComparison.Ordinal).Replace("CreateBucket", "CreateFunction20150331", StringComparison.Ordinal);
        var call = ChangeClassifier.ToCall(ChangeTestData.Input(Encoding.UTF8.GetBytes(text)), Team)!;
        await new DynamoChangeRegister(dynamo.Client, table, Team).RecordAsync(call);
        return (table, call.ChangeId);
    }

    private async Task ApproveAsync(string table, string changeId, string reviewer)
    {
        var errors = new StringWriter();
        Assert.True(0 == await ReviewCommand.RunAsync(dynamo.Client, table, Team, Clock, new ReviewRequest(changeId, reviewer, "approved", Ticket), new StringWriter(), errors), errors.ToString());
    }

    private async Task<JsonElement> ShowAsync(string table, string changeId)
    {
        var output = new StringWriter();
        Assert.Equal(0, await ChangesCommand.ShowAsync(dynamo.Client, table, Team, Clock, changeId, output, new StringWriter()));
        return JsonDocument.Parse(output.ToString()).RootElement.Clone();
    }

    private async Task<(int Exit, string Errors)> AttestAsync(string table, string id, string by)
    {
        var errors = new StringWriter();
        var exit = await AttestCommand.RunAsync(dynamo.Client, table, Team, Clock, new AttestRequest(id, by, "", ["https://qwestly.atlassian.net/browse/OPS-13"], "checked the bucket"), new StringWriter(), errors);
        return (exit, errors.ToString());
    }

    [Fact]
    public async Task An_infrastructure_change_approved_by_the_IT_Director_needs_no_separate_check()
    {
        var (table, changeId) = await RecordAsync(lambda: false);
        Assert.Equal("by-approval", (await ShowAsync(table, changeId)).GetProperty("implementationCheck").GetString());
        await ApproveAsync(table, changeId, "dora@qwestly.example");
        var shown = await ShowAsync(table, changeId);
        Assert.Equal("approved", shown.GetProperty("verdict").GetString());
        Assert.Equal("by-approval", shown.GetProperty("implementationCheck").GetString());
        Assert.False(shown.TryGetProperty("implementationCheckObligation", out _));
        var store = new DynamoObligationStore(dynamo.Client, table, Team);
        Assert.Empty((await store.QueryKindAsync(ChangeImplementationCheckObligations.Kind, 10)).Items);
    }

    [Fact]
    public async Task A_software_change_approved_by_the_CTO_opens_the_IT_Directors_check_that_only_another_IT_Director_closes()
    {
        var (table, changeId) = await RecordAsync(lambda: true);
        Assert.Equal("obligation", (await ShowAsync(table, changeId)).GetProperty("implementationCheck").GetString());
        var store = new DynamoObligationStore(dynamo.Client, table, Team);
        Assert.Empty((await store.QueryKindAsync(ChangeImplementationCheckObligations.Kind, 10)).Items); // not before approval
        await ApproveAsync(table, changeId, "alice@qwestly.example");

        var id = ChangeImplementationCheckObligations.IdOf(changeId);
        Assert.Equal(id, (await ShowAsync(table, changeId)).GetProperty("implementationCheckObligation").GetString());
        var obligation = (await store.GetAsync(id))!;
        Assert.Equal((ChangeImplementationCheckObligations.Kind, changeId, "it-director"), (obligation.Kind, obligation.Subject, obligation.Spec.OwnerRole));
        Assert.Equal(Clock.GetUtcNow().AddDays(Team.ChangeManagement.ImplementationCheckDays), obligation.DueAt);
        Assert.True(obligation.Spec.FourEyes);

        var (exit, errors) = await AttestAsync(table, id, "bob@qwestly.example");
        Assert.Equal(1, exit);
        Assert.Contains("does not hold the it-director role", errors, StringComparison.Ordinal);
        (exit, errors) = await AttestAsync(table, id, "nobody@elsewhere.example");
        Assert.Equal(1, exit);
        Assert.Contains("maps to no person", errors, StringComparison.Ordinal);
        (exit, errors) = await AttestAsync(table, id, "zed"); // the author's own session name: four-eyes compares people
        Assert.Equal(1, exit);
        Assert.Contains("four-eyes", errors, StringComparison.Ordinal);
        Assert.False((await store.GetAsync(id))!.Done);

        (exit, errors) = await AttestAsync(table, id, "dora@qwestly.example");
        Assert.True(exit == 0, errors);
        Assert.Equal("dora@qwestly.example", (await store.GetAsync(id))!.Attestation!.By);
    }

    [Fact]
    public void Days_are_validated_and_nothing_is_tracked_without_people()
    {
        Assert.Contains(new IsmsSettings { ChangeManagement = new ChangeManagementSettings { ImplementationCheckDays = 0 } }.Validate(),
            e => e.Contains("implementationCheckDays", StringComparison.Ordinal));
        Assert.Null(ChangeImplementationCheckObligations.HowChecked(["cto"], IsmsSettings.Default));
        Assert.Equal("obligation", ChangeImplementationCheckObligations.HowChecked(["cto"], Team));
        Assert.Equal("by-approval", ChangeImplementationCheckObligations.HowChecked(["it-director", "cto"], Team));
    }
}
