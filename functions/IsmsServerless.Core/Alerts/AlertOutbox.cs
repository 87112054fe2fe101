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
        var reader = new AlertReader(dynamo, tableName);
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
            // Every layout: the whole texts, or the rule texts named by fingerprint (issue 20 wave 8).
            var (ok, alert, problem) = await reader.ReadAsync(item, cancellationToken).ConfigureAwait(false);
            if (ok) alerts.Add(alert);
            else Log.Warn("alerts.outbox_malformed", ("alertId", id), ("problem", problem));
        }
        return alerts;
    }
}
