using System.Text.Json;
using IsmsServerless.Engine;
using IsmsServerless.Events;

namespace IsmsServerless.Ingestion;

/// <summary>
/// Reads an EventBridge event in one <see cref="Utf8JsonReader"/> pass (issue 20): the envelope's fields from the bytes, and
/// the detail by the adapter the document path would choose when it is an <see cref="IStreamingDetailAdapter"/>. The
/// document path parses the payload into a <see cref="JsonDocument"/> and then walks it again element by element; for the
/// small events most traffic is, that second walk cost about what the parse cost.
/// </summary>
/// <remarks>
/// Only the usual spelling is read here; everything else declines (returns false, with nothing observable) and takes
/// <see cref="EventRouter.ClassifyPrepared"/>, which stays the reference: a top-level name with an escape, a duplicate
/// envelope field, a top-level <c>Type</c>, <c>Message</c> or <c>TopicArn</c> (the SNS test), an envelope field that is
/// not a plain string, a top-level name before the detail other than the envelope's (<c>version</c>, <c>id</c>,
/// <c>detail-type</c>, <c>source</c>, <c>account</c>, <c>time</c>, <c>region</c>, <c>resources</c>), a duplicate <c>resources</c>, a detail that is not an object, an envelope field after a detail read in
/// place, no detail, an adapter that does not stream or declines, and any invalid JSON (the document path words the
/// rejection). A detail before <c>source</c> or <c>detail-type</c> whose first name is <c>eventVersion</c> is read in place as
/// a CloudTrail record, kept if the envelope then chooses the CloudTrail adapter; any other (or one that reader declines) is
/// passed over by a bracket scan and read by its adapter
/// once the envelope is read; its read must end where the scan did. The reader has the router's limits (<see cref="EventRouter.ReaderOptions"/>) and reads the payload to its
/// end, so a payload accepted here is one the document path accepts.
/// </remarks>
public static class StreamingRouter
{
    /// <summary>What a streamed read produced: the adapter, the envelope and the adapter's state.</summary>
    public readonly record struct Read(IStreamingDetailAdapter Adapter, InboundEvent Header, object? State);

