using System.Text.Json;
using IsmsServerless.Engine;
using IsmsServerless.Events;
using IsmsServerless.Inputs;
using IsmsServerless.Model;

namespace IsmsServerless.Ingestion;

/// <summary>
/// CloudTrail in all three shapes: EventBridge "AWS API Call via CloudTrail" / "AWS Console Sign In via CloudTrail"
/// (and any detail-type ending "via CloudTrail"), single records, and S3 log files. An EventBridge event's record is read
/// from the payload's bytes in the router's one pass (<see cref="IStreamingDetailAdapter"/>,
/// <see cref="CloudTrailRecordStreamReader"/>) when it is spelled the usual way; anything else takes the document path.
/// </summary>
public sealed class CloudTrailAdapter : IStreamingDetailAdapter
{
    /// <summary>Records per log file we accept; CloudTrail writes files of a few hundred records, never this many.</summary>
    public const int MaxRecordsPerFile = 10_000;

    public string Name => "cloudtrail";

    public bool CanAdapt(InboundEvent inbound) => inbound.Kind switch
    {
        InboundKind.CloudTrailRecord or InboundKind.CloudTrailLogFile => true,
        InboundKind.EventBridge => inbound.DetailType?.EndsWith("via CloudTrail", StringComparison.Ordinal) ?? false,
        _ => false,
    };

    public IReadOnlyList<RuleInput> Adapt(InboundEvent inbound, EvaluationContext context)
    {
        switch (inbound.Kind)
        {
            case InboundKind.CloudTrailLogFile:
            {
                // A log file's Records, or a bare array of records (EventRouter accepts both).
                var bare = inbound.Root.ValueKind == JsonValueKind.Array;
                var records = bare ? inbound.Root : inbound.Root.GetProperty("Records"u8);
                if (records.GetArrayLength() > MaxRecordsPerFile)
                    throw new EventRejectedException($"log file holds {records.GetArrayLength()} records, more than {MaxRecordsPerFile}");
                var inputs = new List<RuleInput>(records.GetArrayLength());
                var index = 0;
                foreach (var element in records.EnumerateArray())
                {
                    if (!IsInsight(element, bare ? $"[{index}]" : $"Records[{index}]"))
                        inputs.Add(ToInput(element, null, null, null, bare ? $"[{index}]" : $"Records[{index}]"));
                    index++;
                }
                return inputs;
            }
            case InboundKind.CloudTrailRecord:
                return IsInsight(inbound.Root, "record") ? [] : [ToInput(inbound.Root, null, null, null, "record")];
            default:
                if (inbound.Detail.ValueKind != JsonValueKind.Object)
                    throw new EventRejectedException($"'{inbound.DetailType}' event has no detail object");
                if (IsInsight(inbound.Detail, "detail")) return [];
                return [ToInput(inbound.Detail, inbound.DetailType, inbound.Account, inbound.Region, "detail", inbound.Id)];
        }
    }

    /// <summary>
    /// A CloudTrail Insights event (<c>eventType</c> AwsCloudTrailInsight; the API it is about is inside
    /// <c>insightDetails</c>, there is no caller): a statistic about unusual call volume, not a call. No rule judges it,
    /// so it is skipped with a log line rather than rejected as a record without eventName, or judged as the call it names.
    /// </summary>
    private static bool IsInsight(JsonElement element, string where)
    {
        // UTF-8 literals: the same lookups without transcoding the two names for every record.
        if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty("eventType"u8, out var type)
            || type.ValueKind != JsonValueKind.String || !type.ValueEquals("AwsCloudTrailInsight"u8))
            return false;
        Observability.Log.Info("cloudtrail.insight-skipped", ("where", where));
        return true;
    }

    /// <summary>
    /// The detail's record from the bytes (<see cref="CloudTrailRecordStreamReader"/>): declines an Insights record, a
    /// malformed record and any spelling that reader leaves to the document path, which then words the skip or rejection.
    /// </summary>
    public bool TryReadDetail(ref Utf8JsonReader reader, InboundEvent header, EvaluationContext context, out object? state)
    {
        var read = CloudTrailRecordStreamReader.TryRead(ref reader, out var record);
        state = record;
        return read;
    }

    /// <summary>The input <see cref="Adapt"/> makes from the same detail: the same checks, rejections and fields.</summary>
    public IReadOnlyList<RuleInput> AdaptRead(object? state, InboundEvent header, EvaluationContext context) =>
        [ToInput((CloudTrailRecord)state!, header.DetailType, header.Account, header.Region, "detail", header.Id)];

    private static CloudTrailInput ToInput(JsonElement element, string? detailType, string? envelopeAccount, string? envelopeRegion, string where, string? envelopeId = null)
    {
        if (element.ValueKind != JsonValueKind.Object)
            throw new EventRejectedException($"{where} is not a CloudTrail record object");
        CloudTrailRecord record;
        try
        {
            // Read from the parsed document by a reader written for the record (no re-tokenizing, bodies cloned rather
            // than re-parsed): CloudTrailRecordReader, the same record JsonElementBinder binds.
            record = CloudTrailRecordReader.Read(element)
                ?? throw new EventRejectedException($"{where} is null");
        }
        catch (JsonException ex)
        {
            throw new EventRejectedException($"{where} is not a valid CloudTrail record: {ex.Message}", ex);
        }
        return ToInput(record, detailType, envelopeAccount, envelopeRegion, where, envelopeId);
    }

    private static CloudTrailInput ToInput(CloudTrailRecord record, string? detailType, string? envelopeAccount, string? envelopeRegion, string where, string? envelopeId)
    {
        if (string.IsNullOrWhiteSpace(record.EventName) || string.IsNullOrWhiteSpace(record.EventSource))
            throw new EventRejectedException($"{where} lacks eventName or eventSource");
        if (!Timestamps.TryParse(record.EventTime, out var eventTime))
            throw new EventRejectedException($"{where} has no valid eventTime ('{Shorten(record.EventTime)}')");

        // recipientAccountId is the account the event was delivered to; userIdentity.accountId is the caller's
        // (different for cross-account calls). The finding belongs to the account whose resource was touched.
        var account = FirstNonEmpty(record.RecipientAccountId, envelopeAccount, record.UserIdentity?.AccountId) ?? "unknown";
        var region = FirstNonEmpty(record.AwsRegion, envelopeRegion) ?? "unknown";
        return new CloudTrailInput
        {
            Record = record,
            DetailType = detailType,
            AccountId = account,
            Region = region,
            ObservedAt = eventTime,
            SourceEventId = record.EventId ?? envelopeId,
        };
    }

    private static string? FirstNonEmpty(params ReadOnlySpan<string?> values) => Present.First(values);

    private static string Shorten(string? text) => text is null ? "" : text.Length <= 40 ? text : text[..40] + "…";
}
