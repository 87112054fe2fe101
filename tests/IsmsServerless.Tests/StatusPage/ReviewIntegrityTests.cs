using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using IsmsServerless.Cli.Local;
using IsmsServerless.Drift;
using IsmsServerless.Engine;
using IsmsServerless.Ledger;
using IsmsServerless.Model;
using IsmsServerless.Pipeline;
using IsmsServerless.Settings;
using IsmsServerless.StatusPage;
using IsmsServerless.Tests.Drift;
using IsmsServerless.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace IsmsServerless.Tests.StatusPage;

/// <summary>
/// Issue 15 on the status page over HTTP against DynamoDB Local: no self-acknowledge or self-waiver on findings a
/// person's own change produced, baseline approval names the configuration version the reviewer saw (409 with the new
/// diff when stale), and never-approvable findings are not offered for approval.
/// </summary>
[Collection(DynamoDbCollection.Name)]
public sealed class ReviewIntegrityTests(DynamoDbLocalFixture dynamo)
{
    private const string TrailKey = "arn:aws:cloudtrail:ap-southeast-1:123456789012:trail/APJCCloudTrail";
    private readonly FakeTimeProvider _clock = TestContexts.ClockAt("2026-11-23T09:00:00Z");
    private EvaluationContext Context => new(IsmsSettings.Default, _clock);

    private static JsonObject Trail(string captured, string bucket)
    {
        // RDK's real CloudTrail trail configuration item (Fixtures/drift, SOURCES.md); capture time and bucket varied.
        var item = DriftPayloads.Item("ci-cloudtrail-trail-rdk.json");
        item["configurationItemCaptureTime"] = captured;
        item["configuration"]!["s3BucketName"] = bucket;
        return item;
    }

    private static async Task<JsonElement> JsonAsync(HttpResponseMessage response)
    {
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return doc.RootElement.Clone();
    }

    private static HttpRequestMessage Request(HttpMethod method, string path, string token, object? body = null)
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (body is not null) request.Content = new StringContent(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json");
        return request;
    }

    [Fact]
    public async Task Baseline_approval_names_the_version_seen_and_a_newer_configuration_is_a_409_with_its_diff()
    {
        var table = await dynamo.NewTableAsync("integrity");
        var ledger = new DynamoDbFindingLedger(dynamo.Client, table, IsmsSettings.Default);
        var pipeline = new IngestPipeline(RuleEngine.CreateDefault(), InputEnrichers.Default(dynamo.Client, table), ledger);
        var baselines = new BaselineService(new DriftStore(dynamo.Client, table), ledger);
        await pipeline.ProcessAsync(DriftPayloads.ItemChange(Trail("2026-11-23T08:00:00Z", "mborch-apjc-cloudtrail-bucket")), Context);
        await baselines.ApproveAndRecordAsync("APJCCloudTrail", "cto@example.com", "CHG-1", Context);
        _clock.Advance(TimeSpan.FromMinutes(10));
        await pipeline.ProcessAsync(DriftPayloads.ItemChange(Trail("2026-11-23T09:09:00Z", "logs-bucket-v2")), Context);
        var drift = (await ledger.QueryByResourceAsync(TrailKey, 100)).Items.Single(f => f.RuleId == "drift.approved-snapshot-drift");

        await using var server = await StatusServer.StartAsync(StatusPageComposition.Create(dynamo.Client, table, IsmsSettings.Default, _clock), 0, _clock);
        using var http = new HttpClient { BaseAddress = server.Url };
        var token = server.Issuer.Issue("it-director@example.com", ["reviewers"]);
        var detail = await JsonAsync(await http.SendAsync(Request(HttpMethod.Get, "/api/findings/" + drift.Id, token)));
        Assert.True(detail.GetProperty("baselineApprovable").GetBoolean());
        var seen = detail.GetProperty("configurationVersion").GetString()!;

        // Meanwhile someone points the trail at an attacker's bucket.
        _clock.Advance(TimeSpan.FromMinutes(5));
        await pipeline.ProcessAsync(DriftPayloads.ItemChange(Trail("2026-11-23T09:14:00Z", "attacker-bucket")), Context);

        using var stale = await http.SendAsync(Request(HttpMethod.Post, $"/api/findings/{drift.Id}/baseline/approve", token, new { reason = "CHG-2 new bucket", configurationVersion = seen }));
        Assert.Equal(HttpStatusCode.Conflict, stale.StatusCode);
        var conflict = await JsonAsync(stale);
        var current = conflict.GetProperty("configurationVersion").GetString()!;
        Assert.NotEqual(seen, current);
        Assert.Contains(conflict.GetProperty("diff").EnumerateArray(), d => d.GetProperty("actual").GetString() == "attacker-bucket");
        Assert.Equal(1, (await baselines.GetAsync(TrailKey))!.Version); // nothing approved

        using var missing = await http.SendAsync(Request(HttpMethod.Post, $"/api/findings/{drift.Id}/baseline/approve", token, new { reason = "no version" }));
        Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);

