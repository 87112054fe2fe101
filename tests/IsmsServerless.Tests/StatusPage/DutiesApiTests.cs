using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using IsmsServerless.Cli.Local;
using IsmsServerless.Obligations;
using IsmsServerless.Settings;
using IsmsServerless.StatusPage;
using IsmsServerless.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace IsmsServerless.Tests.StatusPage;

/// <summary>
/// The duties calendar over real HTTP against DynamoDB Local: authenticated reads, the attest action for reviewers only,
/// the attester taken from the token (never the form), four-eyes and evidence validation, output encoding.
/// </summary>
[Collection(DynamoDbCollection.Name)]
public sealed class DutiesApiTests(DynamoDbLocalFixture dynamo) : IAsyncLifetime
{
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);
    private StatusServer _server = null!;
    private HttpClient _http = null!;
    private DynamoObligationStore _store = null!;
    private string _dutyId = "";

    private IsmsSettings Settings() => new()
    {
        Duties =
        [
            new DutyDefinition
            {
                Id = "access-review", Title = "Quarterly access review <script>alert(1)</script>", Controls = ["ISO27001:2022 A.5.18", "SOC2 CC6.2"],
                OwnerRole = "cto", Cadence = "quarterly", FourEyes = true, Author = "author@example.com", EvidenceExpected = "the campaign",
                FirstDue = _clock.GetUtcNow().AddDays(10).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            },
        ],
    };

    public async Task InitializeAsync()
    {
        var table = await dynamo.NewTableAsync("duties");
        var settings = Settings();
        _store = new DynamoObligationStore(dynamo.Client, table, settings);
        var opened = await new DutyScheduler(_store, settings, "123456789012", "eu-west-1").EnsureOpenAsync(_clock.GetUtcNow());
        _dutyId = Assert.Single(opened.Opened).Id;
        _server = await StatusServer.StartAsync(StatusPageComposition.Create(dynamo.Client, table, settings, _clock), 0, _clock);
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

    [Fact]
    public async Task The_calendar_needs_a_token_and_lists_owner_control_due_and_state()
    {
        using (var anonymous = await SendAsync(HttpMethod.Get, "/api/duties", null)) Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        using var response = await SendAsync(HttpMethod.Get, "/api/duties", _server.Issuer.Issue("reader@example.com", []));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain("<script>", text, StringComparison.Ordinal);
        var item = Assert.Single(JsonDocument.Parse(text).RootElement.GetProperty("items").EnumerateArray());
        Assert.Equal(_dutyId, item.GetProperty("id").GetString());
        Assert.Equal(("ISO27001:2022 A.5.18", "cto", "due"), (item.GetProperty("control").GetString(), item.GetProperty("owner").GetString(), item.GetProperty("state").GetString()));
        Assert.True(item.GetProperty("attestable").GetBoolean());
    }

    [Fact]
    public async Task Only_reviewers_attest_and_the_attester_is_the_signed_in_user_not_the_form()
    {
        var body = new { evidence = new[] { "https://wiki.example/access-review" }, note = "ok", by = "someone-else@example.com" };
        using (var reader = await SendAsync(HttpMethod.Post, $"/api/duties/{_dutyId}/attest", _server.Issuer.Issue("reader@example.com", []), body))
            Assert.Equal(HttpStatusCode.Forbidden, reader.StatusCode);
        using (var author = await SendAsync(HttpMethod.Post, $"/api/duties/{_dutyId}/attest", _server.Issuer.Issue("Author@Example.com", ["reviewers"]), body))
        {
            Assert.Equal(HttpStatusCode.Conflict, author.StatusCode);
            Assert.Contains("four-eyes", await author.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        using (var http = await SendAsync(HttpMethod.Post, $"/api/duties/{_dutyId}/attest", _server.Issuer.Issue("cto@example.com", ["reviewers"]),
            new { evidence = new[] { "http://wiki.example/x" } }))
            Assert.Equal(HttpStatusCode.BadRequest, http.StatusCode);
        Assert.False((await _store.GetAsync(_dutyId))!.Done);

        using (var ok = await SendAsync(HttpMethod.Post, $"/api/duties/{_dutyId}/attest", _server.Issuer.Issue("cto@example.com", ["reviewers"]), body))
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        var attestation = (await _store.GetAsync(_dutyId))!.Attestation!;
        Assert.Equal("cto@example.com", attestation.By);
        Assert.False(string.IsNullOrEmpty(attestation.Subject));
        Assert.DoesNotContain("someone-else", attestation.Subject, StringComparison.Ordinal);
        Assert.Equal(["https://wiki.example/access-review"], attestation.Evidence.ToArray());

        using var again = await SendAsync(HttpMethod.Post, $"/api/duties/{_dutyId}/attest", _server.Issuer.Issue("ceo@example.com", ["reviewers"]), body);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
    }
}
