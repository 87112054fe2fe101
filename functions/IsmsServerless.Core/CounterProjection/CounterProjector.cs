using System.Globalization;
using System.Numerics;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using IsmsServerless.Ledger;
using IsmsServerless.Observability;

namespace IsmsServerless.CounterProjection;

/// <summary>
/// One counter item's change from one stream record: attributes to SET (the item's description: rule, category, …) and
/// numbers to ADD. A record may move several items; an ADD of all zeros still makes the item exist (a claim).
/// </summary>
public sealed record CounterDelta(Dictionary<string, AttributeValue> Key, IReadOnlyDictionary<string, AttributeValue> Set, IReadOnlyDictionary<string, long> Add)
{
    internal string Id => Key.GetValueOrDefault(LedgerSchema.PartitionKey)?.S + "\u001f" + Key.GetValueOrDefault(LedgerSchema.SortKey)?.S;
}

/// <summary>What a source makes of one stream record.</summary>
/// <param name="Mine">The record is of an item kind this source counts (else the next source is asked).</param>
/// <param name="Deltas">Counter changes (empty: the record moves no counter, e.g. an image its own write counted).</param>
/// <param name="Problem">The image could not be read: logged, the record skipped (it never blocks the shard).</param>
public readonly record struct CounterContribution(bool Mine, IReadOnlyList<CounterDelta> Deltas, string? Problem = null)
{
    public static readonly CounterContribution NotMine = new(false, []);
}

/// <summary>Turns one stream record of the item kinds it knows into counter changes (old image's contribution −, new image's +).</summary>
public interface ICounterSource
{
    Task<CounterContribution> ContributionAsync(StreamChange change, CancellationToken cancellationToken);
}

/// <summary>The result of applying one batch.</summary>
/// <param name="Records">Records in the batch.</param>
/// <param name="Applied">Contributing records whose counter changes this call wrote.</param>
/// <param name="AlreadyApplied">Contributing records a marker showed were applied before (a redelivered range).</param>
/// <param name="Skipped">Malformed or unreadable records (logged).</param>
/// <param name="Writes">Counter-item updates written.</param>
/// <param name="FailedAt">Sequence number to retry from (the first sub-range not written, transient error); null when all done.</param>
public sealed record ProjectionResult(int Records, int Applied, int AlreadyApplied, int Skipped, int Writes, string? FailedAt);

/// <summary>
/// Maintains counter items from the table's DynamoDB stream (docs/data-model.md, "Counters from the stream"), exactly once
/// per record despite at-least-once delivery. A batch (a contiguous, ordered range of one shard, as Lambda delivers it and
/// as the local drain reads it) is cut into sub-ranges that each start at a contributing record; each sub-range's summed
/// deltas (at most <see cref="MaxCounterUpdates"/> counter items) are written in ONE TransactWriteItems with a marker item
/// <c>PROJECTION#&lt;stream&gt;</c> / <c>FROM#&lt;first sequence number&gt;</c> put only if absent, holding the sub-range's last
/// sequence number. A redelivered range (retry, crash after some sub-ranges, a batch cut shorter) starts at a record
/// some earlier sub-range also started at: the marker's condition fails, the marker says how far that application went,
/// and the projector continues after it. Sub-ranges chain (each starts at the first contributing record after the
/// previous one's last), so any delivery starting where Lambda may start (the batch's first record, or a sequence number
/// this projector reported as failed) lands on a marker key. Markers expire after <see cref="MarkerLifetime"/> (the
/// stream keeps records 24 h).
/// </summary>
public sealed class CounterProjector(IAmazonDynamoDB dynamo, string tableName, IReadOnlyList<ICounterSource> sources, TimeProvider clock)
{
    /// <summary>Counter updates per transaction: TransactWriteItems takes 100 actions, one is the marker.</summary>
    public const int MaxCounterUpdates = 99;

    public const string MarkerPrefix = "PROJECTION#";
    public const string MarkerSortPrefix = "FROM#";
    public const string MarkerEntity = "PROJECTION_MARKER";