        using var ok = await http.SendAsync(Request(HttpMethod.Post, $"/api/findings/{drift.Id}/baseline/approve", token, new { reason = "CHG-3 reviewed the new diff", configurationVersion = current }));
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        var approved = (await baselines.GetAsync(TrailKey))!;
        Assert.Equal(2, approved.Version);
        Assert.Equal("attacker-bucket", Json.Text(approved.Configuration, "s3BucketName"));
    }

    private async Task<(string Table, string Finding, StatusServer Server)> SeedFindingAsync(string ruleId, Dictionary<string, string> evidence)
    {
        var table = await dynamo.NewTableAsync("integrity");
        var registry = RuleRegistry.CreateDefault();
        var evaluation = new Evaluation
        {
            Rule = registry.Find(ruleId)!.Metadata, Outcome = Outcome.Finding, ResourceId = "sg-0123456789abcdef0", ResourceType = "AWS::EC2::SecurityGroup",
            AccountId = "111122223333", Region = "eu-west-1", Message = "finding", ClockStart = _clock.GetUtcNow(), ObservedAt = _clock.GetUtcNow(), Evidence = evidence,
        };
        var settings = new IsmsSettings { People = [Identity.IdentityResolverTests.Alice, Identity.IdentityResolverTests.Bob] };
        await new DynamoDbFindingLedger(dynamo.Client, table, settings).RecordAsync([evaluation], Context);
        var server = await StatusServer.StartAsync(StatusPageComposition.Create(dynamo.Client, table, settings, _clock), 0, _clock);
        return (table, evaluation.FindingId, server);
    }

    [Fact]
    public async Task SSH_open_to_the_world_is_not_offered_for_baseline_approval_and_approval_is_refused()
    {
        var (_, id, server) = await SeedFindingAsync("drift.security-group-baseline", new() { ["unmetRequirements"] = "sg.no-world-admin-ports" });
        await using (server)
        {
            using var http = new HttpClient { BaseAddress = server.Url };
            var token = server.Issuer.Issue("it-director@example.com", ["reviewers"]);
            var detail = await JsonAsync(await http.SendAsync(Request(HttpMethod.Get, "/api/findings/" + id, token)));
            Assert.False(detail.GetProperty("baselineApprovable").GetBoolean());
            Assert.Contains("never be approved", detail.GetProperty("notApprovableReason").GetString(), StringComparison.Ordinal);
            using var approve = await http.SendAsync(Request(HttpMethod.Post, $"/api/findings/{id}/baseline/approve", token, new { reason = "accept", configurationVersion = "cfg-x" }));
            Assert.Equal(HttpStatusCode.BadRequest, approve.StatusCode);
            var after = await JsonAsync(await http.SendAsync(Request(HttpMethod.Get, "/api/findings/" + id, token)));
            Assert.Equal("open", after.GetProperty("finding").GetProperty("status").GetString()); // not quietly acknowledged
        }
    }

    [Fact]
    public async Task The_author_of_a_change_cannot_acknowledge_or_waive_its_findings_and_the_waiver_records_who_granted_it()
    {
        var (_, id, server) = await SeedFindingAsync("monitoring.iam-admin-action",
            new() { ["actor"] = "arn:aws:sts::111122223333:assumed-role/Admin/breakglass-alice", ["eventName"] = "AuthorizeSecurityGroupIngress" });
        await using (server)
        {
            using var http = new HttpClient { BaseAddress = server.Url };
            var alice = server.Issuer.Issue("alice", ["reviewers"]);
            var expires = _clock.GetUtcNow().AddDays(300).ToString("O", System.Globalization.CultureInfo.InvariantCulture);
            using (var ack = await http.SendAsync(Request(HttpMethod.Post, $"/api/findings/{id}/acknowledge", alice, new { reason = "mine, fine" })))
                Assert.Equal(HttpStatusCode.Forbidden, ack.StatusCode);
            using (var waive = await http.SendAsync(Request(HttpMethod.Post, $"/api/findings/{id}/waiver", alice, new { reason = "accept", owner = "bob@qwestly.example", expiresAt = expires })))
                Assert.Equal(HttpStatusCode.Forbidden, waive.StatusCode);

            var bob = server.Issuer.Issue("bob", ["reviewers"]);
            using (var waive = await http.SendAsync(Request(HttpMethod.Post, $"/api/findings/{id}/waiver", bob, new { reason = "accepted until Q3", owner = "alice@qwestly.example", expiresAt = expires })))
                Assert.Equal(HttpStatusCode.OK, waive.StatusCode);
            var detail = await JsonAsync(await http.SendAsync(Request(HttpMethod.Get, "/api/findings/" + id, bob)));
            var waiver = detail.GetProperty("finding").GetProperty("waiver");
            Assert.Equal("bob@qwestly.example (sub local-bob)", waiver.GetProperty("grantedBy").GetString());
            Assert.Equal("alice@qwestly.example", waiver.GetProperty("owner").GetString());
        }
    }
}
