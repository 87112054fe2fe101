using System.Text.Json;
using IsmsServerless.Changes;
using IsmsServerless.Cli;
using IsmsServerless.Engine;
using IsmsServerless.Identity;
using IsmsServerless.Model;
using IsmsServerless.Settings;
using IsmsServerless.Tests.Identity;
using IsmsServerless.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace IsmsServerless.Tests.Changes;

/// <summary>
/// PROC-002 "Changes are implemented by IT Team members": <c>change.implementer-not-authorised</c> on real console and
/// CLI payloads, and the change detail's implementer field on DynamoDB Local.
/// </summary>
[Collection(DynamoDbCollection.Name)]
public sealed class ImplementerTests(DynamoDbLocalFixture dynamo)
{
    private const string RuleId = "change.implementer-not-authorised";
    private static readonly RuleEngine Engine = RuleEngine.CreateDefault();

    // The real console session of the local fixtures (SOURCES.md): IAM user "thien", a manual change on production.
    private static readonly string ThienFirstCall = ChangeDetectionTests.ThienSession[0];

    private static IsmsSettings With(params string[] thienRoles) => new()
    {
        People =
        [
            IdentityResolverTests.Alice,
            new Person { Email = "thien@qwestly.example", Name = "Thien", Roles = thienRoles, Principals = new PersonPrincipals { IamUsers = ["thien"] } },
        ],
    };

    private static List<Evaluation> Judge(byte[] payload, IsmsSettings settings) =>
        Engine.Evaluate(payload, TestContexts.At("2023-06-01T00:00:00Z", settings)).Evaluations.Where(e => e.Rule.Id == RuleId).ToList();

    [Fact]
    public void A_manual_change_by_an_engineer_raises_a_MEDIUM_finding_beside_the_change_record()
    {
        var result = Engine.Evaluate(Fixtures.Local(ThienFirstCall), TestContexts.At("2023-06-01T00:00:00Z", With("engineer")));
        var change = Assert.Single(result.Evaluations, e => e.Outcome == Outcome.Change);
        var finding = Assert.Single(result.Evaluations, e => e.Rule.Id == RuleId);
        Assert.Equal(Outcome.Finding, finding.Outcome);
        Assert.Equal(Severity.Medium, finding.Severity);
        Assert.Equal(Category.Change, finding.Rule.Category);
        Assert.Equal(change.ResourceId, finding.ResourceId);
        Assert.Equal("not-authorised", finding.Evidence["implementer"]);
        Assert.Equal("thien@qwestly.example", finding.Evidence["author"]);
        Assert.Contains("not it-team", finding.Message, StringComparison.Ordinal);
        Assert.Contains(Controls.IsoChangeManagement, finding.Rule.Controls);
        Assert.Contains(Controls.Soc2ChangeManagement, finding.Rule.Controls);
    }

    [Fact]
    public void Every_call_of_the_session_by_an_it_team_member_is_compliant()
    {
        foreach (var file in ChangeDetectionTests.ThienSession)
        {
            var evaluation = Assert.Single(Judge(Fixtures.Local(file), With("it-team")));
            Assert.Equal(Outcome.Compliant, evaluation.Outcome);
            Assert.Equal("authorised", evaluation.Evidence["implementer"]);
        }
    }

    [Fact]
    public void The_implementer_roles_come_from_the_policy()
    {
        var settings = With("engineer") with { ChangeManagement = new ChangeManagementSettings { ImplementerRoles = ["engineer", "it-team"] } };
        Assert.Equal(Outcome.Compliant, Assert.Single(Judge(Fixtures.Local(ThienFirstCall), settings)).Outcome);
        Assert.Empty(settings.ChangeManagement.Validate());
        Assert.NotEmpty((settings with { ChangeManagement = new ChangeManagementSettings { ImplementerRoles = ["janitor"] } }).Validate());
        Assert.NotEmpty((settings with { ChangeManagement = new ChangeManagementSettings { ImplementerRoles = [] } }).Validate());
    }

    [Fact]
    public void Without_people_nothing_is_judged()
    {
        Assert.Empty(Judge(Fixtures.Local(ThienFirstCall), IsmsSettings.Default));
    }

