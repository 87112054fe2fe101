using System.Text.Json;
using IsmsServerless.Events;
using IsmsServerless.Model;

namespace IsmsServerless.Ingestion;

/// <summary>
/// Parses a payload once and decides which shape it is. Everything that is not JSON, too big or too deep
/// is rejected here, before any adapter sees it.
/// </summary>
public static class EventRouter
{
    /// <summary>
    /// The largest payload accepted. EventBridge caps events at 256 KB and Lambda async payloads at 256 KB;
    /// a CloudTrail log file copied from S3 is the only legitimate larger input, and 4 MiB holds thousands of records.
    /// </summary>
    public const int MaxPayloadBytes = 4 * 1024 * 1024;

    private static readonly JsonDocumentOptions DocumentOptions = new()
    {
        MaxDepth = 64,
        CommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    /// <summary>Parses and classifies. The caller disposes <paramref name="document"/> when done with the event.</summary>
    public static InboundEvent Classify(ReadOnlyMemory<byte> payload, out JsonDocument document)
    {
        if (payload.Length > MaxPayloadBytes)
            throw new EventRejectedException($"payload is {payload.Length} bytes, more than the {MaxPayloadBytes} accepted");
        var span = payload.Span;
        // Some published samples (and some editors) start with a UTF-8 byte order mark; JSON readers reject it.
        if (span.Length >= 3 && span[0] == 0xEF && span[1] == 0xBB && span[2] == 0xBF) payload = payload[3..];
        if (payload.IsEmpty) throw new EventRejectedException("payload is empty");
        try
        {
            document = JsonDocument.Parse(payload, DocumentOptions);
        }
        catch (JsonException ex)
        {
            throw new EventRejectedException($"payload is not valid JSON: {ex.Message}", ex);
        }
        try
        {
            return Classify(document.RootElement);
        }
        catch
        {
            document.Dispose();
            throw;
        }
    }

    private static InboundEvent Classify(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
            throw new EventRejectedException($"payload is a JSON {root.ValueKind.ToString().ToLowerInvariant()}, not an object");

        if (root.TryGetProperty("detail-type", out _) && root.TryGetProperty("source", out _))
        {
            EventBridgeEnvelope envelope;
            try
            {
                envelope = root.Deserialize(EventJsonContext.Default.EventBridgeEnvelope)
                    ?? throw new EventRejectedException("EventBridge envelope is null");
            }
            catch (JsonException ex)
            {
                throw new EventRejectedException($"EventBridge envelope is malformed: {ex.Message}", ex);
            }
            root.TryGetProperty("detail", out var detail);
            return new InboundEvent(InboundKind.EventBridge, envelope.Id, envelope.Source, envelope.DetailType,
                envelope.Account, envelope.Region, Timestamps.ParseOrNull(envelope.Time), root, detail);
        }

        if (root.TryGetProperty("invokingEvent", out _) && (root.TryGetProperty("configRuleName", out _) || root.TryGetProperty("resultToken", out _)))
        {
            root.TryGetProperty("accountId", out var account);
            return new InboundEvent(InboundKind.ConfigRuleInvocation, null, "aws.config", "Config Rule Invocation",
                account.ValueKind == JsonValueKind.String ? account.GetString() : null, null, null, root, default);
        }

        if (root.TryGetProperty("Records", out var records) && records.ValueKind == JsonValueKind.Array)
        {
            // An S3 CloudTrail log file. (An SQS or SNS batch also has Records, but with eventSource aws:sqs / aws:sns.)
            var first = records.GetArrayLength() > 0 ? records[0] : default;
            var isCloudTrail = first.ValueKind == JsonValueKind.Object && first.TryGetProperty("eventVersion", out _)
                && first.TryGetProperty("eventName", out _);
            if (records.GetArrayLength() == 0 || isCloudTrail)
                return new InboundEvent(InboundKind.CloudTrailLogFile, null, "cloudtrail", null, null, null, null, root, default);
            throw new EventRejectedException("payload has Records but they are not CloudTrail records (an SQS or SNS batch goes to its own handler)");
        }

        if (root.TryGetProperty("eventVersion", out _) && root.TryGetProperty("eventName", out _) && root.TryGetProperty("eventSource", out _))
            return new InboundEvent(InboundKind.CloudTrailRecord, null, "cloudtrail", null, null, null, null, root, default);

        throw new EventRejectedException("payload is not an EventBridge event, a Config rule invocation or a CloudTrail record");
    }
}
