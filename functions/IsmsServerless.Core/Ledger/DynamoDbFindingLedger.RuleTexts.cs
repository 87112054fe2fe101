using Amazon.DynamoDBv2.Model;
using IsmsServerless.Observability;

namespace IsmsServerless.Ledger;

// The rule texts a finding item names by fingerprint (RuleTexts; docs/data-model.md "Rule texts"): written once per
// process and table before the first finding item that names them, filled back into items before they are read.
public sealed partial class DynamoDbFindingLedger
{
    private readonly RuleTextsCache _ruleTexts = new();

    /// <summary>
    /// Before a finding item that does not store its rule's texts is written, the <c>RULETEXT</c> item holding them exists:
    /// one conditional put per process, table and set of texts (a failed condition means it is stored: its key is the
    /// hash of its content). A finding is never written naming texts the table does not hold.
    /// </summary>
    private async Task EnsureRuleTextsAsync(FindingRecord after, CancellationToken cancellationToken)
    {
        if (RuleTexts.Shared(after) is { } texts) await EnsureRuleTextsAsync(after.RuleId, texts, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The same for an alert item that names its rule texts (issue 20 wave 8): it is put after its finding's write, which
    /// ensured the same texts, so this is a lookup in the process's cache, except for a process that never wrote that
    /// finding (an outbox repair, the sweep's escalation after a restart): then one conditional put.
    /// </summary>
    private async Task<Dictionary<string, AttributeValue>> AlertItemAsync(Alerts.AlertRecord alert, CancellationToken cancellationToken)
    {
        if (AlertItemLayout.SharedTexts(alert) is { } texts) await EnsureRuleTextsAsync(alert.RuleId, texts, cancellationToken).ConfigureAwait(false);
        return LedgerItems.AlertItem(alert, AlertExpiry(alert.CreatedAt), shareRuleTexts: true);
    }

    private async Task EnsureRuleTextsAsync(string ruleId, RuleTexts texts, CancellationToken cancellationToken)
    {
        if (_ruleTexts.TryGet(ruleId, texts.Fingerprint, out _)) return;
        try
        {
            await dynamo.PutItemAsync(new PutItemRequest
            {
                TableName = TableName,
                Item = texts.Item(ruleId),
                ConditionExpression = "attribute_not_exists(#pk)",
                ExpressionAttributeNames = new() { ["#pk"] = LedgerSchema.PartitionKey },
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (ConditionalCheckFailedException)
        {
            // Stored already (another writer, or this put's own first attempt whose answer was lost).
        }
        _ruleTexts.Add(ruleId, texts);
    }

    /// <summary>
    /// Fills the rule texts back into finding items that store only their fingerprint: from the rule registry when its
    /// texts have that fingerprint, else from the <c>RULETEXT</c> item (the rule's texts changed since, or the rule was
    /// removed), read once per process. An item whose texts cannot be found is left as it is (read with its rule id as
    /// title and empty texts) and logged.
    /// </summary>
    private async Task FillRuleTextsAsync(List<Dictionary<string, AttributeValue>> items, CancellationToken cancellationToken)
    {
        List<(Dictionary<string, AttributeValue> Item, string RuleId, string Fingerprint)>? missing = null;
        foreach (var item in items)
        {
            if (item.GetValueOrDefault(RuleTexts.Attribute)?.S is not { } fingerprint || FindingItemLayout.RuleIdOf(item) is not { } ruleId) continue;
            if (RuleTexts.ForRule(ruleId) is { } registry && registry.Fingerprint == fingerprint) RuleTexts.Fill(item, registry);
            else if (_ruleTexts.TryGet(ruleId, fingerprint, out var known)) RuleTexts.Fill(item, known);
            else (missing ??= []).Add((item, ruleId, fingerprint));
        }
        if (missing is null) return;
        foreach (var group in missing.GroupBy(m => RuleTextsCache.Id(m.RuleId, m.Fingerprint), StringComparer.Ordinal))
        {
            var (_, ruleId, fingerprint) = group.First();
            var response = await dynamo.GetItemAsync(new GetItemRequest
            {
                TableName = TableName,
                Key = RuleTexts.Key(ruleId, fingerprint),
                ConsistentRead = true,
            }, cancellationToken).ConfigureAwait(false);
            if (RuleTexts.Read(response.Item) is { } texts)
            {
                _ruleTexts.Add(ruleId, texts);
                foreach (var (item, _, _) in group) RuleTexts.Fill(item, texts);
            }
            else
            {
                Log.Warn("ledger.rule-texts-missing", ("ruleId", ruleId), ("fingerprint", fingerprint));
            }
        }
    }
}
