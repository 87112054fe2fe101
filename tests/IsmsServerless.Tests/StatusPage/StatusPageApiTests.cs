using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using IsmsServerless.Cli.Local;
using IsmsServerless.Settings;
using IsmsServerless.StatusPage;
using IsmsServerless.StatusPage.Auth;
using IsmsServerless.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace IsmsServerless.Tests.StatusPage;

/// <summary>
/// The status page over real HTTP on 127.0.0.1 (the same Kestrel host as <c>./isms serve</c>) against DynamoDB Local:
/// authentication, authorization, CSRF rules, output encoding and actions landing in the finding's history.
/// </summary>
[Collection(DynamoDbCollection.Name)]
public sealed class StatusPageApiTests(DynamoDbLocalFixture dynamo) : IAsyncLifetime
{
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);
    private StatusServer _server = null!;
    private HttpClient _http = null!;
    private IReadOnlyList<string> _findings = [];
    private string _changeId = "";

    public async Task InitializeAsync()
    {
        var table = await dynamo.NewTableAsync("status");
        (_findings, _changeId) = await StatusSeed.SeedAsync(dynamo.Client, table, IsmsSettings.Default, _clock);
        _server = await StatusServer.StartAsync(StatusPageComposition.Create(dynamo.Client, table, IsmsSettings.Default, _clock), 0, _clock);
        _http = new HttpClient { BaseAddress = _server.Url };
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _server.DisposeAsync();
    }

    private string Reader() => _server.Issuer.Issue("reader@example.com", []);

    private string Reviewer(string name = "cto@example.com") => _server.Issuer.Issue(name, ["reviewers"]);

    private async Task<HttpResponseMessage> GetAsync(string path, string? token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await _http.SendAsync(request);
    }

    private async Task<HttpResponseMessage> PostAsync(string path, string? token, object body, string contentType = "application/json", string? origin = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = new StringContent(JsonSerializer.Serialize(body), Encoding.UTF8, contentType),
        };
        if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (origin is not null) request.Headers.Add("Origin", origin);
        return await _http.SendAsync(request);
    }

    public static TheoryData<string> DataRoutes() =>
    [
        "/api/me", "/api/overview", "/api/findings", "/api/findings/f-00000000000000000000000000000000", "/api/changes/pending",
        "/api/changes/reviewed", "/api/waivers", "/api/trend", "/api/export?from=2026-01-01&to=2026-12-31",
    ];

    [Theory]
    [MemberData(nameof(DataRoutes))]
    public async Task Every_data_route_rejects_a_request_without_a_token(string route)
    {
        using var response = await GetAsync(route, null);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
        var body = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain("finding", body.Replace("unauthenticated", "", StringComparison.Ordinal), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_valid_token_reads_and_an_expired_one_is_rejected()
    {
        var token = Reader();
        using (var ok = await GetAsync("/api/findings", token)) Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        _clock.Advance(LocalIssuer.TokenLifetime + TimeSpan.FromMinutes(2));  // past expiry plus the 60 s skew
        using var expired = await GetAsync("/api/findings", token);
        Assert.Equal(HttpStatusCode.Unauthorized, expired.StatusCode);
    }

    [Fact]
    public async Task A_token_from_another_issuer_is_rejected()
    {
        using var other = new LocalIssuer(_server.Url.GetLeftPart(UriPartial.Authority) + "/evil", _clock);
        using var response = await GetAsync("/api/findings", other.Issue("mallory", ["reviewers"]));
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task A_token_with_the_right_issuer_but_a_foreign_key_is_rejected()
    {
        // Same iss and claims, signed by a key the JWKS does not hold: the signature check is what stops it.
        using var impostor = new LocalIssuer(_server.Issuer.Issuer, _clock);
        using var response = await GetAsync("/api/me", impostor.Issue("mallory", ["reviewers"]));
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task A_tampered_token_is_rejected()
    {
        var parts = Reader().Split('.');
        var payload = Encoding.UTF8.GetString(Base64Url(parts[1]));
        var elevated = payload.Replace("\"username\":\"reader@example.com\"", "\"username\":\"reader@example.com\",\"cognito:groups\":[\"reviewers\"]", StringComparison.Ordinal);
        Assert.NotEqual(payload, elevated);
        var tampered = $"{parts[0]}.{ToBase64Url(Encoding.UTF8.GetBytes(elevated))}.{parts[2]}";
        using var response = await PostAsync($"/api/findings/{_findings[1]}/acknowledge", tampered, new { reason = "mine" });
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Theory]
    [InlineData("none")]
    [InlineData("HS256")]
    public async Task Unsigned_or_symmetric_algorithm_tokens_are_rejected(string alg)
    {
        var parts = Reviewer().Split('.');
        var header = ToBase64Url(Encoding.UTF8.GetBytes($"{{\"alg\":\"{alg}\",\"typ\":\"JWT\"}}"));
        using var response = await GetAsync("/api/me", $"{header}.{parts[1]}.{(alg == "none" ? "" : parts[2])}");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task A_user_outside_reviewers_gets_403_on_every_action()
    {
        var token = Reader();
        string[] actions =
        [
            $"/api/findings/{_findings[1]}/acknowledge", $"/api/findings/{_findings[1]}/waiver", $"/api/findings/{_findings[1]}/waiver/revoke",
            $"/api/findings/{_findings[1]}/baseline/approve", $"/api/changes/{_changeId}/review",
        ];
        foreach (var action in actions)
        {
            using var response = await PostAsync(action, token, new { reason = "r", verdict = "approved" });
            Assert.True(response.StatusCode == HttpStatusCode.Forbidden, $"{action}: {response.StatusCode}");
        }
        var detail = await GetJsonAsync($"/api/findings/{_findings[1]}", token);
        Assert.Equal("open", detail.GetProperty("finding").GetProperty("status").GetString());
    }

    [Fact]
    public async Task Actions_need_json_and_our_own_origin()
    {
        var token = Reviewer();
        using (var form = await PostAsync($"/api/findings/{_findings[1]}/acknowledge", token, new { reason = "r" }, "text/plain"))
            Assert.Equal(HttpStatusCode.UnsupportedMediaType, form.StatusCode);
        using (var crossSite = await PostAsync($"/api/findings/{_findings[1]}/acknowledge", token, new { reason = "r" }, origin: "https://evil.example"))
            Assert.Equal(HttpStatusCode.Forbidden, crossSite.StatusCode);
        using var sameSite = await PostAsync($"/api/findings/{_findings[1]}/acknowledge", token, new { reason = "owned by platform team" },
            origin: _server.Url.GetLeftPart(UriPartial.Authority));
        Assert.Equal(HttpStatusCode.OK, sameSite.StatusCode);
    }

    [Fact]
    public async Task Acknowledge_and_waiver_actions_are_written_to_history_with_the_token_actor()
    {
        var token = Reviewer("cto@example.com");
        using (var ack = await PostAsync($"/api/findings/{_findings[1]}/acknowledge", token, new { reason = "platform team fixes in sprint 48" }))
            Assert.Equal(HttpStatusCode.OK, ack.StatusCode);
        var expires = _clock.GetUtcNow().AddDays(30).ToString("O", System.Globalization.CultureInfo.InvariantCulture);
        using (var waive = await PostAsync($"/api/findings/{_findings[2]}/waiver", token, new { reason = "bucket retired next month", expiresAt = expires }))
            Assert.Equal(HttpStatusCode.OK, waive.StatusCode);

        var detail = await GetJsonAsync($"/api/findings/{_findings[1]}", token);
        Assert.Equal("acknowledged", detail.GetProperty("finding").GetProperty("status").GetString());
        Assert.Contains(detail.GetProperty("history").EnumerateArray(),
            h => h.GetProperty("actor").GetString() == "cto@example.com (sub local-cto@example.com)" && h.GetProperty("reason").GetString() == "platform team fixes in sprint 48");

        var waivers = await GetJsonAsync("/api/waivers", token);
        var waived = Assert.Single(waivers.GetProperty("items").EnumerateArray());
        Assert.Equal(_findings[2], waived.GetProperty("id").GetString());
        // History and the waiver record the person and the token's subject.
        Assert.Equal("cto@example.com (sub local-cto@example.com)", waived.GetProperty("waiver").GetProperty("grantedBy").GetString());
        // The audit export's waiver row shows the granter as well as the owner (issue 15).
        var day = _clock.GetUtcNow().ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        var next = _clock.GetUtcNow().AddDays(1).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        using (var export = await GetAsync($"/api/export?from={day}&to={next}&format=csv", token))
        {
            var rows = (await export.Content.ReadAsStringAsync()).Split('\n');
            Assert.Contains(rows, r => r.StartsWith("waiver," + _findings[2], StringComparison.Ordinal)
                && r.Contains("granted by cto@example.com (sub local-cto@example.com)", StringComparison.Ordinal) && r.Contains("(owner ", StringComparison.Ordinal));
        }

        using (var revoke = await PostAsync($"/api/findings/{_findings[2]}/waiver/revoke", token, new { reason = "bucket still in use" }))
            Assert.Equal(HttpStatusCode.OK, revoke.StatusCode);
        var revoked = await GetJsonAsync($"/api/findings/{_findings[2]}", token);
        Assert.Contains(revoked.GetProperty("history").EnumerateArray(), h => h.GetProperty("reason").GetString() == "bucket still in use" && h.GetProperty("actor").GetString() == "cto@example.com (sub local-cto@example.com)");
    }

    [Fact]
    public async Task Change_review_enforces_four_eyes_and_records_the_reviewer()
    {
        using (var self = await PostAsync($"/api/changes/{_changeId}/review", Reviewer(StatusSeed.ChangeAuthor), new { verdict = "approved", note = "my own change" }))
            Assert.Equal(HttpStatusCode.Conflict, self.StatusCode);
        using (var noTicket = await PostAsync($"/api/changes/{_changeId}/review", Reviewer(), new { verdict = "rejected" }))
            Assert.Equal(HttpStatusCode.BadRequest, noTicket.StatusCode);
        using (var review = await PostAsync($"/api/changes/{_changeId}/review", Reviewer(), new { verdict = "approved", note = "incident INC-42", ticketUrl = "https://tickets.example.com/INC-42" }))
            Assert.Equal(HttpStatusCode.OK, review.StatusCode);

        var pending = await GetJsonAsync("/api/changes/pending", Reader());
        Assert.DoesNotContain(pending.GetProperty("items").EnumerateArray(), c => c.GetProperty("changeId").GetString() == _changeId);
        var reviewed = await GetJsonAsync("/api/changes/reviewed", Reader());
        var entry = Assert.Single(reviewed.GetProperty("items").EnumerateArray(), c => c.GetProperty("changeId").GetString() == _changeId);
        Assert.Equal("cto@example.com", entry.GetProperty("reviewer").GetString());
        Assert.Equal("approved", entry.GetProperty("verdict").GetString());
    }

    [Fact]
    public async Task Change_detail_shows_every_call_the_risk_and_the_review_and_closing_an_emergency_change_is_refused()
    {
        // Issue 19 section 6: the page's change detail is the same ChangeView as ./isms changes --id.
        using (var unknown = await GetAsync("/api/changes/chg-000000000000000000000000", Reader())) Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        using (var bad = await GetAsync("/api/changes/..%2Fpending", Reader())) Assert.Equal(HttpStatusCode.NotFound, bad.StatusCode);
        using (var anonymous = await GetAsync($"/api/changes/{_changeId}", null)) Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        var before = await GetJsonAsync($"/api/changes/{_changeId}", Reader());
        var call = Assert.Single(before.GetProperty("calls").EnumerateArray());
        Assert.Equal("AuthorizeSecurityGroupIngress", call.GetProperty("eventName").GetString());
        Assert.Equal("arn:aws:ec2:eu-west-1:111122223333:security-group/sg-0123456789abcdef0", Assert.Single(call.GetProperty("resources").EnumerateArray()).GetString());
        Assert.Equal("high", before.GetProperty("risk").GetString());
        Assert.Equal("not-required", before.GetProperty("codeUpdate").GetString());

        using (var review = await PostAsync($"/api/changes/{_changeId}/review", Reviewer(), new { verdict = "approved", ticketUrl = "https://tickets.example.com/INC-7" }))
            Assert.Equal(HttpStatusCode.OK, review.StatusCode);
        var after = await GetJsonAsync($"/api/changes/{_changeId}", Reader());
        Assert.Equal("https://tickets.example.com/INC-7", after.GetProperty("ticketUrl").GetString());
        Assert.Equal("cto@example.com", after.GetProperty("reviewer").GetString());

        // An emergency change needs no code update under the default codeUpdateKinds: closing it is refused (409), and a
        // reader cannot even try (403).
        using (var reader = await PostAsync($"/api/changes/{_changeId}/reconcile", Reader(), new { reverted = true })) Assert.Equal(HttpStatusCode.Forbidden, reader.StatusCode);
        using (var refused = await PostAsync($"/api/changes/{_changeId}/reconcile", Reviewer(), new { reverted = true })) Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
    }

    [Fact]
    public async Task Baseline_approval_is_refused_for_non_drift_findings_and_resources_without_a_recorded_configuration()
    {
        var token = Reviewer();
        using (var monitoring = await PostAsync($"/api/findings/{_findings[0]}/baseline/approve", token, new { reason = "accept" }))
            Assert.Equal(HttpStatusCode.BadRequest, monitoring.StatusCode);
        // SSH open to the world (the seeded security-group finding) can never be approved.
        using (var never = await PostAsync($"/api/findings/{_findings[1]}/baseline/approve", token, new { reason = "accept" }))
            Assert.Equal(HttpStatusCode.BadRequest, never.StatusCode);
        // The seeded bucket drift finding has no configuration item in the drift store: nothing to approve, and no history written.
        var before = (await GetJsonAsync($"/api/findings/{_findings[2]}", token)).GetProperty("history").GetArrayLength();
        using (var drift = await PostAsync($"/api/findings/{_findings[2]}/baseline/approve", token, new { reason = "accept" }))
            Assert.Equal(HttpStatusCode.Conflict, drift.StatusCode);
        var after = await GetJsonAsync($"/api/findings/{_findings[2]}", token);
        Assert.Equal(before, after.GetProperty("history").GetArrayLength());
        Assert.Equal("open", after.GetProperty("finding").GetProperty("status").GetString());
    }

    [Fact]
    public async Task A_script_payload_in_a_resource_name_leaves_the_api_escaped_and_round_trips_as_text()
    {
        using var response = await GetAsync("/api/findings?status=open&category=monitoring", Reader());
        var raw = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain("<script>", raw, StringComparison.Ordinal);
        Assert.DoesNotContain("<img", raw, StringComparison.Ordinal);
        Assert.Contains("\\u003Cscript\\u003E", raw, StringComparison.Ordinal);
        Assert.Equal("application/json; charset=utf-8", response.Content.Headers.ContentType!.ToString());
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        using var doc = JsonDocument.Parse(raw);
        Assert.Contains(doc.RootElement.GetProperty("items").EnumerateArray(), f => f.GetProperty("resourceId").GetString() == StatusSeed.HostileResource);
    }

    [Fact]
    public async Task The_page_is_served_with_a_strict_csp_and_no_inline_script()
    {
        using var response = await _http.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var csp = response.Headers.GetValues("Content-Security-Policy").Single();
        Assert.StartsWith("default-src 'self'; script-src 'self'; style-src 'self'", csp, StringComparison.Ordinal);
        Assert.Contains("frame-ancestors 'none'", csp, StringComparison.Ordinal);
        var html = await response.Content.ReadAsStringAsync();
        Assert.Matches("<script src=\"/assets/app.js\" defer></script>", html);
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(html, "<script"));
        Assert.DoesNotContain("style=", html, StringComparison.Ordinal);
        Assert.DoesNotContain(" on", System.Text.RegularExpressions.Regex.Replace(html, "<[^>]*>", m => System.Text.RegularExpressions.Regex.IsMatch(m.Value, @"\son[a-z]+=") ? " on" : ""), StringComparison.Ordinal);
        var js = await _http.GetStringAsync("/assets/app.js");
        Assert.DoesNotContain(".innerHTML", js, StringComparison.Ordinal);
        Assert.DoesNotContain("insertAdjacentHTML", js, StringComparison.Ordinal);
        Assert.DoesNotContain("document.write", js, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Overview_counts_areas_and_controls_and_findings_sort_by_severity_then_due()
    {
        var overview = await GetJsonAsync("/api/overview", Reader());
        var areas = overview.GetProperty("areas").EnumerateArray().ToDictionary(a => a.GetProperty("key").GetString()!, a => a.GetProperty("open").GetInt64());
        Assert.Equal(2, areas["drift"]);
        Assert.Equal(2, areas["monitoring"]);
        Assert.Equal(0, areas["patch"]);
        Assert.NotEmpty(overview.GetProperty("controls").EnumerateArray());
        Assert.Contains(overview.GetProperty("controls").EnumerateArray(), c => c.GetProperty("framework").GetString() == "ISO 27001:2022");
        Assert.Contains(overview.GetProperty("controls").EnumerateArray(), c => c.GetProperty("framework").GetString() == "SOC 2");

        var findings = await GetJsonAsync("/api/findings", Reader());
        var severities = findings.GetProperty("items").EnumerateArray().Select(f => f.GetProperty("severity").GetString()).ToList();
        Assert.Equal(["CRITICAL", "HIGH", "MEDIUM", "LOW"], severities);
        var high = await GetJsonAsync("/api/findings?severity=HIGH", Reader());
        Assert.Equal(_findings[1], Assert.Single(high.GetProperty("items").EnumerateArray()).GetProperty("id").GetString());
        var trend = await GetJsonAsync("/api/trend?days=7", Reader());
        Assert.Equal(4, trend.GetProperty("points").EnumerateArray().Last().GetProperty("open").GetInt64());
        using var bad = await GetAsync("/api/findings?severity=%3Cscript%3E", Reader());
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
    }

    [Fact]
    public async Task Controls_view_lists_both_frameworks_with_status_and_drills_down_to_rules_findings_and_the_policy_version()
    {
        var controls = await GetJsonAsync("/api/controls", Reader());
        Assert.Equal(IsmsServerless.Policy.PolicyDocument.Embedded.Version, controls.GetProperty("policyVersion").GetString());
        var list = controls.GetProperty("controls").EnumerateArray().ToList();
        Assert.Contains(list, c => c.GetProperty("framework").GetString() == "ISO27001:2022");
        Assert.Contains(list, c => c.GetProperty("framework").GetString() == "SOC2");
        var a88 = list.Single(c => c.GetProperty("key").GetString() == "ISO27001:2022 A.8.8");
        Assert.Contains("patch.inspector-vulnerability", a88.GetProperty("rules").EnumerateArray().Select(r => r.GetString()));
        var detail = await GetJsonAsync("/api/control?id=" + Uri.EscapeDataString("ISO27001:2022 A.8.8"), Reader());
        Assert.Equal("A.8.8", detail.GetProperty("control").GetProperty("id").GetString());
        Assert.Equal(JsonValueKind.Array, detail.GetProperty("rules").ValueKind);
        Assert.Equal(JsonValueKind.Array, detail.GetProperty("findings").ValueKind);
        using var missing = await GetAsync("/api/control?id=%3Cscript%3E", Reader());
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        using var anonymous = await GetAsync("/api/controls", null);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);

        var from = _clock.GetUtcNow().AddDays(-30).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        var to = _clock.GetUtcNow().ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        using var ocsf = await GetAsync($"/api/export?from={from}&to={to}&format=ocsf", Reader());
        Assert.Equal(HttpStatusCode.OK, ocsf.StatusCode);
        var lines = (await ocsf.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains(lines, l => l.Contains("\"class_uid\":2003", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Csv_export_neutralizes_formulas_and_carries_history()
    {
        var from = _clock.GetUtcNow().AddDays(-30).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        var to = _clock.GetUtcNow().ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        using (var ack = await PostAsync($"/api/findings/{_findings[0]}/acknowledge", Reviewer(), new { reason = "=cmd|' /C calc'!A0" }))
            Assert.Equal(HttpStatusCode.OK, ack.StatusCode);
        using var response = await GetAsync($"/api/export?from={from}&to={to}&format=csv", Reader());
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/csv", response.Content.Headers.ContentType!.MediaType);
        Assert.Contains("attachment", response.Content.Headers.ContentDisposition!.ToString(), StringComparison.Ordinal);
        var csv = await response.Content.ReadAsStringAsync();
        Assert.StartsWith(string.Join(',', IsmsServerless.Compliance.AuditPackageWriter.CsvColumns), csv, StringComparison.Ordinal);
        Assert.Contains("'=cmd|' /C calc'!A0", csv, StringComparison.Ordinal);
        Assert.DoesNotContain(",=cmd", csv, StringComparison.Ordinal);
        Assert.Contains("cto@example.com", csv, StringComparison.Ordinal);

        using var json = await GetAsync($"/api/export?from={from}&to={to}&format=json", Reader());
        using var doc = JsonDocument.Parse(await json.Content.ReadAsStringAsync());
        Assert.Equal(4, doc.RootElement.GetProperty("findings").GetArrayLength());
        using var outside = await GetAsync("/api/export?from=2001-01-01&to=2001-01-31&format=json", Reader());
        using var empty = JsonDocument.Parse(await outside.Content.ReadAsStringAsync());
        Assert.Equal(0, empty.RootElement.GetProperty("findings").GetArrayLength());
    }

    [Theory]
    [InlineData("=1+1", "'=1+1")]
    [InlineData("+SUM(A1)", "'+SUM(A1)")]
    [InlineData("-2", "'-2")]
    [InlineData("@cmd", "'@cmd")]
    [InlineData("\tx", "'\tx")]
    [InlineData("a,b", "\"a,b\"")]
    [InlineData("say \"hi\"", "\"say \"\"hi\"\"\"")]
    [InlineData("=a,b", "\"'=a,b\"")]
    [InlineData("plain", "plain")]
    public void Csv_cells_are_formula_safe_and_quoted(string value, string expected) => Assert.Equal(expected, AuditExport.Cell(value));

    [Fact]
    public async Task Bad_input_gets_clear_4xx_never_500()
    {
        var token = Reviewer();
        using (var notJson = await _http.SendAsync(new HttpRequestMessage(HttpMethod.Post, $"/api/findings/{_findings[1]}/acknowledge")
        {
            Content = new StringContent("{not json", Encoding.UTF8, "application/json"),
            Headers = { Authorization = new AuthenticationHeaderValue("Bearer", token) },
        })) Assert.Equal(HttpStatusCode.BadRequest, notJson.StatusCode);
        using (var noReason = await PostAsync($"/api/findings/{_findings[1]}/acknowledge", token, new { reason = "  " })) Assert.Equal(HttpStatusCode.BadRequest, noReason.StatusCode);
        using (var missing = await PostAsync("/api/findings/f-00000000000000000000000000000000/acknowledge", token, new { reason = "x" })) Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        using (var pastWaiver = await PostAsync($"/api/findings/{_findings[1]}/waiver", token, new { reason = "x", expiresAt = "2001-01-01T00:00:00Z" })) Assert.Equal(HttpStatusCode.BadRequest, pastWaiver.StatusCode);
        using (var cursor = await GetAsync("/api/findings?cursor=%3Cnot-a-cursor%3E", token)) Assert.Equal(HttpStatusCode.BadRequest, cursor.StatusCode);
        using (var big = await PostAsync($"/api/findings/{_findings[1]}/acknowledge", token, new { reason = new string('x', 20_000) })) Assert.True((int)big.StatusCode is 400 or 413, big.StatusCode.ToString());
        using (var traversal = await GetAsync("/assets/..%2F..%2Fetc%2Fpasswd", token)) Assert.True((int)traversal.StatusCode is 400 or 404);
    }

    private async Task<JsonElement> GetJsonAsync(string path, string token)
    {
        using var response = await GetAsync(path, token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return doc.RootElement.Clone();
    }

    private static byte[] Base64Url(string text)
    {
        var s = text.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(s.PadRight(s.Length + (4 - s.Length % 4) % 4, '='));
    }

    private static string ToBase64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
