using System.Globalization;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using IsmsServerless.Engine;
using IsmsServerless.Ledger;
using IsmsServerless.Model;

namespace IsmsServerless.Evidence;

/// <summary>
/// <see cref="IEvidenceStore"/> on the ledger table. Items (layout in <c>docs/data-model.md</c>):
/// <list type="bullet">
/// <item><c>PK=EVIDENCE#&lt;ruleId&gt;</c>, <c>SK=RES#&lt;findingId&gt;</c>: the latest result (~250 bytes, no GSI keys, so a
/// write costs 1 WCU and touches no index);</item>
/// <item><c>PK=EVIDENCE</c>, <c>SK=RULE#&lt;ruleId&gt;</c>: the rule's counters (evaluated, passing, failing) and lastEvaluatedAt.</item>
/// </list>
/// Decide by reading the result item (eventually consistent, 0.5 RCU). Same result, evaluated less than a day ago:
/// nothing is written. Same result, older: one conditional update of evaluatedAt. New or changed: one transaction puts
/// the item on the condition that it is still what was read, and ADDs the counter deltas, so counters stay exact under
/// concurrency and redelivery; a lost race re-reads and decides again. An evaluation older than the stored one is
/// dropped (the end state does not depend on delivery order).
/// </summary>
public sealed class DynamoDbEvidenceStore(IAmazonDynamoDB dynamo, string tableName, string policyVersion) : IEvidenceStore
{
    public const string Pass = "pass";
    public const string Fail = "fail";
    private const string Entity = "EVIDENCE";
    private const string SummaryPartition = "EVIDENCE";
    private const int MaxAttempts = 8;

    /// <summary>How old a stored same-result evaluation may get before it is refreshed (at most one write a day).</summary>
    public static readonly TimeSpan RefreshAfter = TimeSpan.FromDays(1);

    /// <summary>When set, every request reports its consumed capacity (benchmarks, tests counting queries).</summary>
    internal Action<string, ConsumedCapacity?>? Observer { get; set; }

    public async Task<EvidenceWriteResult> RecordAsync(IReadOnlyList<Evaluation> evaluations, string source, EvaluationContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(evaluations);
        ArgumentNullException.ThrowIfNull(context);
        int changed = 0, refreshed = 0, skipped = 0;
        // One result per identity per call: the last evaluation of a batch wins (rules may emit several for one resource).
        var latest = new Dictionary<string, Evaluation>(StringComparer.Ordinal);
        foreach (var e in evaluations)
        {
            if (e.Outcome is not (Outcome.Finding or Outcome.Compliant)) continue;
            if (string.IsNullOrEmpty(e.ResourceId)) continue;
            latest[e.FindingId] = e;
        }
        foreach (var e in latest.Values)
        {
            switch (await RecordOneAsync(e, source, context.Now, cancellationToken).ConfigureAwait(false))
            {
                case Written.Changed: changed++; break;
                case Written.Refreshed: refreshed++; break;
                default: skipped++; break;
            }
        }
        return new EvidenceWriteResult(changed, refreshed, skipped);
    }

    private enum Written { Skipped, Refreshed, Changed }

