using System.Globalization;
using Amazon.DynamoDBv2.Model;
using IsmsServerless.Model;
using IsmsServerless.Observability;
using static IsmsServerless.Ledger.LedgerItems;

namespace IsmsServerless.Ledger;

/// <summary>
/// Counter items for the status page's overview. Every transition ADDs the difference between the finding's old and new
/// contribution, in the finding's transaction, so the counts are exact; reading them is one Query of the <c>STATS</c>
/// partition, whatever the table size.
/// </summary>
/// <remarks>
/// <para>Layout (issue 20): one small item per (rule, category and controls, shard):
/// <c>PK=STATS, SK=RULE#&lt;ruleId&gt;#&lt;hash of category and controls&gt;#&lt;shard&gt;</c>, holding the rule's
/// <c>category</c> and <c>controls</c> and 35 counters named <c>&lt;severity letter&gt;&lt;metric letter&gt;</c> (severity
/// C H M L I; metric o open, a acknowledged, s suppressed, r resolved, w within-sla, k at-risk, b breached). The overview
/// derives the total, category, severity and control slices from them. A finding's category and controls are its
/// rule's, fixed at creation, so a transition touches ONE item of under 1 KB (1 write unit, 2 in the transaction); the
/// old layout (one item per shard with a counter per control × metric, several KB) cost 7+ units per transition.</para>
/// <para>Every update ADDs all 35 counters (0 where unchanged), so an item's attributes do not depend on the path a
/// finding took (a counter that went 1 → 0 and one never touched are the same, README "Delivery order").</para>
/// <para>Items of the old layout (<c>SHARD#n</c>, attributes <c>c|&lt;dimension&gt;|&lt;value&gt;|&lt;metric&gt;</c>) are still
/// summed: deltas are additive, so a table written by both layouts still counts right.</para>
/// </remarks>
internal static class LedgerCounters
{
    private const string Prefix = "c|";
    private const string All = "all";
    private const string CategoryDim = "category";
    private const string SeverityDim = "severity";
    private const string ControlDim = "control";

    private static readonly string[] Metrics = ["open", "acknowledged", "suppressed", "resolved", "within-sla", "at-risk", "breached"];

    /// <summary>Metric letters, in <see cref="Metrics"/> order.</summary>
    private const string MetricCodes = "oasrwkb";

    /// <summary>Severity letters: INFORMATIONAL, LOW, MEDIUM, HIGH, CRITICAL (the enum's order).</summary>
    private const string SeverityCodes = "ILMHC";

    /// <summary>Counter items per rule (and control set): concurrent transitions of one rule's findings rarely share one.</summary>
    public const int RuleShards = 4;

    /// <summary>The ADD update for a transition, or null when the counts do not change.</summary>
    /// <param name="times">How many findings make this transition (1; bulk loads in benchmarks add many at once).</param>
    public static Update? Update(string tableName, FindingRecord? before, FindingRecord after, long times = 1)
    {
        var deltas = new long[SeverityCodes.Length * MetricCodes.Length];
        if (before is not null) foreach (var i in Contribution(before)) deltas[i] -= times;
        foreach (var i in Contribution(after)) deltas[i] += times;
        return deltas.All(d => d == 0) ? null : Build(tableName, after, deltas);
    }

    /// <summary>
    /// An ADD of 0 to every counter of the finding's counter item: creates the item if it is missing, so the finding's
    /// rule is listed by the views that merge rule partitions (a finding counted only in the <c>SHARD#</c> layout and
    /// rewritten without a transition would otherwise be in no listed rule; issue 20, the status view from GSI2).
    /// </summary>
    public static Update Claim(string tableName, FindingRecord f) => Build(tableName, f, new long[SeverityCodes.Length * MetricCodes.Length]);

    /// <summary>The counter deltas (severity × metric) of a finding moving from <paramref name="before"/> to <paramref name="after"/>.</summary>
    internal static long[] Deltas(FindingRecord? before, FindingRecord? after)
    {
        var deltas = new long[SeverityCodes.Length * MetricCodes.Length];
        if (before is not null) foreach (var i in Contribution(before)) deltas[i]--;
        if (after is not null) foreach (var i in Contribution(after)) deltas[i]++;
        return deltas;
    }

