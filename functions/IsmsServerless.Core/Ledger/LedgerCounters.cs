using System.Globalization;
using Amazon.DynamoDBv2.Model;
using IsmsServerless.Model;
using IsmsServerless.Observability;
using static IsmsServerless.Ledger.LedgerItems;

namespace IsmsServerless.Ledger;

/// <summary>
/// Counter items for the status page's overview: every transition ADDs the difference between the finding's old and
/// new contribution, in the same transaction, so the counts are exact and reading them is one Query over
/// <see cref="LedgerKeys.StatsShards"/> small items, whatever the table size. Attribute names are
/// <c>c|&lt;dimension&gt;|&lt;value&gt;|&lt;metric&gt;</c>, e.g. <c>c|control|ISO27001:2022 A.8.8|breached</c>.
/// </summary>
internal static class LedgerCounters
{
    private const string Prefix = "c|";
    private const string All = "all";
    private const string CategoryDim = "category";
    private const string SeverityDim = "severity";
    private const string ControlDim = "control";

    private static readonly string[] Metrics = ["open", "acknowledged", "suppressed", "resolved", "within-sla", "at-risk", "breached"];

    /// <summary>The ADD update for a transition, or null when the counts do not change.</summary>
    public static Update? Update(string tableName, FindingRecord? before, FindingRecord after)
    {
        var deltas = new Dictionary<string, long>(StringComparer.Ordinal);
        if (before is not null) foreach (var key in Contribution(before)) deltas[key] = deltas.GetValueOrDefault(key) - 1;
        foreach (var key in Contribution(after)) deltas[key] = deltas.GetValueOrDefault(key) + 1;
        var changed = deltas.Where(kv => kv.Value != 0).ToList();
        if (changed.Count == 0) return null;
        var names = new Dictionary<string, string> { ["#et"] = LedgerSchema.EntityType };
        var values = new Dictionary<string, AttributeValue> { [":et"] = S(StatsEntity) };
        var adds = new List<string>();
        for (var i = 0; i < changed.Count; i++)
        {
            names[$"#c{i}"] = changed[i].Key;
            values[$":d{i}"] = N(changed[i].Value);
            adds.Add($"#c{i} :d{i}");
        }
        return new Update
        {
            TableName = tableName,
            Key = new()
            {
                [LedgerSchema.PartitionKey] = S(LedgerKeys.StatsPartition),
                [LedgerSchema.SortKey] = S(LedgerKeys.StatsShard(after.Id)),
            },
            UpdateExpression = "SET #et = :et ADD " + string.Join(", ", adds),
            ExpressionAttributeNames = names,
            ExpressionAttributeValues = values,
        };
    }

    /// <summary>The counters one finding adds 1 to.</summary>
    private static IEnumerable<string> Contribution(FindingRecord f)
    {
        var metrics = new List<string> { f.Status.ToWire() };
        if (f.Status is FindingStatus.Open or FindingStatus.Acknowledged && f.SlaState is { } state)
            metrics.Add(state == SlaState.Open ? "within-sla" : state.ToWire());
        var slices = new List<(string, string)> { (All, "*"), (CategoryDim, f.Category.ToWire()), (SeverityDim, f.Severity.ToWire()) };
        slices.AddRange(f.Controls.Distinct(StringComparer.Ordinal).Select(c => (ControlDim, c)));
        foreach (var (dim, value) in slices)
            foreach (var metric in metrics)
                yield return $"{Prefix}{dim}|{value}|{metric}";
    }

    public static LedgerOverview Overview(IEnumerable<Dictionary<string, AttributeValue>> items)
    {
        var sums = new Dictionary<(string Dim, string Value), Dictionary<string, long>>();
        foreach (var item in items)
        {
            foreach (var (name, attribute) in item)
            {
                if (!name.StartsWith(Prefix, StringComparison.Ordinal)) continue;
                var parts = name.Split('|');
                // A control name could itself contain '|': dimension is parts[1], metric the last part, value the rest.
                if (parts.Length < 4 || attribute.N is null || !long.TryParse(attribute.N, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n))
                {
                    Log.Warn("ledger.malformed-counter", ("item", Describe(item)), ("attribute", name));
                    continue;
                }
                var key = (parts[1], string.Join('|', parts[2..^1]));
                if (!sums.TryGetValue(key, out var metrics)) sums[key] = metrics = new(StringComparer.Ordinal);
                metrics[parts[^1]] = metrics.GetValueOrDefault(parts[^1]) + n;
            }
        }
        StatusCounts Counts(Dictionary<string, long> m) => new()
        {
            Open = m.GetValueOrDefault("open"),
            Acknowledged = m.GetValueOrDefault("acknowledged"),
            Suppressed = m.GetValueOrDefault("suppressed"),
            Resolved = m.GetValueOrDefault("resolved"),
            WithinSla = m.GetValueOrDefault("within-sla"),
            AtRisk = m.GetValueOrDefault("at-risk"),
            Breached = m.GetValueOrDefault("breached"),
        };
        IReadOnlyDictionary<string, StatusCounts> Slice(string dim) => sums.Where(kv => kv.Key.Dim == dim)
            .OrderBy(kv => kv.Key.Value, StringComparer.Ordinal)
            .ToDictionary(kv => kv.Key.Value, kv => Counts(kv.Value), StringComparer.Ordinal);
        var total = sums.TryGetValue((All, "*"), out var t) ? Counts(t) : StatusCounts.Zero;
        return new LedgerOverview(total, Slice(CategoryDim), Slice(SeverityDim), Slice(ControlDim));
    }

    public static Dictionary<string, AttributeValue> TrendItem(TrendPoint point)
    {
        var item = new Dictionary<string, AttributeValue>
        {
            [LedgerSchema.PartitionKey] = S(LedgerKeys.TrendPartition),
            [LedgerSchema.SortKey] = S(LedgerKeys.TrendDay(point.Day)),
            [LedgerSchema.EntityType] = S(TrendEntity),
            ["takenAt"] = Time(point.TakenAt),
        };
        void Write(string dim, string value, StatusCounts c)
        {
            var numbers = new long[] { c.Open, c.Acknowledged, c.Suppressed, c.Resolved, c.WithinSla, c.AtRisk, c.Breached };
            for (var i = 0; i < Metrics.Length; i++) item[$"{Prefix}{dim}|{value}|{Metrics[i]}"] = N(numbers[i]);
        }
        Write(All, "*", point.Total);
        foreach (var (category, counts) in point.ByCategory) Write(CategoryDim, category, counts);
        return item;
    }

    public static bool TryReadTrend(Dictionary<string, AttributeValue> item, out TrendPoint point)
    {
        point = null!;
        var sk = item.GetValueOrDefault(LedgerSchema.SortKey)?.S;
        var takenAt = item.GetValueOrDefault("takenAt")?.S;
        if (sk is null || !sk.StartsWith(LedgerKeys.TrendDayPrefix, StringComparison.Ordinal)
            || !DateOnly.TryParseExact(sk[LedgerKeys.TrendDayPrefix.Length..], "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day)
            || Timestamps.ParseOrNull(takenAt) is not { } taken)
            return false;
        var overview = Overview([item]);
        point = new TrendPoint(day, taken, overview.Total, overview.ByCategory);
        return true;
    }
}
