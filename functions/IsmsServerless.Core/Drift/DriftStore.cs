using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using IsmsServerless.Inputs;
using IsmsServerless.Ledger;
using IsmsServerless.Model;
using IsmsServerless.Observability;

namespace IsmsServerless.Drift;

/// <summary>
/// The drift area's items in the ledger table (layout in <c>docs/data-model.md</c>, "Drift"):
/// <list type="bullet">
/// <item><c>PK=RESOURCE#&lt;key&gt; SK=CONFIG</c>: the latest configuration seen for a resource (GSI1 lists every
/// known resource for the sweep; GSI2 finds a resource by its Config resource id).</item>
/// <item><c>PK=RESOURCE#&lt;key&gt; SK=BASELINE#v&lt;n&gt;</c>: approved snapshots, immutable, one per version.</item>
/// </list>
/// No method scans.
/// </summary>
public sealed class DriftStore(IAmazonDynamoDB dynamo, string tableName)
{
    public const string ConfigSort = "CONFIG";
    public const string PartitionPrefix = "RESOURCE#";
    public const string BaselinePrefix = "BASELINE#v";
    public const string ResourcesIndexPartition = "DRIFT#RESOURCES";
    public const string ResourceIdPrefix = "DRIFT#RESOURCEID#";
    public const string ConfigEntity = "DRIFT_CONFIG";
    public const string BaselineEntity = "DRIFT_BASELINE";

    /// <summary>Largest configuration stored (characters of JSON); DynamoDB items hold 400 KB in all.</summary>
    public const int MaxConfigurationChars = 300_000;

    private const int MaxKeyBytes = 1024;

    public string TableName { get; } = tableName;

