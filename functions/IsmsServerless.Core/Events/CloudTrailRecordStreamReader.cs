using System.Text.Json;
using static IsmsServerless.Events.CloudTrailRecordReader;

namespace IsmsServerless.Events;

/// <summary>
/// <see cref="CloudTrailRecordReader"/>'s twin over a <see cref="Utf8JsonReader"/> (issue 20 wave 11): the record read from
/// the payload's bytes in the router's one pass (<c>StreamingRouter</c>), with no document in between. Names are matched on
/// <see cref="Utf8JsonReader.ValueSpan"/> exactly as the element reader matches them (the exact spelling, then ASCII case
/// folded; later duplicates overwrite earlier ones), strings read by <see cref="EventStrings.TryLenient"/> (the element
/// reader's text, table and per-event strings), bodies taken with <see cref="JsonElement.ParseValue"/> (GC-owned, the same
/// raw text as the element reader's clone; a JSON null is the same shared <see cref="ElementBindingPlan.NullBody"/>).
/// It declines (returns false; the payload then takes the document path, which stays the reference) on anything it does not
/// read exactly as the element reader: a name with an escape or not ASCII, a number that is not an integer in a string
/// field, a wrong kind for a nested record or the resources list (the element reader's rejection words it), and a CloudTrail
/// Insights record (the adapter skips it with a log line, which must not be written here).
/// <c>CloudTrailStreamingTests</c> holds it to the document path on the corpus and its mutations.
/// </summary>
internal static class CloudTrailRecordStreamReader
{
    /// <summary>
    /// Reads the record object the reader is on (its <see cref="JsonTokenType.StartObject"/>), leaving the reader on the
    /// object's <see cref="JsonTokenType.EndObject"/>. False for anything the element reader would read otherwise.
    /// </summary>
    public static bool TryRead(ref Utf8JsonReader reader, out CloudTrailRecord? record) => TryRead(ref reader, out record, out _);

