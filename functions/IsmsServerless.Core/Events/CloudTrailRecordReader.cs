using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace IsmsServerless.Events;

/// <summary>
/// <see cref="CloudTrailRecord"/> and the records nested in it read from the parsed document by hand: the same result as
/// <see cref="JsonElementBinder.Bind{T}"/> (<see cref="ElementBindingPlan"/>, built from the serializer metadata) for every
/// input, and the same <see cref="JsonException"/> where that throws, without its generic machinery: a property's name is
/// matched by its length and UTF-8 literals (the exact spelling first, then ASCII case folded, then, for an escaped or
/// non-ASCII name, the serializer's unescaped OrdinalIgnoreCase match), its value goes into a local, and each record is
/// made once by its initializer at the end (no setter delegates, no virtual call per property, no boxed target). Strings
/// are read by <see cref="EventStrings.Lenient"/> (exactly <see cref="ElementBindingPlan.LenientString"/>), bodies by
/// <see cref="ElementBindingPlan.CloneBody"/>, as before.
/// Later duplicates overwrite earlier ones; a wrong kind for a nested record or the resources list throws (the adapter's
/// rejection) even when a later duplicate would replace it, as the plan does.
/// <c>CloudTrailRecordReaderTests</c> holds it to the plan and to the serializer on every corpus record and mutations, and
/// fails when a record type declares a property this reader does not know.
/// </summary>
internal static class CloudTrailRecordReader
{
    /// <summary>The record in <paramref name="element"/>: null for a JSON null, a <see cref="JsonException"/> for another kind.</summary>
    public static CloudTrailRecord? Read(JsonElement element)
    {
        if (element.ValueKind == JsonValueKind.Null) return null;
        if (element.ValueKind != JsonValueKind.Object) throw NotA(nameof(CloudTrailRecord), element.ValueKind);
        string? eventVersion = null, eventTime = null, eventSource = null, eventName = null, awsRegion = null, sourceIp = null,
            userAgent = null, errorCode = null, errorMessage = null, eventId = null, requestId = null, eventType = null,
            readOnly = null, managementEvent = null, recipientAccountId = null, eventCategory = null, fromConsole = null;
        JsonElement requestParameters = default, responseElements = default, additionalEventData = default;
        CloudTrailUserIdentity? userIdentity = null;
        List<CloudTrailResource>? resources = null;
        foreach (var property in element.EnumerateObject())
        {
            var value = property.Value;
            switch (RecordField(property))
            {
                case R.EventVersion: eventVersion = EventStrings.Lenient(value); break;
                case R.UserIdentity: userIdentity = ReadIdentity(value); break;
                case R.EventTime: eventTime = EventStrings.Lenient(value); break;
                case R.EventSource: eventSource = EventStrings.Lenient(value); break;
                case R.EventName: eventName = EventStrings.Lenient(value); break;
                case R.AwsRegion: awsRegion = EventStrings.Lenient(value); break;
                case R.SourceIpAddress: sourceIp = EventStrings.Lenient(value); break;
                case R.UserAgent: userAgent = EventStrings.Lenient(value); break;
                case R.ErrorCode: errorCode = EventStrings.Lenient(value); break;
                case R.ErrorMessage: errorMessage = EventStrings.Lenient(value); break;
                case R.RequestParameters: requestParameters = ElementBindingPlan.CloneBody(value); break;
                case R.ResponseElements: responseElements = ElementBindingPlan.CloneBody(value); break;
                case R.AdditionalEventData: additionalEventData = ElementBindingPlan.CloneBody(value); break;
                case R.EventId: eventId = EventStrings.Lenient(value); break;
                case R.RequestId: requestId = EventStrings.Lenient(value); break;
                case R.EventType: eventType = EventStrings.Lenient(value); break;
                case R.ReadOnly: readOnly = EventStrings.Lenient(value); break;
                case R.ManagementEvent: managementEvent = EventStrings.Lenient(value); break;
                case R.RecipientAccountId: recipientAccountId = EventStrings.Lenient(value); break;
                case R.EventCategory: eventCategory = EventStrings.Lenient(value); break;
                case R.SessionCredentialFromConsole: fromConsole = EventStrings.Lenient(value); break;
                case R.Resources: resources = ReadResources(value); break;
            }
        }
        return new CloudTrailRecord
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
    }

