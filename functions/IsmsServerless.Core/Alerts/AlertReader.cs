using System.Collections.Concurrent;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using IsmsServerless.Ledger;
using IsmsServerless.Observability;

namespace IsmsServerless.Alerts;

/// <summary>
/// Reads an alert outbox item of any layout into the whole alert, as every reader renders it: the Pipe's enrichment
/// function (the stream record's new image), the CLI and the Slack delivery by id (<see cref="AlertOutbox"/>). An item of
/// issue 20 wave 8 names its rule texts by fingerprint (<c>ruleTexts</c>): they come from the rule registry when its texts
/// have that fingerprint (no read), else from the content-addressed <c>RULETEXT#&lt;ruleId&gt;</c> / <c>TEXTS#&lt;fingerprint&gt;</c>
/// item the ledger put before the alert (one GetItem per set of texts and process: the rule's texts changed, or the rule
/// was removed, since the alert was raised). Older items carry every text and need no read.
/// </summary>
public sealed class AlertReader(IAmazonDynamoDB dynamo, string tableName)
{
    /// <summary>The outbox item's <c>entityType</c> (the Pipe's filter passes INSERTs of it only).</summary>
    public const string Entity = LedgerItems.AlertEntity;

    private readonly ConcurrentDictionary<string, RuleTexts> _texts = new(StringComparer.Ordinal);

    /// <summary>
    /// The alert, or a problem for an item that is not one (no id, kind, finding, rule or time). A store error (throttling,
    /// access) is thrown, so the caller retries: the enrichment's batch goes back to the Pipe.
    /// </summary>
    public async Task<(bool Ok, AlertRecord Alert, string Problem)> ReadAsync(Dictionary<string, AttributeValue> item, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(item);
        item = AlertItemLayout.WithRegistryTexts(item);
        if (AlertItemLayout.NamedTexts(item) is var (ruleId, fingerprint))
        {
            var id = RuleTextsCache.Id(ruleId, fingerprint);
            if (!_texts.TryGetValue(id, out var texts))
            {
                var response = await dynamo.GetItemAsync(new GetItemRequest
                {
                    TableName = tableName,
                    Key = RuleTexts.Key(ruleId, fingerprint),
                    ConsistentRead = true,
                }, cancellationToken).ConfigureAwait(false);
                if (RuleTexts.Read(response.Item is { Count: > 0 } stored ? stored : null) is { } read) _texts[id] = texts = read;
            }
            if (texts is not null) item = AlertItemLayout.WithTexts(item, texts);
            else Log.Error("alerts.rule-texts-missing", null, ("pk", item.GetValueOrDefault(LedgerSchema.PartitionKey)?.S), ("ruleId", ruleId), ("fingerprint", fingerprint));
        }
        return LedgerItems.TryReadAlert(item, out var alert, out var problem) ? (true, alert, "") : (false, null!, problem);
    }
}
