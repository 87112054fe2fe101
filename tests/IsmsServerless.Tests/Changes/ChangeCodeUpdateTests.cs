using System.Text;
using System.Text.Json;
using IsmsServerless.Changes;
using IsmsServerless.Cli;
using IsmsServerless.Engine;
using IsmsServerless.Identity;
using IsmsServerless.Obligations;
using IsmsServerless.Settings;
using IsmsServerless.Tests.Drift;
using IsmsServerless.Tests.Identity;
using IsmsServerless.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace IsmsServerless.Tests.Changes;

/// <summary>
/// Issue 19 section 5, Qwestly "Document any manual changes and update the code accordingly": a reviewed manual change is
/// closed only by a commit / pull request link, a revert, or the CloudFormation stack drift rule reporting the named stack
/// in sync after the change; until then a <c>change.code-update</c> obligation is open. DynamoDB Local, real payloads:
/// Cloud Custodian's console CreateBucket sample (a manual-console change) and AWS's documented compliance-change body
/// with the stack drift rule's name, resource type and a stack ARN (ConfigAdapterTests.ComplianceChange).
/// </summary>
[Collection(DynamoDbCollection.Name)]
public sealed class ChangeCodeUpdateTests(DynamoDbLocalFixture dynamo)
{
    private static readonly Person Dora = new() { Email = "dora@qwestly.example", Name = "Dora", Roles = ["it-director"] };
    private static readonly Person Alice = new() { Email = "alice@qwestly.example", Name = "Alice", Roles = ["cto"] };
    private static readonly Person Zed = new()
    {
        Email = "zed@qwestly.example", Name = "Zed", Roles = ["engineer"], Principals = new PersonPrincipals { RoleSessionNames = ["zed"] },
    };

    private static readonly IsmsSettings Team = new() { People = [Dora, Alice, Zed] };
    private const string Ticket = "https://qwestly.atlassian.net/browse/OPS-12";
    private const string Pr = "https://github.com/qwestly/infra/pull/42";
    private const string StackArn = "arn:aws:cloudformation:us-east-2:123456789012:stack/web-prod/6c1f4a70-8d2e-11e5-a8b5-50d5ca63262a";
    private static readonly DateTimeOffset ReviewAt = FourEyesReviewTests.SessionStart.AddHours(2);

    private async Task<(string Table, ChangeRecord Record)> RecordAsync(IsmsSettings settings)
    {
        var table = await dynamo.NewTableAsync("chgcode");
        var text = Encoding.UTF8.GetString(Fixtures.Shared("cloudtrail/eb-api-call-s3-createbucket-assumedrole.json"))
            .Replace("Sandbox_Dev/user\"", "Sandbox_Dev/zed\"", StringComparison.Ordinal)
            .Replace("AROAJCZT7HI7JILHGR6JS:user\"", "AROAJCZT7HI7JILHGR6JS:zed\"", StringComparison.Ordinal);
        var call = ChangeClassifier.ToCall(ChangeTestData.Input(Encoding.UTF8.GetBytes(text)), settings)!;
        var result = await new DynamoChangeRegister(dynamo.Client, table, settings).RecordAsync(call);
        return (table, result.Record);
    }

    private ChangeReviewService Service(string table, IsmsSettings settings, DateTimeOffset at) =>
        new(new DynamoChangeRegister(dynamo.Client, table, settings), null, RuleRegistry.CreateDefault(), settings, new FakeTimeProvider(at));

    private async Task<JsonElement> ShowAsync(string table, IsmsSettings settings, string changeId)
    {
        var output = new StringWriter();
        Assert.Equal(0, await ChangesCommand.ShowAsync(dynamo.Client, table, settings, new FakeTimeProvider(ReviewAt.AddHours(1)), changeId, output, new StringWriter()));
        return JsonDocument.Parse(output.ToString()).RootElement.Clone();
    }

    private Task<Obligation?> CodeObligationAsync(string table, string changeId) =>
        new DynamoObligationStore(dynamo.Client, table, Team).GetAsync(ChangeCodeUpdateObligations.IdOf(changeId));

