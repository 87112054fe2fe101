using System.Text;
using System.Text.Json;
using IsmsServerless.Changes;
using IsmsServerless.Changes.Jira;
using IsmsServerless.Engine;
using IsmsServerless.Ledger;
using IsmsServerless.Pipeline;
using IsmsServerless.Settings;
using IsmsServerless.Tests.Identity;
using IsmsServerless.Tests.Support;
using Microsoft.Extensions.Time.Testing;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace IsmsServerless.Tests.Changes;

/// <summary>
/// Issue 19 section 4, the optional Jira integration, against WireMock.Net playing Jira Cloud's documented REST API v3
/// (search/jql 200 {issues}, create issue 201 {id,key,self}, comments 200/201, error bodies {errorMessages, errors},
/// 401, 429 with Retry-After, 500/503, no answer) and DynamoDB Local for the register and the queue. The change comes
/// from Cloud Custodian's real console CreateBucket sample (a manual-console change) through the ingest pipeline.
/// </summary>
[Collection(DynamoDbCollection.Name)]
public sealed class JiraIntegrationTests(DynamoDbLocalFixture dynamo) : IDisposable
{
    private const string Token = "ATATT3xFfGF0-s3cr3t-t0ken";
    private const string Email = "isms-bot@qwestly.example";
    private readonly WireMockServer _jira = WireMockServer.Start();
    private readonly FakeTimeProvider _clock = new(FourEyesReviewTests.SessionStart.AddHours(1));

    public void Dispose() => _jira.Dispose();

    private sealed class FixedToken : IJiraTokenSource
    {
        public Task<string> GetAsync(CancellationToken cancellationToken) => Task.FromResult(Token);
    }

    private IsmsSettings Settings(int timeoutSeconds = 5) => new()
    {
        ChangeManagement = new ChangeManagementSettings
        {
            Jira = new JiraSettings
            {
                Enabled = true, SiteUrl = _jira.Url!, ProjectKey = "OPS", IssueType = "Task", UserEmail = Email, TimeoutSeconds = timeoutSeconds,
            },
        },
    };

    private JiraSync Sync(string table, IsmsSettings settings) =>
        new(new DynamoChangeRegister(dynamo.Client, table, settings), new JiraOutbox(dynamo.Client, table),
            new JiraClient(new HttpClient(), settings.ChangeManagement.Jira, new FixedToken()), settings, _clock);

    /// <summary>The real console change through the ingest pipeline (register + Jira queue).</summary>
    private async Task<(string Table, string ChangeId)> RegisterAsync(IsmsSettings settings)
    {
        var table = await dynamo.NewTableAsync("jira");
        var pipeline = new IngestPipeline(RuleEngine.CreateDefault(), InputEnrichers.Default(dynamo.Client, table), new DynamoDbFindingLedger(dynamo.Client, table, settings));
        var payload = Fixtures.Shared("cloudtrail/eb-api-call-s3-createbucket-assumedrole.json");
        var context = new EvaluationContext(settings, _clock);
        await pipeline.ProcessAsync(payload, context);
        await pipeline.ProcessAsync(payload, context); // redelivered: still one queued issue
        var changeId = ChangeClassifier.ToCall(ChangeTestData.Input(payload), settings)!.ChangeId;
        return (table, changeId);
    }