    [Fact]
    public void An_unmapped_author_is_a_finding_under_refuse_and_flagged_under_allow_flagged()
    {
        var people = new IsmsSettings { People = [IdentityResolverTests.Alice] };
        var flagged = Assert.Single(Judge(Fixtures.Local(ThienFirstCall), people));
        Assert.Equal(Outcome.Compliant, flagged.Outcome);
        Assert.Equal("author-unmapped", flagged.Evidence["implementer"]);
        Assert.Contains("maps to no person", flagged.Message, StringComparison.Ordinal);

        var refused = Assert.Single(Judge(Fixtures.Local(ThienFirstCall), people with { UnmappedAuthorReview = UnmappedAuthorReview.Refuse }));
        Assert.Equal(Outcome.Finding, refused.Outcome);
        Assert.Equal("author-unmapped", refused.Evidence["implementer"]);
    }

    [Fact]
    public void The_pipeline_role_is_exempt_and_judged_as_anyone_else_once_it_is_not_the_pipeline()
    {
        // Cloud Custodian's real Glue call from Lambda: role CloudCustodianRole, session custodian-net-change-encryption.
        var payload = Fixtures.Shared("cloudtrail/eb-api-call-glue-put-catalog-encryption.json");
        var settings = new IsmsSettings { People = [IdentityResolverTests.Bob] };
        // Not the pipeline: an out-of-pipeline change by an unmapped principal, flagged.
        Assert.Equal("author-unmapped", Assert.Single(Judge(payload, settings)).Evidence["implementer"]);
        // The pipeline's role: automation, not a person; no change record and no judgement.
        Assert.Empty(Judge(payload, settings with { PipelineRoleNames = ["CloudCustodianRole"] }));
        Assert.Empty(Judge(payload, settings with { PipelineRoleNames = ["CloudCustodianRole"], UnmappedAuthorReview = UnmappedAuthorReview.Refuse }));
    }

    [Fact]
    public void An_emergency_change_by_the_CTO_is_authorised_without_the_it_team_role()
    {
        var payload = Fixtures.Shared("cloudtrail/eb-api-call-s3-createbucket-assumedrole.json");
        var person = new Person { Email = "cto@qwestly.example", Name = "Dominick", Roles = ["cto"], Principals = new PersonPrincipals { RoleSessionNames = ["user"] } };
        var emergency = new IsmsSettings { People = [person], EmergencyRoleNames = ["Sandbox_Dev"] };
        Assert.Equal(Outcome.Compliant, Assert.Single(Judge(payload, emergency)).Outcome);
        // The same person on a non-emergency (console) change is not an implementer.
        Assert.Equal(Outcome.Finding, Assert.Single(Judge(payload, new IsmsSettings { People = [person] })).Outcome);
    }

    [Fact]
    public async Task The_change_detail_shows_the_implementer_verdict()
    {
        var settings = With("engineer");
        var table = await dynamo.NewTableAsync("implementer");
        var input = ChangeTestData.Input(Fixtures.Local(ThienFirstCall));
        var call = ChangeClassifier.ToCall(input, settings)!;
        await new DynamoChangeRegister(dynamo.Client, table, settings).RecordAsync(call);
        var clock = new FakeTimeProvider(call.EventTime.AddHours(1));

        async Task<JsonElement> Show(IsmsSettings s)
        {
            var output = new StringWriter();
            Assert.Equal(0, await ChangesCommand.ShowAsync(dynamo.Client, table, s, clock, call.ChangeId, output, new StringWriter()));
            return JsonDocument.Parse(output.ToString()).RootElement.Clone();
        }

        var shown = await Show(settings);
        Assert.Equal("not-authorised", shown.GetProperty("implementer").GetString());
        Assert.Equal("it-team", Assert.Single(shown.GetProperty("implementerRoles").EnumerateArray()).GetString());
        Assert.Equal("authorised", (await Show(With("it-team"))).GetProperty("implementer").GetString());
        Assert.Equal("not-checked", (await Show(IsmsSettings.Default)).GetProperty("implementer").GetString());
    }
}
