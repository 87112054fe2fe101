using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using IsmsServerless.Cli.Local;
using IsmsServerless.Engine;
using IsmsServerless.Incidents;
using IsmsServerless.Ledger;
using IsmsServerless.Obligations;
using IsmsServerless.Pipeline;
using IsmsServerless.Settings;
using IsmsServerless.StatusPage;
using IsmsServerless.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace IsmsServerless.Tests.StatusPage;

/// <summary>
/// The status page's incidents view over real HTTP against DynamoDB Local: a real GuardDuty finding (licensed fixture)
/// through the ingest pipeline opens the incident; the list shows its three clocks, the drill-down its findings; closing a
/// clock needs the reviewers group, takes the person from the token, and keeps the incident rules (a note on the
/// acknowledgement); the duties calendar refuses to attest an incident clock around those rules.
/// </summary>
[Collection(DynamoDbCollection.Name)]
public sealed class IncidentsApiTests(DynamoDbLocalFixture dynamo) : IAsyncLifetime
{
    private static readonly DateTimeOffset Earliest = DateTimeOffset.Parse("2017-11-01T22:05:00Z", CultureInfo.InvariantCulture);
    private readonly FakeTimeProvider _clock = new(Earliest.AddMinutes(10));
    private StatusServer _server = null!;
    private HttpClient _http = null!;
    private DynamoObligationStore _store = null!;
    private string _incidentId = "";
    private string _table = "";

