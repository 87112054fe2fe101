using System.Text.Json;
using IsmsServerless.Drift;
using IsmsServerless.Engine;
using IsmsServerless.Events;
using IsmsServerless.Inputs;
using IsmsServerless.Model;
using IsmsServerless.Observability;

namespace IsmsServerless.Ingestion;

/// <summary>
/// AWS Config in its three deliveries: EventBridge "Config Configuration Item Change", EventBridge "Config Rules
/// Compliance Change", and custom Config rule invocations (<c>invokingEvent</c> as a JSON string). Deleted resources and
/// resources that left the rule's scope become <see cref="ResourceGoneInput"/>, which closes their findings.
/// </summary>
public sealed class ConfigAdapter : IStreamingDetailAdapter
{
    public const string ItemChangeDetailType = "Config Configuration Item Change";
    public const string ComplianceChangeDetailType = "Config Rules Compliance Change";

    /// <summary>Config statuses meaning the resource is gone or no longer recorded: its findings must close.</summary>
    private static readonly HashSet<string> GoneStatuses = new(StringComparer.OrdinalIgnoreCase)
    {
        "ResourceDeleted", "ResourceDeletedNotRecorded", "ResourceNotRecorded",
    };

    private static readonly JsonDocumentOptions InvokingEventOptions = new() { MaxDepth = 64 };

    public string Name => "config";

    public bool CanAdapt(InboundEvent inbound) => inbound.Kind switch
    {
        InboundKind.ConfigRuleInvocation or InboundKind.ConfigurationItem => true,
        InboundKind.EventBridge => inbound.Source == "aws.config" && inbound.DetailType is ItemChangeDetailType or ComplianceChangeDetailType,
        _ => false,
    };

    public IReadOnlyList<RuleInput> Adapt(InboundEvent inbound, EvaluationContext context)
    {
        if (inbound.Kind == InboundKind.ConfigRuleInvocation) return FromRuleInvocation(inbound.Root, inbound.Account);
        if (inbound.Kind == InboundKind.ConfigurationItem)
            return FromItem(inbound.Root, NoNotification, new Envelope(null, null, null, null), ConfigItemTrigger.ItemChange, eventLeftScope: false, oversized: false);
        if (inbound.Detail.ValueKind != JsonValueKind.Object)
            throw new EventRejectedException($"'{inbound.DetailType}' event has no detail object");
        var envelope = new Envelope(inbound.Account, inbound.Region, inbound.Id, inbound.Time);
        return inbound.DetailType == ComplianceChangeDetailType
            ? [FromComplianceChange(inbound.Detail, envelope)]
            : FromNotification(inbound.Detail, envelope, ConfigItemTrigger.ItemChange, eventLeftScope: false);
    }

    /// <summary>
    /// An EventBridge "Config Configuration Item Change" detail read from the payload's bytes (<see cref="StreamingRouter"/>)
    /// when it is a usual change notification with its item, or a periodic one; anything else (and every compliance change)
    /// takes the document path.
    /// </summary>
    public bool TryReadDetail(ref Utf8JsonReader reader, InboundEvent header, EvaluationContext context, out object? state) =>
        TryReadDetailFrom(ref reader, default, header, context, out state);

    /// <summary>
    /// <see cref="TryReadDetail"/> knowing the bytes the reader reads: the configuration's end is then found by a bracket
    /// scan and its bytes parsed once (<see cref="ConfigNotificationReader"/>), not skipped by the reader and parsed again.
    /// </summary>
    public bool TryReadDetailFrom(ref Utf8JsonReader reader, ReadOnlySpan<byte> text, InboundEvent header, EvaluationContext context, out object? state)
    {
        state = null;
        if (header.DetailType != ItemChangeDetailType) return false;
        if (!ConfigNotificationReader.TryRead(ref reader, text, out var read)) return false;
        state = read;
        return true;
    }

