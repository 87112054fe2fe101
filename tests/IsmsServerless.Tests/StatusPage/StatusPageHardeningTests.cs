using System.Net;
using System.Net.Http.Headers;
using System.Text;
using IsmsServerless.Alerts;
using IsmsServerless.Cli.Local;
using IsmsServerless.Observability;
using IsmsServerless.Settings;
using IsmsServerless.StatusPage;
using IsmsServerless.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace IsmsServerless.Tests.StatusPage;

/// <summary>
/// Issue 15's attacks on <c>./isms serve</c> over real HTTP against DynamoDB Local: DNS rebinding, forged cursors,
/// invalid UTF-8; and the output encodings for bidi controls (CSV) and backticks (Slack).
/// </summary>
[Collection(DynamoDbCollection.Name)]
public sealed class StatusPageHardeningTests(DynamoDbLocalFixture dynamo) : IAsyncLifetime
{
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);
    private StatusServer _server = null!;
    private HttpClient _http = null!;
    private IReadOnlyList<string> _findings = [];

    public async Task InitializeAsync()
    {
        var table = await dynamo.NewTableAsync("harden");
        (_findings, _) = await StatusSeed.SeedAsync(dynamo.Client, table, IsmsSettings.Default, _clock);
        _server = await StatusServer.StartAsync(StatusPageComposition.Create(dynamo.Client, table, IsmsSettings.Default, _clock), 0, _clock);
        _http = new HttpClient { BaseAddress = _server.Url };
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _server.DisposeAsync();
    }

    private HttpRequestMessage Post(string path, string json, string? host = null, string? origin = null, string? token = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(Encoding.UTF8.GetBytes(json)) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        if (host is not null) request.Headers.Host = host;
        if (origin is not null) request.Headers.Add("Origin", origin);
        if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return request;
    }

    [Theory]
    [InlineData("rebind.attacker.example")]
    [InlineData("127.0.0.1.nip.io")]
    [InlineData("localhost")]              // right name, wrong port: not this server
    public async Task A_rebinding_host_gets_no_token_and_no_data(string hostName)
    {
        var host = hostName == "localhost" ? "localhost:1" : $"{hostName}:{_server.Url.Port}";
        using var token = await _http.SendAsync(Post("/local/token", """{"username":"attacker","groups":["reviewers"]}""", host, "http://" + host));
        Assert.Equal(HttpStatusCode.MisdirectedRequest, token.StatusCode);
        Assert.DoesNotContain("access_token", await token.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var me = new HttpRequestMessage(HttpMethod.Get, "/api/me") { Headers = { Host = host, Authorization = new AuthenticationHeaderValue("Bearer", _server.Issuer.Issue("cto@example.com", ["reviewers"])) } };
        Assert.Equal(HttpStatusCode.MisdirectedRequest, (await _http.SendAsync(me)).StatusCode);
    }

    [Fact]
    public async Task The_expected_origin_comes_from_configuration_not_from_the_host_header()
    {
        var port = _server.Url.Port;
        // Any configured loopback origin is ours, whichever loopback name the Host header carries.
        using var ok = await _http.SendAsync(Post("/local/token", """{"username":"alice","groups":[]}""", $"localhost:{port}", $"http://127.0.0.1:{port}"));
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        using var foreign = await _http.SendAsync(Post("/local/token", """{"username":"alice","groups":[]}""", $"127.0.0.1:{port}", $"http://evil.example:{port}"));
        Assert.Equal(HttpStatusCode.Forbidden, foreign.StatusCode);
    }

    [Fact]
    public async Task A_forged_cursor_that_decodes_is_a_400_without_an_error_log()
    {
        // Well-formed base64url JSON naming real ledger key attributes, but no start key DynamoDB can use for the index.
        var forged = Convert.ToBase64String(Encoding.UTF8.GetBytes("""{"PK":"FINDING#forged","SK":"FINDING"}""")).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var log = new StringWriter();
        var previous = Log.Target;
        Log.Target = TextWriter.Synchronized(log);
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/api/findings?status=open&cursor=" + forged)
            {
                Headers = { Authorization = new AuthenticationHeaderValue("Bearer", _server.Issuer.Issue("reader@example.com", [])) },
            };
            using var response = await _http.SendAsync(request);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Contains("bad-cursor", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        finally
        {
            Log.Target = previous;
        }
        // DynamoDB refused the start key (the path that used to end in a 500 with a stack trace), logged as one warning.
        Assert.Contains("statuspage.bad-cursor", log.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("statuspage.error", log.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", log.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invalid_utf8_in_a_reason_is_a_clear_400()
    {
        var token = _server.Issuer.Issue("cto@example.com", ["reviewers"]);
        var body = Encoding.UTF8.GetBytes("""{"reason":"ok X"}""");
        body[Array.IndexOf(body, (byte)'X')] = 0xC3; // a lead byte with no continuation: invalid UTF-8
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/findings/{_findings[1]}/acknowledge") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await _http.SendAsync(request);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync();
        Assert.Contains("not valid UTF-8", text, StringComparison.Ordinal);
        Assert.DoesNotContain("transcode", text, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Bidi_controls_are_made_visible_in_csv_cells()
    {
        var cell = AuditExport.Cell("sg-\u202Egnp.exe");
        Assert.Equal("sg-[U+202E]gnp.exe", cell);
        Assert.DoesNotContain(cell, c => c is >= '\u202A' and <= '\u202E' or >= '\u2066' and <= '\u2069' or '\u200E' or '\u200F' or '\u061C');
        Assert.Equal("'=1+1[U+2066]", AuditExport.Cell("=1+1\u2066"));
    }

    [Fact]
    public void A_backtick_in_a_resource_name_cannot_end_the_slack_code_span()
    {
        var alert = new AlertRecord
        {
            AlertId = "a-1", Kind = "new", FindingId = "f-1", RuleId = "drift.x", Title = "t", Severity = "HIGH", Category = "drift",
            ResourceId = "bucket` <!channel> *bold* `x", ResourceType = "AWS::S3::Bucket", AccountId = "1", Region = "eu-west-1",
            PolicyClause = "", Controls = "[]", Message = "m", StatusUrl = "https://status.example", CreatedAt = "2026-01-01T00:00:00.000Z",
        };
        var json = SlackMessageBuilder.ForAlert(alert);
        Assert.Contains("bucket\u02CB &lt;!channel&gt; *bold* \u02CBx", System.Text.RegularExpressions.Regex.Unescape(json), StringComparison.Ordinal);
        Assert.DoesNotContain("`bucket` ", System.Text.RegularExpressions.Regex.Unescape(json), StringComparison.Ordinal);
    }
}
