namespace IsmsServerless.Changes;

/// <summary>
/// Folds a call into its change record. Commutative and idempotent (min/max times, set unions, bounded lists that keep
/// the smallest elements in a fixed order), so any delivery order, and any number of redeliveries, give one record.
/// The call count is the one non-idempotent field: the store only merges a call whose eventID it has not seen.
/// </summary>
public static class ChangeRecordMerger
{
    public static ChangeRecord Start(ChangeCall call) => new()
    {
        ChangeId = call.ChangeId,
        Kind = call.Kind,
        AccountId = call.AccountId,
        Region = call.Region,
        Actor = call.Actor,
        Principal = call.Principal,
        RoleName = call.RoleName,
        SessionIssuerArn = call.SessionIssuerArn,
        AccessKeyId = call.AccessKeyId,
        SessionCreatedAt = call.SessionCreatedAt,
        SessionKey = call.SessionKey,
        CallerAccountId = call.CallerAccountId,
        FirstCallAt = call.EventTime,
        LastCallAt = call.EventTime,
        CallCount = 1,
        FirstCallId = call.EventId,
        FirstCall = ChangeCallDetail.Of(call),
        Calls = [Summary(call)],
        ApiNames = [call.ApiName],
        Resources = call.Resources.Order(StringComparer.Ordinal).Take(ChangeRecord.MaxResources).ToArray(),
        ResourcesTruncated = call.Resources.Count > ChangeRecord.MaxResources,
        SourceIps = call.SourceIp is { Length: > 0 } ip ? [ip] : [],
        Regions = [call.Region],
    };

    /// <summary>Merges a call not yet in the record. The caller guarantees <paramref name="call"/>'s eventID is new.</summary>
    public static ChangeRecord Merge(ChangeRecord record, ChangeCall call)
    {
        if (!string.Equals(record.ChangeId, call.ChangeId, StringComparison.Ordinal))
            throw new ArgumentException($"call {call.EventId} belongs to {call.ChangeId}, not {record.ChangeId}", nameof(call));
        var resources = Union(record.Resources, call.Resources, ChangeRecord.MaxResources, out var resourcesTruncated);
        // Per-call identity details (the console rotates temporary keys within a session) come from the earliest call
        // (equal times: the ordinally smaller eventID), so the record does not depend on which call arrived first.
        var earliest = EarliestCall(record);
        var callIsEarliest = earliest is not { } first || call.EventTime < first.Time
            || (call.EventTime == first.Time && string.CompareOrdinal(call.EventId, first.Id) < 0);
        // The earliest call is kept on the record (FirstCall); the register stores the one it replaces as a CALL item.
        if (callIsEarliest)
            record = record with { AccessKeyId = call.AccessKeyId, SessionCreatedAt = call.SessionCreatedAt, FirstCallId = call.EventId, FirstCall = ChangeCallDetail.Of(call) };
        else if (record.FirstCallId is null) record = record with { FirstCallId = earliest!.Value.Id };
        return record with
        {
            // The most serious kind wins (Emergency < ManualConsole < OutOfPipeline in declaration order).
            Kind = (ChangeKind)Math.Min((int)record.Kind, (int)call.Kind),
            // A session may span regions; keep one deterministically (ordinal-least), the calls list has the rest.
            Region = string.CompareOrdinal(call.Region, record.Region) < 0 ? call.Region : record.Region,
            FirstCallAt = call.EventTime < record.FirstCallAt ? call.EventTime : record.FirstCallAt,
            LastCallAt = call.EventTime > record.LastCallAt ? call.EventTime : record.LastCallAt,
            CallCount = record.CallCount + 1,
            Calls = record.Calls.Append(Summary(call))
                .DistinctBy(c => c.EventId, StringComparer.Ordinal)
                .OrderBy(c => c.EventTime).ThenBy(c => c.EventId, StringComparer.Ordinal)
                .Take(ChangeRecord.MaxCalls).ToArray(),
            ApiNames = Union(record.ApiNames, [call.ApiName], ChangeRecord.MaxApiNames, out _),
            Resources = resources,
            ResourcesTruncated = record.ResourcesTruncated || resourcesTruncated,
            SourceIps = call.SourceIp is { Length: > 0 } ip ? Union(record.SourceIps, [ip], ChangeRecord.MaxSourceIps, out _) : record.SourceIps,
            Regions = Union(record.Regions, [call.Region], ChangeRecord.MaxSourceIps, out _),
        };
    }

    /// <summary>
    /// Opens the next review round: the review moves to <see cref="ChangeRecord.PriorReviews"/>, the change is pending
    /// again with a deadline counted from <paramref name="callAt"/> (the first call after the review), timers restart.
    /// </summary>
    public static ChangeRecord StartNewRound(ChangeRecord record, DateTimeOffset callAt)
    {
        if (record.Review is not { } review) return record;
        return record with
        {
            PriorReviews = [.. record.PriorReviews, review with { Approvals = record.Approvals }],
            Review = null,
            // Approvals belong to the round they were given in (the prior review keeps them); the new calls need new ones.
            Approvals = [],
            Round = record.Round + 1,
            RoundStartedAt = callAt,
            TimerStage = 0,
            FindingResolved = false,
            // The new calls are a new manual change: the new round's review decides again whether code must follow
            // (a reconciliation closes every round's code-update obligation).
            CodeUpdateRequired = false,
            Closure = null,
            ReconcileStack = null,
        };
    }

    /// <summary>
    /// The earliest call's time and eventID: <see cref="ChangeRecord.FirstCallId"/> with <see cref="ChangeRecord.FirstCallAt"/>,
    /// or, on a record stored before that field, the smallest of its stored calls list. Null for a record without either.
    /// </summary>
    public static (DateTimeOffset Time, string Id)? EarliestCall(ChangeRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (record.FirstCallId is { } id) return (record.FirstCallAt, id);
        return record.Calls.Count > 0 ? record.Calls.Select(c => (c.EventTime, c.EventId)).Min(CallOrder.Instance) : null;
    }

    private static ChangeCallSummary Summary(ChangeCall call) => new(call.EventId, call.EventName, call.EventSource, call.EventTime);

    private static string[] Union(IReadOnlyList<string> existing, IReadOnlyList<string> added, int max, out bool truncated)
    {
        var all = existing.Concat(added).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        truncated = all.Length > max;
        return truncated ? all[..max] : all;
    }
}

/// <summary>Orders calls by time, then ordinal event id.</summary>
internal sealed class CallOrder : IComparer<(DateTimeOffset Time, string Id)>
{
    public static readonly CallOrder Instance = new();

    public int Compare((DateTimeOffset Time, string Id) x, (DateTimeOffset Time, string Id) y)
    {
        var byTime = x.Time.CompareTo(y.Time);
        return byTime != 0 ? byTime : string.CompareOrdinal(x.Id, y.Id);
    }
}
