using System.Globalization;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using IsmsServerless.Ledger;

namespace IsmsServerless.Alerts;

public enum ClaimResult
{
    /// <summary>This process may post the message now.</summary>
    Claimed,

    /// <summary>The message was already delivered: do not post it again.</summary>
    AlreadyDelivered,

    /// <summary>Another process is posting it right now: retry later (its lease expires if it crashed).</summary>
    InFlight,
}

/// <summary>
/// Per-message delivery records in the ledger table (<c>PK = DELIVERY#&lt;key&gt;</c>, <c>SK = DELIVERY</c>), so a
/// message that SQS redelivers after a successful POST (Lambda timed out after posting, batch retried) is not posted
/// twice. A conditional put claims the message with a short lease before the POST; a successful POST marks it
/// delivered; a failed one releases the claim. Records expire through the table's TTL after <see cref="Retention"/>,
/// longer than SQS's 14-day retention, so any redelivery still finds them.
/// </summary>
public sealed class DeliveryRecords(IAmazonDynamoDB dynamo, string tableName, TimeProvider clock)
{
    public const string EntityType = "DELIVERY";
    private const string Sending = "sending";
    private const string Delivered = "delivered";

    public static TimeSpan Retention { get; } = TimeSpan.FromDays(30);

    /// <summary>How long a claim blocks other processes; longer than one notifier attempt sequence.</summary>
    public static TimeSpan Lease { get; } = TimeSpan.FromMinutes(3);

    public static Dictionary<string, AttributeValue> Key(string deliveryKey) => new()
    {
        [LedgerSchema.PartitionKey] = new AttributeValue("DELIVERY#" + deliveryKey),
        [LedgerSchema.SortKey] = new AttributeValue(EntityType),
    };

    public async Task<ClaimResult> TryClaimAsync(string deliveryKey, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var item = Key(deliveryKey);
        item[LedgerSchema.EntityType] = new AttributeValue(EntityType);
        item["state"] = new AttributeValue(Sending);
        item["leaseUntil"] = Number(now.Add(Lease).ToUnixTimeSeconds());
        item[LedgerSchema.TimeToLive] = Number(now.Add(Retention).ToUnixTimeSeconds());
        try
        {
            await dynamo.PutItemAsync(new PutItemRequest
            {
                TableName = tableName,
                Item = item,
                ConditionExpression = "attribute_not_exists(#pk) OR (#state = :sending AND #lease < :now)",
                ExpressionAttributeNames = new() { ["#pk"] = LedgerSchema.PartitionKey, ["#state"] = "state", ["#lease"] = "leaseUntil" },
                ExpressionAttributeValues = new() { [":sending"] = new AttributeValue(Sending), [":now"] = Number(now.ToUnixTimeSeconds()) },
            }, cancellationToken).ConfigureAwait(false);
            return ClaimResult.Claimed;
        }
        catch (ConditionalCheckFailedException)
        {
            return await IsDeliveredAsync(deliveryKey, cancellationToken).ConfigureAwait(false) ? ClaimResult.AlreadyDelivered : ClaimResult.InFlight;
        }
    }

    public async Task<bool> IsDeliveredAsync(string deliveryKey, CancellationToken cancellationToken)
    {
        var existing = await dynamo.GetItemAsync(new GetItemRequest { TableName = tableName, Key = Key(deliveryKey), ConsistentRead = true }, cancellationToken).ConfigureAwait(false);
        return existing.Item is { } found && found.TryGetValue("state", out var state) && state.S == Delivered;
    }

    public async Task MarkDeliveredAsync(string deliveryKey, int attempts, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        await dynamo.UpdateItemAsync(new UpdateItemRequest
        {
            TableName = tableName,
            Key = Key(deliveryKey),
            UpdateExpression = "SET #state = :delivered, deliveredAt = :at, attempts = :attempts, #ttl = :ttl REMOVE leaseUntil",
            ExpressionAttributeNames = new() { ["#state"] = "state", ["#ttl"] = LedgerSchema.TimeToLive },
            ExpressionAttributeValues = new()
            {
                [":delivered"] = new AttributeValue(Delivered),
                [":at"] = new AttributeValue(now.ToString("O", CultureInfo.InvariantCulture)),
                [":attempts"] = Number(attempts),
                [":ttl"] = Number(now.Add(Retention).ToUnixTimeSeconds()),
            },
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Drops this process's claim after a failed POST so the retry can claim at once.</summary>
    public async Task ReleaseAsync(string deliveryKey, CancellationToken cancellationToken)
    {
        try
        {
            await dynamo.DeleteItemAsync(new DeleteItemRequest
            {
                TableName = tableName,
                Key = Key(deliveryKey),
                ConditionExpression = "#state = :sending",
                ExpressionAttributeNames = new() { ["#state"] = "state" },
                ExpressionAttributeValues = new() { [":sending"] = new AttributeValue(Sending) },
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (ConditionalCheckFailedException)
        {
            // Already delivered or gone: nothing to release.
        }
    }

    private static AttributeValue Number(long value) => new() { N = value.ToString(CultureInfo.InvariantCulture) };
}
