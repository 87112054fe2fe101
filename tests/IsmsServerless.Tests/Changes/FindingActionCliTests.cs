using System.Text.Json;
using IsmsServerless.Cli;
using IsmsServerless.Engine;
using IsmsServerless.Identity;
using IsmsServerless.Ledger;
using IsmsServerless.Model;
using IsmsServerless.Review;
using IsmsServerless.Settings;
using IsmsServerless.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace IsmsServerless.Tests.Changes;

/// <summary>
/// Review-integrity residue closed with issue 19: <c>./isms ack</c>, <c>./isms waive</c> and <c>./isms baseline approve</c>
/// go through the status page's service (<see cref="FindingActions"/>): the actor resolved through IdentityResolver, and
/// four-eyes against the person whose change produced the finding. DynamoDB Local.
/// </summary>
[Collection(DynamoDbCollection.Name)]
public sealed class FindingActionCliTests(DynamoDbLocalFixture dynamo)
{
    private static readonly IsmsSettings Team = new()
    {
        People =
        [
            new Person { Email = "dora@qwestly.example", Name = "Dora", Roles = ["it-director"] },
            new Person { Email = "zed@qwestly.example", Name = "Zed", Roles = ["engineer"], Principals = new PersonPrincipals { RoleSessionNames = ["zed"] } },
        ],
    };

    private const string Bucket = "arn:aws:s3:::evidence-bucket";
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.Parse("2026-11-20T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>A drift finding whose evidence names the session that made the change (as the CloudTrail drift rules record it).</summary>
    private async Task<(string Table, string FindingId)> SeedAsync()
    {
        var table = await dynamo.NewTableAsync("findact");
        var registry = RuleRegistry.CreateDefault();
        var context = new EvaluationContext(Team, _clock);
        var ledger = new DynamoDbFindingLedger(dynamo.Client, table, Team);
        await ledger.RecordAsync(
        [
            new Evaluation
            {
                Rule = registry.Find("drift.s3-bucket-baseline")!.Metadata, Outcome = Outcome.Finding, ResourceId = Bucket, ResourceType = "AWS::S3::Bucket",
                AccountId = "111122223333", Region = "eu-west-1", Message = "Default encryption removed", ObservedAt = _clock.GetUtcNow().AddHours(-1),
                Evidence = new Dictionary<string, string> { ["principal"] = "BreakGlass-zed" },
            },
        ], context);
        var finding = Assert.Single((await ledger.QueryByResourceAsync(Bucket, 10)).Items);
        return (table, finding.Id);
    }

    private async Task<(int Exit, string Output, string Errors)> RunAsync(string table, Func<FindingActions, ResolvedIdentity, string, Task<FindingRecord>> act, string actor)
    {
        var output = new StringWriter();
        var errors = new StringWriter();
        var exit = await FindingActionCommands.RunAsync(dynamo.Client, table, Team, "ack", output, errors, act, actor);
        return (exit, output.ToString(), errors.ToString());
    }

    [Fact]
    public async Task Ack_refuses_the_author_and_unmapped_names_and_records_the_person_otherwise()
    {
        var (table, id) = await SeedAsync();
        var now = _clock.GetUtcNow();
        var self = await RunAsync(table, (a, who, recorded) => a.AcknowledgeAsync(id, who, recorded, "mine, fine", now, CancellationToken.None), "ZED@qwestly.example");
        Assert.Equal(1, self.Exit);
        Assert.Contains("FourEyes", self.Errors, StringComparison.Ordinal);
        var stranger = await RunAsync(table, (a, who, recorded) => a.AcknowledgeAsync(id, who, recorded, "looks fine", now, CancellationToken.None), "mallory");
        Assert.Equal(1, stranger.Exit);
        Assert.Contains("UnmappedActor", stranger.Errors, StringComparison.Ordinal);
        var ok = await RunAsync(table, (a, who, recorded) => a.AcknowledgeAsync(id, who, recorded, "tracked in OPS-12", now, CancellationToken.None), "Dora@Qwestly.example");
        Assert.True(ok.Exit == 0, ok.Errors);
        var line = JsonDocument.Parse(ok.Output).RootElement;
        Assert.Equal("acknowledged", line.GetProperty("status").GetString());
        Assert.Equal("dora@qwestly.example", line.GetProperty("actor").GetString());
    }

    [Fact]
    public async Task Waive_is_time_boxed_and_four_eyes_like_the_page()
    {
        var (table, id) = await SeedAsync();
        var now = _clock.GetUtcNow();
        var tooLong = await RunAsync(table, (a, who, recorded) => a.WaiveAsync(id, who, recorded, null, "accepted", null, now.AddDays(400), now, CancellationToken.None), "dora@qwestly.example");
        Assert.Equal(1, tooLong.Exit);
        Assert.Contains("within a year", tooLong.Errors, StringComparison.Ordinal);
        var self = await RunAsync(table, (a, who, recorded) => a.WaiveAsync(id, who, recorded, null, "accepted", null, now.AddDays(30), now, CancellationToken.None), "zed");
        Assert.Equal(1, self.Exit);
        var ok = await RunAsync(table, (a, who, recorded) => a.WaiveAsync(id, who, recorded, null, "compensating control: SCP", null, now.AddDays(30), now, CancellationToken.None), "dora@qwestly.example");
        Assert.True(ok.Exit == 0, ok.Errors);
        Assert.StartsWith("2026-12-20", JsonDocument.Parse(ok.Output).RootElement.GetProperty("waiverExpiresAt").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Baseline_approve_refuses_the_person_whose_change_drifted_the_resource()
    {
        var (table, _) = await SeedAsync();
        var errors = new StringWriter();
        var exit = await BaselineCommand.RunApproveAsync(dynamo.Client, table, Bucket, "zed@qwestly.example", "approve my own change",
            new EvaluationContext(Team, _clock), new StringWriter(), errors, configurationVersion: "v1");
        Assert.Equal(1, exit);
        Assert.Contains("four-eyes", errors.ToString(), StringComparison.Ordinal);
        var unmapped = new StringWriter();
        Assert.Equal(1, await BaselineCommand.RunApproveAsync(dynamo.Client, table, Bucket, "mallory", "approve", new EvaluationContext(Team, _clock), new StringWriter(), unmapped, configurationVersion: "v1"));
        Assert.Contains("UnmappedActor", unmapped.ToString(), StringComparison.Ordinal);
    }
}
