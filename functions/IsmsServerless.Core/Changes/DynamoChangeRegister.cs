using System.Globalization;
using System.Text.Json;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using IsmsServerless.Alerts;
using IsmsServerless.Ledger;
using IsmsServerless.Model;
using IsmsServerless.Observability;
using IsmsServerless.Settings;

namespace IsmsServerless.Changes;

/// <summary>
/// The change register in the ledger table (item layout in docs/data-model.md, "Change register"):
/// <list type="bullet">
/// <item><c>PK=CHANGE#id, SK=CHANGE</c>: the record; pending ones in GSI3 <c>CHANGE#PENDING</c> by due time, reviewed
/// ones in GSI3 <c>CHANGE#REVIEWED</c> by review time; the next timer in GSI4 <c>CHANGE#TIMER</c> (sparse).</item>
/// <item><c>PK=CHANGE#id, SK=CALL#eventID</c>: one per distinct call; its conditional put is the deduplication.</item>
/// </list>
/// A call is merged by read, merge, then one transaction (put call if absent + put record if its version is unchanged),
/// so a redelivery changes nothing and concurrent calls of one session retry instead of losing each other.
/// </summary>
public sealed class DynamoChangeRegister(IAmazonDynamoDB dynamo, string tableName, IsmsSettings settings) : IChangeRegister
{
    public const string EntityChange = "CHANGE";
    public const string EntityCall = "CHANGE_CALL";
    public const string PendingPartition = "CHANGE#PENDING";
    public const string ReviewedPartition = "CHANGE#REVIEWED";
    public const string TimerPartition = "CHANGE#TIMER";
    private const string RecordSortKey = "CHANGE";
    private const string CallSortPrefix = "CALL#";
    private const int MaxAttempts = 12;

    private readonly ChangeDeadline _deadline = new(settings);

    // The review deadline is a change.review obligation on the same table (Obligations/): opened with the record,
    // attested with the review, timed by the obligations sweep.
    private readonly Obligations.DynamoObligationStore _obligations = new(dynamo, tableName, settings);

    // Change reviews' first timers, found from the records' pending entries (issue 20 wave 9).
    private readonly PendingChangeTimers _pendingTimers = new(dynamo, tableName, settings);

