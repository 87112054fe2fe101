using System.Text.Json;
using System.Text.Json.Nodes;
using IsmsServerless.Alerts;
using IsmsServerless.Cli;
using IsmsServerless.Cli.Alerts;
using IsmsServerless.Engine;
using IsmsServerless.Functions;
using IsmsServerless.Functions.Slack;
using IsmsServerless.Ledger;
using IsmsServerless.Sweep;
using IsmsServerless.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace IsmsServerless.Tests.Alerts;

/// <summary>Delivery records, the Slack Lambda, the CLI contract and the digest: DynamoDB Local plus the Slack stand-in on 127.0.0.1.</summary>
[Collection(DynamoDbCollection.Name)]
public sealed class SlackDeliveryIntegrationTests(DynamoDbLocalFixture dynamo)
{
    private const string RootSignIn = "cloudtrail/eb-console-signin-root-success-nomfa.json";
    private static readonly HttpClient Http = new() { Timeout = Timeout.InfiniteTimeSpan };

    private static readonly SlackNotifierOptions Fast = new()
    {
        RatePerSecond = 1000,
        MaxAttempts = 2,
        BaseBackoff = TimeSpan.FromMilliseconds(5),
        MaxBackoff = TimeSpan.FromMilliseconds(10),
    };

    private AlertDelivery Delivery(SlackTestServer server, string table, TimeProvider? clock = null) =>
        new(new SlackNotifier(Http, server.WebhookUrl, TimeProvider.System, Fast), new DeliveryRecords(dynamo.Client, table, clock ?? TimeProvider.System));

    [Fact]
    public async Task A_message_delivered_once_is_not_posted_again_when_redelivered()
    {
        var table = await dynamo.NewTableAsync();
        await using var server = new SlackTestServer(SlackReply.Ok);
        var message = AlertDelivery.MessageFor(AlertSamples.RootActivity());

        Assert.Equal(DeliveryStatus.Delivered, (await Delivery(server, table).DeliverAsync(message, CancellationToken.None)).Status);
        // SQS redelivers (the Lambda timed out after the POST): a fresh process, same table.
        Assert.Equal(DeliveryStatus.AlreadyDelivered, (await Delivery(server, table).DeliverAsync(message, CancellationToken.None)).Status);
        Assert.Equal(1, server.Requests);
    }