    private static CloudTrailUserIdentity? ReadIdentity(JsonElement element)
    {
        if (element.ValueKind == JsonValueKind.Null) return null;
        if (element.ValueKind != JsonValueKind.Object) throw NotA(nameof(CloudTrailUserIdentity), element.ValueKind);
        string? type = null, principalId = null, arn = null, accountId = null, accessKeyId = null, userName = null, invokedBy = null;
        CloudTrailSessionContext? sessionContext = null;
        foreach (var property in element.EnumerateObject())
        {
            var value = property.Value;
            switch (IdentityField(property))
            {
                case I.Type: type = EventStrings.Lenient(value); break;
                case I.PrincipalId: principalId = EventStrings.Lenient(value); break;
                case I.Arn: arn = EventStrings.Lenient(value); break;
                case I.AccountId: accountId = EventStrings.Lenient(value); break;
                case I.AccessKeyId: accessKeyId = EventStrings.Lenient(value); break;
                case I.UserName: userName = EventStrings.Lenient(value); break;
                case I.InvokedBy: invokedBy = EventStrings.Lenient(value); break;
                case I.SessionContext: sessionContext = ReadSessionContext(value); break;
            }
        }
        return new CloudTrailUserIdentity
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
    }

    private static CloudTrailSessionContext? ReadSessionContext(JsonElement element)
    {
        if (element.ValueKind == JsonValueKind.Null) return null;
        if (element.ValueKind != JsonValueKind.Object) throw NotA(nameof(CloudTrailSessionContext), element.ValueKind);
        CloudTrailSessionAttributes? attributes = null;
        CloudTrailSessionIssuer? issuer = null;
        string? sourceIdentity = null;
        foreach (var property in element.EnumerateObject())
        {
            var value = property.Value;
            switch (SessionContextField(property))
            {
                case 0: attributes = ReadAttributes(value); break;
                case 1: issuer = ReadIssuer(value); break;
                case 2: sourceIdentity = EventStrings.Lenient(value); break;
            }
        }
        return new CloudTrailSessionContext { Attributes = attributes, SessionIssuer = issuer, SourceIdentity = sourceIdentity };
    }

    private static CloudTrailSessionAttributes? ReadAttributes(JsonElement element)
    {
        if (element.ValueKind == JsonValueKind.Null) return null;
        if (element.ValueKind != JsonValueKind.Object) throw NotA(nameof(CloudTrailSessionAttributes), element.ValueKind);
        string? mfa = null, creationDate = null;
        foreach (var property in element.EnumerateObject())
        {
            switch (AttributesField(property))
            {
                case 0: mfa = EventStrings.Lenient(property.Value); break;
                case 1: creationDate = EventStrings.Lenient(property.Value); break;
            }
        }
        return new CloudTrailSessionAttributes { MfaAuthenticated = mfa, CreationDate = creationDate };
    }

    private static CloudTrailSessionIssuer? ReadIssuer(JsonElement element)
    {
        if (element.ValueKind == JsonValueKind.Null) return null;
        if (element.ValueKind != JsonValueKind.Object) throw NotA(nameof(CloudTrailSessionIssuer), element.ValueKind);
        string? type = null, principalId = null, arn = null, accountId = null, userName = null;
        foreach (var property in element.EnumerateObject())
        {
            var value = property.Value;
            switch (IssuerField(property))
            {
                case S.Type: type = EventStrings.Lenient(value); break;
                case S.PrincipalId: principalId = EventStrings.Lenient(value); break;
                case S.Arn: arn = EventStrings.Lenient(value); break;
                case S.AccountId: accountId = EventStrings.Lenient(value); break;
                case S.UserName: userName = EventStrings.Lenient(value); break;
            }
        }
        return new CloudTrailSessionIssuer { Type = type, PrincipalId = principalId, Arn = arn, AccountId = accountId, UserName = userName };
    }

