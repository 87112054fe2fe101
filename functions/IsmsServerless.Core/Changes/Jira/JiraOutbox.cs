using System.Globalization;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using IsmsServerless.Ledger;
using IsmsServerless.Model;

namespace IsmsServerless.Changes.Jira;

/// <summary>One Jira delivery: create the change's issue, or comment a review round on it.</summary>
public sealed record JiraTask(string ChangeId, string Task, int Attempts, DateTimeOffset NextAttemptAt, string? LastError)
{
    public const string Create = "CREATE";

    public static string Comment(int round) => "COMMENT#" + round.ToString("D4", CultureInfo.InvariantCulture);

    public bool IsCreate => Task == Create;

    public int Round => Task.StartsWith("COMMENT#", StringComparison.Ordinal) && int.TryParse(Task.AsSpan(8), NumberStyles.None, CultureInfo.InvariantCulture, out var r) ? r : 0;
}

/// <summary>
/// The Jira queue in the ledger table: <c>PK=JIRA#changeId, SK=CREATE | COMMENT#round</c>, pending ones in the sparse
/// GSI4 partition <c>JIRA#PENDING</c> by next attempt time. Enqueueing is a conditional put (one task per change and
/// round, however often it is asked); the sweep drains due tasks, so a Jira outage delays delivery but never blocks the
/// change register or loses a task.
/// </summary>
public sealed class JiraOutbox(IAmazonDynamoDB dynamo, string tableName)
{
    public const string PendingPartition = "JIRA#PENDING";
    public const string Entity = "JIRA_TASK";

    /// <summary>Queues the task if it was never queued; true when this call queued it.</summary>
    public async Task<bool> EnqueueAsync(string changeId, string task, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        try
        {
            await dynamo.PutItemAsync(new PutItemRequest
            {
                TableName = tableName,
                Item = new Dictionary<string, AttributeValue>
                {
                    [LedgerSchema.PartitionKey] = S("JIRA#" + changeId),
                    [LedgerSchema.SortKey] = S(task),
                    [LedgerSchema.EntityType] = S(Entity),
                    ["changeId"] = S(changeId),
                    ["task"] = S(task),
                    ["state"] = S("pending"),
                    ["attempts"] = N(0),
                    ["nextAttemptAt"] = S(Timestamps.ToWire(now)),
                    [LedgerSchema.Gsi4PartitionKey] = S(PendingPartition),
                    [LedgerSchema.Gsi4SortKey] = S(Sort(now, changeId, task)),
                },
                ConditionExpression = "attribute_not_exists(PK)",
            }, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (ConditionalCheckFailedException)
        {
            return false;
        }
    }

    /// <summary>Pending tasks whose next attempt is due, earliest first. One Query.</summary>
    public async Task<IReadOnlyList<JiraTask>> DueAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken = default)
    {
        var response = await dynamo.QueryItemsAsync(new QueryRequest
        {
            TableName = tableName,
            IndexName = LedgerSchema.Gsi4,
            KeyConditionExpression = "GSI4PK = :pk AND GSI4SK <= :at",
            ExpressionAttributeValues = new Dictionary<string, AttributeValue>
            {
                [":pk"] = S(PendingPartition),
                [":at"] = S(Timestamps.ToWire(now) + "~"),
            },
            Limit = Math.Clamp(limit, 1, 100),
        }, cancellationToken).ConfigureAwait(false);
        return (response.Items ?? []).Where(i => Str(i, "state") == "pending").Select(FromItem).ToList();
    }

    public async Task<JiraTask?> GetAsync(string changeId, string task, CancellationToken cancellationToken = default)
    {
        var response = await dynamo.GetItemAsync(new GetItemRequest
        {
            TableName = tableName,
            Key = Key(changeId, task),
            ConsistentRead = true,
        }, cancellationToken).ConfigureAwait(false);
        return response.Item is { Count: > 0 } item ? FromItem(item) : null;
    }

    /// <summary>Marks the task delivered (leaves the pending index). Idempotent.</summary>
    public Task CompleteAsync(JiraTask task, string? issueKey, DateTimeOffset now, CancellationToken cancellationToken = default) =>
        dynamo.UpdateItemAsync(new UpdateItemRequest
        {
            TableName = tableName,
            Key = Key(task.ChangeId, task.Task),
            UpdateExpression = "SET #state = :done, deliveredAt = :now, issueKey = :key REMOVE GSI4PK, GSI4SK, lastError",
            ExpressionAttributeNames = new Dictionary<string, string> { ["#state"] = "state" },
            ExpressionAttributeValues = new Dictionary<string, AttributeValue>
            {
                [":done"] = S("done"),
                [":now"] = S(Timestamps.ToWire(now)),
                [":key"] = S(issueKey ?? ""),
            },
        }, cancellationToken);

    /// <summary>Records a failed attempt and when to try again (the error text is already free of the token).</summary>
    public Task DeferAsync(JiraTask task, DateTimeOffset next, string error, CancellationToken cancellationToken = default) =>
        dynamo.UpdateItemAsync(new UpdateItemRequest
        {
            TableName = tableName,
            Key = Key(task.ChangeId, task.Task),
            UpdateExpression = "SET attempts = :attempts, nextAttemptAt = :next, lastError = :error, GSI4SK = :sort",
            ConditionExpression = "#state = :pending",
            ExpressionAttributeNames = new Dictionary<string, string> { ["#state"] = "state" },
            ExpressionAttributeValues = new Dictionary<string, AttributeValue>
            {
                [":attempts"] = N(task.Attempts + 1),
                [":next"] = S(Timestamps.ToWire(next)),
                [":error"] = S(error.Length <= 500 ? error : error[..500]),
                [":sort"] = S(Sort(next, task.ChangeId, task.Task)),
                [":pending"] = S("pending"),
            },
        }, cancellationToken);

    private static string Sort(DateTimeOffset at, string changeId, string task) => Timestamps.ToWire(at) + "#" + changeId + "#" + task;

    private static JiraTask FromItem(Dictionary<string, AttributeValue> item) => new(
        Str(item, "changeId") ?? "",
        Str(item, "task") ?? "",
        item.TryGetValue("attempts", out var a) && int.TryParse(a.N, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : 0,
        Timestamps.ParseOrNull(Str(item, "nextAttemptAt")) ?? DateTimeOffset.UnixEpoch,
        Str(item, "lastError"));

    private static Dictionary<string, AttributeValue> Key(string changeId, string task) => new()
    {
        [LedgerSchema.PartitionKey] = S("JIRA#" + changeId),
        [LedgerSchema.SortKey] = S(task),
    };

    private static AttributeValue S(string value) => new() { S = value };

    private static AttributeValue N(long value) => new() { N = value.ToString(CultureInfo.InvariantCulture) };

    private static string? Str(Dictionary<string, AttributeValue> item, string name) => item.TryGetValue(name, out var v) ? v.S : null;
}
