using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using IsmsServerless.Model;

namespace IsmsServerless.Ledger;

/// <summary>
/// Every key the ledger writes, in one place, so the layout in <c>docs/data-model.md</c> and the code cannot drift.
/// Sort keys that order by time use <see cref="Instant"/> (fixed-width UTC, sortable as text); sort keys that order
/// by rank use one digit, so text order is numeric order.
/// </summary>
internal static class LedgerKeys
{
    public const string FindingPrefix = "FINDING#";
    public const string Meta = "META";
    public const string HistoryPrefix = "HIST#";
    public const string MemberPrefix = "MEMBER#";
    public const string AlertPrefix = "ALERT#";
    public const string AlertSort = "ALERT";
    public const string StatsPartition = "STATS";
    public const string StatsShardPrefix = "SHARD#";
    public const string TrendPartition = "TREND";
    public const string TrendDayPrefix = "DAY#";
    public const string TimerPartition = "TIMER";
    /// <summary>GSI4 partition of alert items written before issue 20's wave 7 (<c>OUTBOX#&lt;yyyy-MM-dd&gt;</c>); no longer written or read.</summary>
    public const string OutboxDayPrefix = "OUTBOX#";

    /// <summary>Sort key of a finding's last-observed marker (a compliant verdict seen before any violation).</summary>
    public const string ObservedMarker = "OBSERVED";

    /// <summary>Sort key of a resource's deletion marker.</summary>
    public const string GoneMarker = "GONE";

    /// <summary>Counter shards: concurrent transitions of different findings rarely touch the same stats item.</summary>
    public const int StatsShards = 8;

    // DynamoDB caps a partition key at 2048 bytes and a sort key at 1024; resource ids and control names come
    // from events, so anything long is replaced by its hash (the full text stays in a plain attribute).
    private const int MaxKeyPartBytes = 512;

    public static string Finding(string findingId) => FindingPrefix + findingId;

    public static string History(int sequence) => HistoryPrefix + sequence.ToString("D6", CultureInfo.InvariantCulture);

    /// <summary>Sort key prefix of a finding's observation items (README, "Delivery order").</summary>
    public const string ObservationPrefix = "OBS#";

    /// <summary>
    /// Sort key of one observation of a finding: source time, then verdict digit (compliant 0, violation 1), so text
    /// order is the timeline's order and, at one instant, the violation sorts last (it wins the tie).
    /// </summary>
    public static string Observation(ObservationPoint point) => ObservationPrefix + TimelineSuffix(point);

    /// <summary>
    /// Sort key of a detection line (created, resolved, reopened), keyed like the observation that starts it, so lines
    /// sort by source time whatever the arrival order and a late observation inserts its line in place.
    /// </summary>
    public static string HistoryAt(ObservationPoint point) => HistoryPrefix + TimelineSuffix(point);

    private static string TimelineSuffix(ObservationPoint point) =>
        Instant(point.At) + "#" + ((int)point.Verdict).ToString(CultureInfo.InvariantCulture);

    public static string StatusPartition(FindingStatus status) => "STATUS#" + status.ToWire();

    public static string ControlPartition(string control) => "CONTROL#" + Bounded(control);

    public static string CategoryPartition(Category category) => "CATEGORY#" + category.ToWire();

    /// <summary>
    /// GSI2 partition of a finding item: its rule. A rule's controls and category are static, so the per-control and
    /// per-category views are a merge of the few rule partitions that claim them (docs/data-model.md).
    /// </summary>
    public static string RulePartition(string ruleId) => "RULE#" + Bounded(ruleId);

    public static string ResourcePartition(string resourceId) => "RESOURCE#" + Bounded(resourceId);

    /// <summary>Partition of a resource's deletion marker (newest deletion observed, by source time).</summary>
    public static string GonePartition(string resourceId) => "GONE#" + Bounded(resourceId);

    public static string Alert(string alertId) => AlertPrefix + alertId;