    public IReadOnlyList<RuleInput> AdaptRead(object? state, InboundEvent header, EvaluationContext context)
    {
        if (state is ConfigInvocationReader.Invocation invocation)
        {
            // A rule invocation read from its bytes (StreamingRouter, ConfigInvocationReader): what FromRuleInvocation gives.
            var envelope = new Envelope(header.Account, RegionFromArn(invocation.ConfigRuleArn), null, null);
            return invocation.Text is { } text
                ? FromInvokingText(text, envelope, invocation.LeftScope)
                : FromRead(invocation.Read, envelope, ConfigItemTrigger.RuleInvocation, invocation.LeftScope);
        }
        return FromRead((ConfigNotificationReader.Read)state!, new Envelope(header.Account, header.Region, header.Id, header.Time), ConfigItemTrigger.ItemChange, eventLeftScope: false);
    }

    /// <summary>
    /// One item of a configuration snapshot (the S3 file's <c>configurationItems[]</c>, API key spelling), through the
    /// same normalisation as a change notification. Throws <see cref="EventRejectedException"/> for a malformed item.
    /// </summary>
    /// <param name="snapshotId">The snapshot's <c>configSnapshotId</c>, kept as the items' event id (evidence).</param>
    /// <param name="deliveredAt">When Config delivered the snapshot: the capture time of items that carry none.</param>
    public static IReadOnlyList<RuleInput> FromSnapshotItem(JsonElement item, string? snapshotId, DateTimeOffset? deliveredAt)
    {
        if (item.ValueKind != JsonValueKind.Object) throw new EventRejectedException("snapshot configuration item is not a JSON object");
        return FromItem(item, NoNotification, new Envelope(null, null, snapshotId, deliveredAt), ConfigItemTrigger.Snapshot, eventLeftScope: false, oversized: false);
    }

    private readonly record struct Envelope(string? Account, string? Region, string? Id, DateTimeOffset? Time);

    private static IReadOnlyList<RuleInput> FromRuleInvocation(JsonElement root, string? invocationAccount)
    {
        var invoking = Json.Get(root, "invokingEvent");
        var leftScope = Json.Bool(Json.Get(root, "eventLeftScope")) ?? false;
        // A rule invocation has no event id (resultToken is an opaque credential for PutEvaluations, not evidence).
        var envelope = new Envelope(invocationAccount, RegionFromArn(Json.Text(root, "configRuleArn")), null, null);
        switch (invoking.ValueKind)
        {
            case JsonValueKind.Object:
                // Not how Config sends it, but some test harnesses inline the object; the content is the same.
                return FromNotification(invoking, envelope, ConfigItemTrigger.RuleInvocation, leftScope);
            case JsonValueKind.String:
            {
                // The string is unescaped straight into UTF-8 and parsed from there (not decoded to a .NET string and
                // transcoded back: two copies and twice the bytes for what is usually most of the payload).
                var buffer = Json.UnescapedUtf8(invoking, out var length);
                try
                {
                    // The embedded document gets the router's repair too (its escapes were one level down).
                    var text = LoneSurrogates.Repair(buffer.AsMemory(0, length), out _);
                    // Read from its bytes in one pass when it is a usual notification; anything else is parsed below.
                    if (ConfigNotificationReader.TryRead(text.Span, out var read))
                        return FromRead(read, envelope, ConfigItemTrigger.RuleInvocation, leftScope);
                    return FromInvokingText(text, envelope, leftScope);
                }
                finally
                {
                    System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
                }
            }
            default:
                throw new EventRejectedException("Config rule invocation has no invokingEvent");
        }
    }