    /// <summary>The deltas by counter attribute name (all 35, zeros included, as every ADD writes them).</summary>
    internal static IReadOnlyDictionary<string, long> Named(long[] deltas)
    {
        var named = new Dictionary<string, long>(deltas.Length, StringComparer.Ordinal);
        for (var i = 0; i < deltas.Length; i++) named[CounterName(i)] = deltas[i];
        return named;
    }

    /// <summary>The attributes every counter update SETs: what the counter item describes (the views list rules from them).</summary>
    internal static Dictionary<string, AttributeValue> Description(FindingRecord f) => new(StringComparer.Ordinal)
    {
        [LedgerSchema.EntityType] = S(StatsEntity),
        ["category"] = S(f.Category.ToWire()),
        ["controls"] = new AttributeValue { L = f.Controls.Distinct(StringComparer.Ordinal).Select(S).ToList() },
        ["ruleId"] = S(f.RuleId),
    };

    /// <summary>
    /// The sort key of the counter item the projector writes a finding's deltas to: its rule, category and controls, shard
    /// 0. The projector is the counters' only writer (one batch per stream shard at a time), so the four shards that kept
    /// concurrent transactions apart are not needed: one item per rule and control set, so a batch touches up to 4× fewer
    /// items. Items of shards 1–3 written before keep counting (deltas are additive; readers sum a rule's items).
    /// </summary>
    internal static string SortKey(FindingRecord f) =>
        LedgerKeys.StatsRule(f.RuleId, f.Category.ToWire(), f.Controls.Distinct(StringComparer.Ordinal).ToList(), f.Id, 1);

    /// <summary>The ADD update of <paramref name="deltas"/> (from <see cref="Deltas"/>, summed) to <paramref name="after"/>'s counter item.</summary>
    internal static Update Build(string tableName, FindingRecord after, long[] deltas)
    {
        var controls = after.Controls.Distinct(StringComparer.Ordinal).ToList();
        var names = new Dictionary<string, string> { ["#et"] = LedgerSchema.EntityType, ["#cat"] = "category", ["#ctl"] = "controls", ["#rule"] = "ruleId" };
        var values = new Dictionary<string, AttributeValue>
        {
            [":et"] = S(StatsEntity),
            [":cat"] = S(after.Category.ToWire()),
            [":ctl"] = new AttributeValue { L = controls.Select(S).ToList() },
            [":rule"] = S(after.RuleId),
        };
        var adds = new List<string>(deltas.Length);
        for (var i = 0; i < deltas.Length; i++)
        {
            names[$"#c{i}"] = CounterName(i);
            values[$":d{i}"] = N(deltas[i]);
            adds.Add($"#c{i} :d{i}");
        }
        return new Update
        {
            TableName = tableName,
            Key = new()
            {
                [LedgerSchema.PartitionKey] = S(LedgerKeys.StatsPartition),
                [LedgerSchema.SortKey] = S(LedgerKeys.StatsRule(after.RuleId, after.Category.ToWire(), controls, after.Id, RuleShards)),
            },
            UpdateExpression = "SET #et = :et, #cat = :cat, #ctl = :ctl, #rule = :rule ADD " + string.Join(", ", adds),
            ExpressionAttributeNames = names,
            ExpressionAttributeValues = values,
        };
    }

    private static string CounterName(int index) =>
        string.Concat(SeverityCodes[index / MetricCodes.Length], MetricCodes[index % MetricCodes.Length]);

    /// <summary>The counter indexes (severity × metric) one finding adds 1 to.</summary>
    private static IEnumerable<int> Contribution(FindingRecord f)
    {
        var severity = Math.Clamp((int)f.Severity, 0, SeverityCodes.Length - 1) * MetricCodes.Length;
        yield return severity + (int)f.Status;
        if (f.Status is FindingStatus.Open or FindingStatus.Acknowledged && f.SlaState is { } state)
            yield return severity + 4 + (int)state;
    }