    /// <summary>Reads a payload that has been through <see cref="EventRouter.Prepare"/>; false to take the document path.</summary>
    public static bool TryRead(ReadOnlySpan<byte> payload, IReadOnlyList<IEventAdapter> adapters, EvaluationContext context, out Read read)
    {
        read = default;
        // Only an object can be an EventBridge event; anything else is decided by the document path at no loss.
        var first = 0;
        while (first < payload.Length && payload[first] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n') first++;
        if (first == payload.Length || payload[first] != (byte)'{') return false;
        try
        {
            // A CloudTrail log file or bare record (their first name as AWS writes them): read by the adapter that takes that
            // kind when it reads whole payloads (IStreamingRootAdapter). Everything else: the EventBridge read below.
            if (RootKind(payload[(first + 1)..]) is { } kind) return TryReadRoot(payload, kind, adapters, context, out read);
            return TryReadObject(payload, adapters, context, out read);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or FormatException or ArgumentException
            or IndexOutOfRangeException or EventRejectedException)
        {
            // Invalid JSON, or a shape an adapter's reader did not expect: the document path reads it and words the result.
            read = default;
            return false;
        }
    }

    private static bool TryReadObject(ReadOnlySpan<byte> payload, IReadOnlyList<IEventAdapter> adapters, EvaluationContext context, out Read read)
    {
        read = default;
        var reader = new Utf8JsonReader(payload, EventRouter.ReaderOptions);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return false;
        string? id = null, source = null, detailType = null, account = null, region = null;
        DateTimeOffset? time = null;
        Field seen = 0;
        int resourcesStart = -1, resourcesEnd = -1;
        IStreamingDetailAdapter? adapter = null;
        InboundEvent? header = null;
        object? state = null;
        // A detail that comes before the source or the detail type (published samples re-serialized in another key order)
        // is passed over by a bracket scan, and read by its adapter from this copy of the reader once the envelope is read.
        var deferred = false;
        var early = default(Utf8JsonReader);
        int offset = 0, detailEnd = -1;
        // A CloudTrail record read in place before the envelope named its adapter (the detail's first name said CloudTrail):
        // used when that adapter is the one chosen, else the detail is read again from the copy by the adapter chosen.
        CloudTrailAdapter? speculated = null;
        object? speculatedState = null;
        while (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.EndObject)
            {
                // The root closed: the rest may only be white space or comments (Read throws otherwise).
                if (reader.Read()) return false;
                if (deferred)
                {
                    if ((seen & (Field.Source | Field.DetailType)) != (Field.Source | Field.DetailType)) return false;
                    header = new InboundEvent(InboundKind.EventBridge, id, source, detailType, account, region, time, default, default);
                    if ((adapter = StreamingAdapterFor(header, payload.Length, adapters)) is null) return false;
                    if (speculated is not null && ReferenceEquals(adapter, speculated))
                        state = speculatedState;
                    else
                    {
                        if (adapter.ReadsEnvelopeResources)
                            header = header with { Root = EnvelopeRoot(resourcesStart < 0 ? default : payload[resourcesStart..resourcesEnd]) };
                        if (!adapter.TryReadDetail(ref early, header, context, out state)) return false;
                        // The adapter's read validated the detail and must end where the scan did: else the scan was fooled (a
                        // comment holding a bracket) and what was read after it is not the payload's envelope.
                        if (early.TokenType != JsonTokenType.EndObject || early.CurrentDepth != 1 || early.BytesConsumed != detailEnd) return false;
                    }
                }
                if (header is null) return false;
                read = new Read(adapter!, header, state);
                return true;
            }
            if (reader.ValueIsEscaped) return false;
            var field = FieldOf(reader.ValueSpan);
            if (field == Field.Sns) return false;
            if (field == 0)
            {
                // Before the detail, only the envelope's own fields: a payload of another shape (a Config rule invocation
                // with its long invokingEvent, a log file's Records) stops here, before its first value is read twice.
                if (header is null && !deferred && !reader.ValueSpan.SequenceEqual("version"u8))
                    return ConfigInvocationReader.IsInvocationName(reader.ValueSpan) && TryReadInvocation(payload, adapters, out read);
                reader.Skip();
                continue;
            }
            if ((seen & field) != 0 || header is not null) return false;
            seen |= field;
            if (!reader.Read()) return false;
            if (field == Field.Resources)
            {
                // Kept as bytes: only an adapter that reads the envelope's resources gets them, as its header's root.
                resourcesStart = offset + checked((int)reader.TokenStartIndex);
                reader.Skip();
                resourcesEnd = offset + checked((int)reader.BytesConsumed);
                continue;
            }
            if (field == Field.Detail)
            {
                if (reader.TokenType != JsonTokenType.StartObject) return false;
                if ((seen & (Field.Source | Field.DetailType)) != (Field.Source | Field.DetailType))
                {
                    var start = checked((int)reader.TokenStartIndex);
                    early = reader;
                    deferred = true;
                    if (TryReadEarlyRecord(payload, start, ref reader, adapters, out speculated, out speculatedState))
                    {
                        // Read through to its closing bracket, which is where the detail ends (the read validated it).
                        detailEnd = checked((int)reader.BytesConsumed);
                        continue;
                    }
                    speculated = null;
                    speculatedState = null;
                    reader = early;
                    detailEnd = ConfigNotificationReader.FindValueEnd(payload, start);
                    if (detailEnd < 0 || payload[detailEnd - 1] != (byte)'}') return false;
                    // Resumed at the closing bracket in the state after the opening one: the next token closes the detail.
                    offset = detailEnd - 1;
                    reader = new Utf8JsonReader(payload[offset..], isFinalBlock: true, reader.CurrentState);
                    if (!reader.Read() || reader.TokenType != JsonTokenType.EndObject) return false;
                    continue;
                }
                // The envelope read so far is the header (an envelope field after the detail declines), and it chooses the adapter.
                header = new InboundEvent(InboundKind.EventBridge, id, source, detailType, account, region, time, default, default);
                if ((adapter = StreamingAdapterFor(header, payload.Length, adapters)) is null) return false;
                if (adapter.ReadsEnvelopeResources)
                    header = header with { Root = EnvelopeRoot(resourcesStart < 0 ? default : payload[resourcesStart..resourcesEnd]) };
                if (!adapter.TryReadDetailFrom(ref reader, payload[offset..], header, context, out state)) return false;
                if (reader.TokenType != JsonTokenType.EndObject || reader.CurrentDepth != 1) return false;
                continue;
            }
            if (reader.TokenType != JsonTokenType.String || reader.ValueIsEscaped) return false;
            var body = reader.ValueSpan;
            switch (field)
            {
                case Field.Id: id = EnvelopeText.LenientPlain(body); break;
                case Field.Source: source = EnvelopeText.ReadPlain(body); break;
                case Field.DetailType: detailType = EnvelopeText.ReadPlain(body); break;
                case Field.Account: account = EnvelopeText.LenientPlain(body); break;
                case Field.Region: region = EnvelopeText.ReadPlain(body); break;
                case Field.Time: time = EnvelopeText.TimePlain(body); break;
            }
        }
        return false;
    }

