using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using IsmsServerless.Evidence;
using IsmsServerless.Ledger;
using IsmsServerless.Settings;

namespace IsmsServerless.CounterProjection;

/// <summary>
/// The finding ledger's rule counters (<c>STATS</c> / <c>RULE#…</c>, <see cref="LedgerCounters"/>) from finding item
/// (<c>FINDING#&lt;id&gt;</c> / <c>META</c>) stream records: the old image's contribution out, the new image's in, both read by
/// the ledger's one item reader (<see cref="FindingItemLayout"/>, rule texts filled back). Only images the current writer
/// made (<c>cs</c> = 1) are counted: an image without it was written by a version that ADDed its delta in its own
/// transaction, so a table migrating mid-stream never counts a write twice. The first counted write of a finding whose
/// previous image was of an older version also claims its counter item (ADD 0), so its rule is listed by the views even
/// if it was counted in the old <c>SHARD#</c> layout only. A removed finding item (its retention's TTL) moves no counter,
/// as before: the counters never saw expiries.
/// </summary>
public sealed class FindingCounterSource : ICounterSource
{
    /// <summary>Partition prefix of the rule texts items the reader may need (IAM: the projector's GetItem scope).</summary>
    public const string RuleTextsPartitionPrefix = RuleTexts.PartitionPrefix;

    /// <summary>The keys of the records counted (the event source mapping's filter): finding items <c>FINDING#…</c> / <c>META</c>.</summary>
    public const string FindingPartitionPrefix = LedgerKeys.FindingPrefix;

    public const string FindingSortKey = LedgerKeys.Meta;

    /// <summary>Partition of the counter items written (IAM: the projector's UpdateItem scope).</summary>
    public const string CounterPartition = LedgerKeys.StatsPartition;

    private readonly DynamoDbFindingLedger _reader;

    public FindingCounterSource(IAmazonDynamoDB dynamo, string tableName)
    {
        _reader = new DynamoDbFindingLedger(dynamo, tableName, IsmsSettings.Default) { CounterCatchUp = null };
    }

    /// <summary>Whether the record is of a finding item (its keys, or an image's keys).</summary>
    public static bool IsFinding(StreamChange change)
    {
        var keys = change.Keys ?? change.NewImage ?? change.OldImage;
        return keys?.GetValueOrDefault(LedgerSchema.PartitionKey)?.S is { } pk && pk.StartsWith(LedgerKeys.FindingPrefix, StringComparison.Ordinal)
            && keys.GetValueOrDefault(LedgerSchema.SortKey)?.S == LedgerKeys.Meta;
    }

    public async Task<CounterContribution> ContributionAsync(StreamChange change, CancellationToken cancellationToken)
    {
        if (!IsFinding(change)) return CounterContribution.NotMine;
        if (change.NewImage is not { } newImage) return new CounterContribution(true, []);
        var (after, counted, problem) = await _reader.ReadImageAsync(newImage, cancellationToken).ConfigureAwait(false);
        if (!counted) return new CounterContribution(true, []);
        if (after is null) return new CounterContribution(true, [], "new image: " + problem);
        FindingRecord? before = null;
        var legacyBefore = false;
        if (change.OldImage is { } oldImage)
        {
            var (read, oldCounted, oldProblem) = await _reader.ReadImageAsync(oldImage, cancellationToken).ConfigureAwait(false);
            if (read is null) return new CounterContribution(true, [], "old image: " + oldProblem);
            before = read;
            legacyBefore = !oldCounted;
        }
        var deltas = LedgerCounters.Deltas(before, after);
        var result = new List<CounterDelta>(2);
        if (legacyBefore || deltas.Any(d => d != 0))
        {
            var key = new Dictionary<string, AttributeValue>
            {
                [LedgerSchema.PartitionKey] = new() { S = LedgerKeys.StatsPartition },
                [LedgerSchema.SortKey] = new() { S = LedgerCounters.SortKey(after) },
            };
            result.Add(new CounterDelta(key, LedgerCounters.Description(after), LedgerCounters.Named(deltas)));
        }
        if (HeldFailure(before, after) is { } held) result.Add(held);
        return new CounterContribution(true, result);
    }

    /// <summary>
    /// The evidence failure a finding holds (<see cref="FindingRecord.HoldsEvidence"/>; docs/data-model.md "Counters from the
    /// stream"): its first flagged image adds evaluated +1, failing +1 to its rule's passing-evidence counter item, once,
    /// whatever its status later (the flag is never removed; a removed item moves nothing). A result item written for the
    /// identity since takes the failure over (<see cref="EvidenceCounterSource"/>: <c>hf</c>).
    /// </summary>
    internal static CounterDelta? HeldFailure(FindingRecord? before, FindingRecord after)
    {
        if (!after.HoldsEvidence || before is { HoldsEvidence: true }) return null;
        var add = new Dictionary<string, long>(StringComparer.Ordinal);
        var fail = DynamoDbEvidenceStore.Contribution(DynamoDbEvidenceStore.Fail);
        for (var i = 0; i < DynamoDbEvidenceStore.CounterNames.Length; i++) add[DynamoDbEvidenceStore.CounterNames[i]] = fail[i];
        return new CounterDelta(DynamoDbEvidenceStore.CounterKey(after.RuleId, after.Id, DynamoDbEvidenceStore.CounterShards),
            DynamoDbEvidenceStore.CounterDescription(after.RuleId), add);
    }
}
