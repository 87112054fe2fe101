using System.Security.Cryptography;
using System.Text;
using IsmsServerless.Ledger;

namespace IsmsServerless.Obligations;

/// <summary>
/// Every key an obligation item uses, in one place (layout in docs/data-model.md, "Obligations"). Prefixes never collide
/// with the ledger's (<c>FINDING#</c>, <c>STATUS#</c>, <c>CONTROL#</c>, <c>TIMER</c>...) nor the change register's.
/// </summary>
internal static class ObligationKeys
{
    public const string EntityType = "OBLIGATION";
    public const string PartitionPrefix = "OBLIGATION#";
    public const string SortKey = "OBLIGATION";
    public const string TimerPartition = "OBLIGATION#TIMER";
    public const string OpenPartition = "OBLIGATION#OPEN";
    public const string DonePartition = "OBLIGATION#DONE";
    public const string KindPrefix = "OBLIGATION#KIND#";
    public const string SubjectPrefix = "OBLIGATION#SUBJECT#";

    private const int MaxKeyPartBytes = 512;

    public static string Partition(string id) => PartitionPrefix + id;

    /// <summary>GSI1: every obligation of one kind, by due time (what an area lists: its incidents' clocks, its backup checks).</summary>
    public static string KindPartition(string kind) => KindPrefix + Bounded(kind);

    /// <summary>GSI2: every occurrence of one kind and subject (a duty's periods), by due time.</summary>
    public static string SubjectPartition(string kind, string subject) => SubjectPrefix + Bounded(kind + "#" + subject);

    /// <summary>Sort key of the open/kind/subject indexes: due time then id.</summary>
    public static string DueSort(DateTimeOffset dueAt, string id) => LedgerKeys.Instant(dueAt) + "#" + id;

    /// <summary>GSI4 sort key: rounded up to the millisecond so a timer never fires before its instant.</summary>
    public static string TimerSort(DateTimeOffset at, string id) => LedgerKeys.Instant(LedgerKeys.CeilingToMillisecond(at)) + "#" + id;

    public static string TimerUpperBound(DateTimeOffset at) => LedgerKeys.TimerUpperBound(at);

    private static string Bounded(string text) =>
        Encoding.UTF8.GetByteCount(text) <= MaxKeyPartBytes
            ? text
            : "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
}
