using System.Text.Json.Nodes;
using Amazon.DynamoDBv2.Model;
using IsmsServerless.Access;
using IsmsServerless.Engine;
using IsmsServerless.Identity;
using IsmsServerless.Ledger;
using IsmsServerless.Obligations;
using IsmsServerless.Pipeline;
using IsmsServerless.Settings;
using IsmsServerless.Sweep;
using IsmsServerless.Tests.Drift;
using IsmsServerless.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace IsmsServerless.Tests.Access;

/// <summary>
/// The quarterly access review (issue 18 section 2) and runtime leave marks (section 3), on DynamoDB Local with the
/// real aws-config-rdk IAM items: the campaign snapshots admin rights, external trust and activity; nobody decides on
/// their own access; a revoke is a finding that resolves when Config shows the access gone (sweep); closing attests
/// the access-review duty with the campaign as its note. A leave mark in the store makes the leaver rules fire.
/// </summary>
[Collection(DynamoDbCollection.Name)]
public sealed class AccessReviewTests(DynamoDbLocalFixture dynamo)
{
    private static readonly IsmsSettings Settings = IsmsSettings.Default with
    {
        People =
        [
            new Person { Email = "cto@example.com", Name = "CTO", Roles = ["cto"] },
            new Person { Email = "john@example.com", Name = "John", Roles = ["it-director"], Principals = new PersonPrincipals { IamUsers = ["johndoe"] } },
            new Person { Email = "eng@example.com", Name = "Eng", Roles = ["engineer"], Principals = new PersonPrincipals { IamUsers = ["engineer1"] } },
        ],
        Access = new AccessSettings { InternalAccounts = ["112233445566", "264683526309"], ReviewRemediationDays = 5 },
    };

    private sealed record Harness(string Table, FakeTimeProvider Clock, IngestPipeline Pipeline, DynamoDbFindingLedger Ledger, AccessReviewService Review)
    {
        public EvaluationContext Context => new(Settings, Clock);
    }

    private async Task<Harness> NewAsync(string name)
    {
        var table = await dynamo.NewTableAsync(name);
        var clock = TestContexts.ClockAt("2026-11-23T09:00:00Z");
        var ledger = new DynamoDbFindingLedger(dynamo.Client, table, Settings);
        var pipeline = new IngestPipeline(RuleEngine.CreateDefault(), InputEnrichers.Default(dynamo.Client, table), ledger);
        return new Harness(table, clock, pipeline, ledger, new AccessReviewService(dynamo.Client, table, Settings, clock, "112233445566", "us-east-1"));
    }

    private static JsonObject ExternalRole()
    {
        var role = DriftPayloads.Item("ci-iam-role-rdk.json");
        role["configuration"]!["assumeRolePolicyDocument"] = Uri.EscapeDataString(
            """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::999988887777:root"},"Action":"sts:AssumeRole"}]}""");
        return role;
    }

    private const string Johndoe = "arn:aws:iam::112233445566:user/johndoe";

    private async Task<List<FindingRecord>> DecisionFindings(Harness h, string resource) =>
        (await h.Ledger.QueryByResourceAsync(resource, 50)).Items.Where(f => f.RuleId == "access.review-decision").ToList();