    /// <summary>An invokingEvent's unescaped text that <see cref="ConfigNotificationReader"/> declined, parsed as a document.</summary>
    private static IReadOnlyList<RuleInput> FromInvokingText(ReadOnlyMemory<byte> text, Envelope envelope, bool leftScope)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(text, InvokingEventOptions);
        }
        catch (JsonException ex)
        {
            throw new EventRejectedException($"invokingEvent is not valid JSON: {ex.Message}", ex);
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                throw new EventRejectedException("invokingEvent is not a JSON object");
            // Every input below is built from clones, so disposing the inner document here is safe.
            return FromNotification(document.RootElement, envelope, ConfigItemTrigger.RuleInvocation, leftScope);
        }
    }

    /// <summary>
    /// A notification <see cref="ConfigNotificationReader"/> read: what <see cref="FromNotification"/> gives for its
    /// document (the reader accepts only a change notification with its item, or one of the three periodic ones).
    /// </summary>
    private static IReadOnlyList<RuleInput> FromRead(in ConfigNotificationReader.Read read, Envelope envelope, string trigger, bool eventLeftScope)
    {
        if (read.Periodic) return [];
        var values = read.Item;
        values.ChangeType = read.DiffChangeType ?? read.ItemChangeType;
        values.Captured = read.Captured ?? read.Created ?? envelope.Time;
        return FromItem(values, NoNotification, envelope, trigger, eventLeftScope, oversized: false);
    }

    /// <summary>A Config change notification: the EventBridge detail or a rule's parsed invokingEvent.</summary>
    private static IReadOnlyList<RuleInput> FromNotification(JsonElement element, Envelope envelope, string trigger, bool eventLeftScope)
    {
        // The notification's fields in one pass over its properties (each value exactly what Json.Get returns for its name).
        var notification = ObjectFields.Read(element, NotificationTable);
        var messageType = Json.Text(notification.Get(NotificationField.MessageType));
        var item = notification.Get(NotificationField.ConfigurationItem);
        var summary = notification.Get(NotificationField.ConfigurationItemSummary);
        switch (messageType)
        {
            case "ScheduledNotification":
            case "ConfigurationSnapshotDeliveryCompleted":
            case "ConfigurationHistoryDeliveryCompleted":
                // Periodic triggers name no resource: the sweep's drift re-check covers every stored configuration.
                return [];
            case "OversizedConfigurationItemChangeNotification":
                if (summary.ValueKind != JsonValueKind.Object)
                    throw new EventRejectedException("oversized notification has no configurationItemSummary");
                return FromItem(summary, notification, envelope, trigger, eventLeftScope, oversized: true);
            case null or "ConfigurationItemChangeNotification":
                if (item.ValueKind == JsonValueKind.Object)
                    return FromItem(item, notification, envelope, trigger, eventLeftScope, oversized: false);
                if (summary.ValueKind == JsonValueKind.Object)
                    return FromItem(summary, notification, envelope, trigger, eventLeftScope, oversized: true);
                throw new EventRejectedException($"Config notification '{messageType ?? "(no messageType)"}' has no configurationItem");
            default:
                Log.Info("config.message-type-ignored", ("messageType", messageType));
                return [];
        }
    }

    private static IReadOnlyList<RuleInput> FromItem(JsonElement item, in ObjectFields notification, Envelope envelope, string trigger, bool eventLeftScope, bool oversized)
    {
        // The item's fields in one pass over its properties (each value exactly what Json.Get returns for its names).
        var fields = ObjectFields.Read(item, ItemTable);
        // In the order they were always read: a missing type is the rejection whatever else the item holds.
        var resourceType = Json.Text(fields.Get(ItemField.ResourceType)) is { Length: > 0 } type ? type : throw new EventRejectedException("configuration item has no resourceType");
        var resourceId = Json.Text(fields.Get(ItemField.ResourceId)) is { Length: > 0 } id ? id : throw new EventRejectedException("configuration item has no resourceId");
        var values = new ItemValues
        {
            ResourceType = resourceType,
            ResourceId = resourceId,
            Arn = Json.Text(fields.Get(ItemField.Arn, ItemField.ArnLower)),
            Account = Json.Text(fields.Get(ItemField.AwsAccountId, ItemField.AccountId)),
            Region = Json.Text(fields.Get(ItemField.AwsRegion)),
            Status = Json.Text(fields.Get(ItemField.Status)),
            ChangeType = Json.Text(notification.Get(NotificationField.ConfigurationItemDiff), "changeType") ?? Json.Text(fields.Get(ItemField.ChangeType)),
            Captured = Timestamps.TryParse(fields.Get(ItemField.CaptureTime), out var at) ? at
                : Timestamps.TryParse(notification.Get(NotificationField.NotificationCreationTime), out var created) ? created
                : envelope.Time,
            ResourceNameElement = fields.Get(ItemField.ResourceName),
            Configuration = oversized ? default : fields.Get(ItemField.Configuration),
            Supplementary = oversized ? default : fields.Get(ItemField.Supplementary),
            Tags = fields.Get(ItemField.Tags),
        };
        return FromItem(values, notification, envelope, trigger, eventLeftScope, oversized);
    }

    /// <summary>
    /// What <see cref="FromItem(JsonElement, in ObjectFields, Envelope, string, bool, bool)"/> reads from an item and its
    /// notification, before anything is decided: texts as <see cref="Json.Text(JsonElement)"/> gives them, the capture time
    /// already chosen, and the item's JSON values as found (not yet unwrapped or detached).
    /// </summary>
    internal struct ItemValues
    {
        public string? ResourceType, ResourceId, Arn, Account, Region, Status, ChangeType, ResourceName;
        public DateTimeOffset? Captured;
        public JsonElement Configuration, Supplementary, Tags;

        /// <summary>The resourceName as found, read last (as it always was) when set; else <see cref="ResourceName"/>.</summary>
        public JsonElement ResourceNameElement;
    }

    private static IReadOnlyList<RuleInput> FromItem(in ItemValues values, in ObjectFields notification, Envelope envelope, string trigger, bool eventLeftScope, bool oversized)
    {
        var resourceType = values.ResourceType is { Length: > 0 } type ? type : throw new EventRejectedException("configuration item has no resourceType");
        var resourceId = values.ResourceId is { Length: > 0 } id ? id : throw new EventRejectedException("configuration item has no resourceId");
        var arn = values.Arn;
        var account = FirstNonEmpty(values.Account, envelope.Account) ?? "unknown";
        var region = FirstNonEmpty(values.Region, envelope.Region) ?? "unknown";
        var status = values.Status ?? "";
        var changeType = values.ChangeType;
        var captured = values.Captured;
        var key = ResourceKeys.For(arn, resourceType, resourceId);
        if (key.Length > ResourceKeys.MaxLength)
            throw new EventRejectedException($"configuration item resource key is {key.Length} characters, more than {ResourceKeys.MaxLength}");

        if (eventLeftScope || GoneStatuses.Contains(status) || string.Equals(changeType, "DELETE", StringComparison.OrdinalIgnoreCase))
        {
            return
            [
                new ResourceGoneInput
                {
                    ResourceId = key,
                    ResourceType = resourceType,
                    AccountId = account,
                    Region = region,
                    ObservedAt = captured,
                    SourceEventId = envelope.Id,
                    Reason = eventLeftScope ? "left the Config rule's scope (eventLeftScope)" : $"AWS Config reports {(status.Length > 0 ? status : "a DELETE change")}",
                },
                new ConfigResourceRemovedInput
                {
                    ResourceKey = key,
                    ResourceType = resourceType,
                    AccountId = account,
                    Region = region,
                    ObservedAt = captured,
                    SourceEventId = envelope.Id,
                },
            ];
        }

        var configuration = Json.Unwrap(values.Configuration);
        RequireObjectOrAbsent(configuration, "configuration", resourceType, resourceId);
        // The API and aggregator forms of an item (BatchGetResourceConfig, SelectResourceConfig, tools that store them)
        // carry supplementaryConfiguration and tags as JSON in a string ("{}"), like configuration itself.
        var supplementary = Json.Unwrap(values.Supplementary);
        RequireObjectOrAbsent(supplementary, "supplementaryConfiguration", resourceType, resourceId);
        var tags = Json.Unwrap(values.Tags);
        if (tags.ValueKind is not (JsonValueKind.Undefined or JsonValueKind.Null or JsonValueKind.Object or JsonValueKind.Array))
            throw new EventRejectedException($"configuration item {resourceType} {Shorten(resourceId)}: 'tags' is {Kind(tags)}, not an object or a list");

        string? location = null;
        if (oversized)
        {
            location = Json.Text(notification.Get(NotificationField.S3DeliverySummary), "s3BucketLocation");
            Log.Warn("config.oversized-item", ("resourceType", resourceType), ("resourceKey", key), ("fullItemLocation", location),
                ("note", "the full configuration item was not delivered; fetch it from S3 or GetResourceConfigHistory"));
        }
        return
        [
            new ConfigItemInput
            {
                ResourceType = resourceType,
                ResourceId = resourceId,
                Arn = arn,
                ResourceName = values.ResourceNameElement.ValueKind != JsonValueKind.Undefined ? Json.Text(values.ResourceNameElement) : values.ResourceName,
                AccountId = account,
                Region = region,
                CaptureTime = captured,
                ObservedAt = captured,
                SourceEventId = envelope.Id,
                Status = status,
                ChangeType = changeType,
                Oversized = oversized,
                FullItemLocation = location,
                Configuration = Detach(configuration),
                SupplementaryConfiguration = Supplementary(supplementary),
                Tags = Tags(tags),
                Trigger = trigger,
            },
        ];
    }

    private static ConfigComplianceInput FromComplianceChange(JsonElement detail, Envelope envelope)
    {
        var newResult = Json.Get(detail, "newEvaluationResult");
        var qualifier = Json.Path(newResult, "evaluationResultIdentifier.evaluationResultQualifier");
        var ruleName = FirstNonEmpty(Json.Text(detail, "configRuleName"), Json.Text(qualifier, "configRuleName"))
            ?? throw new EventRejectedException("compliance change has no configRuleName");
        var resourceType = FirstNonEmpty(Json.Text(detail, "resourceType"), Json.Text(qualifier, "resourceType"))
            ?? throw new EventRejectedException("compliance change has no resourceType");
        var resourceId = FirstNonEmpty(Json.Text(detail, "resourceId"), Json.Text(qualifier, "resourceId"))
            ?? throw new EventRejectedException("compliance change has no resourceId");
        var compliance = Json.Text(newResult, "complianceType")
            ?? throw new EventRejectedException("compliance change has no newEvaluationResult.complianceType");
        if (resourceId.Length > ResourceKeys.MaxLength || ruleName.Length > 256)
            throw new EventRejectedException("compliance change resource id or rule name is implausibly long");
        var recorded = Timestamps.TryParse(Json.Get(newResult, "resultRecordedTime"), out var at) ? at : envelope.Time;
        return new ConfigComplianceInput
        {
            ConfigRuleName = ruleName,
            ConfigRuleArn = Json.Text(detail, "configRuleARN", "configRuleArn"),
            ResourceType = resourceType,
            ResourceId = resourceId,
            ComplianceType = compliance,
            PreviousComplianceType = Json.Text(Json.Get(detail, "oldEvaluationResult"), "complianceType"),
            Annotation = Json.Text(newResult, "annotation"),
            RecordedAt = recorded,
            AccountId = FirstNonEmpty(Json.Text(detail, "awsAccountId"), envelope.Account) ?? "unknown",
            Region = FirstNonEmpty(Json.Text(detail, "awsRegion"), envelope.Region) ?? "unknown",
            ObservedAt = recorded,
            SourceEventId = envelope.Id,
        };
    }

    /// <summary>Supplementary values arrive as objects or as JSON strings (S3's AccessControlList); normalize to objects.</summary>
    private static JsonElement Supplementary(JsonElement element)
    {
        if (element.ValueKind != JsonValueKind.Object) return default;
        // "{}" (most items): one shared empty object, not a clone (a document of its own) per item.
        if (IsEmptyObject(element)) return EmptyObject;
        // Only string values can hold JSON text to unwrap; without one the object is already normalized.
        var hasString = false;
        foreach (var property in element.EnumerateObject())
        {
            if (property.Value.ValueKind == JsonValueKind.String) { hasString = true; break; }
        }
        if (!hasString) return element.Clone();
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach (var property in element.EnumerateObject())
            {
                writer.WritePropertyName(property.Name);
                Json.Unwrap(property.Value).WriteTo(writer);
            }
            writer.WriteEndObject();
        }
        using var document = JsonDocument.Parse(buffer.ToArray());
        return document.RootElement.Clone();
    }

    /// <summary>An empty JSON object that outlives every event (its document is never disposed; elements only read it).</summary>
    private static readonly JsonElement EmptyObject = JsonElement.Parse("{}"u8);

    /// <summary>No tags (most items): one shared empty map; inputs only read their tags.</summary>
    private static readonly IReadOnlyDictionary<string, string> NoTags = System.Collections.ObjectModel.ReadOnlyDictionary<string, string>.Empty;

    private static bool IsEmptyObject(JsonElement element)
    {
        using var properties = element.EnumerateObject();
        return !properties.MoveNext();
    }

    /// <summary>Tags as Config spells them: an object map, or a list of <c>{key,value}</c> / <c>{tagName,tagValue}</c>.</summary>
    private static IReadOnlyDictionary<string, string> Tags(JsonElement element)
    {
        // No tags at all ({} or []), as most items have: the shared empty map rather than a new dictionary per item.
        if (element.ValueKind == JsonValueKind.Object ? IsEmptyObject(element) : element.ValueKind != JsonValueKind.Array || element.GetArrayLength() == 0)
            return NoTags;
        var tags = new Dictionary<string, string>(StringComparer.Ordinal);
        if (element.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in element.EnumerateObject())
                tags[property.Name] = Json.Text(property.Value) ?? "";
        }
        else if (element.ValueKind == JsonValueKind.Array)
        {
            foreach (var tag in element.EnumerateArray())
            {
                if (Json.Text(tag, "key", "tagName") is { } key) tags[key] = Json.Text(tag, "value", "tagValue") ?? "";
            }
        }
        return tags;
    }

    /// <summary>
    /// A present, non-null <paramref name="name"/> must be a JSON object (or a string holding one, as Config sends some):
    /// anything else (<c>[]</c>, a number, free text) is not a configuration the rules can judge, and ignoring it would
    /// silently skip the resource, so the item is rejected with the reason.
    /// </summary>
    private static void RequireObjectOrAbsent(JsonElement element, string name, string resourceType, string resourceId)
    {
        if (element.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null or JsonValueKind.Object) return;
        if (element.ValueKind == JsonValueKind.String && string.IsNullOrWhiteSpace(element.GetString())) return;
        throw new EventRejectedException($"configuration item {resourceType} {Shorten(resourceId)}: '{name}' is {Kind(element)}, not a JSON object");
    }

    private static string Kind(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string that is not a JSON object",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        _ => element.ValueKind.ToString().ToLowerInvariant(),
    };

    private static string Shorten(string text) => text.Length <= 128 ? text : text[..128] + "…";

    private static JsonElement Detach(JsonElement element) => element.ValueKind == JsonValueKind.Undefined ? default : element.Clone();

    /// <summary>The configuration item fields <see cref="FromItem"/> reads, in the order of <see cref="ItemTable"/>.</summary>
    internal enum ItemField
    {
        ResourceType, ResourceId, Arn, ArnLower, AwsAccountId, AccountId, AwsRegion, Status, ChangeType, CaptureTime,
        Configuration, Supplementary, Tags, ResourceName,
    }

    internal static readonly FieldTable ItemTable = new(
        "resourceType", "resourceId", "ARN", "arn", "awsAccountId", "accountId", "awsRegion", "configurationItemStatus", "changeType",
        "configurationItemCaptureTime", "configuration", "supplementaryConfiguration", "tags", "resourceName");

    /// <summary>The notification fields <see cref="FromNotification"/> and <see cref="FromItem"/> read, in the order of <see cref="NotificationTable"/>.</summary>
    internal enum NotificationField
    {
        MessageType, ConfigurationItem, ConfigurationItemSummary, ConfigurationItemDiff, NotificationCreationTime, S3DeliverySummary,
    }

    internal static readonly FieldTable NotificationTable = new(
        "messageType", "configurationItem", "configurationItemSummary", "configurationItemDiff", "notificationCreationTime", "s3DeliverySummary");

    /// <summary>No notification around the item (a bare item, a snapshot's): every field absent, as Json.Get of an undefined element.</summary>
    /// <remarks>Declared after <see cref="NotificationTable"/>: static fields are initialized in this order.</remarks>
    private static readonly ObjectFields NoNotification = ObjectFields.Read(default, NotificationTable);

    /// <summary>The names an <see cref="ObjectFields"/> pass looks for (ASCII, no escapes, at most 16), as UTF-8 and grouped by length.</summary>
    internal sealed class FieldTable
    {
        public FieldTable(params string[] names)
        {
            if (names.Length > 16 || names.Any(n => !System.Text.Ascii.IsValid(n) || n.Contains('\\', StringComparison.Ordinal)))
                throw new ArgumentException("at most 16 plain ASCII names", nameof(names));
            Strings = names;
            Names = [.. names.Select(System.Text.Encoding.UTF8.GetBytes)];
            ByLength = [.. Enumerable.Range(0, Names.Max(n => n.Length) + 1)
                .Select(length => Enumerable.Range(0, Names.Length).Where(i => Names[i].Length == length).ToArray())];
        }

        public byte[][] Names { get; }

        public string[] Strings { get; }

        /// <summary>The indices of <see cref="Names"/> by name length (in order), so a property is compared only with those of its length.</summary>
        public int[][] ByLength { get; }
    }

    /// <summary>
    /// An object's fields found in one pass over its properties, instead of one <see cref="Json.Get"/> per field (each
    /// transcoded its name, scanned the object from the end, and on a miss walked it again ignoring case). Every read
    /// returns what <see cref="Json.Get"/> returns for the same names: exact names match the raw UTF-8 and a later duplicate
    /// wins (as <c>TryGetProperty</c>); a field with no exact match is absent when no property equals its name ignoring
    /// ASCII case (<see cref="Json.Get"/>'s fallback: a name that is not ASCII never equals these), and is read by
    /// <see cref="Json.Get"/> itself when one does; any name with an escape, or a value that is not an object, sends every
    /// read to <see cref="Json.Get"/>.
    /// </summary>
    internal struct ObjectFields
    {
        private JsonElement _object;
        private FieldTable _table;
        private bool _byGet;
        private uint _exact;
        private uint _folded;
        private Values _values;

        [System.Runtime.CompilerServices.InlineArray(16)]
        private struct Values
        {
            private JsonElement _first;
        }

        public static ObjectFields Read(JsonElement element, FieldTable table)
        {
            var fields = new ObjectFields { _object = element, _table = table };
            if (element.ValueKind != JsonValueKind.Object)
            {
                fields._byGet = true;
                return fields;
            }
            var byLength = table.ByLength;
            foreach (var property in element.EnumerateObject())
            {
                var raw = System.Runtime.InteropServices.JsonMarshal.GetRawUtf8PropertyName(property);
                if (raw.IndexOf((byte)'\\') >= 0)
                {
                    fields._byGet = true;
                    return fields;
                }
                if (raw.Length >= byLength.Length) continue;
                foreach (var i in byLength[raw.Length])
                {
                    if (raw.SequenceEqual(table.Names[i]))
                    {
                        fields._values[i] = property.Value;
                        fields._exact |= 1u << i;
                    }
                    else if (System.Text.Ascii.EqualsIgnoreCase(raw, table.Names[i]))
                    {
                        fields._folded |= 1u << i;
                    }
                }
            }
            return fields;
        }

        public readonly JsonElement Get(ItemField field) => Get((int)field);

        public readonly JsonElement Get(NotificationField field) => Get((int)field);

        public readonly JsonElement Get(ItemField first, ItemField second) => Get((int)first, (int)second);

        private readonly JsonElement Get(int field)
        {
            var bit = 1u << field;
            if (!_byGet)
            {
                if ((_exact & bit) != 0) return _values[field];
                if ((_folded & bit) == 0) return default;
            }
            return Json.Get(_object, _table.Strings[field]);
        }

        private readonly JsonElement Get(int first, int second)
        {
            if (!_byGet)
            {
                if ((_exact & (1u << first)) != 0) return _values[first];
                if ((_exact & (1u << second)) != 0) return _values[second];
                if ((_folded & ((1u << first) | (1u << second))) == 0) return default;
            }
            return Json.Get(_object, _table.Strings[first], _table.Strings[second]);
        }
    }

    /// <summary>The ARN's fourth <c>:</c>-separated field (its region), or null when it has none or it is empty.</summary>
    internal static string? RegionFromArn(string? arn)
    {
        // The same field as arn.Split(':')[3], without splitting the whole ARN (one array and six strings per invocation).
        if (arn is null) return null;
        var rest = arn.AsSpan();
        var start = 0;
        for (var field = 0; field < 3; field++)
        {
            var colon = rest.IndexOf(':');
            if (colon < 0) return null;
            start += colon + 1;
            rest = rest[(colon + 1)..];
        }
        var end = rest.IndexOf(':');
        var length = end < 0 ? rest.Length : end;
        return length > 0 ? arn.Substring(start, length) : null;
    }

    private static string? FirstNonEmpty(params ReadOnlySpan<string?> values) => Present.First(values);
}
