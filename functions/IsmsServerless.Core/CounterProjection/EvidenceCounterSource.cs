using Amazon.DynamoDBv2.Model;
using IsmsServerless.Evidence;
using IsmsServerless.Ledger;

namespace IsmsServerless.CounterProjection;

/// <summary>
/// The passing-evidence rule counters (<c>EVIDENCE</c> / <c>RULE#&lt;ruleId&gt;#&lt;shard&gt;</c>, the items the controls view
/// sums) from evidence result item (<c>EVIDENCE#&lt;ruleId&gt;</c> / <c>RES#&lt;findingId&gt;</c>) stream records: the old image's
/// contribution out, the new image's in (<see cref="DynamoDbEvidenceStore.Contribution"/>). Only new images the current
/// writer made are counted: they carry <c>cs</c>, the number of counter shards the writer used, so the delta lands in the
/// shard the result's finding id hashes to, the item the writer's transaction used to ADD to (the items a run leaves are
/// then the same whatever the delivery order, as before). An image without it was written by a version that ADDed its own
/// delta in a transaction, so it is never counted twice. A removed result item (only the writer removes one: evidence items do
/// not expire) takes its counted contribution out.
/// </summary>
public sealed class EvidenceCounterSource : ICounterSource
{
    /// <summary>The keys of the records counted (the event source mapping's filter): <c>EVIDENCE#…</c> / <c>RES#…</c>.</summary>
    public const string ResultPartitionPrefix = DynamoDbEvidenceStore.ResultPartitionPrefix;

    public const string ResultSortPrefix = DynamoDbEvidenceStore.ResultSortPrefix;

    /// <summary>Partition of the counter items written (IAM: the projector's UpdateItem scope).</summary>
    public const string CounterPartition = DynamoDbEvidenceStore.SummaryPartition;

    /// <summary>Whether the record is of an evidence result item (its keys, or an image's keys).</summary>
    public static bool IsEvidence(StreamChange change)
    {
        var keys = change.Keys ?? change.NewImage ?? change.OldImage;
        return keys?.GetValueOrDefault(LedgerSchema.PartitionKey)?.S is { } pk && pk.StartsWith(ResultPartitionPrefix, StringComparison.Ordinal)
            && keys.GetValueOrDefault(LedgerSchema.SortKey)?.S is { } sk && sk.StartsWith(ResultSortPrefix, StringComparison.Ordinal);
    }

    public Task<CounterContribution> ContributionAsync(StreamChange change, CancellationToken cancellationToken) => Task.FromResult(Contribution(change));

    private static CounterContribution Contribution(StreamChange change)
    {
        if (!IsEvidence(change)) return CounterContribution.NotMine;
        if (change.NewImage is not { } image) return Removed(change.OldImage);
        if (image.GetValueOrDefault(DynamoDbEvidenceStore.CountedAttribute) is not { } flag) return new CounterContribution(true, []);
        if (!int.TryParse(flag.N, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var shards) || shards is < 1 or > 1000)
            return new CounterContribution(true, [], $"new image: {DynamoDbEvidenceStore.CountedAttribute} is not a shard count");
        var ruleId = image.GetValueOrDefault("ruleId")?.S;
        var sortKey = image.GetValueOrDefault(LedgerSchema.SortKey)?.S;
        if (string.IsNullOrEmpty(ruleId) || sortKey is null || sortKey.Length <= ResultSortPrefix.Length)
            return new CounterContribution(true, [], "new image: no ruleId or result key");
        var after = DynamoDbEvidenceStore.Contribution(image);
        var before = change.OldImage is { } oldImage ? DynamoDbEvidenceStore.Contribution(oldImage) : DynamoDbEvidenceStore.Contribution((string?)null);
        var legacyBefore = change.OldImage is { } old && !old.ContainsKey(DynamoDbEvidenceStore.CountedAttribute);
        var add = new Dictionary<string, long>(StringComparer.Ordinal);
        var moved = false;
        for (var i = 0; i < DynamoDbEvidenceStore.CounterNames.Length; i++)
        {
            add[DynamoDbEvidenceStore.CounterNames[i]] = after[i] - before[i];
            moved |= after[i] != before[i];
        }
        // Nothing moved: no write (the writer ensured or touched the item), unless the image before was an older
        // version's (then the item is claimed, ADD 0).
        if (!moved && !legacyBefore) return new CounterContribution(true, []);
        var key = DynamoDbEvidenceStore.CounterKey(ruleId, sortKey[ResultSortPrefix.Length..], shards);
        return new CounterContribution(true, [new CounterDelta(key, DynamoDbEvidenceStore.CounterDescription(ruleId), add)]);
    }

    /// <summary>
    /// A removed result item: only the writer removes one (issue 20 wave 10: a failure of an identity whose finding holds
    /// its failure deletes the pass or tombstone stored; evidence items do not expire), so a counted image's contribution
    /// goes out. An image of an older version (no <c>cs</c>) moves nothing, as before.
    /// </summary>
    private static CounterContribution Removed(Dictionary<string, AttributeValue>? old)
    {
        if (old?.GetValueOrDefault(DynamoDbEvidenceStore.CountedAttribute) is not { } flag
            || !int.TryParse(flag.N, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var shards) || shards is < 1 or > 1000)
            return new CounterContribution(true, []);
        var ruleId = old.GetValueOrDefault("ruleId")?.S;
        var sortKey = old.GetValueOrDefault(LedgerSchema.SortKey)?.S;
        if (string.IsNullOrEmpty(ruleId) || sortKey is null || sortKey.Length <= ResultSortPrefix.Length)
            return new CounterContribution(true, [], "old image: no ruleId or result key");
        var before = DynamoDbEvidenceStore.Contribution(old);
        if (before.All(c => c == 0)) return new CounterContribution(true, []);
        var add = new Dictionary<string, long>(StringComparer.Ordinal);
        for (var i = 0; i < DynamoDbEvidenceStore.CounterNames.Length; i++) add[DynamoDbEvidenceStore.CounterNames[i]] = -before[i];
        var key = DynamoDbEvidenceStore.CounterKey(ruleId, sortKey[ResultSortPrefix.Length..], shards);
        return new CounterContribution(true, [new CounterDelta(key, DynamoDbEvidenceStore.CounterDescription(ruleId), add)]);
    }
}