    public static string TrendDay(DateOnly day) => TrendDayPrefix + day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    /// <summary>Sort key prefix of the per-rule counter items (<see cref="LedgerCounters"/>).</summary>
    public const string StatsRulePrefix = "RULE#";

    /// <summary>
    /// Sort key of the counter item a finding counts in: its rule, a hash of its category and controls (a policy change
    /// to a rule's controls starts new items, so old findings keep counting under the controls they were raised with),
    /// and a shard picked by the finding id's stable hash.
    /// </summary>
    public static string StatsRule(string ruleId, string category, IReadOnlyList<string> controls, string findingId, int shards)
    {
        var set = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(category + "\u001f" + string.Join("\u001f", controls)))).AsSpan(0, 8);
        return $"{StatsRulePrefix}{Bounded(ruleId)}#{set}#{(StableHash(findingId) % (uint)shards).ToString(CultureInfo.InvariantCulture)}";
    }

    public static string StatsShard(string findingId) =>
        StatsShardPrefix + (StableHash(findingId) % StatsShards).ToString(CultureInfo.InvariantCulture);

    /// <summary>CRITICAL → 0 … INFORMATIONAL → 4: ascending text order is most severe first.</summary>
    public static int SeverityRank(Severity severity) => (int)Severity.Critical - (int)severity;

    /// <summary>open → 0, acknowledged → 1, suppressed → 2, resolved → 3: active findings sort first.</summary>
    public static int StatusRank(FindingStatus status) => (int)status;

    /// <summary>No deadline sorts after every deadline.</summary>
    public static string DueKey(DateTimeOffset? dueAt) => dueAt is { } due ? Instant(due) : "9999-12-31T23:59:59.999Z";

    /// <summary>GSI1 sort key: severity rank, due date, id (the status page's default order).</summary>
    public static string StatusSort(Severity severity, DateTimeOffset? dueAt, string findingId) =>
        $"{SeverityRank(severity)}#{DueKey(dueAt)}#{findingId}";

    /// <summary>GSI2 sort key of a finding (and of a legacy membership item): status rank, then the status page order.</summary>
    public static string MemberSort(FindingStatus status, Severity severity, DateTimeOffset? dueAt, string findingId) =>
        $"{StatusRank(status)}#{StatusSort(severity, dueAt, findingId)}";

    /// <summary>GSI3 sort key: status rank then id, so "every unresolved finding on a resource" is a key range.</summary>
    public static string ResourceSort(FindingStatus status, string findingId) => $"{StatusRank(status)}#{findingId}";

    public static string TimerSort(DateTimeOffset at, string findingId) => $"{Instant(at)}#{findingId}";

    /// <summary>Upper bound for "timers at or before <paramref name="at"/>": '~' sorts after every id character.</summary>
    public static string TimerUpperBound(DateTimeOffset at) => Instant(at) + "#~";

    /// <summary>Fixed-width UTC instant with milliseconds (the ledger's one time format).</summary>
    public static string Instant(DateTimeOffset at) => Timestamps.ToWire(at);

    /// <summary>Rounds up to the millisecond, so a timer stored at millisecond precision never fires early.</summary>
    public static DateTimeOffset CeilingToMillisecond(DateTimeOffset at)
    {
        var remainder = at.UtcTicks % TimeSpan.TicksPerMillisecond;
        return remainder == 0 ? at : at.AddTicks(TimeSpan.TicksPerMillisecond - remainder);
    }

    internal static string Bounded(string text) =>
        Encoding.UTF8.GetByteCount(text) <= MaxKeyPartBytes
            ? text
            : "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    private static uint StableHash(string text)
    {
        // FNV-1a: string.GetHashCode is randomized per process, and the shard must be the same in every Lambda.
        var hash = 2166136261u;
        foreach (var c in text)
        {
            hash ^= c;
            hash *= 16777619u;
        }
        return hash;
    }
}
