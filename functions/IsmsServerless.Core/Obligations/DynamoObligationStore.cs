using System.Globalization;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using IsmsServerless.Alerts;
using IsmsServerless.Ledger;
using IsmsServerless.Model;
using IsmsServerless.Observability;
using IsmsServerless.Settings;

namespace IsmsServerless.Obligations;

/// <summary>
/// Obligations in the ledger table (layout in docs/data-model.md, "Obligations"): one small item per obligation,
/// <c>PK=OBLIGATION#id, SK=OBLIGATION</c>, indexed by kind (GSI1), by kind+subject (GSI2), open/done (GSI3) and, while
/// a timer is pending, by its next timer (GSI4 <c>OBLIGATION#TIMER</c>, the ledger's timer pattern, so the sweep
/// Queries only what is due). Every write is conditional: creation on <c>attribute_not_exists</c>, every later write on
/// the version read, so duplicates and concurrent writers re-read and decide again instead of overwriting.
/// </summary>
public sealed class DynamoObligationStore(IAmazonDynamoDB dynamo, string tableName, IsmsSettings settings) : IObligationStore
{
    private const int MaxAttempts = 12;

    public Task<OpenResult> OpenAsync(ObligationSpec spec, DateTimeOffset now, CancellationToken cancellationToken = default) =>
        OpenCoreAsync(spec, now, assumeNew: false, null, cancellationToken);

    /// <summary>
    /// Decides, just before an open writes (a creation or an earlier due time), whether the obligation's timer goes into
    /// the timer index (true) or is left to its owner's own index (false: <see cref="Obligation.TimerIndexed"/>). Given
    /// the due time it is about to be written with.
    /// </summary>
    public delegate Task<bool> TimerIndexDecision(DateTimeOffset dueAt, CancellationToken cancellationToken);

    /// <summary><see cref="OpenAsync"/> with the timer index decided by <paramref name="timerIndexed"/> (null: indexed).</summary>
    internal Task<OpenResult> OpenAsync(ObligationSpec spec, DateTimeOffset now, TimerIndexDecision? timerIndexed, CancellationToken cancellationToken) =>
        OpenCoreAsync(spec, now, assumeNew: false, timerIndexed, cancellationToken);

    /// <summary>
    /// <see cref="OpenAsync"/> for an obligation the caller has just made the reason for (the change record it belongs
    /// to was created by this request): the creation is tried first without reading (issue 20: the read of a missing
    /// item was a read unit per new change), and a failed condition (it exists after all: a concurrent call of the
    /// session, a redelivery) falls back to the read-and-decide of <see cref="OpenAsync"/>. The same end state either way.
    /// </summary>
    public Task<OpenResult> OpenNewAsync(ObligationSpec spec, DateTimeOffset now, CancellationToken cancellationToken = default) =>
        OpenCoreAsync(spec, now, assumeNew: true, null, cancellationToken);

    /// <summary><see cref="OpenNewAsync(ObligationSpec, DateTimeOffset, CancellationToken)"/> with the timer index decided by <paramref name="timerIndexed"/>.</summary>
    internal Task<OpenResult> OpenNewAsync(ObligationSpec spec, DateTimeOffset now, TimerIndexDecision? timerIndexed, CancellationToken cancellationToken) =>
        OpenCoreAsync(spec, now, assumeNew: true, timerIndexed, cancellationToken);

    /// <summary>
    /// <see cref="OpenAsync"/> for a redelivery, whose first delivery most likely opened the obligation already: one
    /// eventually consistent read first, trusted only when it shows the obligation done or due no later than
    /// <paramref name="spec"/> (both only ever move that way, so what a stale read shows of them still holds: the open
    /// would change nothing). Anything else (missing, due later) goes through <see cref="OpenAsync"/>. Issue 20: half
    /// a read unit for a duplicate instead of a strongly consistent one.
    /// </summary>
    public Task<OpenResult> OpenUnlessHeldAsync(ObligationSpec spec, DateTimeOffset now, CancellationToken cancellationToken = default) =>
        OpenUnlessHeldAsync(spec, now, null, cancellationToken);

    /// <summary><see cref="OpenUnlessHeldAsync(ObligationSpec, DateTimeOffset, CancellationToken)"/> with the timer index decided by <paramref name="timerIndexed"/>.</summary>
    internal async Task<OpenResult> OpenUnlessHeldAsync(ObligationSpec spec, DateTimeOffset now, TimerIndexDecision? timerIndexed, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var id = Obligation.IdFor(spec.Kind, spec.Subject, spec.Period);
        if (await GetAsync(id, consistent: false, cancellationToken).ConfigureAwait(false) is { } seen && (seen.Done || seen.Spec.DueAt <= spec.DueAt))
            return new OpenResult(OpenStatus.Existing, seen);
        return await OpenCoreAsync(spec, now, assumeNew: false, timerIndexed, cancellationToken).ConfigureAwait(false);
    }

