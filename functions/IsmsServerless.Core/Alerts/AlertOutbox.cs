using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using IsmsServerless.Ledger;
using IsmsServerless.Observability;

namespace IsmsServerless.Alerts;

/// <summary>Reads alert outbox items by id (GetItem on <c>ALERT#&lt;id&gt;</c>), as the ledger wrote them. No Scan.</summary>
public static class AlertOutbox
{
    public static async Task<IReadOnlyList<AlertRecord>> GetAsync(IAmazonDynamoDB dynamo, string tableName, IEnumerable<string> alertIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dynamo);
        ArgumentNullException.ThrowIfNull(alertIds);
        var alerts = new List<AlertRecord>();
        foreach (var id in alertIds.Distinct(StringComparer.Ordinal))
        {
            var response = await dynamo.GetItemAsync(new GetItemRequest
            {
                TableName = tableName,
                Key = new Dictionary<string, AttributeValue>
                {
                    [LedgerSchema.PartitionKey] = new(LedgerKeys.Alert(id)),
                    [LedgerSchema.SortKey] = new(LedgerKeys.AlertSort),
                },
                ConsistentRead = true,
            }, cancellationToken).ConfigureAwait(false);
            if (response.Item is not { Count: > 0 } item)
            {
                Log.Warn("alerts.outbox_missing", ("alertId", id));
                continue;
            }
            if (LedgerItems.TryReadAlert(item, out var alert, out var problem)) alerts.Add(alert);
            else Log.Warn("alerts.outbox_malformed", ("alertId", id), ("problem", problem));
        }
        return alerts;
    }
}
