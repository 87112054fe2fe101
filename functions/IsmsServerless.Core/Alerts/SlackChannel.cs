namespace IsmsServerless.Alerts;

/// <summary>
/// Where the current process sends Slack messages that are not queue-driven (the daily digest): the sweep Lambda
/// registers a factory reading the webhook from SSM, <c>./isms sweep</c> one reading <c>SLACK_WEBHOOK_URL</c>. A null
/// factory (or a factory returning null) means no webhook is configured here.
/// </summary>
public static class SlackChannel
{
    public static Func<CancellationToken, Task<AlertDelivery?>>? Factory { get; set; }

    public static Task<AlertDelivery?> OpenAsync(CancellationToken cancellationToken) =>
        Factory?.Invoke(cancellationToken) ?? Task.FromResult<AlertDelivery?>(null);
}
