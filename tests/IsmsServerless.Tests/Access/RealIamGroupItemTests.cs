using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using IsmsServerless.Access;
using IsmsServerless.Cli;
using IsmsServerless.Engine;
using IsmsServerless.Identity;
using IsmsServerless.Inputs;
using IsmsServerless.Ledger;
using IsmsServerless.Model;
using IsmsServerless.Pipeline;
using IsmsServerless.Settings;
using IsmsServerless.Sweep;
using IsmsServerless.Tests.Support;

namespace IsmsServerless.Tests.Access;

/// <summary>
/// A real <c>AWS::IAM::Group</c> configuration item (Fixtures/access/ci-iam-group-json-strings-perspective.json, source
/// in SOURCES.md): the API/aggregator form AWS Perspective stored, where <c>configuration</c>,
/// <c>supplementaryConfiguration</c>, <c>tags</c> and <c>relatedEvents</c> are JSON in strings, the account is redacted to
/// <c>XXXXXXXXXXXX</c>, and the tool added flattened copies (<c>groupName</c>, <c>path</c>, <c>title</c>, console URLs).
/// Before the fix the adapter rejected it (<c>supplementaryConfiguration</c> "is a string that is not a JSON object"), so
/// no group ever reached the access inventory from this form. DynamoDB Local for the pipeline.
/// </summary>
[Collection(DynamoDbCollection.Name)]
public sealed class RealIamGroupItemTests(DynamoDbLocalFixture dynamo)
{
    private const string Fixture = "access/ci-iam-group-json-strings-perspective.json";
    private const string GroupKey = "arn:aws:iam::XXXXXXXXXXXX:group/CoCoMi";

    private static readonly IsmsSettings Settings = IsmsSettings.Default with
    {
        People = [new Person { Email = "cto@example.com", Name = "CTO", Roles = ["cto"] }],
        Access = new AccessSettings { ReviewRemediationDays = 5 },
    };

    [Fact]
    public void The_published_item_is_adapted_with_its_json_in_string_fields_unwrapped()
    {
        var result = RuleEngine.CreateDefault().Adapt(Fixtures.Local(Fixture), TestContexts.At("2026-11-24T12:00:00Z"));
        Assert.False(result.Rejected, result.Error);
        var item = Assert.IsType<ConfigItemInput>(Assert.Single(result.Inputs));
        Assert.Equal("AWS::IAM::Group", item.ResourceType);
        Assert.Equal(GroupKey, item.ResourceKey);
        Assert.Equal("XXXXXXXXXXXX", item.AccountId); // the redaction is kept, not "fixed"
        Assert.Equal(JsonValueKind.Object, item.Configuration.ValueKind);
        Assert.Equal("AWSCodeCommitPowerUser", item.Configuration.GetProperty("attachedManagedPolicies")[0].GetProperty("policyName").GetString());
        Assert.Empty(item.Tags);
    }

    [Fact]
    public void Isms_evaluate_reads_the_file_without_rejecting_it()
    {
        var output = new StringWriter();
        Assert.Equal(0, EvaluateCommand.Run([Fixtures.LocalPath(Fixture)], TestContexts.At("2026-11-24T12:00:00Z"), RuleEngine.CreateDefault(), output));
        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();
        Assert.DoesNotContain(lines, l => l.GetProperty("outcome").GetString() == "rejected");
    }

    [Theory]
    [InlineData("[]", "supplementaryConfiguration")]                 // JSON in the string, but not an object
    [InlineData("\"{not json\"", "supplementaryConfiguration")]     // a string that does not parse
    public void A_json_string_that_is_not_an_object_is_still_rejected_with_the_reason(string supplementary, string field)
    {
        var item = JsonNode.Parse(Fixtures.Local(Fixture))!.AsObject();
        item["supplementaryConfiguration"] = JsonNode.Parse(supplementary);
        if (supplementary == "[]") item["supplementaryConfiguration"] = "[]";
        var result = RuleEngine.CreateDefault().Adapt(Encoding.UTF8.GetBytes(item.ToJsonString()), TestContexts.At("2026-11-24T12:00:00Z"));
        Assert.True(result.Rejected);
        Assert.Contains(field, result.Error, StringComparison.Ordinal);
    }