    /// <summary>
    /// <see cref="TryRead(ref Utf8JsonReader, out CloudTrailRecord?)"/>, and which of the names the router's classification
    /// tests (<c>EventRouter.Classify</c>) the object holds in their exact spelling: a payload that is a record or a log file
    /// is classified by them.
    /// </summary>
    public static bool TryRead(ref Utf8JsonReader reader, out CloudTrailRecord? record, out RootNames names)
    {
        record = null;
        names = 0;
        if (reader.TokenType != JsonTokenType.StartObject) return false;
        string? eventVersion = null, eventTime = null, eventSource = null, eventName = null, awsRegion = null, sourceIp = null,
            userAgent = null, errorCode = null, errorMessage = null, eventId = null, requestId = null, eventType = null,
            readOnly = null, managementEvent = null, recipientAccountId = null, eventCategory = null, fromConsole = null;
        JsonElement requestParameters = default, responseElements = default, additionalEventData = default;
        CloudTrailUserIdentity? userIdentity = null;
        List<CloudTrailResource>? resources = null;
        while (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.EndObject)
            {
                record = new CloudTrailRecord
                {
                    EventVersion = eventVersion,
                    UserIdentity = userIdentity,
                    EventTime = eventTime,
                    EventSource = eventSource,
                    EventName = eventName,
                    AwsRegion = awsRegion,
                    SourceIpAddress = sourceIp,
                    UserAgent = userAgent,
                    ErrorCode = errorCode,
                    ErrorMessage = errorMessage,
                    RequestParameters = requestParameters,
                    ResponseElements = responseElements,
                    AdditionalEventData = additionalEventData,
                    EventId = eventId,
                    RequestId = requestId,
                    EventType = eventType,
                    ReadOnly = readOnly,
                    ManagementEvent = managementEvent,
                    RecipientAccountId = recipientAccountId,
                    EventCategory = eventCategory,
                    SessionCredentialFromConsole = fromConsole,
                    Resources = resources,
                };
                return true;
            }
            if (reader.ValueIsEscaped) return false;
            var field = RecordExact(reader.ValueSpan);
            var exact = field >= 0;
            if (!exact)
            {
                names |= Foreign(reader.ValueSpan);
                if ((field = RecordTable.FoldPlain(reader.ValueSpan)) == -2) return false;
            }
            else if (field is R.EventVersion or R.EventName or R.EventSource)
                names |= field switch { R.EventVersion => RootNames.EventVersion, R.EventName => RootNames.EventName, _ => RootNames.EventSource };
            if (!reader.Read()) return false;
            bool ok;
            switch (field)
            {
                case R.EventVersion: ok = EventStrings.TryLenient(ref reader, out eventVersion); break;
                case R.UserIdentity: ok = TryReadIdentity(ref reader, out userIdentity); break;
                case R.EventTime: ok = EventStrings.TryLenient(ref reader, out eventTime); break;
                case R.EventSource: ok = EventStrings.TryLenient(ref reader, out eventSource); break;
                case R.EventName: ok = EventStrings.TryLenient(ref reader, out eventName); break;
                case R.AwsRegion: ok = EventStrings.TryLenient(ref reader, out awsRegion); break;
                case R.SourceIpAddress: ok = EventStrings.TryLenient(ref reader, out sourceIp); break;
                case R.UserAgent: ok = EventStrings.TryLenient(ref reader, out userAgent); break;
                case R.ErrorCode: ok = EventStrings.TryLenient(ref reader, out errorCode); break;
                case R.ErrorMessage: ok = EventStrings.TryLenient(ref reader, out errorMessage); break;
                case R.RequestParameters: requestParameters = Body(ref reader); ok = true; break;
                case R.ResponseElements: responseElements = Body(ref reader); ok = true; break;
                case R.AdditionalEventData: additionalEventData = Body(ref reader); ok = true; break;
                case R.EventId: ok = EventStrings.TryLenient(ref reader, out eventId); break;
                case R.RequestId: ok = EventStrings.TryLenient(ref reader, out requestId); break;
                case R.EventType:
                    // The adapter's Insights test reads the exact name only; any such value declines (its log line is the
                    // document path's to write), whichever duplicate that test would have found.
                    if (exact && reader.TokenType == JsonTokenType.String && reader.ValueTextEquals("AwsCloudTrailInsight"u8)) return false;
                    ok = EventStrings.TryLenient(ref reader, out eventType);
                    break;
                case R.ReadOnly: ok = EventStrings.TryLenient(ref reader, out readOnly); break;
                case R.ManagementEvent: ok = EventStrings.TryLenient(ref reader, out managementEvent); break;
                case R.RecipientAccountId: ok = EventStrings.TryLenient(ref reader, out recipientAccountId); break;
                case R.EventCategory: ok = EventStrings.TryLenient(ref reader, out eventCategory); break;
                case R.SessionCredentialFromConsole: ok = EventStrings.TryLenient(ref reader, out fromConsole); break;
                case R.Resources: ok = TryReadResources(ref reader, out resources); break;
                default:
                    reader.Skip();
                    ok = true;
                    break;
            }
            if (!ok) return false;
        }
        return false;
    }

    /// <summary>Names the router's classification tests, in their exact spelling (<c>TryGetProperty</c>'s).</summary>
    [Flags]
    public enum RootNames
    {
        EventVersion = 1, EventName = 2, EventSource = 4,
        /// <summary>A name that could classify the object as something else first: an EventBridge envelope's
        /// <c>source</c> or <c>detail-type</c>, a Config rule invocation's <c>invokingEvent</c>, a log file's <c>Records</c>,
        /// or a name of the SNS test (<c>Type</c>, <c>Message</c>, <c>TopicArn</c>).</summary>
        Foreign = 8,
    }

    private static RootNames Foreign(ReadOnlySpan<byte> name) => name.Length switch
    {
        4 when name.SequenceEqual("Type"u8) => RootNames.Foreign,
        6 when name.SequenceEqual("source"u8) => RootNames.Foreign,
        7 when name.SequenceEqual("Records"u8) || name.SequenceEqual("Message"u8) => RootNames.Foreign,
        8 when name.SequenceEqual("TopicArn"u8) => RootNames.Foreign,
        11 when name.SequenceEqual("detail-type"u8) => RootNames.Foreign,
        13 when name.SequenceEqual("invokingEvent"u8) => RootNames.Foreign,
        _ => 0,
    };

    /// <summary>A body as the element reader keeps it: the shared null, or a GC-owned element of the value's own bytes.</summary>
    private static JsonElement Body(ref Utf8JsonReader reader) =>
        reader.TokenType == JsonTokenType.Null ? ElementBindingPlan.NullBody : JsonElement.ParseValue(ref reader);

    private static bool TryReadIdentity(ref Utf8JsonReader reader, out CloudTrailUserIdentity? identity)
    {
        identity = null;
        if (reader.TokenType == JsonTokenType.Null) return true;
        if (reader.TokenType != JsonTokenType.StartObject) return false;
        string? type = null, principalId = null, arn = null, accountId = null, accessKeyId = null, userName = null, invokedBy = null;
        CloudTrailSessionContext? sessionContext = null;
        while (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.EndObject)
            {
                identity = new CloudTrailUserIdentity
                {
                    Type = type,
                    PrincipalId = principalId,
                    Arn = arn,
                    AccountId = accountId,
                    AccessKeyId = accessKeyId,
                    UserName = userName,
                    InvokedBy = invokedBy,
                    SessionContext = sessionContext,
                };
                return true;
            }
            if (reader.ValueIsEscaped) return false;
            var field = IdentityExact(reader.ValueSpan);
            if (field < 0 && (field = IdentityTable.FoldPlain(reader.ValueSpan)) == -2) return false;
            if (!reader.Read()) return false;
            var ok = field switch
            {
                I.Type => EventStrings.TryLenient(ref reader, out type),
                I.PrincipalId => EventStrings.TryLenient(ref reader, out principalId),
                I.Arn => EventStrings.TryLenient(ref reader, out arn),
                I.AccountId => EventStrings.TryLenient(ref reader, out accountId),
                I.AccessKeyId => EventStrings.TryLenient(ref reader, out accessKeyId),
                I.UserName => EventStrings.TryLenient(ref reader, out userName),
                I.InvokedBy => EventStrings.TryLenient(ref reader, out invokedBy),
                I.SessionContext => TryReadSessionContext(ref reader, out sessionContext),
                _ => Skip(ref reader),
            };
            if (!ok) return false;
        }
        return false;
    }

    private static bool TryReadSessionContext(ref Utf8JsonReader reader, out CloudTrailSessionContext? context)
    {
        context = null;
        if (reader.TokenType == JsonTokenType.Null) return true;
        if (reader.TokenType != JsonTokenType.StartObject) return false;
        CloudTrailSessionAttributes? attributes = null;
        CloudTrailSessionIssuer? issuer = null;
        string? sourceIdentity = null;
        while (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.EndObject)
            {
                context = new CloudTrailSessionContext { Attributes = attributes, SessionIssuer = issuer, SourceIdentity = sourceIdentity };
                return true;
            }
            if (reader.ValueIsEscaped) return false;
            var field = SessionContextExact(reader.ValueSpan);
            if (field < 0 && (field = SessionContextTable.FoldPlain(reader.ValueSpan)) == -2) return false;
            if (!reader.Read()) return false;
            var ok = field switch
            {
                0 => TryReadAttributes(ref reader, out attributes),
                1 => TryReadIssuer(ref reader, out issuer),
                2 => EventStrings.TryLenient(ref reader, out sourceIdentity),
                _ => Skip(ref reader),
            };
            if (!ok) return false;
        }
        return false;
    }

    private static bool TryReadAttributes(ref Utf8JsonReader reader, out CloudTrailSessionAttributes? attributes)
    {
        attributes = null;
        if (reader.TokenType == JsonTokenType.Null) return true;
        if (reader.TokenType != JsonTokenType.StartObject) return false;
        string? mfa = null, creationDate = null;
        while (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.EndObject)
            {
                attributes = new CloudTrailSessionAttributes { MfaAuthenticated = mfa, CreationDate = creationDate };
                return true;
            }
            if (reader.ValueIsEscaped) return false;
            var field = AttributesExact(reader.ValueSpan);
            if (field < 0 && (field = AttributesTable.FoldPlain(reader.ValueSpan)) == -2) return false;
            if (!reader.Read()) return false;
            var ok = field switch
            {
                0 => EventStrings.TryLenient(ref reader, out mfa),
                1 => EventStrings.TryLenient(ref reader, out creationDate),
                _ => Skip(ref reader),
            };
            if (!ok) return false;
        }
        return false;
    }

    private static bool TryReadIssuer(ref Utf8JsonReader reader, out CloudTrailSessionIssuer? issuer)
    {
        issuer = null;
        if (reader.TokenType == JsonTokenType.Null) return true;
        if (reader.TokenType != JsonTokenType.StartObject) return false;
        string? type = null, principalId = null, arn = null, accountId = null, userName = null;
        while (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.EndObject)
            {
                issuer = new CloudTrailSessionIssuer { Type = type, PrincipalId = principalId, Arn = arn, AccountId = accountId, UserName = userName };
                return true;
            }
            if (reader.ValueIsEscaped) return false;
            var field = IssuerExact(reader.ValueSpan);
            if (field < 0 && (field = IssuerTable.FoldPlain(reader.ValueSpan)) == -2) return false;
            if (!reader.Read()) return false;
            var ok = field switch
            {
                S.Type => EventStrings.TryLenient(ref reader, out type),
                S.PrincipalId => EventStrings.TryLenient(ref reader, out principalId),
                S.Arn => EventStrings.TryLenient(ref reader, out arn),
                S.AccountId => EventStrings.TryLenient(ref reader, out accountId),
                S.UserName => EventStrings.TryLenient(ref reader, out userName),
                _ => Skip(ref reader),
            };
            if (!ok) return false;
        }
        return false;
    }

    private static bool TryReadResources(ref Utf8JsonReader reader, out List<CloudTrailResource>? resources)
    {
        resources = null;
        if (reader.TokenType == JsonTokenType.Null) return true;
        if (reader.TokenType != JsonTokenType.StartArray) return false;
        // A null item stays a null item, as the element reader reads it.
        var list = new List<CloudTrailResource>();
        while (reader.Read())
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.EndArray:
                    resources = list;
                    return true;
                case JsonTokenType.Null:
                    list.Add(null!);
                    break;
                case JsonTokenType.StartObject:
                    if (!TryReadResource(ref reader, out var resource)) return false;
                    list.Add(resource);
                    break;
                default:
                    return false;
            }
        }
        return false;
    }

    private static bool TryReadResource(ref Utf8JsonReader reader, out CloudTrailResource resource)
    {
        resource = null!;
        string? arn = null, accountId = null, type = null;
        while (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.EndObject)
            {
                resource = new CloudTrailResource { Arn = arn, AccountId = accountId, Type = type };
                return true;
            }
            if (reader.ValueIsEscaped) return false;
            var field = ResourceExact(reader.ValueSpan);
            if (field < 0 && (field = ResourceTable.FoldPlain(reader.ValueSpan)) == -2) return false;
            if (!reader.Read()) return false;
            var ok = field switch
            {
                0 => EventStrings.TryLenient(ref reader, out arn),
                1 => EventStrings.TryLenient(ref reader, out accountId),
                2 => EventStrings.TryLenient(ref reader, out type),
                _ => Skip(ref reader),
            };
            if (!ok) return false;
        }
        return false;
    }

    private static bool Skip(ref Utf8JsonReader reader)
    {
        reader.Skip();
        return true;
    }
}