    [Fact]
    public async Task A_claim_blocks_a_concurrent_sender_until_its_lease_expires()
    {
        var table = await dynamo.NewTableAsync();
        var clock = new FakeTimeProvider(DateTimeOffset.Parse("2026-11-23T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var records = new DeliveryRecords(dynamo.Client, table, clock);
        Assert.Equal(ClaimResult.Claimed, await records.TryClaimAsync("alert-1", CancellationToken.None));
        Assert.Equal(ClaimResult.InFlight, await records.TryClaimAsync("alert-1", CancellationToken.None));
        clock.Advance(DeliveryRecords.Lease + TimeSpan.FromSeconds(1));
        // The first sender crashed mid-POST: after the lease, another may try.
        Assert.Equal(ClaimResult.Claimed, await records.TryClaimAsync("alert-1", CancellationToken.None));
        await records.MarkDeliveredAsync("alert-1", 1, CancellationToken.None);
        clock.Advance(TimeSpan.FromHours(1));
        Assert.Equal(ClaimResult.AlreadyDelivered, await records.TryClaimAsync("alert-1", CancellationToken.None));
        Assert.True(await records.IsDeliveredAsync("alert-1", CancellationToken.None));
    }

    [Fact]
    public async Task A_failed_post_releases_its_claim_so_the_retry_delivers()
    {
        var table = await dynamo.NewTableAsync();
        await using var server = new SlackTestServer(new SlackReply(500, "rollup_error"), new SlackReply(500, "rollup_error"), SlackReply.Ok);
        var message = AlertDelivery.MessageFor(AlertSamples.RootActivity());
        Assert.Equal(DeliveryStatus.Transient, (await Delivery(server, table).DeliverAsync(message, CancellationToken.None)).Status);
        Assert.Equal(DeliveryStatus.Delivered, (await Delivery(server, table).DeliverAsync(message, CancellationToken.None)).Status);
        Assert.Equal(3, server.Requests);
    }

    /// <summary>An SQS event shaped like the real SNS→SQS fixture, with each body's SNS Message replaced.</summary>
    private static string SqsEvent(params (string SqsId, string SnsId, string? Message)[] records)
    {
        var fixture = JsonNode.Parse(File.ReadAllText(Fixtures.SharedPath("sns/sqs-wrapped-sns-notification.json")))!;
        var template = fixture["Records"]![0]!;
        var array = new JsonArray();
        foreach (var (sqsId, snsId, message) in records)
        {
            var record = template.DeepClone();
            var body = JsonNode.Parse(record["body"]!.GetValue<string>())!;
            body["MessageId"] = snsId;
            if (message is not null) body["Message"] = message;
            record["body"] = body.ToJsonString();
            record["messageId"] = sqsId;
            array.Add(record);
        }
        return new JsonObject { ["Records"] = array }.ToJsonString();
    }

    private static async Task<List<string>> InvokeAsync(SlackNotifierFunction function, string sqsEvent)
    {
        using var input = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(sqsEvent));
        using var output = await function.HandleAsync(input);
        using var json = await JsonDocument.ParseAsync(output);
        return json.RootElement.GetProperty("batchItemFailures").EnumerateArray().Select(f => f.GetProperty("itemIdentifier").GetString()!).ToList();
    }

    private SlackNotifierFunction Function(SlackTestServer server, string table) => new(new SlackServices
    {
        Webhook = _ => Task.FromResult(server.WebhookUrl),
        ParameterName = "/test/slack",
        Records = new DeliveryRecords(dynamo.Client, table, TimeProvider.System),
        Http = Http,
        Options = Fast,
    });

    [Fact]
    public async Task The_lambda_posts_each_alert_once_and_acknowledges_duplicates_and_other_notifications()
    {
        var table = await dynamo.NewTableAsync();
        await using var server = new SlackTestServer(SlackReply.Ok);
        var alert = AlertMessageFormat.Render(AlertSamples.RootActivity());
        var sqsEvent = SqsEvent(("sqs-1", "sns-1", alert), ("sqs-2", "sns-2", alert), ("sqs-3", "sns-3", null));

        var failures = await InvokeAsync(Function(server, table), sqsEvent);

        Assert.Empty(failures);
        Assert.Equal(2, server.Requests); // the alert once (SNS published it twice), the fixture's own message once
        var bodies = server.Bodies.Select(b => JsonDocument.Parse(b).RootElement.GetProperty("text").GetString()!).ToList();
        Assert.Contains(bodies, t => t.Contains("Root user activity", StringComparison.Ordinal));
        Assert.Contains(bodies, t => t.Contains("hello world", StringComparison.Ordinal));

        // The whole batch again (visibility timeout expired after the POSTs): nothing is posted twice.
        Assert.Empty(await InvokeAsync(Function(server, table), sqsEvent));
        Assert.Equal(2, server.Requests);
    }

    [Fact]
    public async Task The_lambda_returns_undelivered_messages_as_batch_item_failures()
    {
        var table = await dynamo.NewTableAsync();
        await using var server = new SlackTestServer(new SlackReply(503, ""));
        var failures = await InvokeAsync(Function(server, table),
            SqsEvent(("sqs-1", "sns-1", AlertMessageFormat.Render(AlertSamples.RootActivity("a-1"))), ("sqs-2", "sns-2", AlertMessageFormat.Render(AlertSamples.RootActivity("a-2")))));
        Assert.Equal(["sqs-1", "sqs-2"], failures);

        // A permanent rejection with no DLQ client to move it to: handed back to SQS (its redrive policy dead-letters it).
        await using var archived = new SlackTestServer(new SlackReply(410, "channel_is_archived"));
        Assert.Equal(["sqs-9"], await InvokeAsync(Function(archived, table), SqsEvent(("sqs-9", "sns-9", AlertMessageFormat.Render(AlertSamples.RootActivity("a-9"))))));
        Assert.Equal(1, archived.Requests);
    }

    [Fact]
    public async Task The_lambda_rejects_a_malformed_event_without_crashing()
    {
        var table = await dynamo.NewTableAsync();
        await using var server = new SlackTestServer(SlackReply.Ok);
        Assert.Empty(await InvokeAsync(Function(server, table), "{\"Records\": [ {\"messageId\": \"x\", \"body\": null} ]}"));
        using var input = new MemoryStream("not json"u8.ToArray());
        using var output = await Function(server, table).HandleAsync(input);
        Assert.Equal("{\"batchItemFailures\":[]}", await new StreamReader(output).ReadToEndAsync());
    }

    [Fact]
    public async Task Replay_delivers_the_alerts_it_raised_to_the_webhook_before_it_exits_and_never_twice()
    {
        var table = await dynamo.NewTableAsync();
        await using var server = new SlackTestServer(SlackReply.Ok);
        LocalSlack.WebhookOverride = server.WebhookUrl.ToString();
        try
        {
            // The sign-in happened on 2016-01-05; replayed then, its findings are open with a 7-day SLA.
            var summary = new StringWriter();
            Assert.Equal(0, await ReplayCommand.RunAsync([Fixtures.SharedPath(RootSignIn)], TestContexts.At("2016-01-05T19:00:00Z"), dynamo.Client, table, new StringWriter(), summary));
            Assert.Contains("Slack: 2 delivered", summary.ToString(), StringComparison.Ordinal);
            Assert.DoesNotContain(SlackTestServer.SecretPart, summary.ToString(), StringComparison.Ordinal);
            Assert.Equal(2, server.Requests);
            Assert.All(server.Bodies, b => Assert.Contains("arn:aws:iam::123456789012:root", b, StringComparison.Ordinal));

            // Weeks later the sweep escalates both to breached: two new alerts, delivered the same way, plus the day's digest.
            var sweepSummary = new StringWriter();
            var sweepOutput = new StringWriter();
            Assert.Equal(0, await SweepCommand.RunAsync(TestContexts.At("2016-03-01T09:00:00Z"), dynamo.Client, table, SweepSteps.DefaultSteps(), sweepOutput, sweepSummary));
            Assert.True(sweepSummary.ToString().Contains("Slack: 2 delivered", StringComparison.Ordinal), sweepSummary.ToString());
            Assert.Contains("digest sent: 2 open, 0 at risk, 2 breached", sweepOutput.ToString(), StringComparison.Ordinal);
            Assert.Equal(5, server.Requests);
            var texts = server.Bodies.Select(b => JsonDocument.Parse(b).RootElement.GetProperty("text").GetString()!).ToList();
            Assert.Equal(2, texts.Count(t => t.Contains(" escalated: ", StringComparison.Ordinal)));

            // Running the same sweep again raises nothing and posts nothing (the digest is once per day).
            Assert.Equal(0, await SweepCommand.RunAsync(TestContexts.At("2016-03-01T09:15:00Z"), dynamo.Client, table, SweepSteps.DefaultSteps(), new StringWriter(), new StringWriter()));
            Assert.Equal(5, server.Requests);
        }
        finally
        {
            LocalSlack.WebhookOverride = null;
        }
    }

    [Fact]
    public async Task Without_a_webhook_replay_lists_the_alerts_that_would_go_to_slack()
    {
        var table = await dynamo.NewTableAsync();
        var summary = new StringWriter();
        LocalSlack.WebhookOverride = "";
        try
        {
            Assert.Equal(0, await ReplayCommand.RunAsync([Fixtures.SharedPath(RootSignIn)], TestContexts.At("2026-01-01T00:00:00Z"), dynamo.Client, table, new StringWriter(), summary));
        }
        finally
        {
            LocalSlack.WebhookOverride = null;
        }
        var text = summary.ToString();
        Assert.Contains("2 alert(s) that would go to Slack", text, StringComparison.Ordinal);
        Assert.Contains("[ISMS] ", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_daily_digest_is_posted_once_per_day_with_breached_findings_first()
    {
        var table = await dynamo.NewTableAsync();
        await ReplayCommand.RunAsync([Fixtures.SharedPath(RootSignIn)], TestContexts.At("2026-01-01T00:00:00Z"), dynamo.Client, table, new StringWriter(), new StringWriter());
        await using var server = new SlackTestServer(SlackReply.Ok);
        var step = new DailyDigestStep(hourUtc: 8, channel: _ => Task.FromResult<AlertDelivery?>(Delivery(server, table)));
        var settings = IsmsServerless.Settings.IsmsSettings.Default;

        async Task<SweepStepResult> RunAt(string at)
        {
            var context = TestContexts.At(at, settings);
            var ledger = new DynamoDbFindingLedger(dynamo.Client, table, settings);
            await ledger.AdvanceTimersAsync(context);
            return await step.RunAsync(new SweepContext(dynamo.Client, table, ledger, context), CancellationToken.None);
        }

        Assert.Contains("from 08:00 UTC", Assert.Single((await RunAt("2026-03-01T07:45:00Z")).Notes), StringComparison.Ordinal);
        Assert.Equal(0, server.Requests);
        Assert.Contains("digest sent: 2 open, 0 at risk, 2 breached", Assert.Single((await RunAt("2026-03-01T08:00:00Z")).Notes), StringComparison.Ordinal);
        Assert.Contains("already sent", Assert.Single((await RunAt("2026-03-01T08:15:00Z")).Notes), StringComparison.Ordinal);
        Assert.Equal(1, server.Requests);

        var digest = JsonDocument.Parse(Assert.Single(server.Bodies)).RootElement;
        Assert.Contains("ISMS daily digest 2026-03-01: 2 open, 0 at risk, 2 breached", digest.GetProperty("text").GetString(), StringComparison.Ordinal);
        Assert.Contains(":red_circle:", digest.GetProperty("blocks").ToString(), StringComparison.Ordinal);

        await RunAt("2026-03-02T08:00:00Z");
        Assert.Equal(2, server.Requests);
    }
}