    /// <summary>The partition of a resource; keys longer than DynamoDB allows are hashed (the full key stays in <c>resourceKey</c>).</summary>
    public static string Partition(string resourceKey) =>
        PartitionPrefix + (Encoding.UTF8.GetByteCount(resourceKey) <= MaxKeyBytes ? resourceKey
            : "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(resourceKey))));

    public static string BaselineSort(int version) => BaselinePrefix + version.ToString("D10", CultureInfo.InvariantCulture);

    /// <summary>
    /// Keeps <paramref name="item"/> as the resource's latest configuration unless a newer capture is already stored
    /// (Config and EventBridge deliver out of order). Returns false when the stored one was newer or the item too big.
    /// </summary>
    public async Task<bool> PutLatestAsync(ConfigItemInput item, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        if (!item.HasConfiguration) return false;
        var configuration = Json.Canonical(item.Configuration);
        var supplementary = item.SupplementaryConfiguration.ValueKind == JsonValueKind.Object ? Json.Canonical(item.SupplementaryConfiguration) : "{}";
        if (configuration.Length + supplementary.Length > MaxConfigurationChars)
        {
            Log.Warn("drift.configuration-too-large", ("resourceKey", item.ResourceKey), ("chars", configuration.Length + supplementary.Length));
            return false;
        }
        var captured = item.CaptureTime ?? now;
        var attributes = new Dictionary<string, AttributeValue>
        {
            [LedgerSchema.PartitionKey] = S(Partition(item.ResourceKey)),
            [LedgerSchema.SortKey] = S(ConfigSort),
            [LedgerSchema.EntityType] = S(ConfigEntity),
            [LedgerSchema.Gsi1PartitionKey] = S(ResourcesIndexPartition),
            [LedgerSchema.Gsi1SortKey] = S(Bounded($"{item.ResourceType}#{item.ResourceKey}")),
            [LedgerSchema.Gsi2PartitionKey] = S(Bounded(ResourceIdPrefix + item.ResourceId)),
            [LedgerSchema.Gsi2SortKey] = S(Bounded(item.ResourceKey)),
            ["resourceType"] = S(item.ResourceType),
            ["resourceId"] = S(item.ResourceId),
            ["captureTime"] = S(Timestamps.ToWire(captured)),
            ["updatedAt"] = S(Timestamps.ToWire(now)),
        };
        // The key is the partition's text after RESOURCE# (read back from it) unless it had to be hashed there.
        if (Partition(item.ResourceKey) != PartitionPrefix + item.ResourceKey) attributes["resourceKey"] = S(item.ResourceKey);
        // Issue 20: the three JSON texts are stored as one compressed binary attribute (AWS's "Best practices for storing
        // large items and attributes": compress large attribute values and store them as Binary), with a digest of the
        // uncompressed text as the tie-break of equal capture times.
        var packed = PackedConfiguration.Pack(configuration, supplementary, JsonSerializer.Serialize(item.Tags, DriftJsonContext.Default.IReadOnlyDictionaryStringString),
            item.Arn, item.ResourceKey, new PackedConfiguration.Facts(item.ResourceName, item.AccountId, item.Region, item.Status));
        attributes[PackedConfiguration.Attribute] = new AttributeValue { B = new MemoryStream(packed.Compressed) };
        attributes[PackedConfiguration.DigestAttribute] = S(packed.Digest);
        try
        {
            await dynamo.PutItemAsync(new PutItemRequest
            {
                TableName = TableName,
                Item = attributes,
                // Timestamps.ToWire is fixed-width UTC, so text order is time order. Equal capture times: the ordinally
                // smaller digest of the configuration texts wins, and a deletion marker at the same time loses (the
                // resource's configuration is kept on a tie), so what is stored never depends on arrival order. An item
                // written before the digest (plain `configuration` text) loses a tie to any new write.
                ConditionExpression = "attribute_not_exists(#pk) OR #capture < :capture OR (#capture = :capture AND (attribute_not_exists(#digest) OR #digest >= :digest))",
                ExpressionAttributeNames = new Dictionary<string, string> { ["#pk"] = LedgerSchema.PartitionKey, ["#capture"] = "captureTime", ["#digest"] = PackedConfiguration.DigestAttribute },
                ExpressionAttributeValues = new Dictionary<string, AttributeValue> { [":capture"] = S(Timestamps.ToWire(captured)), [":digest"] = S(packed.Digest) },
            }, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (ConditionalCheckFailedException)
        {
            Log.Info("drift.stale-configuration-skipped", ("resourceKey", item.ResourceKey), ("captureTime", Timestamps.ToWire(captured)));
            return false;
        }
    }

    /// <summary>
    /// Forgets a resource deleted at <paramref name="deletedAt"/> (source time) so the sweep stops re-checking it, unless
    /// a configuration captured at or after that time is stored (a late deletion never erases a newer configuration).
    /// The latest-configuration item becomes a small deletion marker with no index keys and a TTL, so a configuration
    /// captured before the deletion that arrives after it is refused by the same condition as any older capture.
    /// Approved snapshots stay as history.
    /// </summary>
    public async Task<bool> ForgetAsync(string resourceKey, DateTimeOffset deletedAt, int retentionDays, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        var at = Timestamps.ToWire(deletedAt);
        try
        {
            await dynamo.PutItemAsync(new PutItemRequest
            {
                TableName = TableName,
                Item = new Dictionary<string, AttributeValue>
                {
                    [LedgerSchema.PartitionKey] = S(Partition(resourceKey)),
                    [LedgerSchema.SortKey] = S(ConfigSort),
                    [LedgerSchema.EntityType] = S(ConfigEntity + "_DELETED"),
                    ["captureTime"] = S(at),
                    [LedgerSchema.TimeToLive] = new AttributeValue { N = (deletedAt > now ? deletedAt : now).AddDays(retentionDays).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture) },
                },
                ConditionExpression = "attribute_not_exists(#pk) OR #capture < :capture",
                ExpressionAttributeNames = new Dictionary<string, string> { ["#pk"] = LedgerSchema.PartitionKey, ["#capture"] = "captureTime" },
                ExpressionAttributeValues = new Dictionary<string, AttributeValue> { [":capture"] = S(at) },
            }, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (ConditionalCheckFailedException)
        {
            Log.Info("drift.stale-deletion-skipped", ("resourceKey", resourceKey), ("deletedAt", at));
            return false;
        }
    }

    public async Task<StoredConfiguration?> GetLatestAsync(string resourceKey, CancellationToken cancellationToken = default)
    {
        var response = await dynamo.GetItemAsync(new GetItemRequest
        {
            TableName = TableName,
            Key = Key(Partition(resourceKey), ConfigSort),
            ConsistentRead = true,
        }, cancellationToken).ConfigureAwait(false);
        return response.Item is { Count: > 0 } item ? ReadConfiguration(item) : null;
    }

    /// <summary>Resource keys whose Config resource id is <paramref name="resourceId"/> (one Query on GSI2).</summary>
    public async Task<IReadOnlyList<string>> FindKeysByResourceIdAsync(string resourceId, CancellationToken cancellationToken = default)
    {
        var response = await dynamo.QueryItemsAsync(new QueryRequest
        {
            TableName = TableName,
            IndexName = LedgerSchema.Gsi2,
            KeyConditionExpression = "#pk = :pk",
            ExpressionAttributeNames = new Dictionary<string, string> { ["#pk"] = LedgerSchema.Gsi2PartitionKey },
            ExpressionAttributeValues = new Dictionary<string, AttributeValue> { [":pk"] = S(Bounded(ResourceIdPrefix + resourceId)) },
            Limit = 10,
        }, cancellationToken).ConfigureAwait(false);
        return (response.Items ?? []).Select(ResourceKeyOf).OfType<string>().ToList();
    }

    /// <summary>One page of every known resource's latest configuration (Query on GSI1, never Scan).</summary>
    public async Task<(IReadOnlyList<StoredConfiguration> Items, Dictionary<string, AttributeValue>? Next)> QueryLatestAsync(
        Dictionary<string, AttributeValue>? startKey, int limit, CancellationToken cancellationToken = default)
    {
        var response = await dynamo.QueryItemsAsync(new QueryRequest
        {
            TableName = TableName,
            IndexName = LedgerSchema.Gsi1,
            KeyConditionExpression = "#pk = :pk",
            ExpressionAttributeNames = new Dictionary<string, string> { ["#pk"] = LedgerSchema.Gsi1PartitionKey },
            ExpressionAttributeValues = new Dictionary<string, AttributeValue> { [":pk"] = S(ResourcesIndexPartition) },
            ExclusiveStartKey = startKey,
            Limit = limit,
        }, cancellationToken).ConfigureAwait(false);
        var items = new List<StoredConfiguration>();
        foreach (var item in response.Items ?? [])
        {
            var stored = ReadConfiguration(item);
            if (stored is null) Log.Warn("drift.malformed-configuration-item", ("pk", Text(item, LedgerSchema.PartitionKey)));
            else items.Add(stored);
        }
        return (items, response.LastEvaluatedKey is { Count: > 0 } next ? next : null);
    }

    /// <summary>
    /// One page of the latest configurations of one resource type (Query on GSI1 with <c>begins_with</c> on the type;
    /// the access inventory reads the IAM types this way, never the whole index).
    /// </summary>
    public async Task<(IReadOnlyList<StoredConfiguration> Items, Dictionary<string, AttributeValue>? Next)> QueryLatestOfTypeAsync(
        string resourceType, Dictionary<string, AttributeValue>? startKey, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(resourceType);
        var response = await dynamo.QueryItemsAsync(new QueryRequest
        {
            TableName = TableName,
            IndexName = LedgerSchema.Gsi1,
            KeyConditionExpression = "#pk = :pk AND begins_with(#sk, :type)",
            ExpressionAttributeNames = new Dictionary<string, string> { ["#pk"] = LedgerSchema.Gsi1PartitionKey, ["#sk"] = LedgerSchema.Gsi1SortKey },
            ExpressionAttributeValues = new Dictionary<string, AttributeValue> { [":pk"] = S(ResourcesIndexPartition), [":type"] = S(resourceType + "#") },
            ExclusiveStartKey = startKey,
            Limit = limit,
        }, cancellationToken).ConfigureAwait(false);
        var items = new List<StoredConfiguration>();
        foreach (var item in response.Items ?? [])
        {
            var stored = ReadConfiguration(item);
            if (stored is null) Log.Warn("drift.malformed-configuration-item", ("pk", Text(item, LedgerSchema.PartitionKey)));
            else items.Add(stored);
        }
        return (items, response.LastEvaluatedKey is { Count: > 0 } next ? next : null);
    }

    /// <summary>
    /// Stores <paramref name="configuration"/> as the next approved version. Versions are allocated with a conditional
    /// put, so two approvals racing get two versions, never one overwritten.
    /// </summary>
    public async Task<ApprovedBaseline> AddBaselineAsync(StoredConfiguration configuration, string actor, string reason, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        for (var attempt = 0; attempt < 8; attempt++)
        {
            var current = await GetBaselineAsync(configuration.ResourceKey, cancellationToken).ConfigureAwait(false);
            var baseline = new ApprovedBaseline
            {
                ResourceKey = configuration.ResourceKey,
                ResourceType = configuration.ResourceType,
                Version = (current?.Version ?? 0) + 1,
                ApprovedBy = actor,
                Reason = reason,
                ApprovedAt = at,
                CaptureTime = configuration.CaptureTime,
                Configuration = configuration.Configuration,
                SupplementaryConfiguration = configuration.SupplementaryConfiguration,
            };
            var item = new Dictionary<string, AttributeValue>
            {
                [LedgerSchema.PartitionKey] = S(Partition(baseline.ResourceKey)),
                [LedgerSchema.SortKey] = S(BaselineSort(baseline.Version)),
                [LedgerSchema.EntityType] = S(BaselineEntity),
                ["resourceKey"] = S(baseline.ResourceKey),
                ["resourceType"] = S(baseline.ResourceType),
                ["version"] = new AttributeValue { N = baseline.Version.ToString(CultureInfo.InvariantCulture) },
                ["approvedBy"] = S(actor),
                ["reason"] = S(reason),
                ["approvedAt"] = S(Timestamps.ToWire(at)),
                ["configuration"] = S(Json.Canonical(baseline.Configuration)),
                ["supplementaryConfiguration"] = S(baseline.SupplementaryConfiguration.ValueKind == JsonValueKind.Object ? Json.Canonical(baseline.SupplementaryConfiguration) : "{}"),
            };
            if (baseline.CaptureTime is { } captured) item["captureTime"] = S(Timestamps.ToWire(captured));
            try
            {
                await dynamo.PutItemAsync(new PutItemRequest
                {
                    TableName = TableName,
                    Item = item,
                    ConditionExpression = "attribute_not_exists(#pk)",
                    ExpressionAttributeNames = new Dictionary<string, string> { ["#pk"] = LedgerSchema.PartitionKey },
                }, cancellationToken).ConfigureAwait(false);
                return baseline;
            }
            catch (ConditionalCheckFailedException)
            {
                // Another approval took this version number; read again and take the next.
            }
        }
        throw new InvalidOperationException($"could not allocate a baseline version for {configuration.ResourceKey} after 8 attempts");
    }

    /// <summary>The approved snapshot in force (highest version), or null. One Query, newest first, limit 1.</summary>
    public async Task<ApprovedBaseline?> GetBaselineAsync(string resourceKey, CancellationToken cancellationToken = default) =>
        await QueryBaselinesAsync(resourceKey, 1, newestFirst: true, cancellationToken).ConfigureAwait(false) is { Count: > 0 } newest ? newest[0] : null;

    /// <summary>Every approved version, oldest first (at most <paramref name="limit"/>).</summary>
    public Task<IReadOnlyList<ApprovedBaseline>> ListBaselinesAsync(string resourceKey, int limit = 100, CancellationToken cancellationToken = default) =>
        QueryBaselinesAsync(resourceKey, limit, newestFirst: false, cancellationToken);

    private async Task<IReadOnlyList<ApprovedBaseline>> QueryBaselinesAsync(string resourceKey, int limit, bool newestFirst, CancellationToken cancellationToken)
    {
        var response = await dynamo.QueryItemsAsync(new QueryRequest
        {
            TableName = TableName,
            KeyConditionExpression = "#pk = :pk AND begins_with(#sk, :prefix)",
            ExpressionAttributeNames = new Dictionary<string, string> { ["#pk"] = LedgerSchema.PartitionKey, ["#sk"] = LedgerSchema.SortKey },
            ExpressionAttributeValues = new Dictionary<string, AttributeValue>
            {
                [":pk"] = S(Partition(resourceKey)),
                [":prefix"] = S(BaselinePrefix),
            },
            ScanIndexForward = !newestFirst,
            Limit = limit,
            ConsistentRead = true,
        }, cancellationToken).ConfigureAwait(false);
        return (response.Items ?? []).Select(ReadBaseline).OfType<ApprovedBaseline>().ToList();
    }

    private static StoredConfiguration? ReadConfiguration(Dictionary<string, AttributeValue> item)
    {
        if (ResourceKeyOf(item) is not { } key || Text(item, "resourceType") is not { } type || Text(item, "resourceId") is not { } id) return null;
        if (item.TryGetValue(PackedConfiguration.Attribute, out var packedValue) && packedValue.B is { } packedBytes)
        {
            // The compressed layout (issue 20); a blob that does not unpack is a malformed item, as unparsable text was.
            if (PackedConfiguration.Unpack(packedBytes.ToArray()) is not { } unpacked) return null;
            using (unpacked)
            {
                var root = unpacked.RootElement;
                if (!root.TryGetProperty(PackedConfiguration.ConfigurationKey, out var c) || c.ValueKind != JsonValueKind.Object) return null;
                return Stored(item, key, type, id, PackedConfiguration.Arn(root, key), c.Clone(),
                    root.TryGetProperty(PackedConfiguration.SupplementaryKey, out var sc) && sc.ValueKind == JsonValueKind.Object ? sc.Clone() : default,
                    root.TryGetProperty(PackedConfiguration.TagsKey, out var t) && t.ValueKind == JsonValueKind.Object ? JsonSerializer.Deserialize(t, DriftJsonContext.Default.IReadOnlyDictionaryStringString) : null)
                    with
                    {
                        ResourceName = PackedConfiguration.Text(root, PackedConfiguration.NameKey) ?? Text(item, "resourceName"),
                        AccountId = PackedConfiguration.Text(root, PackedConfiguration.AccountKey) ?? Text(item, "accountId") ?? "unknown",
                        Region = PackedConfiguration.Text(root, PackedConfiguration.RegionKey) ?? Text(item, "region") ?? "unknown",
                        Status = PackedConfiguration.Text(root, PackedConfiguration.StatusKey) ?? Text(item, "status") ?? "",
                    };
            }
        }
        // Items written before issue 20's compression: the three texts as plain string attributes.
        if (ParseJson(Text(item, "configuration")) is not { } configuration) return null;
        return Stored(item, key, type, id, Text(item, "arn"), configuration, ParseJson(Text(item, "supplementaryConfiguration")) ?? default,
            Text(item, "tags") is { } tags ? JsonSerializer.Deserialize(tags, DriftJsonContext.Default.IReadOnlyDictionaryStringString) : null);
    }

    /// <summary>
    /// The resource key of a configuration item: its <c>resourceKey</c> attribute (every item before issue 20's layout,
    /// and a key too long for the partition), else the partition's text after <see cref="PartitionPrefix"/>.
    /// </summary>
    private static string? ResourceKeyOf(Dictionary<string, AttributeValue> item) =>
        Text(item, "resourceKey") ?? (Text(item, LedgerSchema.PartitionKey) is { } pk && pk.StartsWith(PartitionPrefix, StringComparison.Ordinal)
            && !pk.StartsWith(PartitionPrefix + "sha256:", StringComparison.Ordinal) && pk.Length > PartitionPrefix.Length ? pk[PartitionPrefix.Length..] : null);

    private static StoredConfiguration Stored(Dictionary<string, AttributeValue> item, string key, string type, string id, string? arn, JsonElement configuration,
        JsonElement supplementary, IReadOnlyDictionary<string, string>? tags) =>
        new()
        {
            ResourceKey = key,
            ResourceType = type,
            ResourceId = id,
            Arn = arn,
            ResourceName = Text(item, "resourceName"),
            AccountId = Text(item, "accountId") ?? "unknown",
            Region = Text(item, "region") ?? "unknown",
            CaptureTime = Timestamps.ParseOrNull(Text(item, "captureTime")),
            Status = Text(item, "status") ?? "",
            Configuration = configuration,
            SupplementaryConfiguration = supplementary,
            Tags = tags ?? new Dictionary<string, string>(),
        };

    private static ApprovedBaseline? ReadBaseline(Dictionary<string, AttributeValue> item)
    {
        if (Text(item, "resourceKey") is not { } key || ParseJson(Text(item, "configuration")) is not { } configuration) return null;
        if (!int.TryParse(item.TryGetValue("version", out var v) ? v.N : null, NumberStyles.Integer, CultureInfo.InvariantCulture, out var version)) return null;
        return new ApprovedBaseline
        {
            ResourceKey = key,
            ResourceType = Text(item, "resourceType") ?? "",
            Version = version,
            ApprovedBy = Text(item, "approvedBy") ?? "unknown",
            Reason = Text(item, "reason") ?? "",
            ApprovedAt = Timestamps.ParseOrNull(Text(item, "approvedAt")) ?? DateTimeOffset.UnixEpoch,
            CaptureTime = Timestamps.ParseOrNull(Text(item, "captureTime")),
            Configuration = configuration,
            SupplementaryConfiguration = ParseJson(Text(item, "supplementaryConfiguration")) ?? default,
        };
    }

    private static JsonElement? ParseJson(string? text)
    {
        if (string.IsNullOrEmpty(text)) return null;
        try
        {
            using var document = JsonDocument.Parse(text);
            return document.RootElement.Clone();
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string Bounded(string text) =>
        Encoding.UTF8.GetByteCount(text) <= MaxKeyBytes ? text : "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    private static Dictionary<string, AttributeValue> Key(string pk, string sk) => new()
    {
        [LedgerSchema.PartitionKey] = S(pk),
        [LedgerSchema.SortKey] = S(sk),
    };

    private static AttributeValue S(string value) => new() { S = value };

    private static string? Text(Dictionary<string, AttributeValue> item, string name) => item.TryGetValue(name, out var value) ? value.S : null;
}

[System.Text.Json.Serialization.JsonSerializable(typeof(IReadOnlyDictionary<string, string>))]
internal sealed partial class DriftJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