    [Fact]
    public async Task Campaign_decide_revoke_resolves_when_config_shows_it_gone_and_close_attests_the_duty()
    {
        var h = await NewAsync("access-review");
        await h.Pipeline.ProcessAsync(DriftPayloads.ItemChange(DriftPayloads.Item("ci-iam-user-rdk.json")), h.Context);
        await h.Pipeline.ProcessAsync(DriftPayloads.ItemChange(ExternalRole()), h.Context);

        var campaign = await h.Review.OpenAsync("cto@example.com");
        Assert.Equal(2, campaign.Principals.Count);
        var user = Assert.Single(campaign.Principals, p => p.PrincipalKey == Johndoe);
        Assert.Contains("AdministratorAccess (attached AdministratorAccess)", user.AdminVia);
        Assert.Equal("john@example.com", user.Owner);
        Assert.Contains("arn:aws:iam::999988887777:root", Assert.Single(campaign.Principals, p => p.Kind == "role").ExternalTrusts);
        // Opening again returns the same campaign (idempotent), not a second snapshot.
        Assert.Equal(campaign.Id, (await h.Review.OpenAsync("cto@example.com")).Id);

        // Four-eyes: john (through his IAM user, or his e-mail) cannot decide on his own access.
        var own = await Assert.ThrowsAsync<ObligationException>(() => h.Review.DecideAsync(campaign.Id, Johndoe, "keep", "needed", "john@example.com", h.Ledger));
        Assert.Equal(ObligationError.FourEyes, own.Error);
        var ownByName = await Assert.ThrowsAsync<ObligationException>(() => h.Review.DecideAsync(campaign.Id, "johndoe", "keep", "needed", "JohnDoe", h.Ledger));
        Assert.Equal(ObligationError.FourEyes, ownByName.Error);
        // A decision needs a note and a known choice.
        Assert.Equal(ObligationError.Invalid, (await Assert.ThrowsAsync<ObligationException>(() => h.Review.DecideAsync(campaign.Id, Johndoe, "revoke", " ", "cto@example.com", h.Ledger))).Error);
        Assert.Equal(ObligationError.Invalid, (await Assert.ThrowsAsync<ObligationException>(() => h.Review.DecideAsync(campaign.Id, Johndoe, "delete", "x", "cto@example.com", h.Ledger))).Error);

        h.Clock.Advance(TimeSpan.FromHours(1));
        var revoked = await h.Review.DecideAsync(campaign.Id, "johndoe", "revoke", "left the admin team in October", "cto@example.com", h.Ledger);
        Assert.Equal("revoke", revoked.Decision);
        var finding = Assert.Single(await DecisionFindings(h, Johndoe));
        Assert.Equal(FindingStatus.Open, finding.Status);
        Assert.Equal(DateTimeOffset.Parse("2026-11-28T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture), finding.DueAt); // reviewRemediationDays 5
        // Decisions are evidence: a second decision on the same principal is refused.
        Assert.Equal(ObligationError.AlreadyDone, (await Assert.ThrowsAsync<ObligationException>(() => h.Review.DecideAsync(campaign.Id, Johndoe, "keep", "changed my mind", "cto@example.com", h.Ledger))).Error);

        // Closing with a principal undecided is refused.
        Assert.Equal(ObligationError.Invalid, (await Assert.ThrowsAsync<ObligationException>(() => h.Review.CloseAsync(campaign.Id, "cto@example.com", ["https://tickets.example.com/AR-7"]))).Error);
        await h.Review.DecideAsync(campaign.Id, "config-role-ezcrc2", "keep", "the auditor's read-only account", "john@example.com", h.Ledger);

        // A sweep before Config changes anything keeps the finding open.
        var sweep = new SweepContext(dynamo.Client, h.Table, h.Ledger, h.Context);
        await new AccessReviewRecheckStep().RunAsync(sweep, CancellationToken.None);
        Assert.Equal(FindingStatus.Open, Assert.Single(await DecisionFindings(h, Johndoe)).Status);

        // Config shows johndoe with nothing attached and in no group: the revoke took effect at the next sweep.
        var stripped = DriftPayloads.Item("ci-iam-user-rdk.json");
        stripped["configurationItemCaptureTime"] = "2026-11-24T08:00:00.000Z";
        stripped["configuration"]!["attachedManagedPolicies"] = new JsonArray();
        stripped["configuration"]!["userPolicyList"] = new JsonArray();
        stripped["configuration"]!["groupList"] = new JsonArray();
        h.Clock.Advance(TimeSpan.FromDays(1));
        await h.Pipeline.ProcessAsync(DriftPayloads.ItemChange(stripped), h.Context);
        var result = await new AccessReviewRecheckStep().RunAsync(new SweepContext(dynamo.Client, h.Table, h.Ledger, h.Context), CancellationToken.None);
        Assert.Equal(1, result.Resolved);
        Assert.Equal(FindingStatus.Resolved, Assert.Single(await DecisionFindings(h, Johndoe)).Status);
        Assert.Empty(await h.Review.PendingAsync());

        var closed = await h.Review.CloseAsync(campaign.Id, "cto@example.com", ["https://tickets.example.com/AR-7"]);
        Assert.True(closed.Closed);
        var duty = await new DynamoObligationStore(dynamo.Client, h.Table, Settings).GetAsync(campaign.Id);
        Assert.True(duty!.Done);
        Assert.Contains("revoke user johndoe by cto@example.com [admin]: left the admin team in October", duty.Attestation!.Note);
        Assert.Contains("keep role config-role-ezcrc2 by john@example.com [external]", duty.Attestation.Note);
        Assert.Equal(ObligationError.AlreadyDone, (await Assert.ThrowsAsync<ObligationException>(() => h.Review.DecideAsync(campaign.Id, Johndoe, "keep", "x", "cto@example.com", h.Ledger))).Error);
    }

    [Fact]
    public async Task Reduce_resolves_when_the_admin_grant_the_reviewer_saw_is_gone_even_if_other_policies_stay()
    {
        var h = await NewAsync("access-reduce");
        await h.Pipeline.ProcessAsync(DriftPayloads.ItemChange(DriftPayloads.Item("ci-iam-user-rdk.json")), h.Context);
        var campaign = await h.Review.OpenAsync("cto@example.com");
        await h.Review.DecideAsync(campaign.Id, Johndoe, "reduce", "codedeploy only", "cto@example.com", h.Ledger);
        Assert.Equal(FindingStatus.Open, Assert.Single(await DecisionFindings(h, Johndoe)).Status);

        var reduced = DriftPayloads.Item("ci-iam-user-rdk.json");
        reduced["configurationItemCaptureTime"] = "2026-11-24T08:00:00.000Z";
        var attached = reduced["configuration"]!["attachedManagedPolicies"]!.AsArray();
        attached.Remove(attached.First(a => a!["policyName"]!.GetValue<string>() == "AdministratorAccess"));
        h.Clock.Advance(TimeSpan.FromDays(1));
        await h.Pipeline.ProcessAsync(DriftPayloads.ItemChange(reduced), h.Context);
        await new AccessReviewRecheckStep().RunAsync(new SweepContext(dynamo.Client, h.Table, h.Ledger, h.Context), CancellationToken.None);
        Assert.Equal(FindingStatus.Resolved, Assert.Single(await DecisionFindings(h, Johndoe)).Status);
    }

    [Fact]
    public void Remaining_for_revoke_lists_every_permission_and_credential_left()
    {
        var decision = new AccessReviewDecision { CampaignId = "obl-000000000000000000000000", PrincipalKey = Johndoe, Kind = "user", Name = "johndoe", AccountId = "112233445566", Decision = "revoke" };
        var current = new AccessPrincipal
        {
            Key = Johndoe, Kind = "user", Name = "johndoe", AccountId = "112233445566",
            Activity = new PrincipalActivity(Johndoe, null, null, true, new Dictionary<string, string> { ["AKIAEXAMPLE1"] = "Active", ["AKIAEXAMPLE2"] = "Deleted" }, new Dictionary<string, string>()),
        };
        Assert.Equal(["a console password", "active key AKIAEXAMPLE1"], IsmsServerless.Rules.Access.ReviewDecisionRule.Remaining(decision, current));
        Assert.Empty(IsmsServerless.Rules.Access.ReviewDecisionRule.Remaining(decision, null));
    }

    [Fact]
    public async Task A_leave_mark_in_the_store_makes_the_leaver_rules_watch_the_person()
    {
        var h = await NewAsync("leave-mark");
        var store = new LeaveMarkStore(dynamo.Client, h.Table);
        LeaveMarkStore.Invalidate();
        var now = h.Clock.GetUtcNow();
        var day = new DateOnly(2026, 11, 20);
        // Who may mark: not the leaver, not an engineer, not someone unknown; the person must be in people.
        Assert.Equal(ObligationError.FourEyes, (await Assert.ThrowsAsync<ObligationException>(() => store.MarkAsync(Settings, "john@example.com", day, "johndoe", now))).Error);
        Assert.Equal(ObligationError.Invalid, (await Assert.ThrowsAsync<ObligationException>(() => store.MarkAsync(Settings, "john@example.com", day, "eng@example.com", now))).Error);
        Assert.Equal(ObligationError.Invalid, (await Assert.ThrowsAsync<ObligationException>(() => store.MarkAsync(Settings, "john@example.com", day, "mallory@example.com", now))).Error);
        Assert.Equal(ObligationError.NotFound, (await Assert.ThrowsAsync<ObligationException>(() => store.MarkAsync(Settings, "nobody@example.com", day, "cto@example.com", now))).Error);

        // Before the mark, johndoe's item raises no leaver finding.
        var before = await store.OverlayAsync(Settings, now);
        Assert.Same(Settings, before);

        var mark = await store.MarkAsync(Settings, "JOHN@example.com", day, "cto@example.com", now);
        Assert.Equal(("john@example.com", "cto@example.com"), (mark.Email, mark.MarkedBy));
        var overlaid = await store.OverlayAsync(Settings, now);
        Assert.Equal(day, overlaid.People.Single(p => p.Email == "john@example.com").LeftAt);
        Assert.Null(Settings.People.Single(p => p.Email == "john@example.com").LeftAt); // the file's settings are untouched

        // The file's earlier date wins over a later mark.
        var earlier = Settings with { People = [.. Settings.People.Select(p => p.Email == "john@example.com" ? p with { LeftAt = new DateOnly(2026, 11, 1) } : p)] };
        Assert.Equal(new DateOnly(2026, 11, 1), LeaveMarkStore.Apply(earlier, [mark]).People.Single(p => p.Email == "john@example.com").LeftAt);

        var context = new EvaluationContext(overlaid, h.Clock);
        var item = DriftPayloads.Item("ci-iam-user-rdk.json");
        item["configurationItemCaptureTime"] = "2026-11-23T08:00:00.000Z";
        await h.Pipeline.ProcessAsync(DriftPayloads.ItemChange(item), context);
        var leaver = Assert.Single((await h.Ledger.QueryByResourceAsync(Johndoe, 50)).Items, f => f.RuleId == "access.leaver-credentials");
        Assert.Equal(FindingStatus.Open, leaver.Status);
        Assert.Equal(IsmsServerless.Model.Severity.Critical, leaver.Severity);

        // The history keeps every mark; the current list one per person.
        Assert.Single(await store.ListAsync());
        var all = await dynamo.Client.QueryAsync(new QueryRequest { TableName = h.Table, KeyConditionExpression = "PK = :pk", ExpressionAttributeValues = new() { [":pk"] = new AttributeValue { S = LeaveMarkStore.Partition } } });
        Assert.Equal(2, all.Items.Count);
    }
}