    /// <summary>
    /// The adapter that reads an event with this envelope, when it streams and takes an event of this size. Which adapter
    /// depends on the source and detail type alone (CanAdapt), so it is chosen with the header itself once the envelope
    /// before the detail is read (one object for both, not a probe and a header); an event no adapter streams stops there.
    /// </summary>
    private static IStreamingDetailAdapter? StreamingAdapterFor(InboundEvent header, int payloadLength, IReadOnlyList<IEventAdapter> adapters)
    {
        var adapter = AdapterFor(header, adapters);
        // An adapter that leaves large events to the document path (CloudTrail: mostly bodies past 4 KB) declines them here.
        return adapter is IStreamingRootAdapter { MaxStreamedEventBytes: var max } && payloadLength > max ? null : adapter;
    }

    /// <summary>
    /// The kind a payload whose root object starts with <paramref name="afterBrace"/> is read as by an
    /// <see cref="IStreamingRootAdapter"/>: a first name <c>Records</c> (a CloudTrail log file) or <c>eventVersion</c> (a
    /// bare CloudTrail record); null for any other start (white space before the name is skipped; a comment is not).
    /// </summary>
    private static InboundKind? RootKind(ReadOnlySpan<byte> afterBrace)
    {
        var at = 0;
        while (at < afterBrace.Length && afterBrace[at] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n') at++;
        var name = afterBrace[at..];
        if (name.StartsWith("\"Records\""u8)) return InboundKind.CloudTrailLogFile;
        if (name.StartsWith("\"eventVersion\""u8)) return InboundKind.CloudTrailRecord;
        return null;
    }

    // The headers of the payloads read whole (immutable, shared: a payload that declines allocates nothing for them).
    private static readonly InboundEvent LogFileHeader = new(InboundKind.CloudTrailLogFile, null, "cloudtrail", null, null, null, null, default, default);
    private static readonly InboundEvent RecordHeader = new(InboundKind.CloudTrailRecord, null, "cloudtrail", null, null, null, null, default, default);

    /// <summary>
    /// A whole payload of <paramref name="kind"/> read by the adapter the document path would choose for it, when that adapter
    /// reads whole payloads; the adapter declines anything the document path would classify or read otherwise, and the rest of
    /// the payload may only be white space or comments.
    /// </summary>
    private static bool TryReadRoot(ReadOnlySpan<byte> payload, InboundKind kind, IReadOnlyList<IEventAdapter> adapters, EvaluationContext context, out Read read)
    {
        read = default;
        var header = kind == InboundKind.CloudTrailLogFile ? LogFileHeader : RecordHeader;
        if (AdapterFor(header, adapters) is not IStreamingRootAdapter adapter) return false;
        var reader = new Utf8JsonReader(payload, EventRouter.ReaderOptions);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return false;
        if (!adapter.TryReadRoot(ref reader, header, payload.Length, context, out var state)) return false;
        if (reader.TokenType != JsonTokenType.EndObject || reader.CurrentDepth != 0) return false;
        // The root closed: the rest may only be white space or comments (Read throws otherwise).
        if (reader.Read()) return false;
        read = new Read(adapter, header, state);
        return true;
    }

    // A rule invocation's header before its account is read (what the adapter is chosen by).
    private static readonly InboundEvent InvocationHeader = new(InboundKind.ConfigRuleInvocation, null, "aws.config", "Config Rule Invocation", null, null, null, default, default);

    /// <summary>
    /// A payload whose first name past the envelope's is a Config rule invocation's (<see cref="ConfigInvocationReader.IsInvocationName"/>),
    /// read from the start as one by <see cref="ConfigInvocationReader"/> when the adapter the document path would choose for a
    /// rule invocation is <see cref="ConfigAdapter"/>; that reader declines whatever the document path would classify or read
    /// otherwise.
    /// </summary>
    private static bool TryReadInvocation(ReadOnlySpan<byte> payload, IReadOnlyList<IEventAdapter> adapters, out Read read)
    {
        read = default;
        if (AdapterFor(InvocationHeader, adapters) is not ConfigAdapter adapter) return false;
        if (!ConfigInvocationReader.TryRead(payload, out var invocation)) return false;
        read = new Read(adapter, InvocationHeader with { Account = invocation.Account }, invocation);
        return true;
    }

    /// <summary>
    /// A root holding only the envelope's <c>resources</c> (its bytes as they came), or an empty object without them: what an
    /// adapter that reads <c>resources</c> from the root finds there.
    /// </summary>
    private static System.Text.Json.JsonElement EnvelopeRoot(ReadOnlySpan<byte> resources)
    {
        var json = new byte[resources.Length + 15];
        "{\"resources\":"u8.CopyTo(json);
        var length = 13;
        if (resources.IsEmpty) length = 1;
        else
        {
            resources.CopyTo(json.AsSpan(13));
            length += resources.Length;
        }
        json[length++] = (byte)'}';
        var reader = new Utf8JsonReader(json.AsSpan(0, length), EventRouter.ReaderOptions);
        return JsonElement.ParseValue(ref reader);
    }

    /// <summary>The adapter the document path would choose (the first that can adapt), when it streams.</summary>
    private static IStreamingDetailAdapter? AdapterFor(InboundEvent header, IReadOnlyList<IEventAdapter> adapters)
    {
        // Indexed, not foreach: the interface's enumerator is an allocation per event.
        for (var i = 0; i < adapters.Count; i++)
        {
            if (adapters[i].CanAdapt(header)) return adapters[i] as IStreamingDetailAdapter;
        }
        return null;
    }

    /// <summary>
    /// A detail met before the envelope named its adapter, read in place as a CloudTrail record when its first name is
    /// <c>eventVersion</c> (a CloudTrail record as AWS writes it) and the payload is one the CloudTrail adapter streams: the
    /// reader then ends on the detail's closing bracket, and the record is used if that adapter is the one the envelope
    /// chooses. False (the reader's position then undefined: the caller restores it) for anything else, or if the read declines.
    /// </summary>
    private static bool TryReadEarlyRecord(ReadOnlySpan<byte> payload, int start, ref Utf8JsonReader reader, IReadOnlyList<IEventAdapter> adapters,
        out CloudTrailAdapter? cloudTrail, out object? state)
    {
        cloudTrail = null;
        state = null;
        if (payload.Length > CloudTrailAdapter.MaxStreamedRecordBytes) return false;
        var at = start + 1;
        while (at < payload.Length && payload[at] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n') at++;
        if (!payload[at..].StartsWith("\"eventVersion\""u8)) return false;
        for (var i = 0; i < adapters.Count && cloudTrail is null; i++) cloudTrail = adapters[i] as CloudTrailAdapter;
        if (cloudTrail is null || !cloudTrail.TryReadRecord(ref reader, out state)) return false;
        return reader.TokenType == JsonTokenType.EndObject && reader.CurrentDepth == 1;
    }

    [Flags]
    private enum Field
    {
        Id = 1, Source = 2, DetailType = 4, Account = 8, Region = 16, Time = 32, Detail = 64, Resources = 256,
        /// <summary>A name the SNS notification test reads (<c>Type</c>, <c>Message</c>, <c>TopicArn</c>).</summary>
        Sns = 128,
    }

    private static Field FieldOf(ReadOnlySpan<byte> name) => name.Length switch
    {
        2 when name.SequenceEqual("id"u8) => Field.Id,
        4 when name.SequenceEqual("time"u8) => Field.Time,
        4 when name.SequenceEqual("Type"u8) => Field.Sns,
        6 when name.SequenceEqual("source"u8) => Field.Source,
        6 when name.SequenceEqual("region"u8) => Field.Region,
        9 when name.SequenceEqual("resources"u8) => Field.Resources,
        6 when name.SequenceEqual("detail"u8) => Field.Detail,
        7 when name.SequenceEqual("account"u8) => Field.Account,
        7 when name.SequenceEqual("Message"u8) => Field.Sns,
        8 when name.SequenceEqual("TopicArn"u8) => Field.Sns,
        11 when name.SequenceEqual("detail-type"u8) => Field.DetailType,
        _ => 0,
    };
}