    private async Task<OpenResult> OpenCoreAsync(ObligationSpec spec, DateTimeOffset now, bool assumeNew, TimerIndexDecision? timerIndexed, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ObligationSpecRules.Validate(spec);
        var id = Obligation.IdFor(spec.Kind, spec.Subject, spec.Period);
        // Every obligation carries the policy version it was opened under (callers that leave it empty get the one in force).
        var normalized = spec with
        {
            Reminders = spec.Reminders.Where(r => r < spec.DueAt).Distinct().Order().ToList(),
            PolicyVersion = spec.PolicyVersion.Length > 0 ? spec.PolicyVersion : Policy.PolicyDocument.Embedded.Version,
        };
        for (var attempt = 1; attempt <= MaxAttempts; attempt++)
        {
            var existing = assumeNew && attempt == 1 ? null : await GetAsync(id, cancellationToken).ConfigureAwait(false);
            Obligation candidate;
            OpenStatus status;
            if (existing is null)
            {
                candidate = new Obligation
                {
                    Id = id, Spec = normalized, CreatedAt = now, Version = 1,
                    TimerIndexed = timerIndexed is null || await timerIndexed(normalized.DueAt, cancellationToken).ConfigureAwait(false),
                };
                status = OpenStatus.Created;
            }
            else if (!existing.Done && normalized.DueAt < existing.Spec.DueAt)
            {
                // Order independence: of two opens of one id, the earlier due time wins whichever arrives first.
                var merged = existing.Spec with
                {
                    DueAt = normalized.DueAt,
                    OpensAt = normalized.OpensAt < existing.Spec.OpensAt ? normalized.OpensAt : existing.Spec.OpensAt,
                    Reminders = normalized.Reminders,
                };
                // createdAt is the earliest open too, so it does not depend on which open arrived first.
                candidate = existing with
                {
                    Spec = merged, CreatedAt = now < existing.CreatedAt ? now : existing.CreatedAt, Version = existing.Version + 1,
                    // Once indexed, always indexed; otherwise decided again for the earlier due time.
                    TimerIndexed = existing.TimerIndexed || timerIndexed is null || await timerIndexed(normalized.DueAt, cancellationToken).ConfigureAwait(false),
                };
                status = OpenStatus.Rescheduled;
            }
            else
            {
                return new OpenResult(OpenStatus.Existing, existing);
            }
            candidate = candidate with { StoredState = Moved(candidate, now) };
            if (await TryPutAsync(candidate, null, cancellationToken).ConfigureAwait(false))
            {
                if (status == OpenStatus.Created) Log.Info("obligation.opened", ("id", id), ("kind", spec.Kind), ("subject", spec.Subject), ("dueAt", Timestamps.ToWire(spec.DueAt)));
                return new OpenResult(status, candidate);
            }
            // Assumed new and found existing: decide again from a read, at once.
            if (!(assumeNew && attempt == 1)) await Backoff(attempt, cancellationToken).ConfigureAwait(false);
        }
        throw new ObligationException(ObligationError.Conflict, $"obligation {id} kept changing while it was being opened");
    }

    public Task<Obligation?> GetAsync(string obligationId, CancellationToken cancellationToken = default) =>
        GetAsync(obligationId, consistent: true, cancellationToken);

    /// <summary>The obligation, read strongly or eventually consistently (a stale copy: callers trust only what cannot move back).</summary>
    internal async Task<Obligation?> GetAsync(string obligationId, bool consistent, CancellationToken cancellationToken)
    {
        if (!Obligation.IsObligationId(obligationId)) return null;
        var response = await dynamo.GetItemAsync(new GetItemRequest
        {
            TableName = tableName,
            Key = Key(obligationId),
            ConsistentRead = consistent,
        }, cancellationToken).ConfigureAwait(false);
        return response.Item is { Count: > 0 } item ? ObligationItems.FromItem(item, settings.StatusPageUrl) : null;
    }

