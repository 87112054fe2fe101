using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using IsmsServerless.Access;
using IsmsServerless.Cli.Local;
using IsmsServerless.Engine;
using IsmsServerless.Identity;
using IsmsServerless.Ledger;
using IsmsServerless.Pipeline;
using IsmsServerless.Settings;
using IsmsServerless.StatusPage;
using IsmsServerless.Tests.Drift;
using IsmsServerless.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace IsmsServerless.Tests.StatusPage;

/// <summary>
/// The page's access view over real HTTP against DynamoDB Local (issue 18): the inventory and campaign for any signed-in
/// reader; deciding and marking leavers for reviewers only, as the signed-in person (never a form field), four-eyes on
/// the reviewer's own access, decisions final; the leave mark shown beside the policy file's date.
/// </summary>
[Collection(DynamoDbCollection.Name)]
public sealed class AccessApiTests(DynamoDbLocalFixture dynamo) : IAsyncLifetime
{
    private readonly FakeTimeProvider _clock = TestContexts.ClockAt("2026-11-23T09:00:00Z");
    private StatusServer _server = null!;
    private HttpClient _http = null!;
    private string _campaign = "";

    private static readonly IsmsSettings Settings = IsmsSettings.Default with
    {
        People =
        [
            new Person { Email = "cto@example.com", Name = "CTO", Roles = ["cto"] },
            new Person { Email = "john@example.com", Name = "John", Roles = ["it-director"], Principals = new PersonPrincipals { IamUsers = ["johndoe"] } },
        ],
    };

    public async Task InitializeAsync()
    {
        var table = await dynamo.NewTableAsync("access-api");
        var pipeline = new IngestPipeline(RuleEngine.CreateDefault(), InputEnrichers.Default(dynamo.Client, table), new DynamoDbFindingLedger(dynamo.Client, table, Settings));
        await pipeline.ProcessAsync(DriftPayloads.ItemChange(DriftPayloads.Item("ci-iam-user-rdk.json")), new EvaluationContext(Settings, _clock));
        _campaign = (await new AccessReviewService(dynamo.Client, table, Settings, _clock).OpenAsync("cto@example.com")).Id;
        LeaveMarkStore.Invalidate();
        _server = await StatusServer.StartAsync(StatusPageComposition.Create(dynamo.Client, table, Settings, _clock), 0, _clock);
        _http = new HttpClient { BaseAddress = _server.Url };
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _server.DisposeAsync();
    }

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? token, object? body = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null) request.Content = new StringContent(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json");
        if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await _http.SendAsync(request);
    }

    private static async Task<JsonElement> Json(HttpResponseMessage response) => JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();

    [Fact]
    public async Task Readers_see_the_inventory_and_the_campaign_reviewers_decide_as_themselves()
    {
        using (var anonymous = await SendAsync(HttpMethod.Get, "/api/access", null)) Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        var reader = _server.Issuer.Issue("reader@example.com", []);
        using (var inventory = await SendAsync(HttpMethod.Get, "/api/access", reader))
        {
            Assert.Equal(HttpStatusCode.OK, inventory.StatusCode);
            var johndoe = (await Json(inventory)).GetProperty("items").EnumerateArray().Single(p => p.GetProperty("name").GetString() == "johndoe");
            Assert.True(johndoe.GetProperty("admin").GetBoolean());
        }
        using (var review = await SendAsync(HttpMethod.Get, "/api/access-review", reader))
        {
            var campaign = (await Json(review)).GetProperty("campaign");
            Assert.Equal(_campaign, campaign.GetProperty("id").GetString());
            Assert.Equal(1, campaign.GetProperty("undecided").GetInt32());
        }

        var body = new { principal = "arn:aws:iam::112233445566:user/johndoe", decision = "reduce", note = "codedeploy only", by = "cto@example.com" };
        var path = $"/api/access-review/{_campaign}/decide";
        using (var notReviewer = await SendAsync(HttpMethod.Post, path, reader, body)) Assert.Equal(HttpStatusCode.Forbidden, notReviewer.StatusCode);
        // john is a reviewer, but johndoe is his own user: the "by" in the body does not make him someone else.
        using (var own = await SendAsync(HttpMethod.Post, path, _server.Issuer.Issue("john@example.com", ["reviewers"]), body))
        {
            Assert.Equal(HttpStatusCode.Forbidden, own.StatusCode);
            Assert.Contains("four-eyes", await own.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        using (var ok = await SendAsync(HttpMethod.Post, path, _server.Issuer.Issue("cto@example.com", ["reviewers"]), body))
        {
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
            var decided = await Json(ok);
            Assert.Equal("reduce", decided.GetProperty("decision").GetString());
            Assert.Equal("cto@example.com", decided.GetProperty("decidedBy").GetString());
        }
        using (var again = await SendAsync(HttpMethod.Post, path, _server.Issuer.Issue("ceo@example.com", ["reviewers"]), body)) Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        using (var unknown = await SendAsync(HttpMethod.Post, "/api/access-review/obl-000000000000000000000000/decide", _server.Issuer.Issue("ceo@example.com", ["reviewers"]), body))
            Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task A_reviewer_marks_a_leaver_and_the_page_shows_the_mark_beside_the_file()
    {
        var cto = _server.Issuer.Issue("cto@example.com", ["reviewers"]);
        using (var bad = await SendAsync(HttpMethod.Post, "/api/people/leave", cto, new { email = "john@example.com", leftAt = "yesterday" })) Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        using (var self = await SendAsync(HttpMethod.Post, "/api/people/leave", _server.Issuer.Issue("john@example.com", ["reviewers"]), new { email = "john@example.com", leftAt = "2026-11-20" }))
            Assert.Equal(HttpStatusCode.Forbidden, self.StatusCode);
        using (var ok = await SendAsync(HttpMethod.Post, "/api/people/leave", cto, new { email = "john@example.com", leftAt = "2026-11-20" })) Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        using var people = await SendAsync(HttpMethod.Get, "/api/people", _server.Issuer.Issue("reader@example.com", []));
        var john = (await Json(people)).GetProperty("items").EnumerateArray().Single(p => p.GetProperty("email").GetString() == "john@example.com");
        Assert.Equal(JsonValueKind.Null, john.GetProperty("fileLeftAt").ValueKind);
        Assert.Equal("2026-11-20", john.GetProperty("mark").GetProperty("leftAt").GetString());
        Assert.Equal("cto@example.com", john.GetProperty("mark").GetProperty("markedBy").GetString());
        Assert.Equal("2026-11-20", john.GetProperty("leftAt").GetString());
    }
}