    /// <summary>The published item with its configuration string edited: AdministratorAccess attached as well (EDITED), captured at <paramref name="captured"/>.</summary>
    private static byte[] WithAdmin(string captured)
    {
        var item = JsonNode.Parse(Fixtures.Local(Fixture))!.AsObject();
        var configuration = JsonNode.Parse(item["configuration"]!.GetValue<string>())!.AsObject();
        configuration["attachedManagedPolicies"]!.AsArray().Add(new JsonObject { ["policyName"] = "AdministratorAccess", ["policyArn"] = "arn:aws:iam::aws:policy/AdministratorAccess" });
        item["configuration"] = configuration.ToJsonString(); // still JSON in a string, as published
        item["configurationItemCaptureTime"] = captured;
        return Encoding.UTF8.GetBytes(item.ToJsonString());
    }

    private static byte[] Published(string captured)
    {
        var item = JsonNode.Parse(Fixtures.Local(Fixture))!.AsObject();
        item["configurationItemCaptureTime"] = captured;
        return Encoding.UTF8.GetBytes(item.ToJsonString());
    }

    [Fact]
    public async Task The_group_reaches_the_review_and_a_reduce_decision_is_an_access_finding_that_config_resolves()
    {
        var table = await dynamo.NewTableAsync("real-group");
        var clock = TestContexts.ClockAt("2026-11-23T09:00:00Z");
        var ledger = new DynamoDbFindingLedger(dynamo.Client, table, Settings);
        var pipeline = new IngestPipeline(RuleEngine.CreateDefault(), InputEnrichers.Default(dynamo.Client, table), ledger);
        var context = new EvaluationContext(Settings, clock);
        var review = new AccessReviewService(dynamo.Client, table, Settings, clock, "XXXXXXXXXXXX", "us-east-1");

        Assert.False((await pipeline.ProcessAsync(WithAdmin("2026-11-22T13:06:58.939Z"), context)).Engine.Rejected);
        var inventory = await new AccessInventoryService(dynamo.Client, table, Settings).ReadAsync();
        var group = Assert.Single(inventory.Principals, p => p.Kind == "group");
        Assert.Equal(GroupKey, group.Key);
        Assert.Equal(["AWSCodeCommitPowerUser", "AdministratorAccess"], group.Policies.Select(p => p.Name));
        Assert.Equal(["AdministratorAccess (attached AdministratorAccess)"], group.AdminVia);

        var campaign = await review.OpenAsync("cto@example.com");
        Assert.Contains("AdministratorAccess (attached AdministratorAccess)", Assert.Single(campaign.Principals).AdminVia);
        await review.DecideAsync(campaign.Id, "CoCoMi", "reduce", "code commit only", "cto@example.com", ledger);
        var finding = Assert.Single((await ledger.QueryByResourceAsync(GroupKey, 20)).Items, f => f.RuleId == "access.review-decision");
        Assert.Equal(FindingStatus.Open, finding.Status);
        Assert.Equal(Category.Access, finding.Category);

        // Config captures the group as published (AWSCodeCommitPowerUser only): the next sweep sees the reduce in effect.
        clock.Advance(TimeSpan.FromDays(1));
        await pipeline.ProcessAsync(Published("2026-11-24T08:00:00.000Z"), context);
        await new AccessReviewRecheckStep().RunAsync(new SweepContext(dynamo.Client, table, ledger, new EvaluationContext(Settings, clock)), CancellationToken.None);
        Assert.Equal(FindingStatus.Resolved, Assert.Single((await ledger.QueryByResourceAsync(GroupKey, 20)).Items, f => f.RuleId == "access.review-decision").Status);
    }
}
