using System.Globalization;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using IsmsServerless.CounterProjection;
using IsmsServerless.Engine;
using IsmsServerless.Ledger;
using IsmsServerless.Model;

namespace IsmsServerless.Evidence;

/// <summary>
/// <see cref="IEvidenceStore"/> on the ledger table. Items (layout in <c>docs/data-model.md</c>):
/// <list type="bullet">
/// <item><c>PK=EVIDENCE#&lt;ruleId&gt;</c>, <c>SK=RES#&lt;findingId&gt;</c>: the latest result (~250 bytes, no GSI keys, so a
/// write costs 1 WCU and touches no index);</item>
/// <item><c>PK=EVIDENCE</c>, <c>SK=RULE#&lt;ruleId&gt;#00</c>: the rule's counter item (evaluated, passing, failing,
/// lastEvaluatedAt). Since issue 20 wave 8 there is one per rule (<see cref="CounterShards"/>): the counter projector is
/// the only writer of the counts (one batch per stream shard at a time), so the 16 shards that spread the concurrent
/// writers' transactions of earlier versions only multiplied the projector's transaction items. A table written before
/// holds up to <see cref="EarlierCounterShards"/> items per rule (<c>RULE#&lt;ruleId&gt;#00..15</c>, and an unsharded
/// <c>RULE#&lt;ruleId&gt;</c>): the summary sums every item of a rule.</item>
/// </list>
/// Decide by reading the result item (eventually consistent, 0.5 RCU). A state observed before the stored one is dropped.
/// Same result, evaluated less than a day ago:
/// nothing is written. Same result, older: one conditional update of evaluatedAt. New or changed: one conditional PutItem
/// (on the condition that the item is still what was read; a lost race re-reads and decides again) flagged <c>cs</c> (the shard count),
/// and the counter projector moves the rule's counters from the table's stream (<c>EvidenceCounterSource</c>), exactly
/// once per stream record whatever the redelivery. An evaluation older than the stored one is
/// dropped (the end state does not depend on delivery order).
/// </summary>
public sealed class DynamoDbEvidenceStore(IAmazonDynamoDB dynamo, string tableName, string policyVersion) : IEvidenceStore
{
    public const string Pass = "pass";
    public const string Fail = "fail";

    /// <summary>The resource no longer exists (deleted, or out of the rule's scope): counted neither as passing nor failing.</summary>
    public const string Gone = "gone";
    private const string Entity = "EVIDENCE";
    public const string SummaryPartition = "EVIDENCE";

    /// <summary>Partition prefix of the result items (<c>EVIDENCE#&lt;ruleId&gt;</c>).</summary>
    public const string ResultPartitionPrefix = "EVIDENCE#";

    /// <summary>Sort key prefix of the result items (<c>RES#&lt;findingId&gt;</c>).</summary>
    public const string ResultSortPrefix = "RES#";

    /// <summary>
    /// On a result item: the counter projector counts it (docs/data-model.md, "Counters from the stream"); its value is the
    /// number of counter shards the writer used, so the projector ADDs to the shard this writer would have. Absent on items
    /// of older versions (their writer ADDed the counters in its own transaction).
    /// </summary>
    public const string CountedAttribute = "cs";

    /// <summary>Brings the counters up to the stream before they are read (DynamoDB Local only; null in Lambda).</summary>
    public ICounterCatchUp? CounterCatchUp { get; init; } = LocalStreamProjection.ForEndpoint(dynamo, tableName);
    private const int MaxAttempts = 12;

    /// <summary>Counter items per rule a result written now counts in (flagged <c>cs</c>=1: shard <c>00</c>).</summary>
    public const int CounterShards = 1;

    /// <summary>Counter items per rule of the layout before issue 20 wave 8 (results flagged <c>cs</c>=16 keep counting there).</summary>
    public const int EarlierCounterShards = 16;

    /// <summary>Shards in use (tests set more to write the earlier, sharded layout).</summary>
    internal int Shards { get; init; } = CounterShards;

    /// <summary>
    /// The precision of a rule's <c>lastEvaluatedAt</c> (docs/data-model.md, "Passing evidence"): it holds the start of the
    /// UTC hour of the latest evaluation recorded, so the writer updates it at most once per rule and hour (per process),
    /// and the value is the same whatever order the evaluations arrived in. The exact time of each result is on its item.
    /// </summary>
    public static readonly TimeSpan LastEvaluatedResolution = TimeSpan.FromHours(1);

    /// <summary>The <c>lastEvaluatedAt</c> an evaluation at <paramref name="at"/> moves its rule to (its UTC hour's start).</summary>
    public static DateTimeOffset LastEvaluatedBucket(DateTimeOffset at)
    {
        var utc = at.ToUniversalTime();
        return new DateTimeOffset(utc.Ticks - utc.Ticks % LastEvaluatedResolution.Ticks, TimeSpan.Zero);
    }

    /// <summary>Lost races retried (conditional check or transaction conflict); the benchmark reports it.</summary>
    public long Retries => Interlocked.Read(ref _retries);

    private long _retries;

    private readonly System.Collections.Concurrent.ConcurrentDictionary<(string Rule, string Decision), long> _decisions = new();

    /// <summary>
    /// Diagnostics (the scale replay prints them): how many results took each decision, per rule: <c>new</c> (first
    /// result of a rule on a resource), <c>changed</c> (its result flipped), <c>refreshed</c> (same result, older than
    /// <see cref="RefreshAfter"/>), <c>unchanged</c> (same result, fresh: nothing written), <c>older</c> (dropped).
    /// </summary>
    public IReadOnlyDictionary<(string Rule, string Decision), long> Decisions => _decisions;

    private void Count(string ruleId, string decision) => _decisions.AddOrUpdate((ruleId, decision), 1, (_, n) => n + 1);

    /// <summary>How old a stored same-result evaluation may get before it is refreshed (at most one write a day).</summary>
    public static readonly TimeSpan RefreshAfter = TimeSpan.FromDays(1);

    /// <summary>When set, every request reports its consumed capacity (benchmarks, tests counting queries).</summary>
    internal Action<string, ConsumedCapacity?>? Observer { get; set; }