    public async Task InitializeAsync()
    {
        var table = _table = await dynamo.NewTableAsync("incidents-api");
        var settings = IsmsSettings.Default;
        _store = new DynamoObligationStore(dynamo.Client, table, settings);
        var pipeline = new IngestPipeline(RuleEngine.CreateDefault(), [], new DynamoDbFindingLedger(dynamo.Client, table, settings), null, RecordedHooks.Default(dynamo.Client, table, settings));
        var result = await pipeline.ProcessAsync(Fixtures.Local("incident/eb-guardduty-sshbruteforce-sev8-derived.json"), new EvaluationContext(settings, _clock));
        _incidentId = Assert.Single(result.Engine.Evaluations).Evidence["incidentId"];
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

    private async Task<JsonNode> GetAsync(string path)
    {
        using var response = await SendAsync(HttpMethod.Get, path, _server.Issuer.Issue("reader@example.com", []));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
    }

    [Fact]
    public async Task The_list_shows_each_incident_with_its_three_clocks_and_the_drill_down_its_findings()
    {
        using (var anonymous = await SendAsync(HttpMethod.Get, "/api/incidents", null)) Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        var list = await GetAsync("/api/incidents");
        var incident = Assert.Single(list["items"]!.AsArray())!;
        Assert.Equal((_incidentId, true), (incident["incidentId"]!.GetValue<string>(), incident["open"]!.GetValue<bool>()));
        Assert.Equal(["acknowledge", "document", "review"], incident["clocks"]!.AsArray().Select(c => c!["clock"]!.GetValue<string>()));
        Assert.Equal(["2017-11-01T23:05:00Z", "2017-11-02T22:05:00Z", "2017-11-08T22:05:00Z"], incident["clocks"]!.AsArray().Select(c => c!["dueAt"]!.GetValue<string>()));

        var detail = await GetAsync("/api/incidents/" + _incidentId);
        var finding = Assert.Single(detail["findings"]!.AsArray())!;
        Assert.Equal("incident.security-incident", finding["ruleId"]!.GetValue<string>());

        using (var bad = await SendAsync(HttpMethod.Get, "/api/incidents/inc-%3Cscript%3E", _server.Issuer.Issue("reader@example.com", []))) Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        using (var none = await SendAsync(HttpMethod.Get, "/api/incidents/inc-000000000000000000000000", _server.Issuer.Issue("reader@example.com", []))) Assert.Equal(HttpStatusCode.NotFound, none.StatusCode);
    }

    [Fact]
    public async Task Closing_a_clock_needs_a_reviewer_takes_the_person_from_the_token_and_keeps_the_incident_rules()
    {
        var path = $"/api/incidents/{_incidentId}/ack";
        var body = new { note = "one host brute-forced; SG closed; #sec notified", by = "someone-else@example.com" };
        using (var reader = await SendAsync(HttpMethod.Post, path, _server.Issuer.Issue("reader@example.com", []), body)) Assert.Equal(HttpStatusCode.Forbidden, reader.StatusCode);
        using (var noNote = await SendAsync(HttpMethod.Post, path, _server.Issuer.Issue("ana@example.com", ["reviewers"]), new { note = "" })) Assert.Equal(HttpStatusCode.BadRequest, noNote.StatusCode);
        // The duties calendar cannot attest the clock around the incident rules.
        var ackId = IncidentObligations.IdOf(_incidentId, IncidentClocks.Acknowledge);
        using (var viaDuties = await SendAsync(HttpMethod.Post, $"/api/duties/{ackId}/attest", _server.Issuer.Issue("ana@example.com", ["reviewers"]), new { evidence = new[] { "https://x.example/1" } }))
            Assert.Equal(HttpStatusCode.Conflict, viaDuties.StatusCode);

        using (var ok = await SendAsync(HttpMethod.Post, path, _server.Issuer.Issue("ana@example.com", ["reviewers"]), body)) Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        var attestation = (await _store.GetAsync(ackId))!.Attestation!;
        Assert.Equal("ana@example.com", attestation.By);
        using (var again = await SendAsync(HttpMethod.Post, path, _server.Issuer.Issue("bo@example.com", ["reviewers"]), body)) Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);

        var listed = (await GetAsync("/api/incidents"))["items"]![0]!["clocks"]![0]!;
        Assert.Equal(("done", "ana@example.com"), (listed["state"]!.GetValue<string>(), listed["attestation"]!["by"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Incidents_and_their_attestations_are_in_the_page_export_and_the_cli_export()
    {
        using (var ok = await SendAsync(HttpMethod.Post, $"/api/incidents/{_incidentId}/ack", _server.Issuer.Issue("ana@example.com", ["reviewers"]), new { note = "contained; team notified" }))
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        var json = JsonNode.Parse(await (await SendAsync(HttpMethod.Get, "/api/export?from=2017-11-01&to=2017-11-02&format=json", _server.Issuer.Issue("reader@example.com", []))).Content.ReadAsStringAsync())!;
        var incident = Assert.Single(json["incidents"]!.AsArray())!;
        Assert.Equal(_incidentId, incident["incidentId"]!.GetValue<string>());
        var ack = incident["clocks"]![0]!;
        Assert.Equal(("acknowledge", "done", "ana@example.com", "contained; team notified"),
            (ack["clock"]!.GetValue<string>(), ack["state"]!.GetValue<string>(), ack["by"]!.GetValue<string>(), ack["note"]!.GetValue<string>()));
        Assert.Equal("open", incident["clocks"]![1]!["state"]!.GetValue<string>()); // its due window opens at the half-way reminder

        var csv = await (await SendAsync(HttpMethod.Get, "/api/export?from=2017-11-01&to=2017-11-02&format=csv", _server.Issuer.Issue("reader@example.com", []))).Content.ReadAsStringAsync();
        Assert.Equal(3, csv.Split('\n').Count(l => l.StartsWith("incident-clock," + _incidentId, StringComparison.Ordinal)));

        var cli = JsonNode.Parse(await IsmsServerless.Cli.ExportCommand.RunAsync(dynamo.Client, _table, Earliest.Date, Earliest.Date.AddDays(2), "json", _clock.GetUtcNow()))!;
        Assert.Equal(_incidentId, Assert.Single(cli["incidents"]!.AsArray())!["incidentId"]!.GetValue<string>());
        // Outside the period (and closed clocks before it): not exported.
        var before = JsonNode.Parse(await IsmsServerless.Cli.ExportCommand.RunAsync(dynamo.Client, _table, Earliest.AddDays(-30), Earliest.AddDays(-20), "json", _clock.GetUtcNow()))!;
        Assert.Empty(before["incidents"]!.AsArray());
    }
}
