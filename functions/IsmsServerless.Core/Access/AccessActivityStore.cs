using System.Collections.Concurrent;
using System.Globalization;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using IsmsServerless.Drift;
using IsmsServerless.Ledger;
using IsmsServerless.Model;

namespace IsmsServerless.Access;

/// <summary>
/// The access inventory's own items in the ledger table (docs/data-model.md, "Access"): one small item per principal,
/// <c>PK=ACCESS#PRINCIPAL#&lt;arn&gt; SK=ACTIVITY</c> (GSI1 <c>ACCESS#ACTIVITY</c> lists them), holding the last UTC day the
/// principal acted (day precision, so the item does not depend on delivery order) and the credential facts IAM calls
/// recorded (login profile, access keys, MFA devices).
/// <para>
/// Cost: last activity is written at most once per principal per UTC day. A process remembers the days it wrote (so a
/// warm Lambda seeing a busy principal makes no call at all), and the write is conditional on the stored day being
/// earlier, so concurrent Lambdas and late, out-of-order events never move it backwards. Each credential fact carries
/// its own time and is conditional on it: the latest call wins whatever the delivery order.
/// </para>
/// </summary>
public sealed class AccessActivityStore(IAmazonDynamoDB dynamo, string tableName)
{
    public const string PartitionPrefix = "ACCESS#PRINCIPAL#";
    public const string ActivitySort = "ACTIVITY";
    public const string IndexPartition = "ACCESS#ACTIVITY";
    public const string Entity = "ACCESS_ACTIVITY";

    /// <summary>Principals remembered per process before the memory is cleared (bounds a long-lived Lambda's memory).</summary>
    public const int MaxRemembered = 20_000;

    private static readonly ConcurrentDictionary<string, string> WrittenDays = new(StringComparer.Ordinal);

    public string TableName { get; } = tableName;

    /// <summary>Forgets which days this process wrote (tests that share a process with another table).</summary>
    public static void ForgetProcessMemory() => WrittenDays.Clear();

    /// <summary>
    /// Records that <paramref name="principalKey"/> acted on the UTC day of <paramref name="at"/> (<paramref name="lastEvent"/> is logged, not stored). Returns true when it wrote (the first
    /// sighting of the day), false when the day was already recorded (in this process or in the store) or a later day is stored.
    /// </summary>
    public async Task<bool> RecordSeenAsync(string principalKey, DateTimeOffset at, string lastEvent, CancellationToken cancellationToken = default)
    {
        principalKey = Canonical(principalKey);
        var day = at.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var memory = TableName + "|" + principalKey;
        if (WrittenDays.TryGetValue(memory, out var written) && string.CompareOrdinal(written, day) >= 0) return false;
        if (WrittenDays.Count >= MaxRemembered) WrittenDays.Clear();
        try
        {
            await dynamo.UpdateItemAsync(new UpdateItemRequest
            {
                TableName = TableName,
                Key = Key(principalKey),
                UpdateExpression = "SET #et = :et, #g1 = :g1, #g1s = :g1s, #pk2 = :key, #day = :day, #at = :at",
                ConditionExpression = "attribute_not_exists(#day) OR #day < :day",
                ExpressionAttributeNames = new Dictionary<string, string>
                {
                    ["#et"] = LedgerSchema.EntityType, ["#g1"] = LedgerSchema.Gsi1PartitionKey, ["#g1s"] = LedgerSchema.Gsi1SortKey,
                    ["#pk2"] = "principalKey", ["#day"] = "lastSeenDay", ["#at"] = "lastSeenAt",
                },
                ExpressionAttributeValues = new Dictionary<string, AttributeValue>
                {
                    [":et"] = S(Entity), [":g1"] = S(IndexPartition), [":g1s"] = S(principalKey), [":key"] = S(principalKey),
                    // Day precision only: the day is a maximum, so the item is the same whatever order the calls arrive in
                    // (the time or name of "the first call of the day" would depend on delivery order).
                    [":day"] = S(day), [":at"] = S(Timestamps.ToWire(new DateTimeOffset(at.UtcDateTime.Date, TimeSpan.Zero))),
                },
            }, cancellationToken).ConfigureAwait(false);
            WrittenDays[memory] = day;
            Observability.Log.Info("access.activity-day", ("principal", principalKey), ("day", day), ("event", Clip(lastEvent, 200)));
            return true;
        }
        catch (ConditionalCheckFailedException)
        {
            WrittenDays[memory] = day;
            return false;
        }
    }