    [Fact]
    public async Task A_reviewed_manual_change_stays_open_until_the_reviewer_links_the_pull_request()
    {
        var (table, record) = await RecordAsync(Team);
        Assert.Equal(ChangeKind.ManualConsole, record.Kind);
        var review = Service(table, Team, ReviewAt);
        var reviewed = await review.ReviewAsync(new ReviewRequest(record.ChangeId, "dora@qwestly.example", "approved", Ticket));
        Assert.NotNull(reviewed.Review);
        Assert.True(reviewed.CodeUpdateRequired);
        Assert.False(reviewed.Closed);
        var shown = await ShowAsync(table, Team, record.ChangeId);
        Assert.Equal("open", shown.GetProperty("codeUpdate").GetString());

        // The duty is an obligation (one mechanism for anything due): owned by the IT team, due codeUpdateDays after the review.
        var obligation = await CodeObligationAsync(table, record.ChangeId);
        Assert.NotNull(obligation);
        Assert.False(obligation.Done);
        Assert.Equal("it-team", obligation.Spec.OwnerRole);
        Assert.Equal(ReviewAt.AddDays(14), obligation.Spec.DueAt);

        // A link outside the policy's code hosts is refused with the patterns named; so is a ticket link.
        var later = Service(table, Team, ReviewAt.AddDays(1));
        var refused = await Assert.ThrowsAsync<ChangeReviewException>(() => later.ReconcileAsync(new ReconcileRequest(record.ChangeId, "dora@qwestly.example", CodeLink: Ticket)));
        Assert.Equal(ChangeReviewError.Invalid, refused.Error);
        Assert.Contains("codeLinkUrlPatterns", refused.Message, StringComparison.Ordinal);
        var unknown = await Assert.ThrowsAsync<ChangeReviewException>(() => later.ReconcileAsync(new ReconcileRequest(record.ChangeId, "mallory@evil.example", CodeLink: Pr)));
        Assert.Equal(ChangeReviewError.UnmappedIdentity, unknown.Error);

        var output = new StringWriter();
        var errors = new StringWriter();
        var exit = await ReconcileCommand.RunAsync(dynamo.Client, table, Team, new FakeTimeProvider(ReviewAt.AddDays(1)),
            new ReconcileRequest(record.ChangeId, "Dora@Qwestly.example", CodeLink: Pr), output, errors);
        Assert.True(exit == 0, errors.ToString());
        var line = JsonDocument.Parse(output.ToString()).RootElement;
        Assert.Equal("closed", line.GetProperty("codeUpdate").GetString());
        Assert.Equal("code-link", line.GetProperty("closure").GetProperty("how").GetString());
        Assert.Equal(Pr, line.GetProperty("closure").GetProperty("link").GetString());
        Assert.Equal("dora@qwestly.example", line.GetProperty("closure").GetProperty("by").GetString());

        var attested = await CodeObligationAsync(table, record.ChangeId);
        Assert.True(attested!.Done);
        Assert.Equal([Pr], attested.Attestation!.Evidence);

        // Closed is final: a second closure is refused, naming the first.
        var again = await Assert.ThrowsAsync<ChangeReviewException>(() => later.ReconcileAsync(new ReconcileRequest(record.ChangeId, "alice@qwestly.example", Reverted: true)));
        Assert.Equal(ChangeReviewError.NotReconcilable, again.Error);
        Assert.Contains("already closed (code-link)", again.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_revert_or_a_code_link_given_with_the_review_closes_at_once_and_opens_no_obligation()
    {
        var (table, record) = await RecordAsync(Team);
        var reviewed = await Service(table, Team, ReviewAt).ReviewAsync(new ReviewRequest(record.ChangeId, "dora@qwestly.example", "rejected", Ticket, Reverted: true));
        Assert.True(reviewed.Closed);
        Assert.Equal(ChangeClosure.Reverted, reviewed.Closure!.How);
        Assert.Null(await CodeObligationAsync(table, record.ChangeId));
        var both = await Assert.ThrowsAsync<ChangeReviewException>(() => Service(table, Team, ReviewAt)
            .ReviewAsync(new ReviewRequest(record.ChangeId, "alice@qwestly.example", "approved", Ticket, CodeLink: Pr, Reverted: true)));
        Assert.Equal(ChangeReviewError.Invalid, both.Error);
    }

    [Fact]
    public async Task Reconciling_before_the_review_or_a_kind_that_needs_no_code_update_is_refused()
    {
        var (table, record) = await RecordAsync(Team);
        var early = await Assert.ThrowsAsync<ChangeReviewException>(() => Service(table, Team, ReviewAt).ReconcileAsync(new ReconcileRequest(record.ChangeId, "dora@qwestly.example", CodeLink: Pr)));
        Assert.Equal(ChangeReviewError.NotReconcilable, early.Error);
        Assert.Contains("not reviewed yet", early.Message, StringComparison.Ordinal);

        var noCode = Team with { ChangeManagement = new ChangeManagementSettings { CodeUpdateKinds = ["emergency"] } };
        var reviewed = await Service(table, noCode, ReviewAt).ReviewAsync(new ReviewRequest(record.ChangeId, "dora@qwestly.example", "approved", Ticket));
        Assert.True(reviewed.Closed);
        Assert.False(reviewed.CodeUpdateRequired);
        Assert.Equal("not-required", (await ShowAsync(table, noCode, record.ChangeId)).GetProperty("codeUpdate").GetString());
        var refused = await Assert.ThrowsAsync<ChangeReviewException>(() => Service(table, noCode, ReviewAt).ReconcileAsync(new ReconcileRequest(record.ChangeId, "dora@qwestly.example", Reverted: true)));
        Assert.Equal(ChangeReviewError.NotReconcilable, refused.Error);
    }

    [Fact]
    public async Task The_stack_drift_rule_in_sync_after_the_change_closes_it_through_the_pipeline()
    {
        var (table, record) = await RecordAsync(Team);
        var reviewed = await Service(table, Team, ReviewAt).ReviewAsync(new ReviewRequest(record.ChangeId, "dora@qwestly.example", "approved", Ticket, Stack: StackArn));
        Assert.Equal("123456789012/us-east-2/web-prod", reviewed.ReconcileStack);
        Assert.False(reviewed.Closed);

        // A DRIFTED verdict, and an IN_SYNC verdict older than the change's last call, close nothing.
        var service = Service(table, Team, ReviewAt);
        Assert.Equal(0, await service.StackVerdictAsync("123456789012/us-east-2/web-prod", "NON_COMPLIANT", ReviewAt.AddHours(1)));
        Assert.Equal(0, await service.StackVerdictAsync("123456789012/us-east-2/web-prod", "COMPLIANT", record.LastCallAt.AddMinutes(-1)));
        Assert.False((await service.GetAsync(record.ChangeId))!.Summary.Change.Closed);

        // The documented compliance-change body, as the stack drift rule sends it for this stack, through the store-backed
        // pipeline's enrichers (Lambda ingest and ./isms replay run the same list).
        var payload = ConfigAdapterTests.ComplianceChange("COMPLIANT", Team.ChangeManagement.StackDriftConfigRuleName, "AWS::CloudFormation::Stack", StackArn);
        var context = new EvaluationContext(Team, new FakeTimeProvider(ReviewAt.AddDays(300)));
        var pipeline = new IsmsServerless.Pipeline.IngestPipeline(RuleEngine.CreateDefault(), IsmsServerless.Pipeline.InputEnrichers.Default(dynamo.Client, table),
            new IsmsServerless.Ledger.DynamoDbFindingLedger(dynamo.Client, table, Team));
        await pipeline.ProcessAsync(payload, context);

        var closed = (await service.GetAsync(record.ChangeId))!.Summary.Change;
        Assert.True(closed.Closed);
        Assert.Equal(ChangeClosure.StackInSync, closed.Closure!.How);
        Assert.Equal("123456789012/us-east-2/web-prod", closed.Closure.Stack);
        Assert.True((await CodeObligationAsync(table, record.ChangeId))!.Done);
    }

    [Fact]
    public async Task An_in_sync_verdict_that_arrives_before_the_reviewer_names_the_stack_still_closes_it()
    {
        var (table, record) = await RecordAsync(Team);
        var service = Service(table, Team, ReviewAt);
        // Delivered out of order: the newer in-sync verdict first, an older drifted one after; the newer stands.
        await service.StackVerdictAsync("101010101111/us-east-1/web-prod", "COMPLIANT", ReviewAt.AddMinutes(30));
        var stored = await new DynamoChangeRegister(dynamo.Client, table, Team).RecordStackVerdictAsync("101010101111/us-east-1/web-prod", "NON_COMPLIANT", ReviewAt.AddMinutes(10));
        Assert.True(stored.InSync);
        // A bare stack name is taken in the change's own account and region.
        var reviewed = await service.ReviewAsync(new ReviewRequest(record.ChangeId, "dora@qwestly.example", "approved", Ticket, Stack: "web-prod"));
        Assert.True(reviewed.Closed);
        Assert.Equal(ChangeClosure.StackInSync, reviewed.Closure!.How);
    }

    [Theory]
    [InlineData("web prod")]
    [InlineData("arn:aws:cloudformation:us-east-2:123456789012:stack/../x")]
    [InlineData("1stack")]
    [InlineData("web-prod\u202e")]
    public async Task A_hostile_stack_name_is_refused(string stack)
    {
        var (table, record) = await RecordAsync(Team);
        var refused = await Assert.ThrowsAsync<ChangeReviewException>(() => Service(table, Team, ReviewAt)
            .ReviewAsync(new ReviewRequest(record.ChangeId, "dora@qwestly.example", "approved", Ticket, Stack: stack)));
        Assert.Equal(ChangeReviewError.Invalid, refused.Error);
        Assert.Null((await Service(table, Team, ReviewAt).GetAsync(record.ChangeId))!.Summary.Change.Review);
    }
}