    public async Task<Obligation?> LatestForSubjectAsync(string kind, string subject, CancellationToken cancellationToken = default)
    {
        var response = await dynamo.QueryItemsAsync(new QueryRequest
        {
            TableName = tableName,
            IndexName = LedgerSchema.Gsi2,
            KeyConditionExpression = "GSI2PK = :pk",
            ExpressionAttributeValues = new Dictionary<string, AttributeValue> { [":pk"] = S(ObligationKeys.SubjectPartition(kind, subject)) },
            ScanIndexForward = false,
            Limit = 5,
        }, cancellationToken).ConfigureAwait(false);
        // Hashed partitions may be shared by another (kind, subject): filter on the full text.
        foreach (var item in response.Items ?? [])
        {
            if (ObligationItems.FromItem(item, settings.StatusPageUrl) is { } found && found.Kind == kind && found.Subject == subject)
                return await GetAsync(found.Id, cancellationToken).ConfigureAwait(false);
        }
        return null;
    }

    public async Task<IReadOnlyList<Obligation>> QueryTimersDueAsync(DateTimeOffset at, int limit, CancellationToken cancellationToken = default)
    {
        var response = await dynamo.QueryItemsAsync(new QueryRequest
        {
            TableName = tableName,
            IndexName = LedgerSchema.Gsi4,
            KeyConditionExpression = "GSI4PK = :pk AND GSI4SK <= :at",
            ExpressionAttributeValues = new Dictionary<string, AttributeValue>
            {
                [":pk"] = S(ObligationKeys.TimerPartition),
                [":at"] = S(ObligationKeys.TimerUpperBound(at)),
            },
            Limit = Math.Clamp(limit, 1, 1000),
        }, cancellationToken).ConfigureAwait(false);
        // GSIs are eventually consistent: act on the current version.
        var due = new List<Obligation>();
        foreach (var item in response.Items ?? [])
        {
            if (item.TryGetValue("id", out var id) && id.S is { } text && await GetAsync(text, cancellationToken).ConfigureAwait(false) is { } obligation)
                due.Add(obligation);
        }
        return due;
    }

    public Task<Page<Obligation>> QueryOpenAsync(int limit, string? cursor = null, CancellationToken cancellationToken = default) =>
        QueryIndexAsync(LedgerSchema.Gsi3, "GSI3PK", ObligationKeys.OpenPartition, forward: true, limit, cursor, cancellationToken);

    public Task<Page<Obligation>> QueryDoneAsync(int limit, string? cursor = null, CancellationToken cancellationToken = default) =>
        QueryIndexAsync(LedgerSchema.Gsi3, "GSI3PK", ObligationKeys.DonePartition, forward: false, limit, cursor, cancellationToken);

    public async Task<IReadOnlyList<Obligation>> GetManyAsync(IReadOnlyList<string> ids, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var keys = ids.Where(Obligation.IsObligationId).Distinct(StringComparer.Ordinal).Select(Key).ToList();
        if (keys.Count == 0) return [];
        var items = await LedgerIndex.GetItemsAsync(dynamo, tableName, keys, cancellationToken: cancellationToken).ConfigureAwait(false);
        return [.. items.Select(item => ObligationItems.FromItem(item, settings.StatusPageUrl)).OfType<Obligation>()];
    }

    public Task<Page<Obligation>> QueryKindAsync(string kind, int limit, string? cursor = null, CancellationToken cancellationToken = default) =>
        QueryIndexAsync(LedgerSchema.Gsi1, "GSI1PK", ObligationKeys.KindPartition(kind), forward: true, limit, cursor, cancellationToken, o => o.Kind == kind);

    public async Task<OpenOfKind> FirstOpenOfKindAsync(string kind, int maxScanned = 1000, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(kind);
        var scanned = 0;
        var pages = 0;
        string? cursor = null;
        do
        {
            pages++;
            var page = await QueryOpenAsync(Math.Clamp(maxScanned - scanned, 1, 200), cursor, cancellationToken).ConfigureAwait(false);
            // An unreadable item still counts against the bound, so the scan always ends.
            scanned += Math.Max(page.Items.Count, 1);
            if (page.Items.FirstOrDefault(o => o.Kind == kind && !o.Done) is { } first) return new OpenOfKind(first, true);
            cursor = page.NextCursor;
        }
        while (cursor is not null && scanned < maxScanned && pages < 50);
        return new OpenOfKind(null, cursor is null);
    }

    public Task<bool> TryUpdateAsync(Obligation updated, AlertRecord? alert = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(updated);
        return TryPutAsync(updated, alert, cancellationToken);
    }

