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

    /// <summary>The same limits for a <see cref="Utf8JsonReader"/> over the payload (<see cref="StreamingRouter"/>).</summary>
    internal static readonly JsonReaderOptions ReaderOptions = new()
    {
        MaxDepth = 64,
        CommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    /// <summary>Parses and classifies. The caller disposes <paramref name="document"/> when done with the event.</summary>
    public static InboundEvent Classify(ReadOnlyMemory<byte> payload, out JsonDocument document) =>
        ClassifyPrepared(Prepare(payload), out document);

    /// <summary>
    /// The checks every payload gets before anything reads it as JSON: the size cap, a UTF-8 byte order mark dropped, empty
    /// and invalid UTF-8 rejected, lone surrogate escapes repaired (logged once). Returns the bytes to read; throws
    /// <see cref="EventRejectedException"/> for the rejections.
    /// </summary>
    public static ReadOnlyMemory<byte> Prepare(ReadOnlyMemory<byte> payload)
    {
        if (payload.Length > MaxPayloadBytes)
            throw new EventRejectedException($"payload is {payload.Length} bytes, more than the {MaxPayloadBytes} accepted");
        var span = payload.Span;
        // Some published samples (and some editors) start with a UTF-8 byte order mark; JSON readers reject it.
        if (span.Length >= 3 && span[0] == 0xEF && span[1] == 0xBB && span[2] == 0xBF) payload = payload[3..];
        if (payload.IsEmpty) throw new EventRejectedException("payload is empty");
        // JsonDocument validates UTF-8 only when a string is read, so invalid bytes would surface later as an
        // InvalidOperationException from whichever adapter reads that string. One vectorized pass rejects them here.
        if (!System.Text.Unicode.Utf8.IsValid(payload.Span)) throw new EventRejectedException("payload is not valid UTF-8");
        // Valid JSON may still escape half a surrogate pair, which throws only when that string is read: repaired here.
        payload = LoneSurrogates.Repair(payload, out var repaired);
        if (repaired > 0) Observability.Log.Warn("event.lone-surrogates-replaced", ("count", repaired));
        return payload;
    }

    /// <summary>Parses and classifies a payload that has been through <see cref="Prepare"/>.</summary>
    public static InboundEvent ClassifyPrepared(ReadOnlyMemory<byte> payload, out JsonDocument document)
    {
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
            if (SnsMessageText(document.RootElement) is { } message)
            {
                // An SNS notification (HTTP/S body, SQS without raw delivery) carrying JSON text: AWS Config's own
                // delivery channel. Parsed as its own document (one level only; the SNS wrapper is dropped).
                var sns = SnsMetadata(document.RootElement);
                var inner = ParseInner(message);
                document.Dispose();
                document = inner;
                return WithSnsMetadata(Classify(document.RootElement), sns);
            }
            return Classify(document.RootElement);
        }
        catch
        {
            document.Dispose();
            throw;
        }
    }

    private readonly record struct Sns(string? MessageId, DateTimeOffset? Timestamp);

    private static bool IsSnsNotification(JsonElement root) =>
        root.ValueKind == JsonValueKind.Object && root.TryGetProperty("Type"u8, out var type) && type.ValueKind == JsonValueKind.String
        && type.ValueEquals("Notification"u8) && root.TryGetProperty("Message"u8, out _) && root.TryGetProperty("TopicArn"u8, out _);

    private static string? SnsMessageText(JsonElement root)
    {
        if (!IsSnsNotification(root) || root.GetProperty("Message"u8) is not { ValueKind: JsonValueKind.String } message) return null;
        var text = message.GetString();
        var trimmed = text.AsSpan().TrimStart();
        if (trimmed.IsEmpty || (trimmed[0] != '{' && trimmed[0] != '['))
            throw new EventRejectedException("payload is an SNS notification whose Message is not JSON (only AWS service notifications are read)");
        return text;
    }

    private static Sns SnsMetadata(JsonElement root) =>
        new(LenientString(root, "MessageId"), Timestamps.ParseOrNull(LenientString(root, "Timestamp")));

    private static JsonDocument ParseInner(string message)
    {
        try
        {
            return JsonDocument.Parse(message, DocumentOptions);
        }
        catch (JsonException ex)
        {
            throw new EventRejectedException($"SNS Message is not valid JSON: {ex.Message}", ex);
        }
    }

    private static InboundEvent WithSnsMetadata(InboundEvent inbound, Sns sns) =>
        inbound.Kind == InboundKind.EventBridge && inbound.Source == "aws.config" && inbound.Id is null
            ? inbound with { Id = sns.MessageId, Time = inbound.Time ?? sns.Timestamp }
            : inbound;

    /// <summary>
    /// A bare AWS Config notification (the SNS message body AWS documents; SQS with raw delivery): the same object an
    /// EventBridge "Config Configuration Item Change" / "Config Rules Compliance Change" carries as its detail.
    /// </summary>
    private static InboundEvent? ConfigNotification(JsonElement root)
    {
        if (!root.TryGetProperty("messageType"u8, out var type) || type.ValueKind != JsonValueKind.String) return null;
        var messageType = type.GetString();
        var time = Timestamps.ParseOrNull(LenientString(root, "notificationCreationTime"));
        if (messageType == "ComplianceChangeNotification" && root.TryGetProperty("newEvaluationResult"u8, out _))
            return new InboundEvent(InboundKind.EventBridge, null, "aws.config", ConfigAdapter.ComplianceChangeDetailType,
                LenientString(root, "awsAccountId"), LenientString(root, "awsRegion"), time, root, root);
        if (messageType is "ConfigurationItemChangeNotification" or "OversizedConfigurationItemChangeNotification"
            or "ConfigurationSnapshotDeliveryCompleted" or "ConfigurationHistoryDeliveryCompleted" or "ScheduledNotification")
            return new InboundEvent(InboundKind.EventBridge, null, "aws.config", ConfigAdapter.ItemChangeDetailType, null, null, time, root, root);
        return null;
    }

    private static InboundEvent Classify(JsonElement root)
    {
        if (root.ValueKind == JsonValueKind.Array)
        {
            // A bare array of CloudTrail records: how CloudTrail Lake and `lookup-events` exports, detection-rule suites
            // and attack-simulation logs (Stratus Red Team's detonation logs) publish them. Read like a log file's Records.
            var first = root.GetArrayLength() > 0 ? root[0] : default;
            if (first.ValueKind == JsonValueKind.Object && IsCloudTrailRecord(first))
                return new InboundEvent(InboundKind.CloudTrailLogFile, null, "cloudtrail", null, null, null, null, root, default);
            throw new EventRejectedException(root.GetArrayLength() == 0
                ? "payload is an empty JSON array"
                : "payload is a JSON array whose first element is not a CloudTrail record (only an array of CloudTrail records is read)");
        }
        if (root.ValueKind != JsonValueKind.Object)
            throw new EventRejectedException($"payload is a JSON {root.ValueKind.ToString().ToLowerInvariant()}, not an object");

        // The envelope's fields are read from the document already parsed, not deserialized: deserializing from the root
        // element re-tokenizes the whole payload (detail included), which cost more than the parse itself. One pass over
        // the top-level properties finds all seven (a later duplicate wins, as with TryGetProperty).
        var envelope = default(EnvelopeFields);
        foreach (var property in root.EnumerateObject()) envelope.Take(property);
        if (envelope.DetailType.ValueKind != JsonValueKind.Undefined && envelope.Source.ValueKind != JsonValueKind.Undefined)
        {
            // Same leniency as LenientStringConverter: strings, numbers and booleans as text; objects and arrays as null.
            // Source, detail type and region as the constants AWS sends, and the time from its bytes (EnvelopeText: same values).
            return new InboundEvent(InboundKind.EventBridge, LenientString(envelope.Id), EnvelopeText.Read(envelope.Source), EnvelopeText.Read(envelope.DetailType),
                LenientString(envelope.Account), EnvelopeText.Read(envelope.Region), EnvelopeText.Time(envelope.Time), root, envelope.Detail);
        }

        if (root.TryGetProperty("invokingEvent"u8, out _) && (root.TryGetProperty("configRuleName"u8, out _) || root.TryGetProperty("resultToken"u8, out _)))
        {
            root.TryGetProperty("accountId"u8, out var account);
            return new InboundEvent(InboundKind.ConfigRuleInvocation, null, "aws.config", "Config Rule Invocation",
                account.ValueKind == JsonValueKind.String ? Present.OrNull(account.GetString()) : null, null, null, root, default);
        }

        if (root.TryGetProperty("Records"u8, out var records) && records.ValueKind == JsonValueKind.Array)
        {
            // An S3 CloudTrail log file. (An SQS or SNS batch also has Records, but with eventSource aws:sqs / aws:sns.)
            var first = records.GetArrayLength() > 0 ? records[0] : default;
            var isCloudTrail = first.ValueKind == JsonValueKind.Object && first.TryGetProperty("eventVersion"u8, out _)
                && (first.TryGetProperty("eventName"u8, out _) || IsInsightRecord(first));
            if (records.GetArrayLength() == 0 || isCloudTrail)
                return new InboundEvent(InboundKind.CloudTrailLogFile, null, "cloudtrail", null, null, null, null, root, default);
            throw new EventRejectedException("payload has Records but they are not CloudTrail records (an SQS or SNS batch goes to its own handler)");
        }

        if (root.TryGetProperty("eventVersion"u8, out _) && ((root.TryGetProperty("eventName"u8, out _) && root.TryGetProperty("eventSource"u8, out _)) || IsInsightRecord(root)))
            return new InboundEvent(InboundKind.CloudTrailRecord, null, "cloudtrail", null, null, null, null, root, default);

        if (IsSnsNotification(root))
        {
            // The Message is an object here (AWS's own documentation examples print it unescaped).
            var message = root.GetProperty("Message"u8);
            var inner = message.ValueKind == JsonValueKind.Object ? ConfigNotification(message) : null;
            if (inner is null)
                throw new EventRejectedException("payload is an SNS notification whose Message is not an AWS Config notification or another supported event");
            return WithSnsMetadata(inner, SnsMetadata(root));
        }

        if (ConfigNotification(root) is { } notification) return notification;

        if (root.TryGetProperty("resourceType"u8, out _) && root.TryGetProperty("configurationItemCaptureTime"u8, out _))
            return new InboundEvent(InboundKind.ConfigurationItem, null, "aws.config", "Config Configuration Item", null, null, null, root, default);

        throw new EventRejectedException("payload is not an EventBridge event, a Config rule invocation, a Config configuration item or a CloudTrail record");
    }

    /// <summary>The EventBridge envelope's top-level values (undefined when absent).</summary>
    private struct EnvelopeFields
    {
        public JsonElement Id, Source, DetailType, Account, Region, Time, Detail;

        public void Take(JsonProperty property)
        {
            // Names compared as raw UTF-8 where they carry no escape (every real envelope); escaped names are decoded.
            var raw = System.Runtime.InteropServices.JsonMarshal.GetRawUtf8PropertyName(property);
            if (raw.IndexOf((byte)'\\') >= 0)
            {
                Take(System.Text.Encoding.UTF8.GetBytes(property.Name), property.Value);
                return;
            }
            Take(raw, property.Value);
        }

        private void Take(ReadOnlySpan<byte> name, JsonElement value)
        {
            if (name.SequenceEqual("id"u8)) Id = value;
            else if (name.SequenceEqual("source"u8)) Source = value;
            else if (name.SequenceEqual("detail-type"u8)) DetailType = value;
            else if (name.SequenceEqual("account"u8)) Account = value;
            else if (name.SequenceEqual("region"u8)) Region = value;
            else if (name.SequenceEqual("time"u8)) Time = value;
            else if (name.SequenceEqual("detail"u8)) Detail = value;
        }
    }

    private static bool IsCloudTrailRecord(JsonElement element) =>
        element.TryGetProperty("eventVersion"u8, out _)
        && ((element.TryGetProperty("eventName"u8, out _) && element.TryGetProperty("eventSource"u8, out _)) || IsInsightRecord(element));

    /// <summary>A CloudTrail Insights record: its eventName and eventSource are inside <c>insightDetails</c>.</summary>
    private static bool IsInsightRecord(JsonElement element) =>
        element.TryGetProperty("eventType"u8, out var type) && type.ValueKind == JsonValueKind.String && type.ValueEquals("AwsCloudTrailInsight"u8)
        && element.TryGetProperty("insightDetails"u8, out _);

    /// <summary>A top-level field by name as text, read the way <see cref="LenientStringConverter"/> reads it.</summary>
    private static string? LenientString(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) ? LenientString(value) : null;

    /// <summary>A top-level envelope field as text, read the way <see cref="LenientStringConverter"/> reads it.</summary>
    private static string? LenientString(JsonElement value) => EnvelopeText.Lenient(value);
}