    /// <summary>Adds a rule counter item (new layout) to the sums of every slice it belongs to.</summary>
    private static bool AddRuleItem(Dictionary<string, AttributeValue> item, Action<string, string, string, long> add)
    {
        if (item.GetValueOrDefault("category")?.S is not { } category || item.GetValueOrDefault("controls")?.L is not { } controlList) return false;
        var controls = controlList.Select(c => c.S).OfType<string>().Distinct(StringComparer.Ordinal).ToList();
        foreach (var (name, attribute) in item)
        {
            if (name.Length != 2) continue;
            var sev = SeverityCodes.IndexOf(name[0], StringComparison.Ordinal);
            var metric = MetricCodes.IndexOf(name[1], StringComparison.Ordinal);
            if (sev < 0 || metric < 0) continue;
            if (attribute.N is null || !long.TryParse(attribute.N, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n))
            {
                Log.Warn("ledger.malformed-counter", ("item", Describe(item)), ("attribute", name));
                continue;
            }
            var metricName = Metrics[metric];
            add(All, "*", metricName, n);
            add(CategoryDim, category, metricName, n);
            add(SeverityDim, ((Severity)sev).ToWire(), metricName, n);
            foreach (var control in controls) add(ControlDim, control, metricName, n);
        }
        return true;
    }

    /// <summary>A rule's category and controls as its counter items record them (one per distinct set).</summary>
    public sealed record RuleSet(string RuleId, string Category, IReadOnlyList<string> Controls);

    /// <summary>Whether a <c>STATS</c> item is of the earlier layout (<c>SHARD#n</c>): findings it counts are in no rule's counters.</summary>
    public static bool IsLegacyShard(Dictionary<string, AttributeValue> item) =>
        item.GetValueOrDefault(LedgerSchema.SortKey)?.S is { } sk && sk.StartsWith(LedgerKeys.StatsShardPrefix, StringComparison.Ordinal);

    /// <summary>
    /// A rule counter item's count of findings in <paramref name="status"/> (of one severity, or of all). Exact while
    /// the table has no <see cref="IsLegacyShard"/> items: every transition ADDs to its rule's item in its transaction.
    /// </summary>
    public static long StatusCount(Dictionary<string, AttributeValue> item, FindingStatus status, Severity? severity)
    {
        var metric = MetricCodes[(int)status];
        long sum = 0;
        for (var sev = 0; sev < SeverityCodes.Length; sev++)
        {
            if (severity is { } only && (int)only != sev) continue;
            if (item.GetValueOrDefault(string.Concat(SeverityCodes[sev], metric))?.N is { } n
                && long.TryParse(n, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value))
                sum += value;
        }
        return sum;
    }

    /// <summary>The (rule, category, controls) sets named by counter items of the rule layout (others are skipped).</summary>
    public static IEnumerable<RuleSet> RuleSets(IEnumerable<Dictionary<string, AttributeValue>> items)
    {
        foreach (var item in items)
        {
            if (item.GetValueOrDefault("ruleId")?.S is not { } rule || item.GetValueOrDefault("category")?.S is not { } category
                || item.GetValueOrDefault("controls")?.L is not { } controls)
                continue;
            yield return new RuleSet(rule, category, controls.Select(c => c.S).OfType<string>().ToList());
        }
    }

    public static LedgerOverview Overview(IEnumerable<Dictionary<string, AttributeValue>> items)
    {
        var sums = new Dictionary<(string Dim, string Value), Dictionary<string, long>>();
        void Add(string dim, string value, string metric, long n)
        {
            if (!sums.TryGetValue((dim, value), out var metrics)) sums[(dim, value)] = metrics = new(StringComparer.Ordinal);
            metrics[metric] = metrics.GetValueOrDefault(metric) + n;
        }
        foreach (var item in items)
        {
            if (item.GetValueOrDefault(LedgerSchema.SortKey)?.S is { } sk && sk.StartsWith(LedgerKeys.StatsRulePrefix, StringComparison.Ordinal)
                && AddRuleItem(item, Add))
                continue;
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
                Add(parts[1], string.Join('|', parts[2..^1]), parts[^1], n);
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
