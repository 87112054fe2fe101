using System.Globalization;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using IsmsServerless.Engine;
using IsmsServerless.Ledger;
using IsmsServerless.Model;
using IsmsServerless.Obligations;
using IsmsServerless.Observability;
using IsmsServerless.Settings;
using IsmsServerless.Sweep;

namespace IsmsServerless.Changes;

/// <summary>
/// The first timer of a change review found from the change record's <c>CHANGE#PENDING</c> entry instead of a timer
/// index entry of its own (issue 20 wave 9; layout in docs/data-model.md, "Change register" and "Obligations").
/// <para>
/// Every pending change already has a GSI3 entry sorted by its due time, and a change review's first timer (its first
/// reminder) is the due time less a fixed lead (<see cref="Lead"/>: the window less its first reminder share). So the
/// sweep walks that partition with a cursor (item <c>CHANGE#SWEEP</c>/<c>PENDING</c>): each run reads the entries
/// due up to <c>now + lead</c> after the cursor, fires each one's first timer (or, when nothing is due yet, writes it)
/// through the obligations' one schedule, and from then on the obligation carries its timer index entry (GSI4
/// <c>OBLIGATION#TIMER</c>) like every other obligation. The review obligation is therefore opened without one: one
/// index write less per change session, and the index entry moves two times less over its life.
/// </para>
/// <para>
/// A cursor misses what is written behind it: a change delivered late (a replay, a backlog) has a due time the cursor
/// passed already. So the sweep writes how far it may read (<c>claimed</c>) before it reads, the opener reads that claim
/// (one eventually consistent read of the small cursor item per review obligation it creates or moves earlier) and
/// indexes the timer at once when its due time is not beyond the claim (or its lead is longer than the sweep's); and the
/// cursor (<c>done</c>) advances only up to the claim of the run before, so every entry the sweep passes was read by a
/// query made at least one sweep interval after any opener could have seen a smaller claim: its record was stored before
/// that opener's read, well before that query. Opened before any sweep (no cursor item): not indexed, the first sweep
/// reads the partition from its start.
/// </para>
/// <para>
/// Obligations written before (with their timer index entry: <see cref="Obligation.TimerIndexed"/> true) are left to
/// the timer index; a pending record without its obligation (a crash between the two writes) gets it opened, indexed.
/// </para>
/// </summary>
public sealed class PendingChangeTimers(IAmazonDynamoDB dynamo, string tableName, IsmsSettings settings)
{
    public const string CursorPartition = "CHANGE#SWEEP";
    public const string CursorSortKey = "PENDING";
    public const string ReviewedCursorSortKey = "REVIEWED";

    /// <summary>How long after its review time a reviewed change's entry is read (writes and clocks settle first).</summary>
    public static readonly TimeSpan ReviewedSettle = TimeSpan.FromMinutes(15);
    public const string EntityCursor = "CHANGE_SWEEP_CURSOR";
    public const int BatchSize = 200;

    /// <summary>Entries read per run at most, those skipped included (obligations written before, with their timer entry).</summary>
    public const int MaxEntriesPerRun = 1000;

    private readonly DynamoObligationStore _obligations = new(dynamo, tableName, settings);

    /// <summary>The cursor: entries at or before <paramref name="Done"/> are handled; queries may have read up to <paramref name="Claimed"/>.</summary>
    private sealed record Cursor(string Claimed, string Done, long LeadMs, long Version);

    /// <summary>The time from a change review's first timer to its due time under <paramref name="settings"/> (the sweep reads that far ahead).</summary>
    public static TimeSpan Lead(IsmsSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var window = TimeSpan.FromHours(settings.ChangeReviewHours);
        var shares = settings.ChangeReviewReminderShares.Where(s => s is > 0 and < 1).ToList();
        // Same arithmetic as ChangeDeadline.Reminders: the first reminder is RoundStart + window * share.
        return shares.Count == 0 ? TimeSpan.Zero : window - TimeSpan.FromTicks((long)(window.Ticks * shares.Min()));
    }

    private static long LeadMs(IsmsSettings settings) => (long)Math.Ceiling(Lead(settings).TotalMilliseconds);

    /// <summary>
    /// The opener's decision for a change review about to be written with <paramref name="dueAt"/>: index its timer at
    /// once (true) when a sweep may already have read past that due time, or reads less far ahead than this opener's
    /// lead; otherwise (false) the sweep will find it from the change's pending entry. One eventually consistent read.
    /// </summary>
    public async Task<bool> IndexAtOnceAsync(DateTimeOffset dueAt, CancellationToken cancellationToken)
    {
        var cursor = await ReadAsync(CursorSortKey, consistent: false, cancellationToken).ConfigureAwait(false);
        if (cursor is null) return false;
        return string.CompareOrdinal(Timestamps.ToWire(dueAt), cursor.Claimed) <= 0 || LeadMs(settings) > cursor.LeadMs;
    }

