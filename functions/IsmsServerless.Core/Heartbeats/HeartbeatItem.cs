using System.Globalization;
using Amazon.DynamoDBv2.Model;
using IsmsServerless.Ledger;

namespace IsmsServerless.Heartbeats;

/// <summary>
/// One heartbeat item in the ledger table: <c>PK=HEARTBEAT</c>, <c>SK=SOURCE#&lt;source&gt;#&lt;account&gt;#&lt;region&gt;</c>.
/// Per account and region because one silent member account or region must not hide behind a chatty one.
/// The status page reads them with one Query on <c>PK=HEARTBEAT</c>.
/// </summary>
public sealed record HeartbeatItem(string Source, string AccountId, string Region, DateTimeOffset LastSeenAt, string? LastDetailType)
{
    public const string PartitionKeyValue = "HEARTBEAT";
    public const string EntityTypeValue = "HEARTBEAT";
    public const string SortKeyPrefix = "SOURCE#";

    /// <summary>Marks when the sweep first watched for heartbeats: silence is measured from it for sources never heard.</summary>
    public const string WatchStartedSortKey = "WATCH#STARTED";

    /// <summary>Fixed-width UTC so string comparison in a condition expression orders like time.</summary>
    public const string TimeFormat = "yyyy-MM-dd'T'HH:mm:ss.fff'Z'";

    public static string SortKeyFor(string source, string accountId, string region) =>
        $"{SortKeyPrefix}{source}#{accountId}#{region}";

    public static string FormatTime(DateTimeOffset time) => time.UtcDateTime.ToString(TimeFormat, CultureInfo.InvariantCulture);

    public static DateTimeOffset? ParseTime(string? text) =>
        DateTimeOffset.TryParseExact(text, TimeFormat, CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time) ? time : null;

    /// <summary>Reads an item back; null when it is not a well-formed heartbeat (never throws on odd data).</summary>
    public static HeartbeatItem? FromAttributes(Dictionary<string, AttributeValue> item)
    {
        string? Text(string name) => item.TryGetValue(name, out var value) ? value.S : null;
        var source = Text("source");
        var seen = ParseTime(Text("lastSeenAt"));
        if (string.IsNullOrEmpty(source) || seen is null) return null;
        return new HeartbeatItem(source, Text("accountId") ?? "", Text("region") ?? "", seen.Value, Text("lastDetailType"));
    }

    internal static Dictionary<string, AttributeValue> Key(string sortKey) => new()
    {
        [LedgerSchema.PartitionKey] = new AttributeValue { S = PartitionKeyValue },
        [LedgerSchema.SortKey] = new AttributeValue { S = sortKey },
    };
}
