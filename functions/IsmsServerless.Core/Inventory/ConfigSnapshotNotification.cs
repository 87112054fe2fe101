using System.Text.Json;
using System.Text.RegularExpressions;
using IsmsServerless.Drift;
using IsmsServerless.Events;
using IsmsServerless.Ingestion;
using IsmsServerless.Model;

namespace IsmsServerless.Inventory;

/// <summary>
/// AWS Config's "Configuration Snapshot Delivery Completed" notification: where the snapshot object is. Accepted in the
/// three shapes it arrives in: the EventBridge event (<c>detail-type</c> "Config Configuration Snapshot Delivery
/// Status", the message as <c>detail</c>), the SNS envelope (<c>Message</c> as a JSON string, or an object as the
/// Config guide prints it), and the bare message.
/// </summary>
public sealed partial record ConfigSnapshotNotification(string Bucket, string Key, string? SnapshotId, DateTimeOffset? CreatedAt)
{
    public const string EventBridgeDetailType = "Config Configuration Snapshot Delivery Status";
    public const string CompletedMessageType = "ConfigurationSnapshotDeliveryCompleted";

    /// <summary>Largest notification read (they are well under 2 KB).</summary>
    public const int MaxPayloadBytes = 64 * 1024;

    /// <summary>
    /// Parses a notification. Null (with the reason) for a delivery-status message that is not a completed delivery
    /// (started, failed); <see cref="EventRejectedException"/> for anything that is not a snapshot notification at all.
    /// </summary>
    public static ConfigSnapshotNotification? Parse(ReadOnlyMemory<byte> payload, out string? ignoredReason)
    {
        ignoredReason = null;
        if (payload.Length > MaxPayloadBytes) throw new EventRejectedException($"snapshot notification is {payload.Length} bytes, more than {MaxPayloadBytes}");
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(payload, new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException ex)
        {
            throw new EventRejectedException($"snapshot notification is not valid JSON: {ex.Message}", ex);
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new EventRejectedException("snapshot notification is not a JSON object");
            var message = root;
            if (Json.Text(root, "detail-type") is { } detailType)
            {
                if (Json.Text(root, "source") != "aws.config" || detailType != EventBridgeDetailType)
                    throw new EventRejectedException($"not a Config snapshot delivery event (source '{BaselineVerdict.Clip(Json.Text(root, "source"), 64)}', detail-type '{BaselineVerdict.Clip(detailType, 64)}')");
                message = Json.Get(root, "detail");
            }
            else if (Json.Text(root, "Type") == "Notification")
            {
                message = Json.Unwrap(Json.Get(root, "Message"));
            }
            if (message.ValueKind != JsonValueKind.Object) throw new EventRejectedException("snapshot notification has no message object");
            var messageType = Json.Text(message, "messageType");
            if (messageType != CompletedMessageType)
            {
                if (messageType is not null && messageType.StartsWith("ConfigurationSnapshotDelivery", StringComparison.Ordinal))
                {
                    ignoredReason = $"{messageType}: no snapshot to read";
                    return null;
                }
                throw new EventRejectedException($"messageType '{BaselineVerdict.Clip(messageType, 64) ?? "(none)"}' is not {CompletedMessageType}");
            }
            var bucket = Json.Text(message, "s3Bucket");
            var key = Json.Text(message, "s3ObjectKey");
            if (string.IsNullOrEmpty(bucket) || !BucketName().IsMatch(bucket)) throw new EventRejectedException("snapshot notification has no valid s3Bucket");
            if (string.IsNullOrEmpty(key) || key.Length > 1024 || !SnapshotKey().IsMatch(key))
                throw new EventRejectedException("snapshot notification's s3ObjectKey is not a Config snapshot key (…AWSLogs/<account>/Config/<region>/…/ConfigSnapshot/….json.gz)");
            var created = Timestamps.TryParse(Json.Get(message, "notificationCreationTime"), out var at) ? at : (DateTimeOffset?)null;
            return new ConfigSnapshotNotification(bucket, key, BaselineVerdict.Clip(Json.Text(message, "configSnapshotId"), 128), created);
        }
    }

    /// <summary>The account the snapshot belongs to, from its key (Config writes AWSLogs/&lt;account&gt;/Config/…).</summary>
    public string? AccountId => SnapshotKey().Match(Key) is { Success: true } m ? m.Groups["account"].Value : null;

    [GeneratedRegex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")]
    private static partial Regex BucketName();

    // An optional delivery-channel prefix, then Config's fixed layout; no "..", no control characters.
    [GeneratedRegex(@"^(?:[A-Za-z0-9!_.*'()/-]{0,512}/)?AWSLogs/(?<account>\d{12})/Config/[a-z0-9-]{4,32}/\d{4}/\d{1,2}/\d{1,2}/ConfigSnapshot/[A-Za-z0-9_:.-]{1,300}\.json(?:\.gz)?$")]
    private static partial Regex SnapshotKey();
}