    /// <summary>The sweep's pass over the pending changes that reached their first timer (see the class remarks).</summary>
    internal async Task<SweepStepResult> RunAsync(SweepContext context, ObligationKinds kinds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var notes = new List<string>();
        var now = context.Evaluation.Now;
        var cursor = await ReadAsync(CursorSortKey, consistent: true, cancellationToken).ConfigureAwait(false) ?? new Cursor("", "", 0, 0);
        // Entries up to the claim as this run found it were claimed by an earlier run: the cursor may pass them.
        var ceiling = cursor.Claimed.Length == 0 ? "" : cursor.Claimed + "#~";
        var leadMs = Math.Max(LeadMs(settings), cursor.LeadMs);
        var bound = Timestamps.ToWire(now + TimeSpan.FromMilliseconds(leadMs));
        var claimed = string.CompareOrdinal(bound, cursor.Claimed) > 0 ? bound : cursor.Claimed;
        if (claimed != cursor.Claimed || leadMs != cursor.LeadMs)
        {
            // Claimed before the query: an opener that reads this claim (or a later one) indexes at once what is behind it.
            var next = cursor with { Claimed = claimed, LeadMs = leadMs, Version = cursor.Version + 1 };
            if (!await TryWriteAsync(CursorSortKey, next, cancellationToken).ConfigureAwait(false))
                return new SweepStepResult("pending-changes", 0, 0, 0, ["pending changes: the cursor moved (another sweep); next run"]);
            cursor = next;
        }
        var register = new DynamoChangeRegister(dynamo, tableName, settings);
        int examined = 0, findings = 0, resolved = 0, visited = 0;
        string? last = null;
        var from = cursor.Done.Length == 0 ? "0" : cursor.Done + "~";
        var to = bound + "#~";
        // Nothing after the cursor up to the bound (the clock did not move since the run that got there).
        var exhausted = string.CompareOrdinal(cursor.Done, to) >= 0;
        var blocked = false;
        Dictionary<string, AttributeValue>? start = null;
        while (!exhausted && !blocked && examined < BatchSize && visited < MaxEntriesPerRun)
        {
            // Every key is "<instant>#<changeId>" of one length: none has the done key as a strict prefix, so anything
            // appended to it is past it and before the next key.
            var response = await QueryRangeAsync(DynamoChangeRegister.PendingPartition, from, to,
                Math.Min(BatchSize - examined, MaxEntriesPerRun - visited), start, cancellationToken).ConfigureAwait(false);
            foreach (var item in response.Items ?? [])
            {
                if (!item.TryGetValue(LedgerSchema.Gsi3SortKey, out var sk) || sk.S is not { } key) continue;
                visited++;
                var changeId = item.TryGetValue(LedgerSchema.PartitionKey, out var pk) && pk.S is { } p && p.StartsWith("CHANGE#", StringComparison.Ordinal) ? p["CHANGE#".Length..] : null;
                var visit = changeId is null ? new Visit(true, 0, 0, false) : await VisitAsync(register, changeId, context, kinds, notes, cancellationToken).ConfigureAwait(false);
                findings += visit.Findings;
                resolved += visit.Resolved;
                if (visit.Fired) examined++;
                if (!visit.Handled)
                {
                    // Not handled (it failed, and could not be indexed either): the cursor stops before it, the next run retries.
                    blocked = true;
                    break;
                }
                last = key;
            }
            start = response.LastEvaluatedKey is { Count: > 0 } more ? more : null;
            if (start is null && !blocked)
            {
                exhausted = true;
                break;
            }
        }
        // The cursor advances through what was handled, never past the claim of an earlier run (see the class remarks).
        var reached = exhausted ? bound + "#~" : last ?? cursor.Done;
        var done = Min(reached, ceiling);
        if (string.CompareOrdinal(done, cursor.Done) > 0)
            await TryWriteAsync(CursorSortKey, cursor with { Done = done, Version = cursor.Version + 1 }, cancellationToken).ConfigureAwait(false);
        if (examined > 0) notes.Insert(0, $"{examined} pending change(s) reached their first timer");
        return new SweepStepResult("pending-changes", examined, findings, resolved, notes);
    }

