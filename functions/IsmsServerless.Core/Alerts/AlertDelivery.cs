using IsmsServerless.Observability;

namespace IsmsServerless.Alerts;

/// <summary>One message to deliver: the key that makes it idempotent (the alert id) and its Block Kit JSON.</summary>
public sealed record OutgoingMessage(string Key, string Summary, string PayloadJson);

public enum DeliveryStatus
{
    Delivered,
    AlreadyDelivered,
    InFlight,
    Permanent,
    Transient,
}

public sealed record DeliveryReport(string Key, DeliveryStatus Status, string Detail);

/// <summary>
/// Delivery with exactly-once intent: claim the delivery record, post through <see cref="SlackNotifier"/>, mark it
/// delivered (or release the claim). The Slack Lambda and <c>./isms replay</c> / <c>./isms sweep</c> run this same code.
/// </summary>
public sealed class AlertDelivery(SlackNotifier notifier, DeliveryRecords? records)
{
    public static OutgoingMessage MessageFor(AlertRecord alert) =>
        new(alert.AlertId, AlertMessageFormat.Subject(alert) + " on " + alert.ResourceId, SlackMessageBuilder.ForAlert(alert));

    public async Task<DeliveryReport> DeliverAsync(OutgoingMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (records is not null)
        {
            var claim = await records.TryClaimAsync(message.Key, cancellationToken).ConfigureAwait(false);
            if (claim == ClaimResult.AlreadyDelivered)
            {
                Log.Info("slack.duplicate_skipped", ("key", message.Key));
                return new DeliveryReport(message.Key, DeliveryStatus.AlreadyDelivered, "already delivered");
            }
            if (claim == ClaimResult.InFlight)
            {
                Log.Warn("slack.in_flight_elsewhere", ("key", message.Key));
                return new DeliveryReport(message.Key, DeliveryStatus.InFlight, "another process holds the delivery lease");
            }
        }
        SlackDeliveryResult result;
        try
        {
            result = await notifier.PostAsync(message.PayloadJson, message.Key, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            if (records is not null) await records.ReleaseAsync(message.Key, CancellationToken.None).ConfigureAwait(false);
            throw;
        }
        if (result.Delivered)
        {
            if (records is not null) await records.MarkDeliveredAsync(message.Key, result.Attempts, cancellationToken).ConfigureAwait(false);
            return new DeliveryReport(message.Key, DeliveryStatus.Delivered, "ok");
        }
        if (records is not null) await records.ReleaseAsync(message.Key, cancellationToken).ConfigureAwait(false);
        var status = result.Outcome == SlackDeliveryOutcome.Permanent ? DeliveryStatus.Permanent : DeliveryStatus.Transient;
        return new DeliveryReport(message.Key, status, $"HTTP {result.StatusCode?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-"} {result.Detail}");
    }

    /// <summary>Loads the outbox items by id (GetItem each) and delivers them in order.</summary>
    public async Task<IReadOnlyList<DeliveryReport>> DeliverAsync(IEnumerable<string> alertIds, Amazon.DynamoDBv2.IAmazonDynamoDB dynamo, string tableName,
        CancellationToken cancellationToken)
    {
        var alerts = await AlertOutbox.GetAsync(dynamo, tableName, alertIds, cancellationToken).ConfigureAwait(false);
        return await DeliverAsync(alerts, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Delivers alerts in order (the notifier's bucket paces them). Used by the CLI before it exits. Returns one report per alert.
    /// </summary>
    public async Task<IReadOnlyList<DeliveryReport>> DeliverAsync(IEnumerable<AlertRecord> alerts, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(alerts);
        var reports = new List<DeliveryReport>();
        foreach (var alert in alerts)
            reports.Add(await DeliverAsync(MessageFor(alert), cancellationToken).ConfigureAwait(false));
        return reports;
    }
}