    private static List<CloudTrailResource>? ReadResources(JsonElement element)
    {
        if (element.ValueKind == JsonValueKind.Null) return null;
        if (element.ValueKind != JsonValueKind.Array)
            throw new JsonException($"the JSON value could not be converted to a list of {nameof(CloudTrailResource)} ({element.ValueKind})");
        // A null item stays a null item, as the plan reads it (the list's type arguments differ only in annotation).
        var list = new List<CloudTrailResource>(element.GetArrayLength());
        foreach (var item in element.EnumerateArray()) list.Add(ReadResource(item)!);
        return list;
    }

    private static CloudTrailResource? ReadResource(JsonElement element)
    {
        if (element.ValueKind == JsonValueKind.Null) return null;
        if (element.ValueKind != JsonValueKind.Object) throw NotA(nameof(CloudTrailResource), element.ValueKind);
        string? arn = null, accountId = null, type = null;
        foreach (var property in element.EnumerateObject())
        {
            switch (ResourceField(property))
            {
                case 0: arn = EventStrings.Lenient(property.Value); break;
                case 1: accountId = EventStrings.Lenient(property.Value); break;
                case 2: type = EventStrings.Lenient(property.Value); break;
            }
        }
        return new CloudTrailResource { Arn = arn, AccountId = accountId, Type = type };
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static JsonException NotA(string type, JsonValueKind kind) => new($"the JSON value could not be converted to {type} ({kind})");

    // ---- Names. Each type's JSON names in declaration order (the index is the field); `Names` of the record types are what
    // their serializer metadata declares (the test compares them), so a property added to a record fails that test here.

    /// <summary>The record's fields, in declaration order.</summary>
    internal static class R
    {
        public const int EventVersion = 0, UserIdentity = 1, EventTime = 2, EventSource = 3, EventName = 4, AwsRegion = 5,
            SourceIpAddress = 6, UserAgent = 7, ErrorCode = 8, ErrorMessage = 9, RequestParameters = 10, ResponseElements = 11,
            AdditionalEventData = 12, EventId = 13, RequestId = 14, EventType = 15, ReadOnly = 16, ManagementEvent = 17,
            RecipientAccountId = 18, EventCategory = 19, SessionCredentialFromConsole = 20, Resources = 21;
    }

    /// <summary>The session issuer's fields, in declaration order.</summary>
    internal static class S
    {
        public const int Type = 0, PrincipalId = 1, Arn = 2, AccountId = 3, UserName = 4;
    }

    /// <summary>The identity's fields, in declaration order.</summary>
    internal static class I
    {
        public const int Type = 0, PrincipalId = 1, Arn = 2, AccountId = 3, AccessKeyId = 4, UserName = 5, InvokedBy = 6, SessionContext = 7;
    }

    internal static readonly string[] RecordNames =
    [
        "eventVersion", "userIdentity", "eventTime", "eventSource", "eventName", "awsRegion", "sourceIPAddress", "userAgent",
        "errorCode", "errorMessage", "requestParameters", "responseElements", "additionalEventData", "eventID", "requestID",
        "eventType", "readOnly", "managementEvent", "recipientAccountId", "eventCategory", "sessionCredentialFromConsole", "resources",
    ];

    internal static readonly string[] IdentityNames = ["type", "principalId", "arn", "accountId", "accessKeyId", "userName", "invokedBy", "sessionContext"];
    internal static readonly string[] SessionContextNames = ["attributes", "sessionIssuer", "sourceIdentity"];
    internal static readonly string[] AttributesNames = ["mfaAuthenticated", "creationDate"];
    internal static readonly string[] IssuerNames = ["type", "principalId", "arn", "accountId", "userName"];
    internal static readonly string[] ResourceNames = ["ARN", "accountId", "type"];

    internal static readonly NameTable RecordTable = new(RecordNames);
    internal static readonly NameTable IdentityTable = new(IdentityNames);
    internal static readonly NameTable SessionContextTable = new(SessionContextNames);
    internal static readonly NameTable AttributesTable = new(AttributesNames);
    internal static readonly NameTable IssuerTable = new(IssuerNames);
    internal static readonly NameTable ResourceTable = new(ResourceNames);

    private static int RecordField(JsonProperty property)
    {
        var raw = JsonMarshal.GetRawUtf8PropertyName(property);
        var field = RecordExact(raw);
        return field >= 0 ? field : RecordTable.Fold(property, raw);
    }

    /// <summary>The record field named exactly <paramref name="raw"/>, or -1.</summary>
    internal static int RecordExact(ReadOnlySpan<byte> raw)
    {
        // AWS spells the names as declared: the exact bytes first, by length.
        switch (raw.Length)
        {
            case 7: if (raw.SequenceEqual("eventID"u8)) return R.EventId; break;
            case 8: if (raw.SequenceEqual("readOnly"u8)) return R.ReadOnly; break;
            case 9:
                if (raw.SequenceEqual("eventName"u8)) return R.EventName;
                if (raw.SequenceEqual("eventTime"u8)) return R.EventTime;
                if (raw.SequenceEqual("awsRegion"u8)) return R.AwsRegion;
                if (raw.SequenceEqual("userAgent"u8)) return R.UserAgent;
                if (raw.SequenceEqual("requestID"u8)) return R.RequestId;
                if (raw.SequenceEqual("eventType"u8)) return R.EventType;
                if (raw.SequenceEqual("errorCode"u8)) return R.ErrorCode;
                if (raw.SequenceEqual("resources"u8)) return R.Resources;
                break;
            case 11: if (raw.SequenceEqual("eventSource"u8)) return R.EventSource; break;
            case 12:
                if (raw.SequenceEqual("userIdentity"u8)) return R.UserIdentity;
                if (raw.SequenceEqual("eventVersion"u8)) return R.EventVersion;
                if (raw.SequenceEqual("errorMessage"u8)) return R.ErrorMessage;
                break;
            case 13: if (raw.SequenceEqual("eventCategory"u8)) return R.EventCategory; break;
            case 15:
                if (raw.SequenceEqual("sourceIPAddress"u8)) return R.SourceIpAddress;
                if (raw.SequenceEqual("managementEvent"u8)) return R.ManagementEvent;
                break;
            case 16: if (raw.SequenceEqual("responseElements"u8)) return R.ResponseElements; break;
            case 17: if (raw.SequenceEqual("requestParameters"u8)) return R.RequestParameters; break;
            case 18: if (raw.SequenceEqual("recipientAccountId"u8)) return R.RecipientAccountId; break;
            case 19: if (raw.SequenceEqual("additionalEventData"u8)) return R.AdditionalEventData; break;
            case 28: if (raw.SequenceEqual("sessionCredentialFromConsole"u8)) return R.SessionCredentialFromConsole; break;
        }
        return -1;
    }

    private static int IdentityField(JsonProperty property)
    {
        var raw = JsonMarshal.GetRawUtf8PropertyName(property);
        var field = IdentityExact(raw);
        return field >= 0 ? field : IdentityTable.Fold(property, raw);
    }

    /// <summary>The identity field named exactly <paramref name="raw"/>, or -1.</summary>
    internal static int IdentityExact(ReadOnlySpan<byte> raw)
    {
        switch (raw.Length)
        {
            case 3: if (raw.SequenceEqual("arn"u8)) return I.Arn; break;
            case 4: if (raw.SequenceEqual("type"u8)) return I.Type; break;
            case 8: if (raw.SequenceEqual("userName"u8)) return I.UserName; break;
            case 9:
                if (raw.SequenceEqual("accountId"u8)) return I.AccountId;
                if (raw.SequenceEqual("invokedBy"u8)) return I.InvokedBy;
                break;
            case 11:
                if (raw.SequenceEqual("principalId"u8)) return I.PrincipalId;
                if (raw.SequenceEqual("accessKeyId"u8)) return I.AccessKeyId;
                break;
            case 14: if (raw.SequenceEqual("sessionContext"u8)) return I.SessionContext; break;
        }
        return -1;
    }

    private static int IssuerField(JsonProperty property)
    {
        var raw = JsonMarshal.GetRawUtf8PropertyName(property);
        var field = IssuerExact(raw);
        return field >= 0 ? field : IssuerTable.Fold(property, raw);
    }

    /// <summary>The session issuer field named exactly <paramref name="raw"/>, or -1.</summary>
    internal static int IssuerExact(ReadOnlySpan<byte> raw)
    {
        switch (raw.Length)
        {
            case 3: if (raw.SequenceEqual("arn"u8)) return S.Arn; break;
            case 4: if (raw.SequenceEqual("type"u8)) return S.Type; break;
            case 8: if (raw.SequenceEqual("userName"u8)) return S.UserName; break;
            case 9: if (raw.SequenceEqual("accountId"u8)) return S.AccountId; break;
            case 11: if (raw.SequenceEqual("principalId"u8)) return S.PrincipalId; break;
        }
        return -1;
    }

    private static int SessionContextField(JsonProperty property)
    {
        var raw = JsonMarshal.GetRawUtf8PropertyName(property);
        var field = SessionContextExact(raw);
        return field >= 0 ? field : SessionContextTable.Fold(property, raw);
    }

    internal static int SessionContextExact(ReadOnlySpan<byte> raw)
    {
        if (raw.SequenceEqual("attributes"u8)) return 0;
        if (raw.SequenceEqual("sessionIssuer"u8)) return 1;
        if (raw.SequenceEqual("sourceIdentity"u8)) return 2;
        return -1;
    }

    private static int AttributesField(JsonProperty property)
    {
        var raw = JsonMarshal.GetRawUtf8PropertyName(property);
        var field = AttributesExact(raw);
        return field >= 0 ? field : AttributesTable.Fold(property, raw);
    }

    internal static int AttributesExact(ReadOnlySpan<byte> raw)
    {
        if (raw.SequenceEqual("mfaAuthenticated"u8)) return 0;
        if (raw.SequenceEqual("creationDate"u8)) return 1;
        return -1;
    }

    private static int ResourceField(JsonProperty property)
    {
        var raw = JsonMarshal.GetRawUtf8PropertyName(property);
        var field = ResourceExact(raw);
        return field >= 0 ? field : ResourceTable.Fold(property, raw);
    }

    internal static int ResourceExact(ReadOnlySpan<byte> raw)
    {
        if (raw.SequenceEqual("ARN"u8)) return 0;
        if (raw.SequenceEqual("accountId"u8)) return 1;
        if (raw.SequenceEqual("type"u8)) return 2;
        return -1;
    }

    /// <summary>A type's names for the matches after the exact one: what <see cref="ElementBindingPlan"/> does after its exact match.</summary>
    internal sealed class NameTable
    {
        private readonly byte[][] _utf8;
        private readonly Dictionary<string, int> _byName = new(StringComparer.OrdinalIgnoreCase);

        public NameTable(string[] names)
        {
            _utf8 = [.. names.Select(Encoding.UTF8.GetBytes)];
            for (var i = 0; i < names.Length; i++) _byName.TryAdd(names[i], i);
        }

        /// <summary>
        /// The field whose name equals <paramref name="raw"/> with ASCII case folded (declared names are ASCII without '\\',
        /// so folded raw bytes are the name unescaped and folded alike); for an escaped or non-ASCII name, the unescaped name
        /// matched OrdinalIgnoreCase, the serializer's way ('ſ' is 'S'). -1 when no field has that name.
        /// </summary>
        [MethodImpl(MethodImplOptions.NoInlining)]
        public int Fold(JsonProperty property, ReadOnlySpan<byte> raw)
        {
            if (raw.IndexOf((byte)'\\') >= 0 || !Ascii.IsValid(raw)) return _byName.GetValueOrDefault(property.Name, -1);
            for (var i = 0; i < _utf8.Length; i++)
            {
                if (_utf8[i].Length == raw.Length && Ascii.EqualsIgnoreCase(raw, _utf8[i])) return i;
            }
            return -1;
        }

        /// <summary>
        /// <see cref="Fold"/> for a name without escapes read from its bytes: the field it folds to, -1 for none, or -2 for a
        /// name that is not ASCII (the serializer's OrdinalIgnoreCase match of the decoded name decides: the caller declines).
        /// </summary>
        [MethodImpl(MethodImplOptions.NoInlining)]
        public int FoldPlain(ReadOnlySpan<byte> raw)
        {
            if (!Ascii.IsValid(raw)) return -2;
            for (var i = 0; i < _utf8.Length; i++)
            {
                if (_utf8[i].Length == raw.Length && Ascii.EqualsIgnoreCase(raw, _utf8[i])) return i;
            }
            return -1;
        }
    }
}