    /// <summary>
    /// The sweep's pass over the changes reviewed since its last run (<c>CHANGE#REVIEWED</c>, by review time, read
    /// <see cref="ReviewedSettle"/> behind the clock, with its own cursor <c>CHANGE#SWEEP</c>/<c>REVIEWED</c>): a review
    /// whose attestation did not reach an obligation without a timer entry (the process died between the record's write
    /// and the attestation) is attested here. An obligation with a timer entry is attested when its timer fires, as before.
    /// Each entry is read once: its round-1 obligation in one batch read, the record only when that obligation is not the
    /// one attested by this very review (a later round, or not attested).
    /// </summary>
    internal async Task<SweepStepResult> AttestReviewedAsync(SweepContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var notes = new List<string>();
        var cursor = await ReadAsync(ReviewedCursorSortKey, consistent: true, cancellationToken).ConfigureAwait(false) ?? new Cursor("", "", 0, 0);
        var bound = Timestamps.ToWire(context.Evaluation.Now - ReviewedSettle) + "#~";
        if (string.CompareOrdinal(bound, cursor.Done) <= 0) return new SweepStepResult("reviewed-changes", 0, 0, 0, notes);
        var response = await QueryRangeAsync(DynamoChangeRegister.ReviewedPartition, cursor.Done.Length == 0 ? "0" : cursor.Done + "~", bound,
            BatchSize, null, cancellationToken).ConfigureAwait(false);
        var entries = new List<(string Key, string ChangeId)>();
        foreach (var item in response.Items ?? [])
        {
            if (item.TryGetValue(LedgerSchema.Gsi3SortKey, out var sk) && sk.S is { Length: > 25 } key
                && item.TryGetValue(LedgerSchema.PartitionKey, out var pk) && pk.S is { } p && p.StartsWith("CHANGE#", StringComparison.Ordinal))
                entries.Add((key, p["CHANGE#".Length..]));
        }
        var firstRounds = entries.Count == 0 ? [] : await _obligations.GetManyAsync([.. entries.Select(e => ChangeReviewObligations.IdOf(e.ChangeId))], cancellationToken).ConfigureAwait(false);
        var byId = firstRounds.ToDictionary(o => o.Id, StringComparer.Ordinal);
        var register = new DynamoChangeRegister(dynamo, tableName, settings);
        string? last = null;
        var repaired = 0;
        foreach (var (key, changeId) in entries)
        {
            // Attested by this review (the key's review time is the attestation's time): nothing to do.
            if (byId.TryGetValue(ChangeReviewObligations.IdOf(changeId), out var seen) && seen.Attestation is { } done
                && string.CompareOrdinal(Timestamps.ToWire(done.At), 0, key, 0, 24) == 0)
            {
                last = key;
                continue;
            }
            try
            {
                if (await register.GetAsync(changeId, cancellationToken).ConfigureAwait(false) is { Review: { } review } record
                    && await _obligations.GetAsync(ChangeReviewObligations.IdOf(changeId, record.Round), cancellationToken).ConfigureAwait(false) is { Done: false, TimerIndexed: false })
                {
                    await register.AttestReviewAsync(record, review, cancellationToken).ConfigureAwait(false);
                    repaired++;
                    notes.Add($"attested the review of {changeId}");
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // The cursor stops before it: the next run retries.
                Log.Error("change.reviewed-attest-failed", ex, ("changeId", changeId));
                notes.Add($"failed {changeId}: {ex.GetType().Name}");
                break;
            }
            last = key;
        }
        var exhausted = response.LastEvaluatedKey is not { Count: > 0 } && last == entries.LastOrDefault().Key;
        var reached = exhausted ? bound : last ?? cursor.Done;
        if (string.CompareOrdinal(reached, cursor.Done) > 0)
            await TryWriteAsync(ReviewedCursorSortKey, cursor with { Done = reached, Version = cursor.Version + 1 }, cancellationToken).ConfigureAwait(false);
        return new SweepStepResult("reviewed-changes", repaired, 0, 0, notes);
    }

    private static string Min(string a, string b) => string.CompareOrdinal(a, b) <= 0 ? a : b;

    private sealed record Visit(bool Handled, int Findings, int Resolved, bool Fired);

    private async Task<Visit> VisitAsync(DynamoChangeRegister register, string changeId, SweepContext context, ObligationKinds kinds, List<string> notes,
        CancellationToken cancellationToken)
    {
        try
        {
            // GSIs are eventually consistent: act on the current record.
            var record = await register.GetAsync(changeId, cancellationToken).ConfigureAwait(false);
            if (record is null || record.Reviewed) return new Visit(true, 0, 0, false);
            var id = ChangeReviewObligations.IdOf(record.ChangeId, record.Round);
            var obligation = await _obligations.GetAsync(id, cancellationToken).ConfigureAwait(false);
            if (obligation is null)
            {
                // Its opener died after the record's write: opened now, timer indexed (the timer index fires it).
                await register.OpenReviewObligationAsync(record, cancellationToken, indexAtOnce: true).ConfigureAwait(false);
                notes.Add($"opened the missing review obligation of {changeId}");
                return new Visit(true, 0, 0, false);
            }
            if (obligation.TimerIndexed || obligation.Done) return new Visit(true, 0, 0, false);
            var (findings, resolved, written) = await ObligationSweepStep.FireAsync(obligation with { TimerIndexed = true }, kinds, _obligations, context, notes, cancellationToken)
                .ConfigureAwait(false);
            if (written) return new Visit(true, findings, resolved, true);
            // Moved meanwhile (the opener moved it earlier, a review attested it) or failed: hand its timer to the index.
            var current = await _obligations.GetAsync(id, cancellationToken).ConfigureAwait(false);
            var handled = current is null || current.TimerIndexed || current.Done
                || await _obligations.TryUpdateAsync(current with { TimerIndexed = true, Version = current.Version + 1 }, null, cancellationToken).ConfigureAwait(false);
            return new Visit(handled, findings, resolved, false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Log.Error("change.pending-timer-failed", ex, ("changeId", changeId));
            notes.Add($"failed {changeId}: {ex.GetType().Name}");
            return new Visit(false, 0, 0, false);
        }
    }

    private async Task<Cursor?> ReadAsync(string sortKey, bool consistent, CancellationToken cancellationToken)
    {
        var response = await dynamo.GetItemAsync(new GetItemRequest { TableName = tableName, Key = Key(sortKey), ConsistentRead = consistent }, cancellationToken).ConfigureAwait(false);
        if (response.Item is not { Count: > 0 } item) return null;
        return new Cursor(Str(item, "claimed") ?? "", Str(item, "done") ?? "", Num(item, "leadMs") ?? 0, Num(item, "version") ?? 1);
    }

    private async Task<bool> TryWriteAsync(string sortKey, Cursor cursor, CancellationToken cancellationToken)
    {
        var item = Key(sortKey);
        item[LedgerSchema.EntityType] = new() { S = EntityCursor };
        if (cursor.Claimed.Length > 0) item["claimed"] = new() { S = cursor.Claimed };
        if (cursor.Done.Length > 0) item["done"] = new() { S = cursor.Done };
        item["leadMs"] = N(cursor.LeadMs);
        item["version"] = N(cursor.Version);
        return await Storage.ConditionalPut.TryAsync(dynamo, tableName, item,
            cursor.Version <= 1 ? "attribute_not_exists(PK)" : "version = :expected",
            cursor.Version <= 1 ? null : new Dictionary<string, AttributeValue> { [":expected"] = N(cursor.Version - 1) },
            cancellationToken).ConfigureAwait(false);
    }

    private static Dictionary<string, AttributeValue> Key(string sortKey) => new()
    {
        [LedgerSchema.PartitionKey] = new() { S = CursorPartition },
        [LedgerSchema.SortKey] = new() { S = sortKey },
    };

    private static string? Str(Dictionary<string, AttributeValue> item, string name) => item.TryGetValue(name, out var value) ? value.S : null;

    private static long? Num(Dictionary<string, AttributeValue> item, string name) =>
        item.TryGetValue(name, out var value) && long.TryParse(value.N, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : null;

    private static AttributeValue N(long value) => new() { N = value.ToString(CultureInfo.InvariantCulture) };

    /// <summary>One page of a GSI3 change partition's entries whose sort key lies in [<paramref name="from"/>, <paramref name="to"/>].</summary>
    private Task<QueryResponse> QueryRangeAsync(string partition, string from, string to, int limit,
        Dictionary<string, AttributeValue>? start, CancellationToken cancellationToken) =>
        dynamo.QueryItemsAsync(new QueryRequest
        {
            TableName = tableName,
            IndexName = LedgerSchema.Gsi3,
            KeyConditionExpression = "#pk = :pk AND #sk BETWEEN :from AND :to",
            ExpressionAttributeNames = new Dictionary<string, string> { ["#pk"] = LedgerSchema.Gsi3PartitionKey, ["#sk"] = LedgerSchema.Gsi3SortKey },
            ExpressionAttributeValues = new Dictionary<string, AttributeValue>
            {
                [":pk"] = new() { S = partition },
                [":from"] = new() { S = from },
                [":to"] = new() { S = to },
            },
            Limit = limit,
            ExclusiveStartKey = start,
        }, cancellationToken);
}
