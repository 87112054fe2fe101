using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using IsmsServerless.Ledger;

namespace IsmsServerless.Storage;

/// <summary>
/// One conditional PutItem where a transaction of one item bought nothing but double write units (issue 20).
/// A transaction's retry is idempotent (the SDK's ClientRequestToken); a PutItem's is not: when the first attempt was
/// applied and its answer lost (a dropped connection), the SDK's retry fails its own condition. So a failed condition
/// re-reads the item (consistently) and counts the write as done when the stored item is exactly the one sent.
/// </summary>
public static class ConditionalPut
{
    /// <summary>True when <paramref name="item"/> is stored (by this call or by its retried first attempt); false when the condition failed.</summary>
    public static async Task<bool> TryAsync(IAmazonDynamoDB dynamo, string tableName, Dictionary<string, AttributeValue> item, string condition,
        Dictionary<string, AttributeValue>? values, CancellationToken cancellationToken) =>
        await PutAsync(dynamo, tableName, item, condition, values, cancellationToken).ConfigureAwait(false) != PutOutcome.ConditionFailed;

    /// <summary>
    /// Like <see cref="TryAsync"/>, telling apart a put this request made (<see cref="PutOutcome.Written"/>) from a failed
    /// condition on an item that is exactly the one sent (<see cref="PutOutcome.AlreadyStored"/>: this request's own
    /// first attempt, or a concurrent writer that computed the same item).
    /// </summary>
    /// <param name="names">Expression attribute names the condition uses (e.g. <c>#v</c> for <c>version</c>), if any.</param>
    public static async Task<PutOutcome> PutAsync(IAmazonDynamoDB dynamo, string tableName, Dictionary<string, AttributeValue> item, string condition,
        Dictionary<string, AttributeValue>? values, CancellationToken cancellationToken, Dictionary<string, string>? names = null)
    {
        ArgumentNullException.ThrowIfNull(dynamo);
        ArgumentNullException.ThrowIfNull(item);
        try
        {
            await dynamo.PutItemAsync(new PutItemRequest
            {
                TableName = tableName,
                Item = item,
                ConditionExpression = condition,
                ExpressionAttributeValues = values is { Count: > 0 } ? values : null,
                ExpressionAttributeNames = names is { Count: > 0 } ? names : null,
            }, cancellationToken).ConfigureAwait(false);
            return PutOutcome.Written;
        }
        catch (ConditionalCheckFailedException)
        {
            var stored = await dynamo.GetItemAsync(new GetItemRequest
            {
                TableName = tableName,
                Key = new Dictionary<string, AttributeValue>
                {
                    [LedgerSchema.PartitionKey] = item[LedgerSchema.PartitionKey],
                    [LedgerSchema.SortKey] = item[LedgerSchema.SortKey],
                },
                ConsistentRead = true,
            }, cancellationToken).ConfigureAwait(false);
            return stored.Item is { Count: > 0 } found && Same(found, item) ? PutOutcome.AlreadyStored : PutOutcome.ConditionFailed;
        }
    }

    /// <summary>Whether two items hold the same attributes with the same values (S, N, B, BOOL, NULL, L, M, SS, NS).</summary>
    public static bool Same(Dictionary<string, AttributeValue> a, Dictionary<string, AttributeValue> b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.Count != b.Count) return false;
        foreach (var (name, value) in a)
        {
            if (!b.TryGetValue(name, out var other) || !Same(value, other)) return false;
        }
        return true;
    }

    private static bool Same(AttributeValue a, AttributeValue b)
    {
        if (a.S is not null || b.S is not null) return string.Equals(a.S, b.S, StringComparison.Ordinal);
        if (a.N is not null || b.N is not null) return a.N is not null && b.N is not null && decimal.TryParse(a.N, System.Globalization.CultureInfo.InvariantCulture, out var x)
            && decimal.TryParse(b.N, System.Globalization.CultureInfo.InvariantCulture, out var y) && x == y;
        // Binary (a finding's compressed detail): the same bytes.
        if (a.B is not null || b.B is not null) return a.B is not null && b.B is not null && a.B.ToArray().AsSpan().SequenceEqual(b.B.ToArray());
        if (a.BOOL is not null || b.BOOL is not null) return a.BOOL == b.BOOL;
        if (a.NULL is not null || b.NULL is not null) return a.NULL == b.NULL;
        if (a.L is not null || b.L is not null)
        {
            var la = a.L ?? [];
            var lb = b.L ?? [];
            return la.Count == lb.Count && la.Zip(lb).All(p => Same(p.First, p.Second));
        }
        if (a.M is not null || b.M is not null) return Same(a.M ?? [], b.M ?? []);
        if (a.SS is not null || b.SS is not null) return (a.SS ?? []).Order(StringComparer.Ordinal).SequenceEqual((b.SS ?? []).Order(StringComparer.Ordinal), StringComparer.Ordinal);
        if (a.NS is not null || b.NS is not null) return (a.NS ?? []).Order(StringComparer.Ordinal).SequenceEqual((b.NS ?? []).Order(StringComparer.Ordinal), StringComparer.Ordinal);
        return true;
    }
}

/// <summary>What <see cref="ConditionalPut.PutAsync"/> did.</summary>
public enum PutOutcome
{
    Written,
    AlreadyStored,
    ConditionFailed,
}