    /// <summary>
    /// Merges one call without a transaction (issue 20: a 40-call session was 40 two-item transactions):
    /// <list type="number">
    /// <item>read the record; a call it names (its earliest) or lists (an older layout) is a redelivery: nothing written;</item>
    /// <item>the session's earliest call (the first of a new session, or one earlier than the record's) is kept on the
    /// record itself (<see cref="ChangeRecord.FirstCall"/>, issue 20 wave 8): no CALL item; the earlier earliest call it
    /// replaces is put as the CALL item it would have had (if absent). Any other call: put its CALL item if absent (the
    /// deduplication by eventID);</item>
    /// <item>put the merged record on the condition that its version is still the one read in step 1.</item>
    /// </list>
    /// Every merged field but the call count is idempotent (min/max, set unions, bounded smallest lists). The count adds
    /// one when the call is provably uncounted: the earliest call (the record's earliest only moves earlier, and a merged
    /// call is never earlier than it, so a call earlier than the record's was never merged into it), or a call whose CALL
    /// item this attempt stored itself after reading the record, which did not move since (no other writer can have counted
    /// it); the conditional put proves "did not move". Any other case (the CALL item was already there: a redelivery, or a
    /// crash between the two puts; or the record moved: a concurrent call) counts the session's stored calls instead: the
    /// CALL items' eventIDs and the record's earliest call (one consistent Query of keys), exact whatever was merged before.
    /// A crash between the two puts therefore leaves a stored call that its redelivery merges; see ChangeRegisterCrashTests.
    /// </summary>
    public async Task<ChangeRecordResult> RecordAsync(ChangeCall call, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(call);
        // The call's CALL item was put (successfully or not) by an earlier attempt: put once per request.
        var callPut = false;
        for (var attempt = 1; attempt <= MaxAttempts; attempt++)
        {
            var existing = await GetAsync(call.ChangeId, cancellationToken).ConfigureAwait(false);
            if (existing is not null && (existing.FirstCallId == call.EventId || existing.Calls.Any(c => c.EventId == call.EventId)))
            {
                // A redelivery (or a crash after the merge, before the obligation): open it now (idempotent). The record
                // names the call (its earliest, or one of an older record's listed calls) only once a merge of the call
                // was stored, and a stored merge counted it: no CALL put, no recount (issue 20: a session's first call
                // is most redeliveries, and every call of a one-call session).
                await OpenReviewObligationAsync(existing, cancellationToken, redelivery: true).ConfigureAwait(false);
                return new ChangeRecordResult(ChangeRecordStatus.Duplicate, existing);
            }
            var merged = existing is null ? ChangeRecordMerger.Start(call) : ChangeRecordMerger.Merge(existing, call);
            // The session's earliest call: kept on the record, never merged before (see above), so counted by this write.
            var earliest = merged.FirstCallId == call.EventId;
            var fresh = earliest;
            if (earliest)
            {
                // The call it replaces as the earliest leaves the record: stored as its CALL item first (a crash after this
                // put leaves the call in both places until the redelivery; readers and the recount see it once).
                if (existing?.FirstCall is { } replaced && replaced.EventId != call.EventId)
                    await PutCallIfAbsentAsync(call.ChangeId, replaced, cancellationToken).ConfigureAwait(false);
            }
            else if (!callPut)
            {
                // The CALL item (once): stored by this request after the read above means no writer has ever counted this
                // call. A call the record names was stored before its merge, so skipping the put there loses nothing.
                callPut = true;
                fresh = await PutCallIfAbsentAsync(call.ChangeId, ChangeCallDetail.Of(call), cancellationToken).ConfigureAwait(false);
            }
            // This call already merged (its merge changes nothing of the record): a redelivery, even when the write below
            // only catches the count up with calls of the session that other writers stored meanwhile.
            var alreadyMerged = !fresh && existing is not null && SameRecord(existing, merged with { CallCount = existing.CallCount });
            if (!fresh)
            {
                // Not provably uncounted: the count is the number of stored calls (at least what the record says).
                var stored = await CountCallsAsync(call.ChangeId, ChangeRecordMerger.EarliestCall(merged)?.Id, cancellationToken).ConfigureAwait(false);
                merged = merged with { CallCount = Math.Max(existing?.CallCount ?? 0, stored) };
            }
            merged = merged with { Version = (existing?.Version ?? 0) + 1 };
            // A call made after the review (by its source time, however late it is delivered) is not covered by it: the
            // change goes back to pending in a new round with a new deadline, the earlier review stays as history.
            AlertRecord? roundAlert = null;
            if (existing?.Review is { } review && call.EventTime > review.ReviewedAt)
            {
                merged = ChangeRecordMerger.StartNewRound(merged, call.EventTime);
                roundAlert = ChangeRoundAlert.For(merged, review, settings);
            }
            if (existing is not null && roundAlert is null && SameRecord(existing, merged))
            {
                // Already merged (a redelivery of a call outside the record's bounded list): nothing changes.
                await OpenReviewObligationAsync(existing, cancellationToken, redelivery: true).ConfigureAwait(false);
                return new ChangeRecordResult(ChangeRecordStatus.Duplicate, existing);
            }
            var outcome = await TryPutMergedAsync(merged, roundAlert, cancellationToken).ConfigureAwait(false);
            if (outcome != Storage.PutOutcome.ConditionFailed)
            {
                // A record this request created: its obligation is new too (created without a read; a concurrent open reads).
                await OpenReviewObligationAsync(merged, cancellationToken, created: existing is null && outcome == Storage.PutOutcome.Written).ConfigureAwait(false);
                // Written: news, even for a call stored earlier and merged only now (its first delivery died between the
                // two puts). Already stored: a concurrent delivery of the same call wrote this very record first. Already
                // merged: a concurrent delivery of the same call merged it first, and this write only moved the count.
                var status = outcome == Storage.PutOutcome.AlreadyStored || alreadyMerged ? ChangeRecordStatus.Duplicate
                    : existing is null ? ChangeRecordStatus.Created : ChangeRecordStatus.Merged;
                return new ChangeRecordResult(status, merged);
            }
            // The record moved (another call of the session, a review, the sweep): merge again from the new version.
            Log.Debug("change.record-retry", ("changeId", call.ChangeId), ("attempt", attempt));
            // Exponential backoff with full jitter (up to 1 s): a busy session's writers spread out instead of colliding again.
            await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(5, Math.Min(1000, 25 << Math.Min(attempt, 6)))), cancellationToken).ConfigureAwait(false);
        }
        throw new InvalidOperationException($"change {call.ChangeId}: could not merge call {call.EventId} after {MaxAttempts} attempts of concurrent updates");
    }

    /// <summary>Stores the CALL item unless one with its eventID exists. True only when this request stored it.</summary>
    private async Task<bool> PutCallIfAbsentAsync(string changeId, ChangeCallDetail call, CancellationToken cancellationToken)
    {
        try
        {
            await dynamo.PutItemAsync(new PutItemRequest
            {
                TableName = tableName,
                Item = CallItem(changeId, call),
                ConditionExpression = "attribute_not_exists(PK)",
            }, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (ConditionalCheckFailedException)
        {
            // Stored before (a redelivery, or the SDK's retry of a put whose answer was lost): not provably uncounted.
            return false;
        }
    }

    /// <summary>
    /// The number of distinct calls stored for the change: its CALL items' eventIDs and <paramref name="earliestId"/> (the
    /// record's earliest call, kept on the record; on records of older layouts it has a CALL item too). Consistent; one
    /// Query page per 1 MB of CALL items, keys only returned.
    /// </summary>
    private async Task<int> CountCallsAsync(string changeId, string? earliestId, CancellationToken cancellationToken)
    {
        var ids = new HashSet<string>(StringComparer.Ordinal);
        if (earliestId is not null) ids.Add(earliestId);
        Dictionary<string, AttributeValue>? start = null;
        do
        {
            var response = await dynamo.QueryAsync(new QueryRequest
            {
                TableName = tableName,
                KeyConditionExpression = "PK = :pk AND begins_with(SK, :call)",
                ExpressionAttributeValues = new Dictionary<string, AttributeValue>
                {
                    [":pk"] = S("CHANGE#" + changeId),
                    [":call"] = S(CallSortPrefix),
                },
                ProjectionExpression = "SK",
                ConsistentRead = true,
                ExclusiveStartKey = start,
            }, cancellationToken).ConfigureAwait(false);
            foreach (var item in response.Items ?? [])
            {
                if (Str(item, LedgerSchema.SortKey) is { } sk) ids.Add(sk[CallSortPrefix.Length..]);
            }
            start = response.LastEvaluatedKey is { Count: > 0 } last ? last : null;
        }
        while (start is not null);
        return ids.Count;
    }

    /// <summary>The merged record, conditional on the version read; with a new round's alert, both or neither.</summary>
    private async Task<Storage.PutOutcome> TryPutMergedAsync(ChangeRecord merged, AlertRecord? roundAlert, CancellationToken cancellationToken)
    {
        var put = RecordPut(merged);
        if (roundAlert is null)
            return await Storage.ConditionalPut.PutAsync(dynamo, tableName, put.Item, put.ConditionExpression, put.ExpressionAttributeValues, cancellationToken).ConfigureAwait(false);
        try
        {
            await dynamo.TransactWriteItemsAsync(new TransactWriteItemsRequest
            {
                TransactItems = [new TransactWriteItem { Put = put }, new TransactWriteItem { Put = AlertPut(roundAlert) }],
            }, cancellationToken).ConfigureAwait(false);
            return Storage.PutOutcome.Written;
        }
        catch (TransactionCanceledException)
        {
            // The record moved, or the round's alert exists (same round opened by another call): re-read and merge again;
            // the re-read record is then unreviewed and the call merges into the open round.
            return Storage.PutOutcome.ConditionFailed;
        }
    }

    private bool SameRecord(ChangeRecord a, ChangeRecord b)
    {
        var x = RecordItem(a);
        var y = RecordItem(b);
        x.Remove("version");
        y.Remove("version");
        return Storage.ConditionalPut.Same(x, y);
    }

    public async Task<ChangeRecord?> GetAsync(string changeId, CancellationToken cancellationToken = default)
    {
        var response = await dynamo.GetItemAsync(new GetItemRequest
        {
            TableName = tableName,
            Key = Key(changeId, RecordSortKey),
            ConsistentRead = true,
        }, cancellationToken).ConfigureAwait(false);
        return response.Item is { Count: > 0 } item ? FromItem(item) : null;
    }

    /// <summary>
    /// Every stored call: the CALL items and the earliest call the record keeps (issue 20 wave 8), from one Query of the
    /// change's partition (<c>SK BETWEEN "CALL#" AND "CHANGE"</c>: the CALL items, then the record). A call found in both
    /// places (a crash after an earlier call replaced it on the record, before the record's write) is listed once.
    /// </summary>
    public async Task<IReadOnlyList<ChangeCallSummary>> GetCallsAsync(string changeId, int limit, CancellationToken cancellationToken = default)
    {
        var calls = new Dictionary<string, ChangeCallSummary>(StringComparer.Ordinal);
        var recordRead = false;
        Dictionary<string, AttributeValue>? start = null;
        do
        {
            var response = await dynamo.QueryItemsAsync(new QueryRequest
            {
                TableName = tableName,
                KeyConditionExpression = "PK = :pk AND SK BETWEEN :call AND :record",
                ExpressionAttributeValues = new Dictionary<string, AttributeValue>
                {
                    [":pk"] = S("CHANGE#" + changeId),
                    [":call"] = S(CallSortPrefix),
                    [":record"] = S(RecordSortKey),
                },
                ExclusiveStartKey = start,
                // One more than the calls still wanted: the record may be among them.
                Limit = Math.Clamp(limit - calls.Count + 1, 1, 1000),
            }, cancellationToken).ConfigureAwait(false);
            foreach (var item in response.Items ?? [])
            {
                var sk = Str(item, LedgerSchema.SortKey) ?? "";
                if (sk == RecordSortKey)
                {
                    recordRead = true;
                    if (FromItem(item).FirstCall is { } first) calls.TryAdd(first.EventId, first.Summary);
                }
                else if (sk.StartsWith(CallSortPrefix, StringComparison.Ordinal) && Timestamps.TryParse(Str(item, "eventTime"), out var time))
                {
                    calls.TryAdd(Str(item, "eventId") ?? "", new ChangeCallSummary(Str(item, "eventId") ?? "", Str(item, "eventName") ?? "", Str(item, "eventSource") ?? "", time)
                    {
                        Resources = List(item, "resources"),
                        SourceIp = Str(item, "sourceIp"),
                    });
                }
            }
            start = response.LastEvaluatedKey is { Count: > 0 } last ? last : null;
        } while (start is not null && calls.Count < limit);
        // More calls than asked for: the record (after every CALL item) was not reached; its earliest call still leads.
        if (!recordRead && start is not null && limit > 0 && await GetAsync(changeId, cancellationToken).ConfigureAwait(false) is { FirstCall: { } earliest })
            calls.TryAdd(earliest.EventId, earliest.Summary);
        return calls.Values.OrderBy(c => c.EventTime).ThenBy(c => c.EventId, StringComparer.Ordinal).Take(Math.Max(limit, 0)).ToList();
    }

    public Task<Page<ChangeRecord>> QueryPendingAsync(int limit, string? cursor = null, CancellationToken cancellationToken = default) =>
        QueryIndexAsync(LedgerSchema.Gsi3, LedgerSchema.Gsi3PartitionKey, PendingPartition, forward: true, limit, cursor, cancellationToken);

    public Task<Page<ChangeRecord>> QueryReviewedAsync(int limit, string? cursor = null, CancellationToken cancellationToken = default) =>
        QueryIndexAsync(LedgerSchema.Gsi3, LedgerSchema.Gsi3PartitionKey, ReviewedPartition, forward: false, limit, cursor, cancellationToken);

    public async Task<IReadOnlyList<ChangeRecord>> QueryTimersDueAsync(DateTimeOffset at, int limit, CancellationToken cancellationToken = default)
    {
        // The timers are the change.review obligations' (GSI4 OBLIGATION#TIMER); re-read each record consistently.
        var due = await _obligations.QueryTimersDueAsync(at, limit, cancellationToken).ConfigureAwait(false);
        var records = new List<ChangeRecord>();
        foreach (var obligation in due.Where(o => o.Kind == ChangeReviewObligations.Kind))
        {
            if (await GetAsync(obligation.Subject, cancellationToken).ConfigureAwait(false) is { } record) records.Add(record);
        }
        return records;
    }

    /// <summary>
    /// Opens (or moves earlier) the change's review obligation. Idempotent; the earliest due time wins. <paramref name="created"/>:
    /// the record was just created by this request, so the obligation is tried as new without a read;
    /// <paramref name="redelivery"/>: the call was merged before, so the obligation was most likely opened: an eventually
    /// consistent read that shows it held is trusted (<see cref="Obligations.DynamoObligationStore.OpenUnlessHeldAsync"/>).
    /// </summary>
    internal async Task OpenReviewObligationAsync(ChangeRecord record, CancellationToken cancellationToken, bool created = false, bool redelivery = false,
        bool indexAtOnce = false)
    {
        if (record.Review is { } review)
        {
            await AttestReviewAsync(record, review, cancellationToken).ConfigureAwait(false);
            return;
        }
        // Opened as of the session's first call seen (the minimum over its calls): the same obligation in any delivery order.
        var spec = ChangeReviewObligations.Spec(record, settings);
        // Its timer is left to the record's pending entry unless the sweep may have read past it (issue 20 wave 9).
        Obligations.DynamoObligationStore.TimerIndexDecision? timerIndexed = indexAtOnce ? null : _pendingTimers.IndexAtOnceAsync;
        if (created) await _obligations.OpenNewAsync(spec, record.FirstCallAt, timerIndexed, cancellationToken).ConfigureAwait(false);
        else if (redelivery) await _obligations.OpenUnlessHeldAsync(spec, record.FirstCallAt, timerIndexed, cancellationToken).ConfigureAwait(false);
        else await _obligations.OpenAsync(spec, record.FirstCallAt, timerIndexed, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Closes the change's review obligation with the review as its attestation (once; a repeat changes nothing).</summary>
    internal async Task AttestReviewAsync(ChangeRecord record, ChangeReview review, CancellationToken cancellationToken)
    {
        var id = ChangeReviewObligations.IdOf(record.ChangeId, record.Round);
        var obligation = await _obligations.GetAsync(id, cancellationToken).ConfigureAwait(false);
        if (obligation is null)
            await _obligations.OpenAsync(ChangeReviewObligations.Spec(record, settings), review.ReviewedAt, cancellationToken).ConfigureAwait(false);
        if (obligation?.Done != true)
        {
            try
            {
                obligation = await _obligations.AttestAsync(id, ChangeReviewObligations.AttestationOf(review), cancellationToken).ConfigureAwait(false);
            }
            catch (Obligations.ObligationException ex) when (ex.Error == Obligations.ObligationError.AlreadyDone)
            {
                // A concurrent writer attested it first: same review, same evidence.
                obligation = await _obligations.GetAsync(id, cancellationToken).ConfigureAwait(false);
            }
        }
        // The change's own resolution (ChangeReviewService) resolved the overdue finding: the obligation has nothing left to do.
        if (record.FindingResolved && obligation is { FindingResolved: false })
            await _obligations.TryUpdateAsync(obligation with { FindingResolved = true, Version = obligation.Version + 1 }, null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Records written before change reviews became obligations kept their timer in GSI4 <c>CHANGE#TIMER</c>: opens their
    /// obligation and rewrites the record (which drops the old timer). One Query per sweep; empty once drained.
    /// </summary>
    internal async Task<int> DrainLegacyTimersAsync(int limit, CancellationToken cancellationToken)
    {
        var response = await dynamo.QueryItemsAsync(new QueryRequest
        {
            TableName = tableName,
            IndexName = LedgerSchema.Gsi4,
            KeyConditionExpression = "GSI4PK = :pk",
            ExpressionAttributeValues = new Dictionary<string, AttributeValue> { [":pk"] = S(TimerPartition) },
            Limit = Math.Clamp(limit, 1, 1000),
        }, cancellationToken).ConfigureAwait(false);
        var drained = 0;
        foreach (var item in response.Items ?? [])
        {
            if (Str(item, "changeId") is not { } id || await GetAsync(id, cancellationToken).ConfigureAwait(false) is not { } record) continue;
            await OpenReviewObligationAsync(record, cancellationToken).ConfigureAwait(false);
            if (await TryUpdateAsync(record with { Version = record.Version + 1 }, null, cancellationToken).ConfigureAwait(false)) drained++;
        }
        return drained;
    }

    public async Task<bool> TryUpdateAsync(ChangeRecord updated, AlertRecord? alert = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(updated);
        var items = new List<TransactWriteItem> { new() { Put = RecordPut(updated) } };
        // The stack the reviewer named: indexed so the stack drift rule's verdict finds the change without a scan.
        if (updated.ReconcileStack is { } stack && updated.Closure is null)
            items.Add(new TransactWriteItem { Put = new Put { TableName = tableName, Item = StackWaitItem(stack, updated.ChangeId) } });
        // The ledger's own outbox item shape, so alert delivery sends reminders like any other alert.
        if (alert is not null) items.Add(new TransactWriteItem { Put = AlertPut(alert) });
        try
        {
            await dynamo.TransactWriteItemsAsync(new TransactWriteItemsRequest { TransactItems = items }, cancellationToken).ConfigureAwait(false);
        }
        catch (TransactionCanceledException ex)
        {
            var reasons = ex.CancellationReasons ?? [];
            if (alert is not null && reasons.Count > 1 && reasons[0].Code is null or "None" && reasons[1].Code == "ConditionalCheckFailed")
            {
                // The alert already exists (an earlier attempt wrote it): write the record alone.
                return await TryUpdateAsync(updated, null, cancellationToken).ConfigureAwait(false);
            }
            return false;
        }
        if (updated.Review is { } review)
        {
            try
            {
                await AttestReviewAsync(updated, review, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // The review stands; the obligations sweep attests from the record when its timer fires.
                Log.Warn("change.obligation-attest-deferred", ("changeId", updated.ChangeId), ("error", ex.Message));
            }
            await SyncCodeUpdateObligationAsync(updated, cancellationToken).ConfigureAwait(false);
            await OpenImplementationCheckAsync(updated, cancellationToken).ConfigureAwait(false);
            if (Jira.JiraQueue.Wants(settings, updated))
            {
                try
                {
                    // The review's Jira comment (once per round); a failure here is retried by the next update of the record.
                    await new Jira.JiraOutbox(dynamo, tableName).EnqueueAsync(updated.ChangeId, Jira.JiraTask.Comment(updated.Round), review.ReviewedAt, cancellationToken).ConfigureAwait(false);
                }
                catch (AmazonDynamoDBException ex)
                {
                    Log.Warn("jira.comment-enqueue-deferred", ("changeId", updated.ChangeId), ("error", ex.Message));
                }
            }
        }
        return true;
    }

    /// <summary>
    /// PROC-002 "The IT Director checks the implementation": the <c>change.implementation-check</c> obligation for an
    /// approved change whose type required no it-director approval. Idempotent (one per change and round); a failure
    /// here never undoes the review.
    /// </summary>
    internal async Task OpenImplementationCheckAsync(ChangeRecord record, CancellationToken cancellationToken)
    {
        if (record.Review is not { } review || !ChangeImplementationCheckObligations.Needed(record, settings)) return;
        try
        {
            await _obligations.OpenAsync(ChangeImplementationCheckObligations.Spec(record, review, settings), review.ReviewedAt, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException and not Obligations.ObligationException)
        {
            Log.Warn("change.implementation-check-deferred", ("changeId", record.ChangeId), ("error", ex.Message));
        }
    }

    /// <summary>
    /// The <c>change.code-update</c> obligation (Qwestly "update the code accordingly"): opened when a reviewed change
    /// still needs its code reconciliation, attested (every round's) with the closure. Idempotent, retried by the next
    /// update or reconciliation; a failure here never undoes the review.
    /// </summary>
    internal async Task SyncCodeUpdateObligationAsync(ChangeRecord record, CancellationToken cancellationToken)
    {
        if (!record.CodeUpdateRequired || record.Review is not { } review) return;
        try
        {
            if (record.Closure is not { } closure)
            {
                await _obligations.OpenAsync(ChangeCodeUpdateObligations.Spec(record, review, settings), review.ReviewedAt, cancellationToken).ConfigureAwait(false);
                return;
            }
            for (var round = 1; round <= record.Round; round++)
            {
                var id = ChangeCodeUpdateObligations.IdOf(record.ChangeId, round);
                if (await _obligations.GetAsync(id, cancellationToken).ConfigureAwait(false) is not { Done: false }) continue;
                try
                {
                    await _obligations.AttestAsync(id, ChangeCodeUpdateObligations.AttestationOf(closure), cancellationToken).ConfigureAwait(false);
                }
                catch (Obligations.ObligationException ex) when (ex.Error == Obligations.ObligationError.AlreadyDone)
                {
                    // A concurrent reconciliation attested it first.
                }
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException and not Obligations.ObligationException)
        {
            Log.Warn("change.code-update-obligation-deferred", ("changeId", record.ChangeId), ("error", ex.Message));
        }
    }

    /// <summary>Changes waiting for <paramref name="stack"/> (account/region/name) to be reported in sync. One Query.</summary>
    public async Task<IReadOnlyList<string>> QueryWaitingForStackAsync(string stack, CancellationToken cancellationToken = default)
    {
        var ids = new List<string>();
        Dictionary<string, AttributeValue>? start = null;
        do
        {
            var response = await dynamo.QueryItemsAsync(new QueryRequest
            {
                TableName = tableName,
                KeyConditionExpression = "PK = :pk",
                ExpressionAttributeValues = new Dictionary<string, AttributeValue> { [":pk"] = S(StackWaitPartition + stack) },
                ExclusiveStartKey = start,
                Limit = 200,
            }, cancellationToken).ConfigureAwait(false);
            ids.AddRange((response.Items ?? []).Select(i => Str(i, "changeId")).OfType<string>());
            start = response.LastEvaluatedKey is { Count: > 0 } last ? last : null;
        } while (start is not null && ids.Count < 1000);
        return ids;
    }

    /// <summary>
    /// Records the stack drift rule's latest verdict on <paramref name="stack"/> if it is newer than the stored one (so the
    /// end state does not depend on delivery order), and returns the stored latest verdict.
    /// </summary>
    public async Task<StackSyncState> RecordStackVerdictAsync(string stack, string complianceType, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        try
        {
            await dynamo.PutItemAsync(new PutItemRequest
            {
                TableName = tableName,
                Item = new Dictionary<string, AttributeValue>
                {
                    [LedgerSchema.PartitionKey] = S(StackSyncPartition + stack),
                    [LedgerSchema.SortKey] = S("LATEST"),
                    [LedgerSchema.EntityType] = S("CHANGE_STACK_SYNC"),
                    ["stack"] = S(stack),
                    ["complianceType"] = S(complianceType),
                    ["at"] = S(Timestamps.ToWire(at)),
                },
                // ISO 8601 UTC strings of one format order as times; equal time: the in-sync verdict wins (stable).
                ConditionExpression = "attribute_not_exists(PK) OR #at < :at OR (#at = :at AND :ct = :compliant)",
                ExpressionAttributeNames = new Dictionary<string, string> { ["#at"] = "at" },
                ExpressionAttributeValues = new Dictionary<string, AttributeValue>
                {
                    [":at"] = S(Timestamps.ToWire(at)),
                    [":ct"] = S(complianceType),
                    [":compliant"] = S("COMPLIANT"),
                },
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (ConditionalCheckFailedException)
        {
            // An equal or newer verdict is stored: it stands.
        }
        return await GetStackVerdictAsync(stack, cancellationToken).ConfigureAwait(false) ?? new StackSyncState(stack, complianceType, at);
    }

    /// <summary>The stack drift rule's latest stored verdict on <paramref name="stack"/>, if any.</summary>
    public async Task<StackSyncState?> GetStackVerdictAsync(string stack, CancellationToken cancellationToken = default)
    {
        var response = await dynamo.GetItemAsync(new GetItemRequest
        {
            TableName = tableName,
            Key = new Dictionary<string, AttributeValue> { [LedgerSchema.PartitionKey] = S(StackSyncPartition + stack), [LedgerSchema.SortKey] = S("LATEST") },
            ConsistentRead = true,
        }, cancellationToken).ConfigureAwait(false);
        return response.Item is { Count: > 0 } item && Timestamps.TryParse(Str(item, "at"), out var at)
            ? new StackSyncState(stack, Str(item, "complianceType") ?? "", at)
            : null;
    }

    private Dictionary<string, AttributeValue> StackWaitItem(string stack, string changeId) => new()
    {
        [LedgerSchema.PartitionKey] = S(StackWaitPartition + stack),
        [LedgerSchema.SortKey] = S("CHANGE#" + changeId),
        [LedgerSchema.EntityType] = S("CHANGE_STACK_WAIT"),
        ["changeId"] = S(changeId),
        ["stack"] = S(stack),
    };

    public const string StackWaitPartition = "CHANGESTACK#";
    public const string StackSyncPartition = "STACKSYNC#";

    private async Task<Page<ChangeRecord>> QueryIndexAsync(string index, string partitionAttribute, string partition, bool forward, int limit, string? cursor, CancellationToken cancellationToken)
    {
        var request = new QueryRequest
        {
            TableName = tableName,
            IndexName = index,
            KeyConditionExpression = $"{partitionAttribute} = :pk",
            ExpressionAttributeValues = new Dictionary<string, AttributeValue> { [":pk"] = S(partition) },
            ScanIndexForward = forward,
            Limit = Math.Clamp(limit, 1, 1000),
        };
        if (cursor is not null) request.ExclusiveStartKey = DecodeCursor(cursor);
        var response = await dynamo.QueryItemsAsync(request, cancellationToken).ConfigureAwait(false);
        var items = (response.Items ?? []).Select(FromItem).ToList();
        var next = response.LastEvaluatedKey is { Count: > 0 } last ? EncodeCursor(last) : null;
        return new Page<ChangeRecord>(items, next);
    }

    private Put AlertPut(AlertRecord alert) => new()
    {
        TableName = tableName,
        Item = LedgerItems.AlertItem(alert, (Timestamps.ParseOrNull(alert.CreatedAt) ?? DateTimeOffset.UnixEpoch).AddDays(settings.AlertRetentionDays).ToUnixTimeSeconds()),
        ConditionExpression = "attribute_not_exists(PK)",
    };

    private Put RecordPut(ChangeRecord record) => new()
    {
        TableName = tableName,
        Item = RecordItem(record),
        ConditionExpression = record.Version <= 1 ? "attribute_not_exists(PK)" : "version = :expected",
        ExpressionAttributeValues = record.Version <= 1
            ? null
            : new Dictionary<string, AttributeValue> { [":expected"] = N(record.Version - 1) },
    };

    internal Dictionary<string, AttributeValue> RecordItem(ChangeRecord r)
    {
        var item = new Dictionary<string, AttributeValue>
        {
            [LedgerSchema.PartitionKey] = S("CHANGE#" + r.ChangeId),
            [LedgerSchema.SortKey] = S(RecordSortKey),
            [LedgerSchema.EntityType] = S(EntityChange),
            ["changeId"] = S(r.ChangeId),
            ["kind"] = S(r.Kind.ToWire()),
            ["accountId"] = S(r.AccountId),
            ["region"] = S(r.Region),
            ["actor"] = S(r.Actor),
            ["principal"] = S(r.Principal),
            ["firstCallAt"] = S(Timestamps.ToWire(r.FirstCallAt)),
            ["lastCallAt"] = S(Timestamps.ToWire(r.LastCallAt)),
            ["dueAt"] = S(Timestamps.ToWire(_deadline.DueAt(r))),
            ["callCount"] = N(r.CallCount),
            ["apiNames"] = L(r.ApiNames),
            ["resources"] = L(r.Resources),
            ["sourceIps"] = L(r.SourceIps),
            ["regions"] = L(r.Regions),
            ["version"] = N(r.Version),
        };
        // Flags and counters only when they differ from what an absent attribute reads as (false, 0, round 1): the record
        // stays under 1 KB for a typical session (issue 20); records that stored them read the same.
        if (r.ResourcesTruncated) item["resourcesTruncated"] = new AttributeValue { BOOL = true };
        if (r.TimerStage != 0) item["timerStage"] = N(r.TimerStage);
        if (r.FindingResolved) item["findingResolved"] = new AttributeValue { BOOL = true };
        // The calls are the CALL items only (issue 20: the record's calls list made it over 1 KB from its first call); the
        // record keeps the earliest call's eventID, which orders the per-call identity details.
        var firstCallId = r.FirstCallId ?? ChangeRecordMerger.EarliestCall(r)?.Id;
        Optional(item, "firstCallId", firstCallId);
        // ... and, since issue 20 wave 8, that call itself (no CALL item of its own): what is not already the record's.
        if (r.FirstCall is { } first)
        {
            if (first.EventId != firstCallId || first.EventTime != r.FirstCallAt)
                throw new InvalidOperationException($"change {r.ChangeId}: the call kept on the record ({first.EventId}) is not its earliest ({firstCallId})");
            item["firstCall"] = FirstCallAttribute(first, r);
        }
        Optional(item, "roleName", r.RoleName);
        Optional(item, "sessionIssuerArn", r.SessionIssuerArn);
        Optional(item, "accessKeyId", r.AccessKeyId);
        Optional(item, "sessionCreatedAt", r.SessionCreatedAt is { } created ? Timestamps.ToWire(created) : null);
        Optional(item, "callerAccountId", r.CallerAccountId);
        if (r.Round != 1) item["round"] = N(r.Round);
        Optional(item, "roundStartedAt", r.RoundStartedAt is { } roundStart ? Timestamps.ToWire(roundStart) : null);
        if (r.CodeUpdateRequired) item["codeUpdateRequired"] = new AttributeValue { BOOL = true };
        if (r.Closure is { } closure) item["closure"] = S(JsonSerializer.Serialize(closure, ChangeJsonContext.Default.ChangeClosure));
        Optional(item, "reconcileStack", r.ReconcileStack);
        Optional(item, "jiraIssueKey", r.JiraIssueKey);
        if (r.PriorReviews.Count > 0)
            item["priorReviews"] = S(JsonSerializer.Serialize(r.PriorReviews.ToList(), ChangeJsonContext.Default.ListChangeReview));
        if (r.Approvals.Count > 0)
            item["approvals"] = S(JsonSerializer.Serialize(r.Approvals.ToList(), ChangeJsonContext.Default.ListChangeApproval));
        if (r.Review is { } review)
        {
            item["reviewer"] = S(review.Reviewer);
            item["reviewerPrincipal"] = S(review.ReviewerPrincipal);
            item["reviewedAt"] = S(Timestamps.ToWire(review.ReviewedAt));
            item["verdict"] = S(review.Verdict.ToWire());
            item["fourEyes"] = S(review.FourEyes);
            Optional(item, "reviewerSubject", review.ReviewerSubject);
            Optional(item, "authorEmail", review.AuthorEmail);
            Optional(item, "ticketUrl", review.TicketUrl);
            Optional(item, "note", review.Note);
            Optional(item, "reviewRisk", review.Risk);
            if (review.RequiredRoles.Count > 0) item["requiredRoles"] = L(review.RequiredRoles);
            item[LedgerSchema.Gsi3PartitionKey] = S(ReviewedPartition);
            item[LedgerSchema.Gsi3SortKey] = S(Timestamps.ToWire(review.ReviewedAt) + "#" + r.ChangeId);
        }
        else
        {
            item[LedgerSchema.Gsi3PartitionKey] = S(PendingPartition);
            item[LedgerSchema.Gsi3SortKey] = S(Timestamps.ToWire(_deadline.DueAt(r)) + "#" + r.ChangeId);
        }
        // The session key only when it is not the one the reader derives from the attributes stored beside it (issue 20
        // wave 8: ~100 bytes, the principal ARN a second time).
        if (DerivedSessionKey(item) != r.SessionKey) item["sessionKey"] = S(r.SessionKey);
        // No GSI4 timer here any more: the review deadline is the change.review obligation's (Obligations/).
        return item;
    }

    internal static ChangeRecord FromItem(Dictionary<string, AttributeValue> item)
    {
        ChangeReview? review = null;
        if (Str(item, "reviewer") is { } reviewer && Timestamps.TryParse(Str(item, "reviewedAt"), out var reviewedAt))
        {
            // Only this class writes the attribute; an unreadable verdict would be a corrupted item, shown as written.
            if (!ReviewVerdictNames.TryParse(Str(item, "verdict"), out var verdict))
                Log.Warn("change.unknown-verdict", ("changeId", Str(item, "changeId")), ("verdict", Str(item, "verdict")));
            review = new ChangeReview(reviewer, Str(item, "reviewerPrincipal") ?? PrincipalName.Normalize(reviewer), reviewedAt, verdict, Str(item, "ticketUrl"), Str(item, "note"))
            {
                ReviewerSubject = Str(item, "reviewerSubject"),
                AuthorEmail = Str(item, "authorEmail"),
                // Reviews stored before the identity model compared principal strings only.
                FourEyes = Str(item, "fourEyes") ?? ChangeReview.FourEyesAuthorUnmapped,
            };
        }
        if (!ChangeKindNames.TryParse(Str(item, "kind"), out var kind))
            Log.Warn("change.unknown-kind", ("changeId", Str(item, "changeId")), ("kind", Str(item, "kind")));
        IReadOnlyList<ChangeApproval> approvalList = Str(item, "approvals") is { Length: > 0 } approvalsJson
            ? JsonSerializer.Deserialize(approvalsJson, ChangeJsonContext.Default.ListChangeApproval) ?? []
            : [];
        if (review is not null)
            review = review with { Approvals = approvalList, Risk = Str(item, "reviewRisk"), RequiredRoles = List(item, "requiredRoles") };
        var firstCallAt = Timestamps.ParseOrNull(Str(item, "firstCallAt")) ?? DateTimeOffset.MinValue;
        var callsJson = Str(item, "calls");
        var calls = string.IsNullOrEmpty(callsJson) ? [] : JsonSerializer.Deserialize(callsJson, ChangeJsonContext.Default.ListChangeCallSummary) ?? [];
        var record = new ChangeRecord
        {
            ChangeId = Str(item, "changeId") ?? "",
            Kind = kind,
            AccountId = Str(item, "accountId") ?? "",
            Region = Str(item, "region") ?? "",
            Actor = Str(item, "actor") ?? "",
            Principal = Str(item, "principal") ?? "",
            RoleName = Str(item, "roleName"),
            SessionIssuerArn = Str(item, "sessionIssuerArn"),
            AccessKeyId = Str(item, "accessKeyId"),
            SessionCreatedAt = Timestamps.ParseOrNull(Str(item, "sessionCreatedAt")),
            SessionKey = Str(item, "sessionKey") ?? DerivedSessionKey(item) ?? "",
            CallerAccountId = Str(item, "callerAccountId"),
            FirstCallAt = firstCallAt,
            LastCallAt = Timestamps.ParseOrNull(Str(item, "lastCallAt")) ?? DateTimeOffset.MinValue,
            CallCount = (int)Num(item, "callCount"),
            // Records stored before issue 20 wave 5 listed their earliest calls; the earliest one's id comes from there.
            Calls = calls,
            FirstCallId = Str(item, "firstCallId") ?? (calls.Count > 0 ? calls.Select(c => (c.EventTime, c.EventId)).Min(CallOrder.Instance).Item2 : null),
            ApiNames = List(item, "apiNames"),
            Resources = List(item, "resources"),
            ResourcesTruncated = item.TryGetValue("resourcesTruncated", out var truncated) && truncated.BOOL == true,
            SourceIps = List(item, "sourceIps"),
            Regions = List(item, "regions"),
            Review = review,
            PriorReviews = Str(item, "priorReviews") is { Length: > 0 } prior
                ? JsonSerializer.Deserialize(prior, ChangeJsonContext.Default.ListChangeReview) ?? []
                : [],
            Approvals = approvalList,
            Round = Num(item, "round") is > 0 and var round ? (int)round : 1,
            RoundStartedAt = Timestamps.ParseOrNull(Str(item, "roundStartedAt")),
            TimerStage = (int)Num(item, "timerStage"),
            FindingResolved = item.TryGetValue("findingResolved", out var resolved) && resolved.BOOL == true,
            CodeUpdateRequired = item.TryGetValue("codeUpdateRequired", out var codeUpdate) && codeUpdate.BOOL == true,
            Closure = Str(item, "closure") is { Length: > 0 } closureJson ? JsonSerializer.Deserialize(closureJson, ChangeJsonContext.Default.ChangeClosure) : null,
            ReconcileStack = Str(item, "reconcileStack"),
            JiraIssueKey = Str(item, "jiraIssueKey"),
            Version = Num(item, "version"),
        };
        // The earliest call kept on the record (issue 20 wave 8); what it does not store is the record's.
        return item.TryGetValue("firstCall", out var firstCall) && firstCall.M is { } stored && record.FirstCallId is { } firstId
            ? record with { FirstCall = FirstCallOf(stored, firstId, firstCallAt, record) }
            : record;
    }

    /// <summary>
    /// The earliest call as the record stores it: its name and source, and its kind, region, actor, resources and source IP
    /// only where they differ from the record's (kind, region, actor, resources, the single source IP; resources that are
    /// among the record's as their positions there). Its eventID and time are the record's <c>firstCallId</c> and
    /// <c>firstCallAt</c>. A one-call session's is two short strings. Every write derives it again from the record it writes.
    /// </summary>
    private static AttributeValue FirstCallAttribute(ChangeCallDetail call, ChangeRecord r)
    {
        var map = new Dictionary<string, AttributeValue>
        {
            ["name"] = S(call.EventName),
            ["source"] = S(call.EventSource),
        };
        if (call.Kind != r.Kind) map["kind"] = S(call.Kind.ToWire());
        if (call.Region != r.Region) map["region"] = S(call.Region);
        if (call.Actor != r.Actor) map["actor"] = S(call.Actor);
        if (!call.Resources.SequenceEqual(r.Resources, StringComparer.Ordinal))
        {
            // Usually a subset of the record's (the union of the calls'): their positions there, else the values.
            var at = call.Resources.Select(resource => PositionOf(r.Resources, resource)).ToList();
            if (at.All(i => i >= 0)) map["resourceAt"] = new AttributeValue { L = at.Select(i => N(i)).ToList() };
            else map["resources"] = L(call.Resources);
        }
        if (call.SourceIp != SingleSourceIp(r.SourceIps)) map["sourceIp"] = call.SourceIp is { } ip ? S(ip) : new AttributeValue { NULL = true };
        return new AttributeValue { M = map };
    }

    /// <summary>
    /// The record's earliest call from its <c>firstCall</c> map (<see cref="FirstCallAttribute"/>). A position outside the
    /// record's resources (only a hand-edited item has one) is dropped, not guessed.
    /// </summary>
    private static ChangeCallDetail FirstCallOf(Dictionary<string, AttributeValue> map, string eventId, DateTimeOffset eventTime, ChangeRecord r)
    {
        var kind = r.Kind;
        if (Str(map, "kind") is { } kindText && !ChangeKindNames.TryParse(kindText, out kind))
            Log.Warn("change.unknown-kind", ("changeId", r.ChangeId), ("kind", kindText));
        return new ChangeCallDetail
        {
            EventId = eventId,
            EventName = Str(map, "name") ?? "",
            EventSource = Str(map, "source") ?? "",
            EventTime = eventTime,
            Kind = kind,
            Region = Str(map, "region") ?? r.Region,
            Actor = Str(map, "actor") ?? r.Actor,
            Resources = map.ContainsKey("resources") ? List(map, "resources")
                : map.TryGetValue("resourceAt", out var at) && at.L is { } positions
                    ? [.. positions.Select(p => int.TryParse(p.N, NumberStyles.Integer, CultureInfo.InvariantCulture, out var i) && i >= 0 && i < r.Resources.Count ? r.Resources[i] : null).OfType<string>()]
                    : r.Resources,
            SourceIp = map.TryGetValue("sourceIp", out var ip) ? (string.IsNullOrEmpty(ip.S) ? null : ip.S) : SingleSourceIp(r.SourceIps),
        };
    }

    private static int PositionOf(IReadOnlyList<string> values, string value)
    {
        for (var i = 0; i < values.Count; i++)
        {
            if (string.Equals(values[i], value, StringComparison.Ordinal)) return i;
        }
        return -1;
    }

    private static string? SingleSourceIp(IReadOnlyList<string> sourceIps) => sourceIps.Count == 1 ? sourceIps[0] : null;

    /// <summary>
    /// The session key as <see cref="ChangeCall"/> forms it, from the record's stored attributes: <c>session|actor|created</c>
    /// with a session creation time, else <c>day|actor|access key|UTC day of the first call</c>. Exact when the principal
    /// the key names is the actor (the principal ARN); the writer stores <c>sessionKey</c> whenever it is not.
    /// </summary>
    private static string? DerivedSessionKey(Dictionary<string, AttributeValue> item)
    {
        if (Str(item, "actor") is not { } actor) return null;
        if (Str(item, "sessionCreatedAt") is { Length: > 0 } created) return $"session|{actor}|{created}";
        if (!Timestamps.TryParse(Str(item, "firstCallAt"), out var first)) return null;
        return $"day|{actor}|{Str(item, "accessKeyId") ?? ""}|{first.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}";
    }

    /// <summary>The CALL item of a call: the same item whether written from the delivered call or from the record it left.</summary>
    private static Dictionary<string, AttributeValue> CallItem(string changeId, ChangeCallDetail call)
    {
        var item = new Dictionary<string, AttributeValue>
        {
            [LedgerSchema.PartitionKey] = S("CHANGE#" + changeId),
            [LedgerSchema.SortKey] = S(CallSortPrefix + call.EventId),
            [LedgerSchema.EntityType] = S(EntityCall),
            ["changeId"] = S(changeId),
            ["eventId"] = S(call.EventId),
            ["eventName"] = S(call.EventName),
            ["eventSource"] = S(call.EventSource),
            ["eventTime"] = S(Timestamps.ToWire(call.EventTime)),
            ["kind"] = S(call.Kind.ToWire()),
            ["actor"] = S(call.Actor),
            ["region"] = S(call.Region),
            ["resources"] = L(call.Resources),
        };
        Optional(item, "sourceIp", call.SourceIp);
        return item;
    }

    private static Dictionary<string, AttributeValue> Key(string changeId, string sortKey) => new()
    {
        [LedgerSchema.PartitionKey] = S("CHANGE#" + changeId),
        [LedgerSchema.SortKey] = S(sortKey),
    };

    private static string EncodeCursor(Dictionary<string, AttributeValue> key) =>
        Convert.ToBase64String(JsonSerializer.SerializeToUtf8Bytes(
            key.Where(kv => kv.Value.S is not null).ToDictionary(kv => kv.Key, kv => kv.Value.S!), CursorJsonContext.Default.DictionaryStringString));

    private static Dictionary<string, AttributeValue> DecodeCursor(string cursor)
    {
        try
        {
            var map = JsonSerializer.Deserialize(Convert.FromBase64String(cursor), CursorJsonContext.Default.DictionaryStringString) ?? [];
            return map.ToDictionary(kv => kv.Key, kv => S(kv.Value));
        }
        catch (Exception ex) when (ex is FormatException or JsonException)
        {
            throw new ArgumentException("the cursor is not one this register issued", nameof(cursor), ex);
        }
    }

    private static AttributeValue S(string value) => new() { S = value };

    private static AttributeValue N(long value) => new() { N = value.ToString(CultureInfo.InvariantCulture) };

    private static AttributeValue L(IEnumerable<string> values) => new() { L = values.Select(S).ToList() };

    private static void Optional(Dictionary<string, AttributeValue> item, string name, string? value)
    {
        if (!string.IsNullOrEmpty(value)) item[name] = S(value);
    }

    private static string? Str(Dictionary<string, AttributeValue> item, string name) => item.TryGetValue(name, out var v) ? v.S : null;

    private static long Num(Dictionary<string, AttributeValue> item, string name) =>
        item.TryGetValue(name, out var v) && long.TryParse(v.N, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : 0;

    private static string[] List(Dictionary<string, AttributeValue> item, string name) =>
        item.TryGetValue(name, out var v) && v.L is { } list ? list.Select(x => x.S).OfType<string>().ToArray() : [];
}

[System.Text.Json.Serialization.JsonSerializable(typeof(Dictionary<string, string>))]
internal sealed partial class CursorJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
