using System.Text;
using Amazon.DynamoDBv2;
using IsmsServerless.Alerts;

namespace IsmsServerless.Cli.Alerts;

/// <summary>
/// The CLI's Slack delivery: when <c>SLACK_WEBHOOK_URL</c> is set, <c>./isms replay</c> and <c>./isms sweep</c>
/// deliver the alerts they raised through the same notifier, limits and delivery records as the Lambda, before they
/// exit; without it they print what would have been sent. The URL is a secret: never printed.
/// </summary>
internal static class LocalSlack
{
    public const string WebhookVariable = "SLACK_WEBHOOK_URL";

    /// <summary>Exit code when alerts were raised but Slack did not take all of them.</summary>
    public const int DeliveryFailedExitCode = 5;

    private static readonly HttpClient Http = new() { Timeout = Timeout.InfiniteTimeSpan };

    /// <summary>For tests: overrides the environment variable.</summary>
    internal static string? WebhookOverride { get; set; }

    /// <summary>For tests: notifier limits (the CLI uses the Lambda's defaults).</summary>
    internal static SlackNotifierOptions Options { get; set; } = new();

    private static string? Webhook => WebhookOverride ?? Environment.GetEnvironmentVariable(WebhookVariable);

    public static AlertDelivery? CreateDelivery(IAmazonDynamoDB dynamo, string tableName, TextWriter summary)
    {
        var value = Webhook;
        if (string.IsNullOrWhiteSpace(value)) return null;
        if (!Uri.TryCreate(value.Trim(), UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && !uri.IsLoopback))
        {
            summary.WriteLine($"isms: {WebhookVariable} is not an https URL (value not shown); alerts are not sent");
            return null;
        }
        var notifier = new SlackNotifier(Http, uri, TimeProvider.System, Options);
        return new AlertDelivery(notifier, new DeliveryRecords(dynamo, tableName, TimeProvider.System));
    }

    /// <summary>Lets the sweep's digest step post through the same webhook.</summary>
    public static void RegisterDigestChannel(IAmazonDynamoDB dynamo, string tableName, TextWriter summary) =>
        SlackChannel.Factory = _ => Task.FromResult(CreateDelivery(dynamo, tableName, summary));

    /// <summary>Delivers (or, without a webhook, lists) the alerts a command raised. Returns 0, or <see cref="DeliveryFailedExitCode"/>.</summary>
    public static async Task<int> DeliverRaisedAlertsAsync(string command, IReadOnlyCollection<string> alertIds, IAmazonDynamoDB dynamo, string tableName,
        TextWriter summary, CancellationToken cancellationToken)
    {
        if (alertIds.Count == 0) return 0;
        var alerts = await AlertOutbox.GetAsync(dynamo, tableName, alertIds, cancellationToken).ConfigureAwait(false);
        var delivery = CreateDelivery(dynamo, tableName, summary);
        if (delivery is null)
        {
            await summary.WriteLineAsync($"isms {command}: {alerts.Count} alert(s) that would go to Slack (set {WebhookVariable} to deliver them):").ConfigureAwait(false);
            foreach (var alert in alerts)
            {
                var message = AlertDelivery.MessageFor(alert);
                await summary.WriteLineAsync($"  - {Printable(message.Summary)} ({Encoding.UTF8.GetByteCount(message.PayloadJson)} bytes of Block Kit)").ConfigureAwait(false);
            }
            return 0;
        }
        var reports = await delivery.DeliverAsync(alerts, cancellationToken).ConfigureAwait(false);
        var delivered = reports.Count(r => r.Status == DeliveryStatus.Delivered);
        var duplicates = reports.Count(r => r.Status == DeliveryStatus.AlreadyDelivered);
        var failed = reports.Where(r => r.Status is not (DeliveryStatus.Delivered or DeliveryStatus.AlreadyDelivered)).ToList();
        await summary.WriteLineAsync($"isms {command}: Slack: {delivered} delivered, {duplicates} already delivered, {failed.Count} not delivered").ConfigureAwait(false);
        foreach (var failure in failed)
            await summary.WriteLineAsync($"  - {Printable(failure.Key)}: {failure.Status} {Printable(failure.Detail)}").ConfigureAwait(false);
        return failed.Count > 0 ? DeliveryFailedExitCode : 0;
    }

    /// <summary>Terminal-safe: control characters (ANSI escapes from hostile resource names) become '?'.</summary>
    internal static string Printable(string text) => string.Create(text.Length, text, (span, source) =>
    {
        for (var i = 0; i < source.Length; i++) span[i] = char.IsControl(source[i]) ? '?' : source[i];
    });
}