    /// <summary>
    /// Records one credential fact of a user (<paramref name="fact"/> is <c>loginProfile</c>, <c>key:&lt;id&gt;</c> or
    /// <c>mfa:&lt;serial&gt;</c>) with its value, unless a later call about the same fact is already stored.
    /// </summary>
    public async Task<bool> RecordCredentialAsync(string principalKey, string fact, string value, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(fact);
        principalKey = Canonical(principalKey);
        var name = "cred:" + Clip(fact, 300);
        try
        {
            await dynamo.UpdateItemAsync(new UpdateItemRequest
            {
                TableName = TableName,
                Key = Key(principalKey),
                UpdateExpression = "SET #et = :et, #g1 = :g1, #g1s = :g1s, #pk2 = :key, #v = :v, #vat = :at",
                ConditionExpression = "attribute_not_exists(#vat) OR #vat <= :at",
                ExpressionAttributeNames = new Dictionary<string, string>
                {
                    ["#et"] = LedgerSchema.EntityType, ["#g1"] = LedgerSchema.Gsi1PartitionKey, ["#g1s"] = LedgerSchema.Gsi1SortKey,
                    ["#pk2"] = "principalKey", ["#v"] = name, ["#vat"] = name + "@",
                },
                ExpressionAttributeValues = new Dictionary<string, AttributeValue>
                {
                    [":et"] = S(Entity), [":g1"] = S(IndexPartition), [":g1s"] = S(principalKey), [":key"] = S(principalKey),
                    [":v"] = S(Clip(value, 32)), [":at"] = S(Timestamps.ToWire(at)),
                },
            }, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (ConditionalCheckFailedException)
        {
            return false;
        }
    }

    /// <summary>
    /// Records what an IAM credential report (<see cref="CredentialReport"/>) says, under each principal's one key: the
    /// console password as of <paramref name="generatedAt"/> (a later CloudTrail call still wins) and the last use as
    /// activity. Returns how many rows were recorded.
    /// </summary>
    public async Task<int> RecordCredentialReportAsync(IEnumerable<CredentialReportRow> rows, DateTimeOffset generatedAt, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var recorded = 0;
        foreach (var row in rows)
        {
            if (row.PasswordEnabled is { } password)
                await RecordCredentialAsync(row.PrincipalKey, "loginProfile", password ? "true" : "false", generatedAt, cancellationToken).ConfigureAwait(false);
            if (row.LastUsedAt is { } used && used <= generatedAt)
                await RecordSeenAsync(row.PrincipalKey, used, "iam:credential-report", cancellationToken).ConfigureAwait(false);
            recorded++;
        }
        return recorded;
    }

    /// <summary>Every principal's activity (GSI1 through <see cref="LedgerIndex.QueryItemsAsync(IAmazonDynamoDB, QueryRequest, CancellationToken)"/>, paged, bounded).</summary>
    public async Task<IReadOnlyDictionary<string, PrincipalActivity>> ReadAllAsync(int max = 50_000, CancellationToken cancellationToken = default)
    {
        var result = new Dictionary<string, PrincipalActivity>(StringComparer.Ordinal);
        Dictionary<string, AttributeValue>? start = null;
        do
        {
            var page = await dynamo.QueryItemsAsync(new QueryRequest
            {
                TableName = TableName,
                IndexName = LedgerSchema.Gsi1,
                KeyConditionExpression = "#pk = :pk",
                ExpressionAttributeNames = new Dictionary<string, string> { ["#pk"] = LedgerSchema.Gsi1PartitionKey },
                ExpressionAttributeValues = new Dictionary<string, AttributeValue> { [":pk"] = S(IndexPartition) },
                ExclusiveStartKey = start,
                Limit = 500,
            }, cancellationToken).ConfigureAwait(false);
            foreach (var item in page.Items ?? [])
            {
                if (Read(item) is not { } activity) continue;
                // Items written before keys dropped a user's path merge into the one principal they name.
                var key = Canonical(activity.PrincipalKey);
                result[key] = result.TryGetValue(key, out var other) ? Merge(key, other, activity) : activity with { PrincipalKey = key };
            }
            start = page.LastEvaluatedKey is { Count: > 0 } next ? next : null;
        }
        while (start is not null && result.Count < max);
        return result;
    }

    public async Task<PrincipalActivity?> GetAsync(string principalKey, CancellationToken cancellationToken = default)
    {
        principalKey = Canonical(principalKey);
        var response = await dynamo.GetItemAsync(new GetItemRequest { TableName = TableName, Key = Key(principalKey), ConsistentRead = true }, cancellationToken).ConfigureAwait(false);
        return response.Item is { Count: > 0 } item ? Read(item) : null;
    }

    internal static PrincipalActivity? Read(Dictionary<string, AttributeValue> item)
    {
        if (!item.TryGetValue("principalKey", out var keyValue) || string.IsNullOrEmpty(keyValue.S)) return null;
        bool? loginProfile = null;
        var keys = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var mfa = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in item)
        {
            if (!name.StartsWith("cred:", StringComparison.Ordinal) || name.EndsWith('@') || value.S is null) continue;
            var fact = name[5..];
            if (fact == "loginProfile") loginProfile = value.S == "true";
            else if (fact.StartsWith("key:", StringComparison.Ordinal)) keys[fact[4..]] = value.S;
            else if (fact.StartsWith("mfa:", StringComparison.Ordinal)) mfa[fact[4..]] = value.S;
        }
        return new PrincipalActivity(
            keyValue.S,
            item.TryGetValue("lastSeenAt", out var at) ? Timestamps.ParseOrNull(at.S) : null,
            item.TryGetValue("lastEvent", out var ev) ? ev.S : null,
            loginProfile, keys, mfa);
    }

    /// <summary>
    /// The one key a principal's facts live under (<see cref="ResourceKeys.Principal"/>: an IAM user's ARN without its
    /// path), so CloudTrail's <c>userIdentity.arn</c>, a request's <c>userName</c>, Config's item and the credential
    /// report all reach the same item.
    /// </summary>
    public static string Canonical(string principalKey)
    {
        ArgumentNullException.ThrowIfNull(principalKey);
        return ResourceKeys.Principal(principalKey);
    }

    /// <summary>Two records of one principal: the later day, and every credential fact of both (each fact is written under one key only).</summary>
    internal static PrincipalActivity Merge(string key, PrincipalActivity a, PrincipalActivity b)
    {
        var later = (b.LastSeenAt ?? DateTimeOffset.MinValue) > (a.LastSeenAt ?? DateTimeOffset.MinValue) ? b : a;
        var keys = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var mfa = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (k, v) in a.AccessKeys.Concat(b.AccessKeys)) keys[k] = v;
        foreach (var (k, v) in a.MfaDevices.Concat(b.MfaDevices)) mfa[k] = v;
        return new PrincipalActivity(key, later.LastSeenAt, later.LastEvent, a.LoginProfile ?? b.LoginProfile, keys, mfa);
    }

    private static Dictionary<string, AttributeValue> Key(string principalKey)
    {
        if (string.IsNullOrEmpty(principalKey) || principalKey.Length > ResourceKeys.MaxLength)
            throw new ArgumentException("a principal key is a non-empty ARN of at most 1024 characters", nameof(principalKey));
        return new Dictionary<string, AttributeValue> { [LedgerSchema.PartitionKey] = S(PartitionPrefix + principalKey), [LedgerSchema.SortKey] = S(ActivitySort) };
    }

    private static AttributeValue S(string value) => new() { S = value };

    private static string Clip(string text, int max) => text.Length <= max ? text : text[..max];
}