    private async Task<Written> RecordOneAsync(Evaluation e, string source, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var result = e.Outcome == Outcome.Finding ? Fail : Pass;
        var at = e.ObservedAt is { } observed && observed <= now ? observed : now;
        var key = Key(e.Rule.Id, e.FindingId);
        for (var attempt = 1; ; attempt++)
        {
            var get = await dynamo.GetItemAsync(new GetItemRequest
            {
                TableName = tableName,
                Key = key,
                ProjectionExpression = "#r, evaluatedAt, writtenAt",
                ExpressionAttributeNames = new() { ["#r"] = "result" },
                ReturnConsumedCapacity = Observer is null ? null : ReturnConsumedCapacity.TOTAL,
            }, cancellationToken).ConfigureAwait(false);
            Observer?.Invoke("evidence-get", get.ConsumedCapacity);
            var stored = get.Item is { Count: > 0 } item ? item : null;
            var storedResult = stored?.GetValueOrDefault("result")?.S;
            var storedAt = ReadTime(stored, "evaluatedAt");
            var storedWritten = ReadTime(stored, "writtenAt") ?? storedAt;
            if (stored is not null && storedAt is { } prior && at < prior) return Written.Skipped; // older than what we have
            try
            {
                if (stored is not null && storedResult == result)
                {
                    if (storedWritten is { } written && at - written < RefreshAfter) return Written.Skipped;
                    var update = await dynamo.UpdateItemAsync(new UpdateItemRequest
                    {
                        TableName = tableName,
                        Key = key,
                        UpdateExpression = "SET evaluatedAt = :at, writtenAt = :at, #s = :src",
                        ConditionExpression = "#r = :r AND evaluatedAt <= :at",
                        ExpressionAttributeNames = new() { ["#r"] = "result", ["#s"] = "source" },
                        ExpressionAttributeValues = new() { [":at"] = Time(at), [":r"] = S(result), [":src"] = S(source) },
                        ReturnConsumedCapacity = Observer is null ? null : ReturnConsumedCapacity.TOTAL,
                    }, cancellationToken).ConfigureAwait(false);
                    Observer?.Invoke("evidence-refresh", update.ConsumedCapacity);
                    await TouchSummaryAsync(e.Rule.Id, at, cancellationToken).ConfigureAwait(false);
                    return Written.Refreshed;
                }
                var put = new Put
                {
                    TableName = tableName,
                    Item = Item(e, result, at, source),
                    ConditionExpression = stored is null ? "attribute_not_exists(PK)" : "#r = :old AND evaluatedAt = :oldAt",
                };
                if (stored is not null)
                {
                    put.ExpressionAttributeNames = new() { ["#r"] = "result" };
                    put.ExpressionAttributeValues = new() { [":old"] = S(storedResult ?? ""), [":oldAt"] = Time(storedAt ?? DateTimeOffset.MinValue) };
                }
                var deltas = new List<(string Name, long Delta)>();
                if (stored is null) deltas.Add(("evaluated", 1));
                else deltas.Add((storedResult == Pass ? "passing" : "failing", -1));
                deltas.Add((result == Pass ? "passing" : "failing", 1));
                var transaction = await dynamo.TransactWriteItemsAsync(new TransactWriteItemsRequest
                {
                    TransactItems =
                    [
                        new TransactWriteItem { Put = put },
                        new TransactWriteItem { Update = SummaryUpdate(e.Rule.Id, deltas) },
                    ],
                    ReturnConsumedCapacity = Observer is null ? null : ReturnConsumedCapacity.TOTAL,
                }, cancellationToken).ConfigureAwait(false);
                if (transaction.ConsumedCapacity is { } used) foreach (var c in used) Observer?.Invoke("evidence-change", c);
                await TouchSummaryAsync(e.Rule.Id, at, cancellationToken).ConfigureAwait(false);
                return Written.Changed;
            }
            catch (Exception ex) when (ex is ConditionalCheckFailedException or TransactionCanceledException && attempt < MaxAttempts)
            {
                // Someone else wrote this result first: read again and decide again.
                await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(5, 20 * attempt)), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Moves the rule's lastEvaluatedAt forward (never back: the condition keeps the latest).</summary>
    private async Task TouchSummaryAsync(string ruleId, DateTimeOffset at, CancellationToken cancellationToken)
    {
        try
        {
            var response = await dynamo.UpdateItemAsync(new UpdateItemRequest
            {
                TableName = tableName,
                Key = new() { [LedgerSchema.PartitionKey] = S(SummaryPartition), [LedgerSchema.SortKey] = S("RULE#" + ruleId) },
                UpdateExpression = "SET lastEvaluatedAt = :at, ruleId = :id, #et = :et",
                ConditionExpression = "attribute_not_exists(lastEvaluatedAt) OR lastEvaluatedAt < :at",
                ExpressionAttributeNames = new() { ["#et"] = LedgerSchema.EntityType },
                ExpressionAttributeValues = new() { [":at"] = Time(at), [":id"] = S(ruleId), [":et"] = S("EVIDENCE_RULE") },
                ReturnConsumedCapacity = Observer is null ? null : ReturnConsumedCapacity.TOTAL,
            }, cancellationToken).ConfigureAwait(false);
            Observer?.Invoke("evidence-touch", response.ConsumedCapacity);
        }
        catch (ConditionalCheckFailedException)
        {
            // A later evaluation is already recorded.
        }
    }

    private Update SummaryUpdate(string ruleId, List<(string Name, long Delta)> deltas)
    {
        var values = new Dictionary<string, AttributeValue> { [":id"] = S(ruleId), [":et"] = S("EVIDENCE_RULE") };
        var names = new Dictionary<string, string> { ["#et"] = LedgerSchema.EntityType };
        var adds = new List<string>();
        for (var i = 0; i < deltas.Count; i++)
        {
            names[$"#n{i}"] = deltas[i].Name;
            values[$":d{i}"] = new AttributeValue { N = deltas[i].Delta.ToString(CultureInfo.InvariantCulture) };
            adds.Add($"#n{i} :d{i}");
        }
        return new Update
        {
            TableName = tableName,
            Key = new() { [LedgerSchema.PartitionKey] = S(SummaryPartition), [LedgerSchema.SortKey] = S("RULE#" + ruleId) },
            UpdateExpression = "SET ruleId = :id, #et = :et ADD " + string.Join(", ", adds),
            ExpressionAttributeNames = names,
            ExpressionAttributeValues = values,
        };
    }

    public async Task<IReadOnlyDictionary<string, RuleEvidenceSummary>> GetRuleSummariesAsync(CancellationToken cancellationToken = default)
    {
        var summaries = new Dictionary<string, RuleEvidenceSummary>(StringComparer.Ordinal);
        Dictionary<string, AttributeValue>? start = null;
        do
        {
            var response = await dynamo.QueryAsync(new QueryRequest
            {
                TableName = tableName,
                KeyConditionExpression = "PK = :pk AND begins_with(SK, :rule)",
                ExpressionAttributeValues = new() { [":pk"] = S(SummaryPartition), [":rule"] = S("RULE#") },
                ExclusiveStartKey = start,
                ReturnConsumedCapacity = Observer is null ? null : ReturnConsumedCapacity.TOTAL,
            }, cancellationToken).ConfigureAwait(false);
            Observer?.Invoke("evidence-summaries", response.ConsumedCapacity);
            foreach (var item in response.Items ?? [])
            {
                var id = item.GetValueOrDefault("ruleId")?.S;
                if (string.IsNullOrEmpty(id)) continue;
                summaries[id] = new RuleEvidenceSummary(id, Number(item, "evaluated"), Number(item, "passing"), Number(item, "failing"), ReadTime(item, "lastEvaluatedAt"));
            }
            start = response.LastEvaluatedKey is { Count: > 0 } next ? next : null;
        }
        while (start is not null);
        return summaries;
    }

    public async Task<(IReadOnlyList<EvidenceRecord> Items, string? NextCursor)> QueryRuleAsync(string ruleId, int limit, string? cursor = null, CancellationToken cancellationToken = default)
    {
        var response = await dynamo.QueryAsync(new QueryRequest
        {
            TableName = tableName,
            KeyConditionExpression = "PK = :pk",
            ExpressionAttributeValues = new() { [":pk"] = S("EVIDENCE#" + ruleId) },
            Limit = Math.Clamp(limit, 1, 500),
            ExclusiveStartKey = PageCursor.Decode(cursor),
            ReturnConsumedCapacity = Observer is null ? null : ReturnConsumedCapacity.TOTAL,
        }, cancellationToken).ConfigureAwait(false);
        Observer?.Invoke("evidence-rule", response.ConsumedCapacity);
        var items = new List<EvidenceRecord>();
        foreach (var item in response.Items ?? [])
        {
            if (ReadTime(item, "evaluatedAt") is not { } at) continue;
            items.Add(new EvidenceRecord(
                item.GetValueOrDefault("ruleId")?.S ?? ruleId,
                item.GetValueOrDefault("resourceId")?.S ?? "",
                item.GetValueOrDefault("subKey")?.S ?? "",
                item.GetValueOrDefault("resourceType")?.S ?? "",
                item.GetValueOrDefault("result")?.S ?? "",
                at,
                item.GetValueOrDefault("source")?.S ?? "",
                item.GetValueOrDefault("policyVersion")?.S ?? ""));
        }
        return (items, PageCursor.Encode(response.LastEvaluatedKey));
    }

    private Dictionary<string, AttributeValue> Item(Evaluation e, string result, DateTimeOffset at, string source)
    {
        var item = Key(e.Rule.Id, e.FindingId);
        item[LedgerSchema.EntityType] = S(Entity);
        item["ruleId"] = S(e.Rule.Id);
        item["resourceId"] = S(e.ResourceId);
        item["resourceType"] = S(e.ResourceType);
        item["subKey"] = S(e.SubKey);
        item["result"] = S(result);
        item["evaluatedAt"] = Time(at);
        item["writtenAt"] = Time(at);
        item["source"] = S(source);
        item["policyVersion"] = S(policyVersion);
        return item;
    }

    private static Dictionary<string, AttributeValue> Key(string ruleId, string findingId) => new()
    {
        [LedgerSchema.PartitionKey] = S("EVIDENCE#" + ruleId),
        [LedgerSchema.SortKey] = S("RES#" + findingId),
    };

    private static AttributeValue S(string value) => new() { S = value };

    private static AttributeValue Time(DateTimeOffset at) => S(Timestamps.ToWire(at));

    private static long Number(Dictionary<string, AttributeValue> item, string name) =>
        item.GetValueOrDefault(name)?.N is { } n && long.TryParse(n, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : 0;

    private static DateTimeOffset? ReadTime(Dictionary<string, AttributeValue>? item, string name) =>
        item?.GetValueOrDefault(name)?.S is { } text && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) ? at : null;
}