    private void SearchFinds(params string[] keys) =>
        _jira.Given(Request.Create().WithPath("/rest/api/3/search/jql").UsingPost())
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json")
                .WithBody(JsonSerializer.Serialize(new { issues = keys.Select((k, i) => new { id = (10000 + i).ToString(System.Globalization.CultureInfo.InvariantCulture), key = k }).ToArray() })));

    private void CreateAnswers(int status, string body, string? retryAfter = null, TimeSpan? delay = null)
    {
        var response = Response.Create().WithStatusCode(status).WithHeader("Content-Type", "application/json").WithBody(body);
        if (retryAfter is not null) response = response.WithHeader("Retry-After", retryAfter);
        if (delay is { } d) response = response.WithDelay(d);
        _jira.Given(Request.Create().WithPath("/rest/api/3/issue").UsingPost()).RespondWith(response);
    }

    private const string Created = """{"id":"10000","key":"OPS-24","self":"https://your-domain.atlassian.net/rest/api/3/issue/10000"}""";

    private List<WireMock.Logging.ILogEntry> Calls(string path) =>
        _jira.LogEntries.Where(e => e.RequestMessage.Path == path).ToList();

    private Task<ChangeRecord?> RecordAsync(string table, string changeId) => new DynamoChangeRegister(dynamo.Client, table, Settings()).GetAsync(changeId);

    [Fact]
    public async Task A_registered_manual_change_gets_one_Jira_issue_linked_to_its_record_and_a_retry_creates_no_second()
    {
        var settings = Settings();
        var (table, changeId) = await RegisterAsync(settings);
        SearchFinds();
        CreateAnswers(201, Created);

        var result = await Sync(table, settings).RunAsync(20, CancellationToken.None);
        Assert.Equal((1, 1, 0), (result.Examined, result.Delivered, result.Deferred));
        Assert.Equal("OPS-24", (await RecordAsync(table, changeId))!.JiraIssueKey);

        var create = Assert.Single(Calls("/rest/api/3/issue"));
        Assert.Equal("Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(Email + ":" + Token)), create.RequestMessage.Headers!["Authorization"].Single());
        using var body = JsonDocument.Parse(create.RequestMessage.Body!);
        var fields = body.RootElement.GetProperty("fields");
        Assert.Equal("OPS", fields.GetProperty("project").GetProperty("key").GetString());
        Assert.Equal("Task", fields.GetProperty("issuetype").GetProperty("name").GetString());
        Assert.Equal("doc", fields.GetProperty("description").GetProperty("type").GetString());
        Assert.Equal(1, fields.GetProperty("description").GetProperty("version").GetInt32());
        Assert.Contains(JiraSync.LabelOf(changeId), fields.GetProperty("labels").EnumerateArray().Select(l => l.GetString()));
        Assert.StartsWith("[ISMS] manual-console change by ", fields.GetProperty("summary").GetString(), StringComparison.Ordinal);
        // The search used the change's deterministic label.
        Assert.Contains(JiraSync.LabelOf(changeId), Assert.Single(Calls("/rest/api/3/search/jql")).RequestMessage.Body!, StringComparison.Ordinal);

        // The queue entry is done: another sweep sends nothing.
        var again = await Sync(table, settings).RunAsync(20, CancellationToken.None);
        Assert.Equal(0, again.Examined);
        Assert.Single(Calls("/rest/api/3/issue"));
    }

    [Fact]
    public async Task An_issue_created_before_a_crash_is_found_by_its_label_and_linked_not_created_again()
    {
        var settings = Settings();
        var (table, changeId) = await RegisterAsync(settings);
        SearchFinds("OPS-7");
        CreateAnswers(201, Created);
        await Sync(table, settings).RunAsync(20, CancellationToken.None);
        Assert.Empty(Calls("/rest/api/3/issue"));
        Assert.Equal("OPS-7", (await RecordAsync(table, changeId))!.JiraIssueKey);
    }

    [Fact]
    public async Task A_401_defers_the_issue_for_an_hour_keeps_the_token_out_of_the_error_and_stops_the_run()
    {
        var settings = Settings();
        var (table, changeId) = await RegisterAsync(settings);
        SearchFinds();
        // Jira's documented error body; this one echoes the credentials back, as a misbehaving proxy might.
        CreateAnswers(401, JsonSerializer.Serialize(new { errorMessages = new[] { "You do not have the permission to see the specified issue. token=" + Token }, errors = new { } }));
        var result = await Sync(table, settings).RunAsync(20, CancellationToken.None);
        Assert.Equal((0, 1), (result.Delivered, result.Deferred));
        Assert.Contains(result.Notes, n => n.Contains("Unauthorized", StringComparison.Ordinal));
        var task = (await new JiraOutbox(dynamo.Client, table).GetAsync(changeId, JiraTask.Create))!;
        Assert.Equal(1, task.Attempts);
        Assert.Equal(_clock.GetUtcNow().AddHours(1), task.NextAttemptAt);
        Assert.Contains("401", task.LastError, StringComparison.Ordinal);
        Assert.DoesNotContain(Token, task.LastError, StringComparison.Ordinal);
        Assert.Contains("[redacted]", task.LastError, StringComparison.Ordinal);
        Assert.Null((await RecordAsync(table, changeId))!.JiraIssueKey);
        // The change itself is registered and waiting for review as if Jira did not exist.
        Assert.Null((await RecordAsync(table, changeId))!.Review);
    }

    [Fact]
    public async Task A_429_waits_for_Retry_After_then_delivers()
    {
        var settings = Settings();
        var (table, changeId) = await RegisterAsync(settings);
        SearchFinds();
        CreateAnswers(429, """{"errorMessages":["Rate limit exceeded."],"errors":{}}""", retryAfter: "30");
        await Sync(table, settings).RunAsync(20, CancellationToken.None);
        var task = (await new JiraOutbox(dynamo.Client, table).GetAsync(changeId, JiraTask.Create))!;
        Assert.Equal(_clock.GetUtcNow().AddSeconds(30), task.NextAttemptAt);

        _jira.ResetMappings();
        SearchFinds();
        CreateAnswers(201, Created);
        _clock.Advance(TimeSpan.FromSeconds(29));
        Assert.Equal(0, (await Sync(table, settings).RunAsync(20, CancellationToken.None)).Examined);
        _clock.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(1, (await Sync(table, settings).RunAsync(20, CancellationToken.None)).Delivered);
        Assert.Equal("OPS-24", (await RecordAsync(table, changeId))!.JiraIssueKey);
    }

    [Theory]
    [InlineData(500)]
    [InlineData(503)]
    public async Task A_5xx_backs_off_exponentially_and_a_later_sweep_delivers(int status)
    {
        var settings = Settings();
        var (table, changeId) = await RegisterAsync(settings);
        SearchFinds();
        CreateAnswers(status, "<html>upstream error</html>");
        var outbox = new JiraOutbox(dynamo.Client, table);
        await Sync(table, settings).RunAsync(20, CancellationToken.None);
        var first = (await outbox.GetAsync(changeId, JiraTask.Create))!;
        Assert.Equal(_clock.GetUtcNow().AddMinutes(1), first.NextAttemptAt);
        Assert.Contains($"{status}", first.LastError, StringComparison.Ordinal);
        _clock.Advance(TimeSpan.FromMinutes(1));
        await Sync(table, settings).RunAsync(20, CancellationToken.None);
        var second = (await outbox.GetAsync(changeId, JiraTask.Create))!;
        Assert.Equal(2, second.Attempts);
        Assert.Equal(_clock.GetUtcNow().AddMinutes(2), second.NextAttemptAt);

        _jira.ResetMappings();
        SearchFinds();
        CreateAnswers(201, Created);
        _clock.Advance(TimeSpan.FromMinutes(2));
        await Sync(table, settings).RunAsync(20, CancellationToken.None);
        Assert.Equal("OPS-24", (await RecordAsync(table, changeId))!.JiraIssueKey);
    }

    [Fact]
    public async Task No_answer_within_the_timeout_is_a_deferral_not_a_hang()
    {
        var settings = Settings(timeoutSeconds: 1);
        var (table, changeId) = await RegisterAsync(settings);
        SearchFinds();
        CreateAnswers(201, Created, delay: TimeSpan.FromSeconds(4));
        var started = DateTime.UtcNow;
        var result = await Sync(table, settings).RunAsync(20, CancellationToken.None);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(3.5));
        Assert.Equal(1, result.Deferred);
        Assert.Contains("did not answer", (await new JiraOutbox(dynamo.Client, table).GetAsync(changeId, JiraTask.Create))!.LastError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_review_adds_one_comment_to_the_issue_even_when_the_sweep_runs_twice()
    {
        var settings = Settings();
        var (table, changeId) = await RegisterAsync(settings);
        SearchFinds();
        CreateAnswers(201, Created);
        await Sync(table, settings).RunAsync(20, CancellationToken.None);

        var service = new ChangeReviewService(new DynamoChangeRegister(dynamo.Client, table, settings), null, RuleRegistry.CreateDefault(), settings, _clock);
        await service.ReviewAsync(new ReviewRequest(changeId, "dora", "approved", "https://qwestly.atlassian.net/browse/OPS-24", "rolled into the bucket module",
            CodeLink: "https://github.com/qwestly/infra/pull/42"));

        _jira.Given(Request.Create().WithPath("/rest/api/3/issue/OPS-24/comment").UsingGet())
            .RespondWith(Response.Create().WithStatusCode(200).WithBody("""{"startAt":0,"maxResults":100,"total":0,"comments":[]}"""));
        _jira.Given(Request.Create().WithPath("/rest/api/3/issue/OPS-24/comment").UsingPost())
            .RespondWith(Response.Create().WithStatusCode(201).WithBody("""{"id":"10010","body":{"type":"doc","version":1,"content":[]}}"""));
        _clock.Advance(TimeSpan.FromMinutes(1));
        await Sync(table, settings).RunAsync(20, CancellationToken.None);
        var post = Assert.Single(Calls("/rest/api/3/issue/OPS-24/comment"), e => e.RequestMessage.Method == "POST");
        var text = post.RequestMessage.Body!;
        Assert.Contains("approved by dora", text, StringComparison.Ordinal);
        Assert.Contains("https://github.com/qwestly/infra/pull/42", text, StringComparison.Ordinal);
        Assert.Contains(JiraSync.CommentMarker(changeId, 1), text, StringComparison.Ordinal);

        // A crash after Jira's 201 but before the queue was updated: the retried task finds its marker and posts nothing.
        _jira.ResetMappings();
        _jira.Given(Request.Create().WithPath("/rest/api/3/issue/OPS-24/comment").UsingGet())
            .RespondWith(Response.Create().WithStatusCode(200).WithBody(JsonSerializer.Serialize(new { comments = new[] { new { id = "10010", body = JsonDocument.Parse(text).RootElement.GetProperty("body") } } })));
        var outbox = new JiraOutbox(dynamo.Client, table);
        await dynamo.Client.DeleteItemAsync(table, new Dictionary<string, Amazon.DynamoDBv2.Model.AttributeValue>
        {
            ["PK"] = new() { S = "JIRA#" + changeId }, ["SK"] = new() { S = JiraTask.Comment(1) },
        });
        Assert.True(await outbox.EnqueueAsync(changeId, JiraTask.Comment(1), _clock.GetUtcNow()));
        await Sync(table, settings).RunAsync(20, CancellationToken.None);
        Assert.Single(Calls("/rest/api/3/issue/OPS-24/comment"), e => e.RequestMessage.Method == "POST");
        Assert.Equal("done", (await dynamo.Client.GetItemAsync(table, new Dictionary<string, Amazon.DynamoDBv2.Model.AttributeValue>
        {
            ["PK"] = new() { S = "JIRA#" + changeId }, ["SK"] = new() { S = JiraTask.Comment(1) },
        })).Item["state"].S);
    }

    [Fact]
    public async Task Hostile_text_in_the_change_goes_to_Jira_as_escaped_JSON_and_a_one_line_summary()
    {
        var settings = Settings();
        var table = await dynamo.NewTableAsync("jirahostile");
        var hostile = "\"}],\"x\":{\"a\":\"b\u202e<script>alert(1)</script>\r\nline2\t" + new string('A', 5000);
        var sessionKey = "session|hostile|2015-11-23T07:45:25Z";
        var call = new ChangeCall
        {
            ChangeId = ChangeCall.ChangeIdOf("111122223333", sessionKey),
            Kind = ChangeKind.ManualConsole,
            EventId = Guid.NewGuid().ToString(),
            EventName = "PutBucketPolicy",
            EventSource = "s3.amazonaws.com",
            EventTime = FourEyesReviewTests.SessionStart,
            AccountId = "111122223333",
            Region = "eu-west-1",
            Actor = "arn:aws:sts::111122223333:assumed-role/Admin/" + hostile,
            Principal = hostile,
            SessionKey = sessionKey,
            Resources = ["arn:aws:s3:::" + hostile],
        };
        await new DynamoChangeRegister(dynamo.Client, table, settings).RecordAsync(call);
        await new JiraOutbox(dynamo.Client, table).EnqueueAsync(call.ChangeId, JiraTask.Create, _clock.GetUtcNow());
        SearchFinds();
        CreateAnswers(201, Created);
        await Sync(table, settings).RunAsync(20, CancellationToken.None);
        using var body = JsonDocument.Parse(Assert.Single(Calls("/rest/api/3/issue")).RequestMessage.Body!);
        var fields = body.RootElement.GetProperty("fields");
        Assert.Equal(new[] { "description", "issuetype", "labels", "project", "summary" }, fields.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        var summary = fields.GetProperty("summary").GetString()!;
        Assert.True(summary.Length <= 255);
        Assert.DoesNotContain('\n', summary);
        Assert.DoesNotContain('\u202e', summary);
        Assert.Contains(fields.GetProperty("description").GetProperty("content").EnumerateArray(),
            p => p.GetProperty("content")[0].GetProperty("text").GetString()!.Contains("<script>alert(1)</script>", StringComparison.Ordinal));
    }

    [Fact]
    public async Task With_Jira_off_nothing_is_queued_and_the_sweep_step_does_nothing()
    {
        var (table, changeId) = await RegisterAsync(new IsmsSettings());
        Assert.Null(await new JiraOutbox(dynamo.Client, table).GetAsync(changeId, JiraTask.Create));
        Assert.Empty(_jira.LogEntries);
    }
}
