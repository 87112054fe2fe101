using System.Globalization;
using System.Text;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;

namespace IsmsServerless.Tests.Robustness;

/// <summary>
/// Every item of a ledger table as canonical text (attributes sorted, values typed), for comparing a run under faults
/// with a clean run item by item: findings, history lines, index entries, counters, alert outbox records, change
/// register and enricher state. The product never scans; a test may.
/// </summary>
public static class TableSnapshot
{
    /// <remarks>
    /// The stream is drained first (the counter projector applies every record written so far), so the counters compared
    /// are complete. The projector's markers (<c>PROJECTION_MARKER</c>) are left out: they are bookkeeping keyed by stream
    /// sequence numbers, which differ between any two tables (and between runs that retried), while the counters they
    /// guard must be equal item for item.
    /// </remarks>
    public static async Task<SortedSet<string>> TakeAsync(IAmazonDynamoDB dynamo, string tableName)
    {
        await IsmsServerless.Tests.Support.StreamDrain.DrainAsync(dynamo, tableName);
        var items = new SortedSet<string>(StringComparer.Ordinal);
        Dictionary<string, AttributeValue>? start = null;
        do
        {
            var page = await dynamo.ScanAsync(new ScanRequest { TableName = tableName, ExclusiveStartKey = start, ConsistentRead = true });
            foreach (var item in page.Items ?? [])
            {
                if (item.GetValueOrDefault("entityType")?.S == IsmsServerless.CounterProjection.CounterProjector.MarkerEntity) continue;
                items.Add(Canonical(item));
            }
            start = page.LastEvaluatedKey is { Count: > 0 } next ? next : null;
        }
        while (start is not null);
        return items;
    }

    /// <summary>Items whose entity type is one of <paramref name="types"/> (e.g. ALERT), by their canonical text.</summary>
    public static IEnumerable<string> OfType(IEnumerable<string> snapshot, string type) =>
        snapshot.Where(item => item.Contains($"entityType=S:{type};", StringComparison.Ordinal));

    /// <summary>A readable difference for an assertion message (first few items only one side has).</summary>
    public static string Difference(SortedSet<string> expected, SortedSet<string> actual)
    {
        var missing = expected.Except(actual).Take(5).ToList();
        var extra = actual.Except(expected).Take(5).ToList();
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"{expected.Count} items expected, {actual.Count} found; {expected.Except(actual).Count()} missing, {actual.Except(expected).Count()} unexpected.");
        foreach (var item in missing) text.Append("\n  missing:    ").Append(item);
        foreach (var item in extra) text.Append("\n  unexpected: ").Append(item);
        return text.ToString();
    }

    public static string Canonical(Dictionary<string, AttributeValue> item) =>
        string.Concat(item.OrderBy(a => a.Key, StringComparer.Ordinal).Select(a => $"{a.Key}={Value(a.Value)};"));

    private static string Value(AttributeValue v)
    {
        if (v.S is not null) return "S:" + v.S;
        if (v.N is not null) return "N:" + v.N;
        if (v.BOOL is { } b) return "BOOL:" + (b ? "true" : "false");
        if (v.NULL is true) return "NULL";
        if (v.SS is { Count: > 0 } ss) return "SS:[" + string.Join(',', ss.Order(StringComparer.Ordinal)) + "]";
        if (v.NS is { Count: > 0 } ns) return "NS:[" + string.Join(',', ns.Order(StringComparer.Ordinal)) + "]";
        if (v.B is not null) return "B:" + Convert.ToBase64String(v.B.ToArray());
        if (v.M is not null && (v.IsMSet || v.M.Count > 0)) return "M:{" + string.Concat(v.M.OrderBy(a => a.Key, StringComparer.Ordinal).Select(a => $"{a.Key}={Value(a.Value)};")) + "}";
        if (v.L is not null && (v.IsLSet || v.L.Count > 0)) return "L:[" + string.Join(',', v.L.Select(Value)) + "]";
        return "?";
    }
}