    /// <summary>How long a marker is kept (TTL): past the stream's 24-hour retention, so no redelivery outlives it.</summary>
    public static readonly TimeSpan MarkerLifetime = TimeSpan.FromHours(48);

    private const int MaxAttempts = 8;

    /// <summary>Test hook: called after each sub-range's write (a crash between two sub-ranges is an exception thrown here).</summary>
    internal Func<int, Task>? AfterSubRange { get; set; }

    /// <summary>Test hook: called before each write attempt (a store error is an exception thrown here).</summary>
    internal Func<Task>? BeforeWrite { get; set; }

    /// <summary>Largest counter items per transaction (tests lower it to make several sub-ranges of a small batch).</summary>
    internal int CounterUpdatesPerWrite { get; init; } = MaxCounterUpdates;

    public async Task<ProjectionResult> ApplyAsync(IReadOnlyList<StreamChange> batch, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var stream = StreamKey(batch.Count > 0 ? batch[0].EventSourceArn : null);
        var records = new List<(StreamChange Change, BigInteger Sequence, IReadOnlyList<CounterDelta> Deltas)>(batch.Count);
        var skipped = 0;
        foreach (var change in batch)
        {
            if (!SequenceNumbers.TryParse(change.SequenceNumber, out var sequence))
            {
                Log.Warn("projector.malformed-record", ("eventId", change.EventId), ("problem", "sequence number is not a decimal number of up to 40 digits"));
                skipped++;
                continue;
            }
            var deltas = (IReadOnlyList<CounterDelta>)[];
            if (change.Problem is { } unreadable)
            {
                Log.Warn("projector.malformed-record", ("eventId", change.EventId), ("sequenceNumber", change.SequenceNumber), ("problem", unreadable));
                skipped++;
                records.Add((change, sequence, deltas));
                continue;
            }
            foreach (var source in sources)
            {
                CounterContribution contribution;
                try
                {
                    contribution = await source.ContributionAsync(change, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not (AmazonDynamoDBException or OperationCanceledException or Amazon.Runtime.AmazonClientException or HttpRequestException or IOException))
                {
                    // A bug or a hostile image in the decoder: logged, the record skipped; store errors go up (retry).
                    contribution = new CounterContribution(true, [], ex.GetType().Name + ": " + ex.Message);
                }
                if (!contribution.Mine) continue;
                if (contribution.Problem is { } problem)
                {
                    Log.Warn("projector.malformed-record", ("eventId", change.EventId), ("sequenceNumber", change.SequenceNumber), ("key", Describe(change.Keys)), ("problem", problem));
                    skipped++;
                }
                else
                {
                    deltas = contribution.Deltas;
                }
                break;
            }
            records.Add((change, sequence, deltas));
        }

        int applied = 0, already = 0, writes = 0, subRanges = 0;
        var i = 0;
        while (i < records.Count)
        {
            while (i < records.Count && records[i].Deltas.Count == 0) i++;
            if (i == records.Count) break;
            var start = i;
            var items = new Dictionary<string, Aggregate>(StringComparer.Ordinal);
            var j = i;
            var contributing = 0;
            while (j < records.Count)
            {
                var ids = records[j].Deltas.Select(d => d.Id).Distinct(StringComparer.Ordinal).Count(id => !items.ContainsKey(id));
                if (j > start && items.Count + ids > CounterUpdatesPerWrite) break;
                foreach (var delta in records[j].Deltas)
                {
                    if (!items.TryGetValue(delta.Id, out var aggregate)) items[delta.Id] = aggregate = new Aggregate(delta.Key);
                    aggregate.Merge(delta);
                }
                if (records[j].Deltas.Count > 0) contributing++;
                j++;
            }
            // Trailing records that contribute nothing belong to this sub-range (the next starts at a contributing one).
            while (j < records.Count && records[j].Deltas.Count == 0) j++;
            BigInteger? before;
            try
            {
                before = await WriteAsync(stream, records[start].Sequence, records[j - 1].Sequence, contributing, items.Values.ToList(), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is AmazonDynamoDBException or Amazon.Runtime.AmazonClientException or HttpRequestException or IOException)
            {
                Log.Warn("projector.write-failed", ("stream", stream), ("from", records[start].Change.SequenceNumber), ("error", ex.GetType().Name + ": " + ex.Message));
                return new ProjectionResult(batch.Count, applied, already, skipped, writes, records[start].Change.SequenceNumber);
            }
            if (before is { } last)
            {
                // Applied before, up to `last`: skip what it covered and go on after it.
                var k = start;
                while (k < records.Count && records[k].Sequence <= last)
                {
                    if (records[k].Deltas.Count > 0) already++;
                    k++;
                }
                i = k;
                continue;
            }
            applied += contributing;
            writes += items.Values.Count(a => a.Written);
            i = j;
            if (AfterSubRange is { } hook) await hook(++subRanges).ConfigureAwait(false);
        }
        Log.Debug("projector.batch", ("stream", stream), ("records", batch.Count), ("applied", applied), ("alreadyApplied", already), ("skipped", skipped), ("writes", writes));
        return new ProjectionResult(batch.Count, applied, already, skipped, writes, null);
    }

    /// <summary>
    /// Writes one sub-range (its counter updates and its marker, atomically). Null when written now; the last sequence
    /// number a marker at the same start holds when that range was applied before.
    /// </summary>
    private async Task<BigInteger?> WriteAsync(string stream, BigInteger first, BigInteger last, int contributing, List<Aggregate> items, CancellationToken cancellationToken)
    {
        var marker = new Dictionary<string, AttributeValue>
        {
            [LedgerSchema.PartitionKey] = new() { S = MarkerPrefix + stream },
            [LedgerSchema.SortKey] = new() { S = MarkerSortPrefix + SequenceNumbers.Padded(first) },
            [LedgerSchema.EntityType] = new() { S = MarkerEntity },
            ["last"] = new() { S = SequenceNumbers.Padded(last) },
            ["records"] = new() { N = contributing.ToString(CultureInfo.InvariantCulture) },
            [LedgerSchema.TimeToLive] = new() { N = clock.GetUtcNow().Add(MarkerLifetime).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture) },
        };
        var updates = items.Where(a => a.Needed).ToList();
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                if (BeforeWrite is { } fault) await fault().ConfigureAwait(false);
                if (updates.Count == 0)
                {
                    // The deltas cancel out (e.g. acknowledged and back within the batch): only the marker, so the chain holds.
                    await dynamo.PutItemAsync(new PutItemRequest
                    {
                        TableName = tableName,
                        Item = marker,
                        ConditionExpression = "attribute_not_exists(#pk)",
                        ExpressionAttributeNames = new() { ["#pk"] = LedgerSchema.PartitionKey },
                    }, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    var actions = updates.Select(a => new TransactWriteItem { Update = a.ToUpdate(tableName) }).ToList();
                    actions.Add(new TransactWriteItem
                    {
                        Put = new Put
                        {
                            TableName = tableName,
                            Item = marker,
                            ConditionExpression = "attribute_not_exists(#pk)",
                            ExpressionAttributeNames = new() { ["#pk"] = LedgerSchema.PartitionKey },
                        },
                    });
                    // The SDK's ClientRequestToken makes its own retry of this call (a lost answer) idempotent; the marker
                    // makes any later redelivery of the range a no-op.
                    await dynamo.TransactWriteItemsAsync(new TransactWriteItemsRequest { TransactItems = actions }, cancellationToken).ConfigureAwait(false);
                }
                foreach (var a in updates) a.Written = true;
                return null;
            }
            catch (TransactionCanceledException ex) when (ex.CancellationReasons is { Count: > 0 } reasons && reasons[^1].Code == "ConditionalCheckFailed")
            {
                return await AppliedUpToAsync(marker, cancellationToken).ConfigureAwait(false);
            }
            catch (ConditionalCheckFailedException)
            {
                return await AppliedUpToAsync(marker, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (attempt < MaxAttempts && ex is TransactionCanceledException or TransactionConflictException
                or ProvisionedThroughputExceededException or RequestLimitExceededException or InternalServerErrorException)
            {
                // Another projector (a second local process) holds an item, or throttling: wait and try again.
                await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(10, 40 * attempt)), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task<BigInteger> AppliedUpToAsync(Dictionary<string, AttributeValue> marker, CancellationToken cancellationToken)
    {
        var stored = await dynamo.GetItemAsync(new GetItemRequest
        {
            TableName = tableName,
            Key = new() { [LedgerSchema.PartitionKey] = marker[LedgerSchema.PartitionKey], [LedgerSchema.SortKey] = marker[LedgerSchema.SortKey] },
            ConsistentRead = true,
        }, cancellationToken).ConfigureAwait(false);
        if (stored.Item?.GetValueOrDefault("last")?.S is { } text && SequenceNumbers.TryParse(text.TrimStart('0') is { Length: > 0 } t ? t : "0", out var last)) return last;
        // A marker whose condition failed cannot be missing or unreadable unless someone wrote the key by hand: stop
        // rather than guess (the batch is retried, and the alarm on the failure destination fires if it persists).
        throw new InvalidDataException($"projection marker {marker[LedgerSchema.SortKey].S} exists but holds no readable 'last'");
    }

    /// <summary>The stream's label (what follows <c>/stream/</c> in its ARN): markers of a re-created stream never collide.</summary>
    internal static string StreamKey(string? eventSourceArn)
    {
        if (string.IsNullOrEmpty(eventSourceArn)) return "local";
        var at = eventSourceArn.LastIndexOf("/stream/", StringComparison.Ordinal);
        var label = at < 0 ? eventSourceArn : eventSourceArn[(at + "/stream/".Length)..];
        return label.Length > 200 ? label[..200] : label;
    }

    private static string Describe(Dictionary<string, AttributeValue>? keys) =>
        keys is null ? "" : string.Join("/", keys.OrderBy(k => k.Key, StringComparer.Ordinal).Select(k => k.Value.S ?? k.Value.N ?? "?"));

    private sealed class Aggregate(Dictionary<string, AttributeValue> key)
    {
        private readonly Dictionary<string, AttributeValue> _set = new(StringComparer.Ordinal);
        private readonly SortedDictionary<string, long> _add = new(StringComparer.Ordinal);
        private bool _claim;

        public bool Written { get; set; }

        /// <summary>Some counter moved, or a record claims the item (ADD 0 makes it exist).</summary>
        public bool Needed => _claim || _add.Values.Any(v => v != 0);

        public void Merge(CounterDelta delta)
        {
            foreach (var (name, value) in delta.Set) _set[name] = value;
            if (delta.Add.Values.All(v => v == 0)) _claim = true;
            foreach (var (name, value) in delta.Add) _add[name] = _add.GetValueOrDefault(name) + value;
        }

        public Update ToUpdate(string tableName)
        {
            var names = new Dictionary<string, string>(StringComparer.Ordinal);
            var values = new Dictionary<string, AttributeValue>(StringComparer.Ordinal);
            var sets = new List<string>();
            var adds = new List<string>();
            var n = 0;
            foreach (var (name, value) in _set.OrderBy(s => s.Key, StringComparer.Ordinal))
            {
                names[$"#s{n}"] = name;
                values[$":s{n}"] = value;
                sets.Add($"#s{n} = :s{n}");
                n++;
            }
            n = 0;
            foreach (var (name, value) in _add)
            {
                names[$"#a{n}"] = name;
                values[$":a{n}"] = new AttributeValue { N = value.ToString(CultureInfo.InvariantCulture) };
                adds.Add($"#a{n} :a{n}");
                n++;
            }
            var expression = (sets.Count > 0 ? "SET " + string.Join(", ", sets) + " " : "") + (adds.Count > 0 ? "ADD " + string.Join(", ", adds) : "");
            return new Update
            {
                TableName = tableName,
                Key = key,
                UpdateExpression = expression.Trim(),
                ExpressionAttributeNames = names,
                ExpressionAttributeValues = values,
            };
        }
    }
}
