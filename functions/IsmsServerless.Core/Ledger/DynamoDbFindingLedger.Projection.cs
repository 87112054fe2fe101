using Amazon.DynamoDBv2.Model;
using IsmsServerless.CounterProjection;
using static IsmsServerless.Ledger.LedgerItems;

namespace IsmsServerless.Ledger;

// The rule counters are maintained from the table's stream (CounterProjection/CounterProjector; docs/data-model.md "Counters from
// the stream"): the finding's writes no longer carry them. A finding item this writer makes says so (CountedAttribute), so
// the projector counts exactly the images whose write did not count itself (items of older versions added their delta in
// their own transaction).
public sealed partial class DynamoDbFindingLedger
{
    /// <summary>
    /// On finding items written since the counters moved to the stream (<c>cs</c> = 1): the projector counts this image.
    /// An image without it was written by a version that ADDed its counter delta in the same transaction: not counted again.
    /// </summary>
    internal const string CountedAttribute = "cs";

    /// <summary>
    /// The value of <see cref="CountedAttribute"/> on a finding that also holds its evidence failure
    /// (<see cref="FindingRecord.HoldsEvidence"/>, issue 20 wave 10); counted like 1.
    /// </summary>
    internal const string HoldsEvidenceCounted = "2";

    /// <summary>
    /// Brings the counters up to the stream before a read that uses them. Against DynamoDB Local (a client with a
    /// <c>ServiceURL</c>: the CLI, the tests, the benchmarks) this is the in-process projector draining the local stream
    /// (<see cref="LocalStreamProjection"/>); in Lambda it is null: the projector function runs on the stream and the
    /// counters are eventually consistent (about a second behind the writes).
    /// </summary>
    public ICounterCatchUp? CounterCatchUp { get; init; } = LocalStreamProjection.ForEndpoint(dynamo, tableName);

    private Task CatchUpCountersAsync(CancellationToken cancellationToken) =>
        CounterCatchUp is { } catchUp ? catchUp.CatchUpAsync(cancellationToken) : Task.CompletedTask;

    /// <summary>The finding item as this writer stores it: the logical item in the compact layout, marked counted-by-stream.</summary>
    private static Dictionary<string, AttributeValue> CountedFindingItem(FindingRecord f, long? expiresAtEpoch)
    {
        var item = FindingItem(f, expiresAtEpoch);
        item[CountedAttribute] = N(f.HoldsEvidence ? 2 : 1);
        return item;
    }

    /// <summary>
    /// Reads a finding image from the stream (either layout; rule texts filled from the registry or the <c>RULETEXT</c>
    /// item), or null with the problem. The image is not changed.
    /// </summary>
    internal async Task<(FindingRecord? Finding, bool Counted, string? Problem)> ReadImageAsync(Dictionary<string, AttributeValue> image, CancellationToken cancellationToken)
    {
        var copy = new Dictionary<string, AttributeValue>(image, StringComparer.Ordinal);
        await FillRuleTextsAsync([copy], cancellationToken).ConfigureAwait(false);
        var counted = image.GetValueOrDefault(CountedAttribute)?.N is "1" or HoldsEvidenceCounted;
        return TryReadFinding(copy, out var record, out var problem) ? (record, counted, null) : (null, counted, problem);
    }
}