    public async Task<Obligation> AttestAsync(string obligationId, Attestation attestation, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(attestation);
        for (var attempt = 1; attempt <= MaxAttempts; attempt++)
        {
            var current = await GetAsync(obligationId, cancellationToken).ConfigureAwait(false)
                ?? throw new ObligationException(ObligationError.NotFound, $"no obligation '{obligationId}'");
            if (current.Attestation is { } done)
                throw new ObligationException(ObligationError.AlreadyDone,
                    $"obligation {current.Id} ({current.Spec.Title}) was already attested by {done.By} at {Timestamps.ToWire(done.At)}");
            var attested = current with { Attestation = attestation, StoredState = ObligationState.Done, Version = current.Version + 1 };
            if (await TryPutAsync(attested, null, cancellationToken).ConfigureAwait(false))
            {
                Log.Info("obligation.attested", ("id", current.Id), ("kind", current.Kind), ("by", attestation.By));
                return attested;
            }
            await Backoff(attempt, cancellationToken).ConfigureAwait(false);
        }
        throw new ObligationException(ObligationError.Conflict, $"obligation {obligationId} kept changing while it was being attested; try again");
    }

    private async Task<bool> TryPutAsync(Obligation obligation, AlertRecord? alert, CancellationToken cancellationToken)
    {
        var put = new Put
        {
            TableName = tableName,
            Item = ObligationItems.ToItem(obligation, settings.StatusPageUrl),
            ConditionExpression = obligation.Version <= 1 ? "attribute_not_exists(PK)" : "version = :expected",
            ExpressionAttributeValues = obligation.Version <= 1
                ? null
                : new Dictionary<string, AttributeValue> { [":expected"] = new() { N = (obligation.Version - 1).ToString(CultureInfo.InvariantCulture) } },
        };
        // One item: a conditional PutItem is as atomic as a transaction of one, at half the write units (issue 20).
        if (alert is null)
            return await Storage.ConditionalPut.TryAsync(dynamo, tableName, put.Item, put.ConditionExpression, put.ExpressionAttributeValues, cancellationToken).ConfigureAwait(false);
        var items = new List<TransactWriteItem> { new() { Put = put } };
        items.Add(new TransactWriteItem
        {
            // The ledger's own outbox item: delivery sends reminders like any other alert.
            Put = new Put
            {
                TableName = tableName,
                Item = LedgerItems.AlertItem(alert, (Timestamps.ParseOrNull(alert.CreatedAt) ?? DateTimeOffset.UnixEpoch).AddDays(settings.AlertRetentionDays).ToUnixTimeSeconds()),
                ConditionExpression = "attribute_not_exists(PK)",
            },
        });
        try
        {
            await dynamo.TransactWriteItemsAsync(new TransactWriteItemsRequest { TransactItems = items }, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (TransactionCanceledException ex)
        {
            var reasons = ex.CancellationReasons ?? [];
            // The reminder was already sent by an earlier attempt that died before its stage advance: write the stage alone.
            if (reasons.Count > 1 && reasons[0].Code is null or "None" && reasons[1].Code == "ConditionalCheckFailed")
                return await TryPutAsync(obligation, null, cancellationToken).ConfigureAwait(false);
            return false;
        }
    }

    private async Task<Page<Obligation>> QueryIndexAsync(string index, string partitionAttribute, string partition, bool forward, int limit, string? cursor,
        CancellationToken cancellationToken, Func<Obligation, bool>? keep = null)
    {
        var request = new QueryRequest
        {
            TableName = tableName,
            IndexName = index,
            KeyConditionExpression = $"{partitionAttribute} = :pk",
            ExpressionAttributeValues = new Dictionary<string, AttributeValue> { [":pk"] = S(partition) },
            ScanIndexForward = forward,
            Limit = Math.Clamp(limit, 1, 1000),
            ExclusiveStartKey = PageCursor.Decode(cursor),
        };
        var response = await dynamo.QueryItemsAsync(request, cancellationToken).ConfigureAwait(false);
        var items = (response.Items ?? []).Select(item => ObligationItems.FromItem(item, settings.StatusPageUrl)).OfType<Obligation>().Where(o => keep?.Invoke(o) ?? true).ToList();
        return new Page<Obligation>(items, PageCursor.Encode(response.LastEvaluatedKey));
    }

    /// <summary>The stored state a write should carry: never moves back (done stays done), otherwise what the clock says.</summary>
    private static ObligationState Moved(Obligation obligation, DateTimeOffset now)
    {
        var byClock = ObligationSchedule.StateAt(obligation, now);
        return byClock > obligation.StoredState ? byClock : obligation.StoredState;
    }

    private static Task Backoff(int attempt, CancellationToken cancellationToken) =>
        Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(5, Math.Min(1000, 25 << Math.Min(attempt, 6)))), cancellationToken);

    private static Dictionary<string, AttributeValue> Key(string id) => new()
    {
        [LedgerSchema.PartitionKey] = S(ObligationKeys.Partition(id)),
        [LedgerSchema.SortKey] = S(ObligationKeys.SortKey),
    };

    private static AttributeValue S(string value) => new() { S = value };
}
