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
public sealed class CloudTrailAdapter : IStreamingRootAdapter
{
    /// <summary>Records per log file we accept; CloudTrail writes files of a few hundred records, never this many.</summary>
    public const int MaxRecordsPerFile = 10_000;

    /// <summary>
    /// The largest bare record (<see cref="TryReadRoot"/>) or EventBridge event (<see cref="MaxStreamedEventBytes"/>) read in
    /// one pass; larger ones take the document path. A record's own fields are a few dozen short strings, so a larger one is
    /// mostly request and response bodies, which that path tokenizes once and the one pass twice: RunInstances (11.6 KB)
    /// costs 26 % more instructions bare and 18 % more in an envelope when streamed.
    /// </summary>
    public const int MaxStreamedRecordBytes = 4096;

    /// <inheritdoc/>
    public int MaxStreamedEventBytes => MaxStreamedRecordBytes;

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
                    var where = new Where(bare ? "" : "Records", index);
                    if (!IsInsight(element, where)) inputs.Add(ToInput(element, null, null, null, where));
                    index++;
                }
                return inputs;
            }
            case InboundKind.CloudTrailRecord:
                return IsInsight(inbound.Root, new Where("record")) ? [] : [ToInput(inbound.Root, null, null, null, new Where("record"))];
            default:
                if (inbound.Detail.ValueKind != JsonValueKind.Object)
                    throw new EventRejectedException($"'{inbound.DetailType}' event has no detail object");
                if (IsInsight(inbound.Detail, new Where("detail"))) return [];
                return [ToInput(inbound.Detail, inbound.DetailType, inbound.Account, inbound.Region, new Where("detail"), inbound.Id)];
        }
    }

    /// <summary>
    /// A CloudTrail Insights event (<c>eventType</c> AwsCloudTrailInsight; the API it is about is inside
    /// <c>insightDetails</c>, there is no caller): a statistic about unusual call volume, not a call. No rule judges it,
    /// so it is skipped with a log line rather than rejected as a record without eventName, or judged as the call it names.
    /// </summary>
    private static bool IsInsight(JsonElement element, Where where)
    {
        // UTF-8 literals: the same lookups without transcoding the two names for every record.
        if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty("eventType"u8, out var type)
            || type.ValueKind != JsonValueKind.String || !type.ValueEquals("AwsCloudTrailInsight"u8))
            return false;
        Observability.Log.Info("cloudtrail.insight-skipped", ("where", where.ToString()));
        return true;
    }

    /// <summary>
    /// The detail's record from the bytes (<see cref="CloudTrailRecordStreamReader"/>): declines an Insights record, a
    /// malformed record and any spelling that reader leaves to the document path, which then words the skip or rejection.
    /// </summary>
    public bool TryReadDetail(ref Utf8JsonReader reader, InboundEvent header, EvaluationContext context, out object? state) =>
        TryReadRecord(ref reader, out state);

    /// <summary>
    /// <see cref="TryReadDetail"/>, which reads neither the header nor the context: what the router reads in place for a detail
    /// that comes before the envelope names its adapter (<c>StreamingRouter</c>), kept if this adapter is the one chosen.
    /// </summary>
    internal bool TryReadRecord(ref Utf8JsonReader reader, out object? state)
    {
        var read = CloudTrailRecordStreamReader.TryRead(ref reader, out var record);
        state = record;
        return read;
    }

    /// <summary>
    /// A bare record or a log file from the bytes (<see cref="IStreamingRootAdapter"/>): read only when the router's
    /// classification would give <paramref name="header"/>'s kind from the names read (a record: <c>eventVersion</c>,
    /// <c>eventName</c> and <c>eventSource</c>, none of the names tested before them; a log file: a <c>Records</c> array
    /// whose first record has <c>eventVersion</c> and <c>eventName</c>, no EventBridge, Config rule or SNS name beside it),
    /// and every record is read by <see cref="CloudTrailRecordStreamReader"/>; anything else declines.
    /// </summary>
    public bool TryReadRoot(ref Utf8JsonReader reader, InboundEvent header, int payloadLength, EvaluationContext context, out object? state)
    {
        state = null;
        if (reader.TokenType != JsonTokenType.StartObject) return false;
        if (header.Kind == InboundKind.CloudTrailRecord)
        {
            if (payloadLength > MaxStreamedRecordBytes) return false;
            if (!CloudTrailRecordStreamReader.TryRead(ref reader, out var record, out var names)) return false;
            const CloudTrailRecordStreamReader.RootNames Record = CloudTrailRecordStreamReader.RootNames.EventVersion
                | CloudTrailRecordStreamReader.RootNames.EventName | CloudTrailRecordStreamReader.RootNames.EventSource;
            if (names != Record) return false;
            state = record;
            return true;
        }
        if (header.Kind != InboundKind.CloudTrailLogFile) return false;
        List<CloudTrailRecord>? records = null;
        while (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.EndObject)
            {
                state = records;
                return records is not null;
            }
            if (reader.ValueIsEscaped) return false;
            var name = reader.ValueSpan;
            if (name.SequenceEqual("Records"u8))
            {
                if (records is not null || !reader.Read() || reader.TokenType != JsonTokenType.StartArray) return false;
                records = [];
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    if (records.Count == MaxRecordsPerFile) return false;
                    if (!CloudTrailRecordStreamReader.TryRead(ref reader, out var record, out var names)) return false;
                    // The router's log-file test reads the first record's eventVersion and eventName (or an Insights record's
                    // insightDetails: the reader declines those).
                    const CloudTrailRecordStreamReader.RootNames First = CloudTrailRecordStreamReader.RootNames.EventVersion
                        | CloudTrailRecordStreamReader.RootNames.EventName;
                    if (records.Count == 0 && (names & First) != First) return false;
                    records.Add(record!);
                }
                continue;
            }
            if (name.SequenceEqual("source"u8) || name.SequenceEqual("detail-type"u8) || name.SequenceEqual("invokingEvent"u8)
                || name.SequenceEqual("Type"u8) || name.SequenceEqual("Message"u8) || name.SequenceEqual("TopicArn"u8))
                return false;
            if (!reader.Read()) return false;
            reader.Skip();
        }
        return false;
    }

    /// <summary>The inputs <see cref="Adapt"/> makes from the same payload: the same checks, rejections and fields.</summary>
    public IReadOnlyList<RuleInput> AdaptRead(object? state, InboundEvent header, EvaluationContext context)
    {
        switch (header.Kind)
        {
            case InboundKind.CloudTrailLogFile:
            {
                var records = (List<CloudTrailRecord>)state!;
                var inputs = new List<RuleInput>(records.Count);
                for (var i = 0; i < records.Count; i++) inputs.Add(ToInput(records[i], null, null, null, new Where("Records", i), null));
                return inputs;
            }
            case InboundKind.CloudTrailRecord:
                return [ToInput((CloudTrailRecord)state!, null, null, null, new Where("record"), null)];
            default:
                return [ToInput((CloudTrailRecord)state!, header.DetailType, header.Account, header.Region, new Where("detail"), header.Id)];
        }
    }

    /// <summary>Where a record is, for a rejection's text: made only when one is thrown (a log file's records are many).</summary>
    private readonly record struct Where(string Name, int Index = -1)
    {
        public override string ToString() => Index < 0 ? Name : $"{Name}[{Index}]";
    }

    private static CloudTrailInput ToInput(JsonElement element, string? detailType, string? envelopeAccount, string? envelopeRegion, Where where, string? envelopeId = null)
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

    private static CloudTrailInput ToInput(CloudTrailRecord record, string? detailType, string? envelopeAccount, string? envelopeRegion, Where where, string? envelopeId)
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
