using IsmsServerless.Alerts;
using IsmsServerless.Observability;
using IsmsServerless.Tests.Support;

namespace IsmsServerless.Tests.Alerts;

/// <summary>The notifier against a real HTTP server on 127.0.0.1 playing Slack. No timing is asserted.</summary>
public sealed class SlackNotifierTests
{
    private static readonly HttpClient Http = new() { Timeout = Timeout.InfiniteTimeSpan };

    private static readonly SlackNotifierOptions Fast = new()
    {
        RatePerSecond = 1000,
        MaxAttempts = 3,
        BaseBackoff = TimeSpan.FromMilliseconds(5),
        MaxBackoff = TimeSpan.FromMilliseconds(20),
        AttemptTimeout = TimeSpan.FromSeconds(5),
    };

    private static SlackNotifier Notifier(SlackTestServer server, SlackNotifierOptions? options = null) =>
        new(Http, server.WebhookUrl, TimeProvider.System, options ?? Fast);

    private static string Payload => SlackMessageBuilder.ForAlert(AlertSamples.RootActivity());

    private static string Shared(string name) => File.ReadAllText(Fixtures.SharedPath("slack/" + name));

    [Fact]
    public async Task Ok_is_delivered_once_with_the_block_kit_body()
    {
        await using var server = new SlackTestServer(new SlackReply(200, Shared("webhook-success-200-ok.txt")));
        var result = await Notifier(server).PostAsync(Payload, "alert-0001", CancellationToken.None);
        Assert.Equal(SlackDeliveryOutcome.Delivered, result.Outcome);
        Assert.Equal(1, result.Attempts);
        Assert.Equal(Payload, Assert.Single(server.Bodies));
    }

    [Fact]
    public async Task Rate_limited_429_is_retried_after_retry_after_and_then_delivered()
    {
        await using var server = new SlackTestServer(new SlackReply(429, "", RetryAfter: "1"), SlackReply.Ok);
        var result = await Notifier(server).PostAsync(Payload, "alert-0001", CancellationToken.None);
        Assert.Equal(SlackDeliveryOutcome.Delivered, result.Outcome);
        Assert.Equal(2, result.Attempts);
        Assert.Equal(2, server.Requests);
    }

    [Fact]
    public async Task A_retry_after_longer_than_the_process_may_wait_is_handed_back_as_transient()
    {
        await using var server = new SlackTestServer(new SlackReply(429, "", RetryAfter: "3600"));
        var result = await Notifier(server).PostAsync(Payload, "alert-0001", CancellationToken.None);
        Assert.Equal(SlackDeliveryOutcome.Transient, result.Outcome);
        Assert.Equal(1, server.Requests);
    }

    [Fact]
    public async Task Server_error_is_retried_with_backoff_then_delivered()
    {
        await using var server = new SlackTestServer(new SlackReply(500, "rollup_error"), SlackReply.Ok);
        var result = await Notifier(server).PostAsync(Payload, "alert-0001", CancellationToken.None);
        Assert.Equal(SlackDeliveryOutcome.Delivered, result.Outcome);
        Assert.Equal(2, server.Requests);
    }

    [Fact]
    public async Task Persistent_server_errors_stop_after_the_attempt_budget_as_transient()
    {
        await using var server = new SlackTestServer(new SlackReply(503, "service unavailable"));
        var result = await Notifier(server).PostAsync(Payload, "alert-0001", CancellationToken.None);
        Assert.Equal(SlackDeliveryOutcome.Transient, result.Outcome);
        Assert.Equal(Fast.MaxAttempts, server.Requests);
        Assert.Equal(503, result.StatusCode);
    }

    [Fact]
    public async Task A_timed_out_attempt_is_retried()
    {
        await using var server = new SlackTestServer(new SlackReply(200, "ok", Delay: TimeSpan.FromSeconds(5)), SlackReply.Ok);
        var result = await Notifier(server, Fast with { AttemptTimeout = TimeSpan.FromSeconds(1), MaxAttempts = 5 }).PostAsync(Payload, "alert-0001", CancellationToken.None);
        Assert.Equal(SlackDeliveryOutcome.Delivered, result.Outcome);
        // At least the slow attempt timed out; under heavy machine load a later attempt may time out too.
        Assert.True(result.Attempts >= 2);
    }

    [Theory]
    [InlineData(404, "webhook-error-404-no_team.txt")]
    public async Task Slack_rejections_are_permanent_and_not_retried(int status, string fixture) => await RejectionIsPermanent(status, fixture);

    /// <summary>The Slack changelog's error bodies carry no licence, so they stay in the external collection only.</summary>
    [ExternalCorpusTheory]
    [InlineData(400, "webhook-error-400-invalid_payload.txt")]
    [InlineData(410, "webhook-error-410-channel_is_archived.txt")]
    public async Task Slack_documented_rejections_are_permanent_and_not_retried(int status, string fixture) => await RejectionIsPermanent(status, fixture);

    private static async Task RejectionIsPermanent(int status, string fixture)
    {
        var body = Shared(fixture);
        await using var server = new SlackTestServer(new SlackReply(status, body));
        var result = await Notifier(server).PostAsync(Payload, "alert-0001", CancellationToken.None);
        Assert.Equal(SlackDeliveryOutcome.Permanent, result.Outcome);
        Assert.Equal(1, server.Requests);
        Assert.Equal(status, result.StatusCode);
        Assert.Equal(body, result.Detail);
    }

    [Fact]
    public async Task The_webhook_secret_never_reaches_the_log_even_when_the_host_is_unreachable()
    {
        var log = new StringWriter();
        var previous = Log.Target;
        Log.Target = log;
        try
        {
            var port = new Uri("http://127.0.0.1:1/services/T0TESTTEAM/B0TESTHOOK/" + SlackTestServer.SecretPart);
            var notifier = new SlackNotifier(Http, port, TimeProvider.System, Fast);
            var result = await notifier.PostAsync(Payload, "alert-0001", CancellationToken.None);
            Assert.Equal(SlackDeliveryOutcome.Transient, result.Outcome);
            Assert.DoesNotContain(SlackTestServer.SecretPart, result.Detail, StringComparison.Ordinal);

            await using var server = new SlackTestServer(new SlackReply(400, "invalid_payload"));
            _ = await Notifier(server).PostAsync(Payload, "alert-0002", CancellationToken.None);
        }
        finally
        {
            Log.Target = previous;
        }
        var text = log.ToString();
        Assert.Contains("slack.rejected_permanently", text, StringComparison.Ordinal);
        Assert.Contains("/services/***", text, StringComparison.Ordinal);
        Assert.DoesNotContain(SlackTestServer.SecretPart, text, StringComparison.Ordinal);
        Assert.DoesNotContain("B0TESTHOOK", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Redaction_keeps_only_scheme_host_and_first_segment()
    {
        Assert.Equal("https://hooks.slack.com/services/***", SlackNotifier.Redact("https://hooks.slack.com/services/T-EXAMPLE/B-EXAMPLE/XXXX"));
        Assert.Equal("***", SlackNotifier.Redact("not a url XXXX"));
    }

    [Fact]
    public void Plain_http_webhooks_are_refused_except_on_loopback()
    {
        Assert.Throws<ArgumentException>(() => new SlackNotifier(Http, new Uri("http://hooks.slack.com/services/x"), TimeProvider.System));
    }
}