    public Task<EvidenceWriteResult> RecordAsync(IReadOnlyList<Evaluation> evaluations, string source, EvaluationContext context, CancellationToken cancellationToken = default) =>
        RecordCoreAsync(evaluations, source, context, recheck: false, EvidenceHolding.None, cancellationToken);

    public Task<EvidenceWriteResult> RecordRecheckAsync(IReadOnlyList<Evaluation> evaluations, string source, EvaluationContext context, CancellationToken cancellationToken = default) =>
        RecordCoreAsync(evaluations, source, context, recheck: true, EvidenceHolding.None, cancellationToken);

    public Task<EvidenceWriteResult> RecordAsync(IReadOnlyList<Evaluation> evaluations, string source, EvaluationContext context, EvidenceHolding holding, CancellationToken cancellationToken = default) =>
        RecordCoreAsync(evaluations, source, context, recheck: false, holding, cancellationToken);

    public Task<EvidenceWriteResult> RecordRecheckAsync(IReadOnlyList<Evaluation> evaluations, string source, EvaluationContext context, EvidenceHolding holding, CancellationToken cancellationToken = default) =>
        RecordCoreAsync(evaluations, source, context, recheck: true, holding, cancellationToken);

    private async Task<EvidenceWriteResult> RecordCoreAsync(IReadOnlyList<Evaluation> evaluations, string source, EvaluationContext context, bool recheck, EvidenceHolding holding,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(evaluations);
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(holding);
        int changed = 0, refreshed = 0, skipped = 0;
        // One result per identity per call: the last evaluation of a batch wins (rules may emit several for one resource).
        // An evaluation the ledger found superseded is no result of its own; it still reaches the identity when its finding
        // holds the failure, so the stored item takes that over (or a superseded creation's failure is taken back).
        var latest = new Dictionary<string, Evaluation>(StringComparer.Ordinal);
        var supersededOnly = new Dictionary<string, Evaluation>(StringComparer.Ordinal);
        for (var i = 0; i < evaluations.Count; i++)
        {
            var e = evaluations[i];
            if (e.Outcome is not (Outcome.Finding or Outcome.Compliant)) continue;
            if (string.IsNullOrEmpty(e.ResourceId)) continue;
            if (holding.Superseded.Contains(i))
            {
                if (holding.Holding.ContainsKey(e.FindingId)) supersededOnly[e.FindingId] = e;
                continue;
            }
            latest[e.FindingId] = e;
        }
        foreach (var e in latest.Values)
        {
            var held = holding.Holding.TryGetValue(e.FindingId, out var heldAt) ? heldAt : (DateTimeOffset?)null;
            switch (await RecordOneAsync(e, source, context.Now, recheck, held, cancellationToken).ConfigureAwait(false))
            {
                case Written.Changed: changed++; break;
                case Written.Refreshed: refreshed++; break;
                default: skipped++; break;
            }
        }
        foreach (var e in supersededOnly.Values)
        {
            if (latest.ContainsKey(e.FindingId)) continue;
            var observed = e.ObservedAt is { } o && o <= context.Now ? o : context.Now;
            if (await TakeOverAsync(e.Rule.Id, e.FindingId, holding.SupersededCreations.Contains(e.FindingId) ? e : null, observed, source, cancellationToken).ConfigureAwait(false))
                changed++;
            else skipped++;
        }
        return new EvidenceWriteResult(changed, refreshed, skipped);
    }

    private enum Written { Skipped, Refreshed, Changed }

