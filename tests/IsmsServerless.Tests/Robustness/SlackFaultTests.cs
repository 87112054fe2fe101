using Amazon.DynamoDBv2.Model;
using IsmsServerless.Alerts;
using IsmsServerless.Ledger;
using IsmsServerless.Tests.Support;
using Microsoft.Extensions.Time.Testing;
using Xunit.Abstractions;

namespace IsmsServerless.Tests.Robustness;

/// <summary>
/// Alerts raised by a real replay into DynamoDB Local, delivered to a Slack stand-in on 127.0.0.1 behind
/// <see cref="FaultProxy"/> (500, 503, 429 Retry-After, connections reset), with SQS's at-least-once semantics: a
/// message whose delivery failed comes back, and some messages arrive twice. Every alert must reach Slack exactly once.
/// </summary>
[Collection(DynamoDbCollection.Name)]
public sealed class SlackFaultTests(DynamoDbLocalFixture dynamo, ITestOutputHelper output)
{
    [Fact]
    public async Task Every_alert_reaches_slack_exactly_once_through_server_errors_rate_limits_and_resets()
    {
        var table = await dynamo.NewTableAsync("slack-faults");
        await StoreFaultTests.ReplayAsync(dynamo.Client, table, RobustnessEvents.Load(variants: 1), redeliverEvery: 0);
        var alerts = await AlertOutbox.GetAsync(dynamo.Client, table, await AlertIdsAsync(table), CancellationToken.None);
        Assert.True(alerts.Count >= 5, $"the replay raised only {alerts.Count} alerts");

        await using var slack = new SlackTestServer();
        await using var proxy = new FaultProxy(new Uri(slack.WebhookUrl.GetLeftPart(UriPartial.Authority)),
            FaultPlan.Random(0.4, seed: 11, Fault.InternalError, Fault.Unavailable, Fault.RateLimited, Fault.DropBeforeForward));
        using var http = new HttpClient();
        var notifier = new SlackNotifier(http, new Uri(proxy.Endpoint + slack.WebhookUrl.PathAndQuery), TimeProvider.System, new SlackNotifierOptions
        {
            RatePerSecond = 1000,
            MaxAttempts = 2,
            BaseBackoff = TimeSpan.FromMilliseconds(5),
            MaxBackoff = TimeSpan.FromMilliseconds(20),
            MaxRetryAfter = TimeSpan.FromSeconds(2),
            AttemptTimeout = TimeSpan.FromSeconds(10),
        });
        // The delivery records' lease clock is fake, so a lease left behind by a failed attempt can be expired at once.
        var leaseClock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var delivery = new AlertDelivery(notifier, new DeliveryRecords(dynamo.Client, table, leaseClock));

        // The queue: every alert once, every third alert a second time (SQS delivers at least once).
        var queue = new Queue<OutgoingMessage>(alerts.Select(AlertDelivery.MessageFor));
        foreach (var alert in alerts.Where((_, i) => i % 3 == 0)) queue.Enqueue(AlertDelivery.MessageFor(alert));
        var statuses = new Dictionary<DeliveryStatus, int>();
        for (var received = 0; queue.Count > 0; received++)
        {
            Assert.True(received < 50 * alerts.Count, "deliveries did not converge");
            var message = queue.Dequeue();
            var report = await delivery.DeliverAsync(message, CancellationToken.None);
            statuses[report.Status] = statuses.GetValueOrDefault(report.Status) + 1;
            switch (report.Status)
            {
                case DeliveryStatus.Permanent:
                    Assert.Fail($"Slack faults are all transient, yet {message.Key} was given up as permanent: {report.Detail}");
                    break;
                case DeliveryStatus.Transient:
                    // The notifier's retry budget ran out: SQS makes the message visible again later.
                    queue.Enqueue(message);
                    break;
                case DeliveryStatus.InFlight:
                    leaseClock.Advance(DeliveryRecords.Lease + TimeSpan.FromSeconds(1));
                    queue.Enqueue(message);
                    break;
            }
        }
        output.WriteLine($"{alerts.Count} alerts; Slack requests {proxy.Requests}, injected: {proxy.Summary}; outcomes: {string.Join(", ", statuses.Select(s => $"{s.Key}={s.Value}"))}");

        foreach (var fault in new[] { Fault.InternalError, Fault.Unavailable, Fault.RateLimited, Fault.DropBeforeForward })
            Assert.True(proxy.Injected(fault) > 0, $"the proxy never injected {fault}");
        // What reached Slack is exactly one post per alert: nothing lost, nothing twice.
        var expected = alerts.Select(a => AlertDelivery.MessageFor(a).PayloadJson).Order(StringComparer.Ordinal).ToList();
        var posted = slack.Bodies.Order(StringComparer.Ordinal).ToList();
        Assert.Equal(expected, posted);
    }

    private async Task<List<string>> AlertIdsAsync(string table)
    {
        var ids = new List<string>();
        Dictionary<string, AttributeValue>? start = null;
        do
        {
            var page = await dynamo.Client.ScanAsync(new ScanRequest
            {
                TableName = table,
                FilterExpression = "#type = :alert",
                ExpressionAttributeNames = new() { ["#type"] = LedgerSchema.EntityType },
                ExpressionAttributeValues = new() { [":alert"] = new AttributeValue { S = LedgerItems.AlertEntity } },
                ExclusiveStartKey = start,
                ConsistentRead = true,
            });
            ids.AddRange((page.Items ?? []).Select(i => LedgerItems.TryReadAlert(i, out var alert, out var problem) ? alert.AlertId : throw new InvalidDataException(problem)));
            start = page.LastEvaluatedKey is { Count: > 0 } next ? next : null;
        }
        while (start is not null);
        return ids;
    }
}