    /// <summary>
    /// Two times per result: <c>observedAt</c>, the source time of the state judged (orders deliveries: an older state
    /// never replaces a newer one), and <c>evaluatedAt</c>, when it was last judged (freshness). They are the same for
    /// an event; a re-check (the sweep judging a stored configuration again) judges an old state now.
    /// </summary>
    /// <param name="heldAt">The identity's finding holds its failure (observed then): with no stored item, that failure is
    /// the stored result (no write for a failure; a pass is put taking it over), and every write carries <c>hf</c>.</param>
    private async Task<Written> RecordOneAsync(Evaluation e, string source, DateTimeOffset now, bool recheck, DateTimeOffset? heldAt, CancellationToken cancellationToken)
    {
        var result = e.Outcome == Outcome.Finding ? Fail : Pass;
        var observed = e.ObservedAt is { } o && o <= now ? o : now;
        var evaluated = recheck ? now : observed;
        var key = Key(e.Rule.Id, e.FindingId);
        for (var attempt = 1; ; attempt++)
        {
            var (stored, storedResult, storedEvaluated, storedObserved) = await ReadStoredAsync(key, cancellationToken).ConfigureAwait(false);
            // The write takes over the failure the finding holds: the finding says so, or the stored item does (sticky).
            var takesOver = heldAt is not null || TakesOver(stored);
            if (stored is null && heldAt is { } held)
            {
                // No result item: the finding's failure is the result (issue 20 wave 10). A failure adds nothing to it (the
                // rule's lastEvaluatedAt still moves to its hour, as the put would have); a pass older than the held failure, or
                // at its time (the failure wins), is dropped; a newer pass is put, taking the failure over.
                if (result == Fail || observed <= held)
                {
                    if (result == Fail) await TouchSummaryAsync(CounterKey(e.Rule.Id, e.FindingId), e.Rule.Id, evaluated, cancellationToken).ConfigureAwait(false);
                    Count(e.Rule.Id, result == Fail ? "held" : "older");
                    return Written.Skipped;
                }
            }
            try
            {
                // Older than what we have: dropped. Equal source times with a different result: the failure wins (README,
                // "Delivery order"), so the stored result does not depend on which arrived last.
                if (stored is not null && storedObserved is { } prior
                    && (observed < prior || (observed == prior && (storedResult == Gone || (storedResult == Fail && result == Pass)))))
                {
                    await MarkTakesOverAsync(key, stored, storedResult, storedEvaluated, heldAt is not null, cancellationToken).ConfigureAwait(false);
                    await RestoreSummaryAsync(e.Rule.Id, e.FindingId, storedResult, storedEvaluated, cancellationToken).ConfigureAwait(false);
                    Count(e.Rule.Id, "older");
                    return Written.Skipped;
                }
                if (stored is not null && storedResult == result)
                {
                    // Same result: at most one write a day, and evaluatedAt only moves forward.
                    if (storedEvaluated is { } last && evaluated - last < RefreshAfter)
                    {
                        await MarkTakesOverAsync(key, stored, storedResult, storedEvaluated, heldAt is not null, cancellationToken).ConfigureAwait(false);
                        await RestoreSummaryAsync(e.Rule.Id, e.FindingId, storedResult, storedEvaluated, cancellationToken).ConfigureAwait(false);
                        Count(e.Rule.Id, "unchanged");
                        return Written.Skipped;
                    }
                    var values = new Dictionary<string, AttributeValue> { [":at"] = Time(evaluated), [":obs"] = Time(observed), [":r"] = S(result), [":src"] = S(source) };
                    var set = "SET evaluatedAt = :at, observedAt = :obs, #s = :src";
                    if (takesOver && !TakesOver(stored))
                    {
                        // The refresh also takes the finding's failure over (and claims the item for the projector).
                        set += ", " + TakesOverAttribute + " = :hf, " + CountedAttribute + " = if_not_exists(" + CountedAttribute + ", :cs)";
                        values[":hf"] = new AttributeValue { BOOL = true };
                        values[":cs"] = new AttributeValue { N = Shards.ToString(CultureInfo.InvariantCulture) };
                    }
                    var update = await dynamo.UpdateItemAsync(new UpdateItemRequest
                    {
                        TableName = tableName,
                        Key = key,
                        UpdateExpression = set,
                        ConditionExpression = "#r = :r AND evaluatedAt < :at",
                        ExpressionAttributeNames = new() { ["#r"] = "result", ["#s"] = "source" },
                        ExpressionAttributeValues = values,
                        ReturnConsumedCapacity = Observer is null ? null : ReturnConsumedCapacity.TOTAL,
                    }, cancellationToken).ConfigureAwait(false);
                    Observer?.Invoke("evidence-refresh", update.ConsumedCapacity);
                    await TouchSummaryAsync(CounterKey(e.Rule.Id, e.FindingId), e.Rule.Id, evaluated, cancellationToken).ConfigureAwait(false);
                    Count(e.Rule.Id, "refreshed");
                    return Written.Refreshed;
                }
                // A change never moves evaluatedAt back (a re-check may have judged the older state later than this event).
                var evaluatedAt = storedEvaluated is { } before && before > evaluated ? before : evaluated;
                if (stored is not null && heldAt is not null && result == Fail && !IsSupersededCreation(stored))
                {
                    // A failure over a pass or a tombstone of an identity whose finding holds its failure: the result item is
                    // deleted (conditional on what was read), so the held failure is the result again, and the table is the
                    // one any delivery order leaves (a failure first writes nothing). The projector takes the deleted
                    // item's contribution out; the ledger orders later deliveries against the held failure.
                    var delete = await dynamo.DeleteItemAsync(new DeleteItemRequest
                    {
                        TableName = tableName,
                        Key = key,
                        ConditionExpression = "#r = :old AND evaluatedAt = :oldAt",
                        ExpressionAttributeNames = new() { ["#r"] = "result" },
                        ExpressionAttributeValues = new() { [":old"] = S(storedResult ?? ""), [":oldAt"] = Time(storedEvaluated ?? DateTimeOffset.MinValue) },
                        ReturnConsumedCapacity = Observer is null ? null : ReturnConsumedCapacity.TOTAL,
                    }, cancellationToken).ConfigureAwait(false);
                    Observer?.Invoke("evidence-held-again", delete.ConsumedCapacity);
                    await TouchSummaryAsync(CounterKey(e.Rule.Id, e.FindingId), e.Rule.Id, evaluatedAt, cancellationToken).ConfigureAwait(false);
                    Count(e.Rule.Id, "held again");
                    return Written.Changed;
                }
                var item = Item(e, result, evaluatedAt, observed, source);
                if (takesOver) item[TakesOverAttribute] = new AttributeValue { BOOL = true };
                await PutResultAsync(item, stored, storedResult, storedEvaluated, "evidence-change", cancellationToken).ConfigureAwait(false);
                // The rule's lastEvaluatedAt only moves forward (a conditional update to the evaluation's hour, sent only
                // when this process does not already know that hour or a later one): a maximum the projector's
                // unconditional ADDs in its transaction cannot keep (a failed condition would cancel the whole batch).
                await TouchSummaryAsync(CounterKey(e.Rule.Id, e.FindingId), e.Rule.Id, evaluatedAt, cancellationToken).ConfigureAwait(false);
                Count(e.Rule.Id, stored is null || storedResult == Gone ? "new " + result : "changed to " + result);
                return Written.Changed;
            }
            catch (Exception ex) when (ex is ConditionalCheckFailedException or TransactionCanceledException && attempt < MaxAttempts)
            {
                // Someone else wrote this result first (or a concurrent transaction held the counter): read again and decide again.
                Interlocked.Increment(ref _retries);
                await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(5, 20 * attempt)), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// One conditional PutItem of a result (on the condition that the item is still what was read; a lost race re-reads and
    /// decides again): the rule's counters follow from the table's stream (EvidenceCounterSource moves them by the old and
    /// new image's contributions; issue 20: the transaction with the counter shard cost twice the units of both items). The
    /// item carries the projector's "count me" flag.
    /// </summary>
    private async Task PutResultAsync(Dictionary<string, AttributeValue> item, Dictionary<string, AttributeValue>? stored, string? storedResult, DateTimeOffset? storedEvaluated,
        string operation, CancellationToken cancellationToken)
    {
        item[CountedAttribute] = new AttributeValue { N = Shards.ToString(CultureInfo.InvariantCulture) };
        var request = new PutItemRequest
        {
            TableName = tableName,
            Item = item,
            ConditionExpression = stored is null ? "attribute_not_exists(PK)" : "#r = :old AND evaluatedAt = :oldAt",
            ReturnConsumedCapacity = Observer is null ? null : ReturnConsumedCapacity.TOTAL,
        };
        if (stored is not null)
        {
            request.ExpressionAttributeNames = new() { ["#r"] = "result" };
            request.ExpressionAttributeValues = new() { [":old"] = S(storedResult ?? ""), [":oldAt"] = Time(storedEvaluated ?? DateTimeOffset.MinValue) };
        }
        var single = await dynamo.PutItemAsync(request, cancellationToken).ConfigureAwait(false);
        Observer?.Invoke(operation, single.ConsumedCapacity);
    }

    /// <summary>
    /// A stored result whose identity's finding holds its failure, written without <c>hf</c> (by a writer that did not see
    /// the finding yet, or before it existed: a result of an earlier version under a finding created anew) takes it over:
    /// one conditional update (on the item still being what was read) adding <c>hf</c>, and <c>cs</c> when an earlier
    /// version's writer counted the item itself, so the projector moves the counters by the difference. A lost race throws
    /// (the caller reads and decides again).
    /// </summary>
    private async Task MarkTakesOverAsync(Dictionary<string, AttributeValue> key, Dictionary<string, AttributeValue> stored, string? storedResult, DateTimeOffset? storedEvaluated,
        bool holds, CancellationToken cancellationToken)
    {
        if (!holds || TakesOver(stored)) return;
        var update = await dynamo.UpdateItemAsync(new UpdateItemRequest
        {
            TableName = tableName,
            Key = key,
            UpdateExpression = "SET " + TakesOverAttribute + " = :hf, " + CountedAttribute + " = if_not_exists(" + CountedAttribute + ", :cs)",
            ConditionExpression = "#r = :old AND evaluatedAt = :oldAt AND attribute_not_exists(" + TakesOverAttribute + ")",
            ExpressionAttributeNames = new() { ["#r"] = "result" },
            ExpressionAttributeValues = new()
            {
                [":hf"] = new AttributeValue { BOOL = true },
                [":cs"] = new AttributeValue { N = Shards.ToString(CultureInfo.InvariantCulture) },
                [":old"] = S(storedResult ?? ""),
                [":oldAt"] = Time(storedEvaluated ?? DateTimeOffset.MinValue),
            },
            ReturnConsumedCapacity = Observer is null ? null : ReturnConsumedCapacity.TOTAL,
        }, cancellationToken).ConfigureAwait(false);
        Observer?.Invoke("evidence-takeover", update.ConsumedCapacity);
    }

    /// <summary>
    /// A superseded evaluation of an identity whose finding holds its failure: the stored item takes the failure over; with
    /// none stored and the evaluation the finding's superseded creation (<paramref name="creation"/>), a tombstone taking it
    /// over is put as of the evaluation's time (the creation is no result: the identity counts what it counted before,
    /// nothing, until the newer result that superseded it is stored over the tombstone). Returns whether it wrote.
    /// </summary>
    private async Task<bool> TakeOverAsync(string ruleId, string findingId, Evaluation? creation, DateTimeOffset observed, string source, CancellationToken cancellationToken)
    {
        var key = Key(ruleId, findingId);
        for (var attempt = 1; ; attempt++)
        {
            var (stored, storedResult, storedEvaluated, _) = await ReadStoredAsync(key, cancellationToken).ConfigureAwait(false);
            try
            {
                if (stored is not null)
                {
                    if (TakesOver(stored)) return false;
                    await MarkTakesOverAsync(key, stored, storedResult, storedEvaluated, holds: true, cancellationToken).ConfigureAwait(false);
                    Count(ruleId, "taken over");
                    return true;
                }
                if (creation is null) return false;
                var tombstone = Item(ruleId, findingId, creation.ResourceId, creation.ResourceType, creation.SubKey, Gone, observed, observed, source);
                tombstone[TakesOverAttribute] = new AttributeValue { BOOL = true };
                tombstone[SupersededCreationAttribute] = new AttributeValue { BOOL = true };
                await EnsureCounterAsync(CounterKey(ruleId, findingId), ruleId, cancellationToken).ConfigureAwait(false);
                await PutResultAsync(tombstone, null, null, null, "evidence-superseded-creation", cancellationToken).ConfigureAwait(false);
                Count(ruleId, "superseded creation");
                return true;
            }
            catch (Exception ex) when (ex is ConditionalCheckFailedException && attempt < MaxAttempts)
            {
                Interlocked.Increment(ref _retries);
                await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(5, 20 * attempt)), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    public Task<int> ForgetAsync(IReadOnlyList<GoneResult> results, DateTimeOffset goneAt, string source, CancellationToken cancellationToken = default) =>
        ForgetAsync(results, goneAt, source, EmptyHeld, cancellationToken);

    private static readonly IReadOnlyDictionary<string, DateTimeOffset> EmptyHeld = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);

    public async Task<int> ForgetAsync(IReadOnlyList<GoneResult> results, DateTimeOffset goneAt, string source, IReadOnlyDictionary<string, DateTimeOffset> held,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(results);
        ArgumentNullException.ThrowIfNull(held);
        var forgotten = 0;
        foreach (var r in results.DistinctBy(r => (r.RuleId, r.FindingId)))
        {
            var heldAt = held.TryGetValue(r.FindingId, out var at) ? at : (DateTimeOffset?)null;
            if (await ForgetOneAsync(r, goneAt, source, heldAt, cancellationToken).ConfigureAwait(false)) forgotten++;
        }
        return forgotten;
    }

    /// <summary>
    /// Writes the result <see cref="Gone"/> as of <paramref name="goneAt"/>, whether or not a result was stored (a
    /// tombstone: an evaluation observed before the deletion and delivered after it is then dropped, so the end state
    /// does not depend on which arrived first); the counter projector takes a stored pass or fail out of the counters.
    /// Every attribute comes from the identity and the deletion, never from the item it replaces (order-free), except
    /// <c>hf</c>: a tombstone for an identity whose finding holds its failure takes it over (<paramref name="heldAt"/>: with
    /// no stored item, the held failure is the stored result, observed then).
    /// </summary>
    private async Task<bool> ForgetOneAsync(GoneResult r, DateTimeOffset goneAt, string source, DateTimeOffset? heldAt, CancellationToken cancellationToken)
    {
        var key = Key(r.RuleId, r.FindingId);
        for (var attempt = 1; ; attempt++)
        {
            var (stored, storedResult, storedEvaluated, storedObserved) = await ReadStoredAsync(key, cancellationToken).ConfigureAwait(false);
            // The held failure observed after the deletion (the resource came back): kept, as a stored one would be.
            if (stored is null && heldAt is { } held && held > goneAt) return false;
            try
            {
                // Evaluated after the deletion (the resource came back), or already gone as of then: nothing to do.
                if (stored is not null && storedObserved is { } prior && (prior > goneAt || (prior == goneAt && storedResult == Gone)))
                {
                    await MarkTakesOverAsync(key, stored, storedResult, storedEvaluated, heldAt is not null, cancellationToken).ConfigureAwait(false);
                    return false;
                }
                var tombstone = Item(r.RuleId, r.FindingId, r.ResourceId, r.ResourceType, r.SubKey, Gone, goneAt, goneAt, source);
                if (heldAt is not null || TakesOver(stored)) tombstone[TakesOverAttribute] = new AttributeValue { BOOL = true };
                // One conditional PutItem flagged for the projector, which takes a counted result out of the counters from
                // the stream (issue 20 wave 7: it was a transaction with the counter's ADD -1). The writer's counter shard is
                // ensured first (ADD 0, idempotent; once per counter item and process), as a change's lastEvaluatedAt leaves
                // it, so the items a run leaves do not depend on delivery order. The counter first: a crash after it leaves no
                // tombstone, and the redelivery does both again.
                await EnsureCounterAsync(CounterKey(r.RuleId, r.FindingId), r.RuleId, cancellationToken).ConfigureAwait(false);
                await PutResultAsync(tombstone, stored, storedResult, storedEvaluated, storedResult is Pass or Fail ? "evidence-gone" : "evidence-gone-put", cancellationToken).ConfigureAwait(false);
                // A held failure is a counted result too.
                return storedResult is Pass or Fail || (stored is null && heldAt is not null);
            }
            catch (Exception ex) when (ex is ConditionalCheckFailedException or TransactionCanceledException && attempt < MaxAttempts)
            {
                Interlocked.Increment(ref _retries);
                await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(5, 20 * attempt)), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// The latest lastEvaluatedAt this process knows each counter item holds (it only moves forward, so the stored value
    /// is at least this): a touch to an earlier or equal time would fail its condition, and is not sent.
    /// </summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, DateTimeOffset> _touched = new(StringComparer.Ordinal);

    /// <summary>Counter items this process has seen exist (they are never deleted).</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte> _counters = new(StringComparer.Ordinal);

    /// <summary>Creates the counter item if missing (ADD 0: idempotent), unless this process already knows it exists.</summary>
    private async Task EnsureCounterAsync(Dictionary<string, AttributeValue> counterKey, string ruleId, CancellationToken cancellationToken)
    {
        var counter = counterKey[LedgerSchema.SortKey].S;
        if (_counters.ContainsKey(counter) || _touched.ContainsKey(counter)) return;
        var ensure = SummaryUpdate(counterKey, ruleId, []);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var response = await dynamo.UpdateItemAsync(new UpdateItemRequest
                {
                    TableName = tableName,
                    Key = counterKey,
                    UpdateExpression = ensure.UpdateExpression,
                    ExpressionAttributeNames = ensure.ExpressionAttributeNames,
                    ExpressionAttributeValues = ensure.ExpressionAttributeValues,
                    ReturnConsumedCapacity = Observer is null ? null : ReturnConsumedCapacity.TOTAL,
                }, cancellationToken).ConfigureAwait(false);
                Observer?.Invoke("evidence-counter-ensure", response.ConsumedCapacity);
                break;
            }
            catch (TransactionConflictException) when (attempt < MaxAttempts)
            {
                // The projector's transaction holds the rule's one counter item: wait and try again (idempotent: ADD 0).
                Interlocked.Increment(ref _retries);
                await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(5, 20 * attempt)), cancellationToken).ConfigureAwait(false);
            }
        }
        _counters.TryAdd(counter, 0);
    }

    /// <summary>
    /// A skipped evaluation still makes sure the rule's lastEvaluatedAt holds the hour of the stored pass or fail: the
    /// process that wrote that result may have died between its PutItem and its lastEvaluatedAt update, and its redelivery
    /// is then "unchanged" here, so without this the hour would never be recorded (the killed replay would not equal a
    /// clean one). Free when this process already knows that hour or a later one; a tombstone moves nothing, as its write does not.
    /// </summary>
    private Task RestoreSummaryAsync(string ruleId, string findingId, string? storedResult, DateTimeOffset? storedEvaluated, CancellationToken cancellationToken) =>
        storedResult is Pass or Fail && storedEvaluated is { } at
            ? TouchSummaryAsync(CounterKey(ruleId, findingId), ruleId, at, cancellationToken)
            : Task.CompletedTask;

    /// <summary>
    /// Moves the rule's lastEvaluatedAt forward to the hour of <paramref name="evaluatedAt"/> (never back: the condition keeps
    /// the latest). Sent only when this process does not already know the item holds that hour or later; a condition that
    /// fails returns the stored value, which this process then knows (issue 20 wave 8: one write per rule and hour, it was
    /// one per change).
    /// </summary>
    private async Task TouchSummaryAsync(Dictionary<string, AttributeValue> counterKey, string ruleId, DateTimeOffset evaluatedAt, CancellationToken cancellationToken)
    {
        var counter = counterKey[LedgerSchema.SortKey].S;
        var at = LastEvaluatedBucket(evaluatedAt);
        if (_touched.TryGetValue(counter, out var known) && known >= at) return;
        var learned = at;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var response = await dynamo.UpdateItemAsync(new UpdateItemRequest
                {
                    TableName = tableName,
                    Key = counterKey,
                    // ADD 0: the item has the counters' attributes as an ensured one does (the projector writes shard 00).
                    UpdateExpression = "SET lastEvaluatedAt = :at, ruleId = :id, #et = :et ADD evaluated :z, passing :z, failing :z",
                    ConditionExpression = "attribute_not_exists(lastEvaluatedAt) OR lastEvaluatedAt < :at",
                    ExpressionAttributeNames = new() { ["#et"] = LedgerSchema.EntityType },
                    ExpressionAttributeValues = new() { [":at"] = Time(at), [":id"] = S(ruleId), [":et"] = S("EVIDENCE_RULE"), [":z"] = new AttributeValue { N = "0" } },
                    ReturnValuesOnConditionCheckFailure = ReturnValuesOnConditionCheckFailure.ALL_OLD,
                    ReturnConsumedCapacity = Observer is null ? null : ReturnConsumedCapacity.TOTAL,
                }, cancellationToken).ConfigureAwait(false);
                Observer?.Invoke("evidence-touch", response.ConsumedCapacity);
                break;
            }
            catch (ConditionalCheckFailedException ex)
            {
                // The same hour or a later one is already recorded (an item of an earlier version may hold an exact time).
                if (ReadTime(ex.Item, "lastEvaluatedAt") is { } stored && stored > learned) learned = stored;
                break;
            }
            catch (TransactionConflictException) when (attempt < MaxAttempts)
            {
                // The projector's transaction holds the rule's counter item (one per rule since wave 8): wait and try again.
                Interlocked.Increment(ref _retries);
                await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(5, 20 * attempt)), cancellationToken).ConfigureAwait(false);
            }
        }
        _touched.AddOrUpdate(counter, learned, (_, old) => old > learned ? old : learned);
    }

    /// <summary>The counters of a rule's counter item, in the order of <see cref="Contribution"/>.</summary>
    public static readonly string[] CounterNames = ["evaluated", "passing", "failing"];

    /// <summary>
    /// What one stored result adds to its rule's counters (evaluated, passing, failing): a pass or a fail counts as
    /// evaluated and as itself; gone, or no result, counts nothing. A change moves the counters by the new result's
    /// contribution minus the old one's (the projector's rule; the transactions below write the same deltas).
    /// </summary>
    public static long[] Contribution(string? result) => result switch
    {
        Pass => [1, 1, 0],
        Fail => [1, 0, 1],
        _ => [0, 0, 0],
    };

    /// <summary>
    /// What one stored result item adds to its rule's counters: its result's <see cref="Contribution(string?)"/>, minus a fail
    /// when it carries <see cref="TakesOverAttribute"/> (its finding's first flagged image counted that fail: issue 20 wave 10),
    /// so a pass over a held failure moves 0/+1/−1, a tombstone −1/0/−1, a fail nothing.
    /// </summary>
    public static long[] Contribution(Dictionary<string, AttributeValue> item)
    {
        var own = Contribution(item.GetValueOrDefault("result")?.S);
        if (!TakesOver(item)) return own;
        var held = Contribution(Fail);
        for (var i = 0; i < own.Length; i++) own[i] -= held[i];
        return own;
    }

    /// <summary>
    /// On a result item whose identity's finding holds its evidence failure (<see cref="FindingRecord.HoldsEvidence"/>): the
    /// item takes that failure over (<see cref="Contribution(Dictionary{string, AttributeValue})"/>). Sticky: every later write
    /// of the item keeps it (the writer copies it from what it read; the refresh is an update).
    /// </summary>
    public const string TakesOverAttribute = "hf";

    /// <summary>
    /// On the tombstone a superseded creation leaves (<c>hf</c> too): a later failure is put over it, not deleted, so a
    /// writer that recorded the newer verdict before the finding existed (and so without <c>hf</c>) always finds an item.
    /// </summary>
    public const string SupersededCreationAttribute = "sc";

    private static bool IsSupersededCreation(Dictionary<string, AttributeValue> item) => item.GetValueOrDefault(SupersededCreationAttribute)?.BOOL == true;

    /// <summary>Whether a stored result item carries <see cref="TakesOverAttribute"/>.</summary>
    public static bool TakesOver(Dictionary<string, AttributeValue>? item) => item?.GetValueOrDefault(TakesOverAttribute)?.BOOL == true;

    /// <summary>The attributes that describe a rule's counter item (SET by every write to it).</summary>
    public static Dictionary<string, AttributeValue> CounterDescription(string ruleId) => new(StringComparer.Ordinal)
    {
        ["ruleId"] = S(ruleId),
        [LedgerSchema.EntityType] = S("EVIDENCE_RULE"),
    };

    /// <summary>The counter item a resource's result counts in: its finding id's stable hash picks the shard.</summary>
    private Dictionary<string, AttributeValue> CounterKey(string ruleId, string findingId) => CounterKey(ruleId, findingId, Shards);

    /// <summary>The counter item of a result when the writer used <paramref name="shards"/> counter shards.</summary>
    public static Dictionary<string, AttributeValue> CounterKey(string ruleId, string findingId, int shards)
    {
        var shard = shards <= 1 ? 0 : (int)(Fnv1a(findingId) % (uint)shards);
        return new() { [LedgerSchema.PartitionKey] = S(SummaryPartition), [LedgerSchema.SortKey] = S($"RULE#{ruleId}#{shard:D2}") };
    }

    private static uint Fnv1a(string text)
    {
        var hash = 2166136261u;
        foreach (var c in text)
        {
            hash ^= c;
            hash *= 16777619u;
        }
        return hash;
    }

    private Update SummaryUpdate(Dictionary<string, AttributeValue> counterKey, string ruleId, List<(string Name, long Delta)> deltas, DateTimeOffset? touch = null)
    {
        var values = new Dictionary<string, AttributeValue> { [":id"] = S(ruleId), [":et"] = S("EVIDENCE_RULE") };
        var names = new Dictionary<string, string> { ["#et"] = LedgerSchema.EntityType };
        var adds = new List<string>();
        // Every counter is ADDed (0 when unchanged), so a counter that went 1 → 0 and one never touched are the same
        // item whatever the delivery order (README, "Delivery order").
        foreach (var name in CounterNames)
        {
            if (!deltas.Exists(d => d.Name == name)) deltas.Add((name, 0L));
        }
        for (var i = 0; i < deltas.Count; i++)
        {
            names[$"#n{i}"] = deltas[i].Name;
            values[$":d{i}"] = new AttributeValue { N = deltas[i].Delta.ToString(CultureInfo.InvariantCulture) };
            adds.Add($"#n{i} :d{i}");
        }
        if (touch is not { } at)
        {
            return new Update
            {
                TableName = tableName,
                Key = counterKey,
                UpdateExpression = "SET ruleId = :id, #et = :et ADD " + string.Join(", ", adds),
                ExpressionAttributeNames = names,
                ExpressionAttributeValues = values,
            };
        }
        values[":at"] = Time(at);
        return new Update
        {
            TableName = tableName,
            Key = counterKey,
            UpdateExpression = "SET ruleId = :id, #et = :et, lastEvaluatedAt = :at ADD " + string.Join(", ", adds),
            ConditionExpression = "attribute_not_exists(lastEvaluatedAt) OR lastEvaluatedAt < :at",
            ExpressionAttributeNames = names,
            ExpressionAttributeValues = values,
            ReturnValuesOnConditionCheckFailure = ReturnValuesOnConditionCheckFailure.ALL_OLD,
        };
    }

    public async Task<IReadOnlyDictionary<string, RuleEvidenceSummary>> GetRuleSummariesAsync(CancellationToken cancellationToken = default)
    {
        if (CounterCatchUp is { } catchUp) await catchUp.CatchUpAsync(cancellationToken).ConfigureAwait(false);
        var summaries = new Dictionary<string, RuleEvidenceSummary>(StringComparer.Ordinal);
        Dictionary<string, AttributeValue>? start = null;
        do
        {
            var response = await dynamo.QueryAsync(new QueryRequest
            {
                TableName = tableName,
                KeyConditionExpression = "PK = :pk AND begins_with(SK, :rule)",
                ExpressionAttributeValues = new() { [":pk"] = S(SummaryPartition), [":rule"] = S("RULE#") },
                ExclusiveStartKey = start,
                ReturnConsumedCapacity = Observer is null ? null : ReturnConsumedCapacity.TOTAL,
            }, cancellationToken).ConfigureAwait(false);
            Observer?.Invoke("evidence-summaries", response.ConsumedCapacity);
            foreach (var item in response.Items ?? [])
            {
                var id = item.GetValueOrDefault("ruleId")?.S;
                if (string.IsNullOrEmpty(id)) continue;
                // A rule's shards (and an unsharded item written before shards) sum; the latest evaluation wins.
                var shard = new RuleEvidenceSummary(id, Number(item, "evaluated"), Number(item, "passing"), Number(item, "failing"), ReadTime(item, "lastEvaluatedAt"));
                summaries[id] = summaries.TryGetValue(id, out var sum)
                    ? new RuleEvidenceSummary(id, sum.Evaluated + shard.Evaluated, sum.Passing + shard.Passing, sum.Failing + shard.Failing,
                        sum.LastEvaluatedAt is { } a && (shard.LastEvaluatedAt is null || a >= shard.LastEvaluatedAt) ? a : shard.LastEvaluatedAt)
                    : shard;
            }
            start = response.LastEvaluatedKey is { Count: > 0 } next ? next : null;
        }
        while (start is not null);
        return summaries;
    }

    /// <summary>
    /// The rule's stored results (gone ones left out), then the failures its findings hold with no result item (issue 20
    /// wave 10: rule 1 of docs/data-model.md "Passing evidence", whatever the finding's status), read from the rule's GSI2
    /// <c>RULE#&lt;ruleId&gt;</c> partition a page at a time. The cursor says which of the two it continues.
    /// </summary>
    public async Task<(IReadOnlyList<EvidenceRecord> Items, string? NextCursor)> QueryRuleAsync(string ruleId, int limit, string? cursor = null, CancellationToken cancellationToken = default)
    {
        limit = Math.Clamp(limit, 1, 500);
        var start = PageCursor.Decode(cursor);
        var heldPartition = LedgerKeys.RulePartition(ruleId);
        var items = new List<EvidenceRecord>();
        if (start is null || !start.ContainsKey(LedgerSchema.Gsi2PartitionKey))
        {
            var response = await dynamo.QueryAsync(new QueryRequest
            {
                TableName = tableName,
                KeyConditionExpression = "PK = :pk",
                ExpressionAttributeValues = new() { [":pk"] = S("EVIDENCE#" + ruleId) },
                Limit = limit,
                ExclusiveStartKey = start,
                ReturnConsumedCapacity = Observer is null ? null : ReturnConsumedCapacity.TOTAL,
            }, cancellationToken).ConfigureAwait(false);
            Observer?.Invoke("evidence-rule", response.ConsumedCapacity);
            foreach (var item in response.Items ?? [])
            {
                if (ReadTime(item, "evaluatedAt") is not { } at || item.GetValueOrDefault("result")?.S == Gone) continue;
                items.Add(new EvidenceRecord(
                    item.GetValueOrDefault("ruleId")?.S ?? ruleId,
                    item.GetValueOrDefault("resourceId")?.S ?? "",
                    item.GetValueOrDefault("subKey")?.S ?? "",
                    item.GetValueOrDefault("resourceType")?.S ?? "",
                    item.GetValueOrDefault("result")?.S ?? "",
                    at,
                    item.GetValueOrDefault("source")?.S ?? "",
                    item.GetValueOrDefault("policyVersion")?.S ?? ""));
            }
            if (response.LastEvaluatedKey is { Count: > 0 } next) return (items, PageCursor.Encode(next));
            // The results are read: the held failures follow, from the start of the rule's partition.
            if (items.Count >= limit) return (items, PageCursor.Encode(new() { [LedgerSchema.Gsi2PartitionKey] = S(heldPartition) }));
            start = null;
        }
        else if (start.GetValueOrDefault(LedgerSchema.Gsi2PartitionKey)?.S != heldPartition)
        {
            throw new ArgumentException("page cursor is not of this rule", nameof(cursor));
        }
        else if (!start.ContainsKey(LedgerSchema.PartitionKey))
        {
            start = null;
        }
        var (held, after) = await HeldFailuresAsync(ruleId, heldPartition, limit - items.Count, start, cancellationToken).ConfigureAwait(false);
        items.AddRange(held);
        return (items, PageCursor.Encode(after));
    }

    /// <summary>Reads findings for the drill-down's held failures (the ledger's one item reader; no counters).</summary>
    private DynamoDbFindingLedger FindingReader => _findingReader ??= new DynamoDbFindingLedger(dynamo, tableName, Settings.IsmsSettings.Default) { CounterCatchUp = null };

    private DynamoDbFindingLedger? _findingReader;

    /// <summary>
    /// One page of the rule's GSI2 partition (keys only): each finding that holds its failure and has no result item is a
    /// fail, evaluated at its newest violation's source time, from the finding (source <c>finding</c>).
    /// </summary>
    private async Task<(List<EvidenceRecord> Items, Dictionary<string, AttributeValue>? Next)> HeldFailuresAsync(string ruleId, string partition, int limit,
        Dictionary<string, AttributeValue>? start, CancellationToken cancellationToken)
    {
        var page = await dynamo.QueryAsync(new QueryRequest
        {
            TableName = tableName,
            IndexName = LedgerSchema.Gsi2,
            KeyConditionExpression = "#pk = :pk",
            ExpressionAttributeNames = new() { ["#pk"] = LedgerSchema.Gsi2PartitionKey },
            ExpressionAttributeValues = new() { [":pk"] = S(partition) },
            Limit = Math.Max(1, limit),
            ExclusiveStartKey = start,
            ReturnConsumedCapacity = Observer is null ? null : ReturnConsumedCapacity.TOTAL,
        }, cancellationToken).ConfigureAwait(false);
        Observer?.Invoke("evidence-rule-held", page.ConsumedCapacity);
        var items = new List<EvidenceRecord>();
        foreach (var entry in page.Items ?? [])
        {
            if (entry.GetValueOrDefault(LedgerSchema.PartitionKey)?.S is not { } pk || !pk.StartsWith(LedgerKeys.FindingPrefix, StringComparison.Ordinal)
                || entry.GetValueOrDefault(LedgerSchema.SortKey)?.S != LedgerKeys.Meta) continue;
            if (await FindingReader.GetAsync(pk[LedgerKeys.FindingPrefix.Length..], cancellationToken).ConfigureAwait(false) is not { HoldsEvidence: true } f
                || f.RuleId != ruleId) continue;
            var (stored, _, _, _) = await ReadStoredAsync(Key(ruleId, f.Id), cancellationToken).ConfigureAwait(false);
            if (stored is not null) continue;
            items.Add(new EvidenceRecord(ruleId, f.ResourceId, f.SubKey, f.ResourceType, Fail, HeldFailures.HeldAt(f), HeldSource,
                f.Evidence.GetValueOrDefault("policyVersion") ?? ""));
        }
        return (items, page.LastEvaluatedKey is { Count: > 0 } next ? next : null);
    }

    /// <summary>The source the drill-down shows for a failure its finding holds.</summary>
    public const string HeldSource = "finding";

    private Dictionary<string, AttributeValue> Item(Evaluation e, string result, DateTimeOffset at, DateTimeOffset observed, string source) =>
        Item(e.Rule.Id, e.FindingId, e.ResourceId, e.ResourceType, e.SubKey, result, at, observed, source);

    /// <summary>One result item (a tombstone is one with result <c>gone</c>, evaluated and observed at the deletion).</summary>
    private Dictionary<string, AttributeValue> Item(string ruleId, string findingId, string resourceId, string resourceType, string subKey,
        string result, DateTimeOffset at, DateTimeOffset observed, string source)
    {
        var item = Key(ruleId, findingId);
        item[LedgerSchema.EntityType] = S(Entity);
        item["ruleId"] = S(ruleId);
        item["resourceId"] = S(resourceId);
        item["resourceType"] = S(resourceType);
        item["subKey"] = S(subKey);
        item["result"] = S(result);
        item["evaluatedAt"] = Time(at);
        item["observedAt"] = Time(observed);
        item["source"] = S(source);
        item["policyVersion"] = S(policyVersion);
        return item;
    }

    /// <summary>
    /// The stored result of one rule and resource (null item: none yet), with its evaluation and observation times. Items
    /// written before observedAt existed: their evaluatedAt was the observation time.
    /// </summary>
    private async Task<(Dictionary<string, AttributeValue>? Item, string? Result, DateTimeOffset? EvaluatedAt, DateTimeOffset? ObservedAt)> ReadStoredAsync(
        Dictionary<string, AttributeValue> key, CancellationToken cancellationToken)
    {
        var get = await dynamo.GetItemAsync(new GetItemRequest
        {
            TableName = tableName,
            Key = key,
            ProjectionExpression = "#r, evaluatedAt, observedAt, " + TakesOverAttribute + ", " + SupersededCreationAttribute,
            ExpressionAttributeNames = new() { ["#r"] = "result" },
            ReturnConsumedCapacity = Observer is null ? null : ReturnConsumedCapacity.TOTAL,
        }, cancellationToken).ConfigureAwait(false);
        Observer?.Invoke("evidence-get", get.ConsumedCapacity);
        var stored = get.Item is { Count: > 0 } item ? item : null;
        var evaluated = ReadTime(stored, "evaluatedAt");
        return (stored, stored?.GetValueOrDefault("result")?.S, evaluated, ReadTime(stored, "observedAt") ?? evaluated);
    }

    private static Dictionary<string, AttributeValue> Key(string ruleId, string findingId) => new()
    {
        [LedgerSchema.PartitionKey] = S(ResultPartitionPrefix + ruleId),
        [LedgerSchema.SortKey] = S(ResultSortPrefix + findingId),
    };

    private static AttributeValue S(string value) => new() { S = value };

    private static AttributeValue Time(DateTimeOffset at) => S(Timestamps.ToWire(at));

    private static long Number(Dictionary<string, AttributeValue> item, string name) =>
        item.GetValueOrDefault(name)?.N is { } n && long.TryParse(n, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : 0;

    private static DateTimeOffset? ReadTime(Dictionary<string, AttributeValue>? item, string name) =>
        item?.GetValueOrDefault(name)?.S is { } text && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) ? at : null;
}
