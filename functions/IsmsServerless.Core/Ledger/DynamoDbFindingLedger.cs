using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using IsmsServerless.Alerts;
using IsmsServerless.Engine;
using IsmsServerless.Model;
using IsmsServerless.Observability;
using IsmsServerless.Settings;
using IsmsServerless.Storage;
using static IsmsServerless.Ledger.LedgerItems;

namespace IsmsServerless.Ledger;

/// <summary>
/// The findings ledger on one DynamoDB table (layout: <c>docs/data-model.md</c>). Every change is
/// read → decide (<see cref="FindingTransitions"/>, pure) → one conditional write on the finding's <c>version</c>; a
/// transition writes the finding and its history line in one TransactWriteItems (a new finding: one conditional PutItem;
/// the rule counters follow from its stream record, CounterProjection/CounterProjector), so concurrent or
/// redelivered evaluations of the same event yield one finding and one history line. Its alerts are put after it,
/// each on its own (deterministic id, put only if absent), and the finding item names them (<see cref="OutboxMarker"/>)
/// until its next write, which first puts any that is missing: one alert per transition, even when a process dies
/// between the two writes. Conflicts are retried with jittered backoff after re-reading. No method scans.
/// </summary>
public sealed partial class DynamoDbFindingLedger(IAmazonDynamoDB dynamo, string tableName, IsmsSettings settings) : IFindingLedger
{
    private const int MaxAttempts = 12;
    private const string Ingest = "system:ingest";

    public string TableName { get; } = tableName;

    /// <summary>The policy version stamped on every finding's evidence (<c>policyVersion</c>): the bundled policy file's.</summary>
    public string PolicyVersion { get; init; } = Policy.PolicyDocument.Embedded.Version;

    /// <summary>The clock for callers that carry no time of their own (an owed alert past its retention is not put again).</summary>
    public TimeProvider Clock { get; init; } = TimeProvider.System;

    /// <summary>When set, every read asks for and reports its consumed capacity (benchmarks, diagnostics).</summary>
    internal Action<string, ConsumedCapacity>? CapacityObserver { get; set; }

    public Task<LedgerWriteResult> RecordAsync(IReadOnlyList<Evaluation> evaluations, EvaluationContext context, CancellationToken cancellationToken = default) =>
        RecordAsync(evaluations, context, holdEvidence: false, cancellationToken);

    /// <param name="holdEvidence">The caller records the same evaluations as passing evidence after this call, with
    /// <see cref="LedgerWriteResult.HoldingEvidence"/>: a finding this call creates for the first time from a violation holds
    /// its evidence failure (<see cref="FindingRecord.HoldsEvidence"/>; docs/data-model.md "Passing evidence").</param>
    public async Task<LedgerWriteResult> RecordAsync(IReadOnlyList<Evaluation> evaluations, EvaluationContext context, bool holdEvidence, CancellationToken cancellationToken = default)
    {
        var tally = new Tally();
        for (var index = 0; index < evaluations.Count; index++)
        {
            var e = Stamp(evaluations[index]);
            // The finding as the ledger last saw it while deciding (the stored one, or what was written).
            FindingRecord? state = null;
            var createdHere = false;
            TransitionPlan? Seen(FindingRecord? before, TransitionPlan? plan)
            {
                state = plan?.After ?? before;
                return plan;
            }
            switch (e.Outcome)
            {
                case Outcome.Finding or Outcome.Change:
                {
                    var violation = new TimelineInput(new TimelineObservation(ObservationPoint.Of(e.ObservedAt ?? context.Now, Verdict.Violation), "rule:" + e.Rule.Id, e.Message), context.Now);
                    var hold = holdEvidence && e.Outcome == Outcome.Finding;
                    var created = await MutateAsync(e.FindingId, before => Seen(before, Holding(before, FindingTransitions.OnFinding(before, e, context.Sla, context.Now), hold)),
                        allowCreate: true, cancellationToken, violation).ConfigureAwait(false);
                    // What was written (a finding re-created over earlier history does not hold its failure: WriteAsync).
                    if (created.Plan?.After is { } written) state = written;
                    createdHere = created.Kind == MutationKind.Created;
                    tally.Add(created);
                    // A created or reopened finding may already be superseded: a compliant verdict or a deletion newer
                    // than this violation was recorded before it arrived (markers), or, for a reopening, a deletion that
                    // arrived while the finding was resolved and so closed nothing.
                    if (created.Kind == MutationKind.Created || created.Plan?.Action == "reopened")
                    {
                        // Read after the create: a compliant verdict or deletion recorded before this older violation
                        // arrived resolves it now; one recorded after the create finds the finding and resolves it itself.
                        var (marker, markerStored, markers) = await SupersedingMarkerAsync(e.FindingId, e.ResourceId, e.ObservedAt ?? context.Now, cancellationToken).ConfigureAwait(false);
                        // Each marker is an observation made before the finding existed: spliced into its timeline (any
                        // time, so the table is the one any other order leaves), the superseding one with its resolution. A
                        // deletion's line is dated by the deletion, as CloseResourceFindingsAsync dates it.
                        TimelineInput Spliced(ObservationMarker m) => new(new TimelineObservation(ObservationPoint.Of(m.ObservedAt, Verdict.Compliant), m.Actor, m.Reason), m.Gone ? m.ObservedAt : context.Now);
                        if (marker is not null || markerStored is not null)
                        {
                            var first = marker ?? (created.Kind == MutationKind.Created ? (markers.Count > 0 ? markers[0] : null) : null);
                            tally.Add(await MutateAsync(e.FindingId, before => Seen(before, before is null ? null : FindingTransitions.OnSuperseded(before, marker, markerStored, context.Now)),
                                allowCreate: false, cancellationToken, first is null ? null : Spliced(first)).ConfigureAwait(false));
                            if (created.Kind == MutationKind.Created)
                                foreach (var other in markers.Where(m => m != first))
                                    await MutateAsync(e.FindingId, _ => null, allowCreate: false, cancellationToken, Spliced(other)).ConfigureAwait(false);
                        }
                        else if (created.Kind == MutationKind.Created)
                        {
                            foreach (var other in markers)
                                await MutateAsync(e.FindingId, _ => null, allowCreate: false, cancellationToken, Spliced(other)).ConfigureAwait(false);
                        }
                        // Once the finding exists it carries lastObservedAt; a compliant marker would only make the table
                        // differ from in-order delivery (which never writes one for an existing finding).
                        if (markerStored is not null) await DeleteObservedMarkerAsync(e.FindingId, cancellationToken).ConfigureAwait(false);
                    }
                    break;
                }
                case Outcome.Compliant:
                {
                    var existed = true;
                    var compliant = new TimelineInput(new TimelineObservation(ObservationPoint.Of(e.ObservedAt ?? context.Now, Verdict.Compliant), "rule:" + e.Rule.Id, "compliant: " + e.Message), context.Now);
                    var outcome = await MutateAsync(e.FindingId, before =>
                    {
                        existed = before is not null;
                        return Seen(before, FindingTransitions.OnCompliant(before, e, context.Now));
                    }, allowCreate: false, cancellationToken, compliant).ConfigureAwait(false);
                    if (!existed && outcome.Kind == MutationKind.Unchanged)
                    {
                        // No finding yet: remember the verdict, then look again in case a violation was created meanwhile.
                        var observed = e.ObservedAt ?? context.Now;
                        await PutMarkerAsync(LedgerKeys.Finding(e.FindingId), LedgerKeys.ObservedMarker, observed, "rule:" + e.Rule.Id, "compliant: " + e.Message, context.Now, cancellationToken).ConfigureAwait(false);
                        outcome = await MutateAsync(e.FindingId, before => Seen(before, FindingTransitions.OnCompliant(before, e, context.Now)), allowCreate: false, cancellationToken, compliant).ConfigureAwait(false);
                    }
                    tally.Add(outcome);
                    break;
                }
                default:
                    // Ignored and rejected evaluations carry no finding.
                    break;
            }
            // Superseded for whatever records the newest result per identity: a violation older than a compliant verdict
            // the ledger knows, a compliant verdict not newer than a violation it knows (equal times: the violation wins).
            var at = Millis(e.ObservedAt ?? context.Now);
            if (e.Outcome is Outcome.Finding or Outcome.Change ? state?.LastCompliantAt is { } c && Millis(c) > at
                : e.Outcome == Outcome.Compliant && state?.LastViolationAt is { } v && Millis(v) >= at)
                tally.Supersede(index);
            // The evidence store must know every identity whose finding holds its failure, whatever this call did to it.
            if (state is { HoldsEvidence: true } holding)
            {
                tally.Hold(holding);
                if (createdHere && tally.IsSuperseded(index)) tally.SupersededCreation(e.FindingId);
            }
        }
        return tally.ToResult();
    }

    /// <summary>A finding created by a call that records evidence holds its evidence failure (never set on an existing one).</summary>
    private static TransitionPlan? Holding(FindingRecord? before, TransitionPlan? plan, bool hold) =>
        hold && before is null && plan is not null ? plan with { After = plan.After with { HoldsEvidence = true } } : plan;

    private static long Millis(DateTimeOffset at) => at.UtcTicks / TimeSpan.TicksPerMillisecond;

    /// <summary>Adds the policy version in force to the evaluation's evidence (kept when a rule set it itself).</summary>
    private Evaluation Stamp(Evaluation e)
    {
        if (e.Outcome is not (Outcome.Finding or Outcome.Change) || e.Evidence.ContainsKey("policyVersion")) return e;
        var evidence = new Dictionary<string, string>(e.Evidence, StringComparer.Ordinal) { ["policyVersion"] = PolicyVersion };
        return e with { Evidence = evidence };
    }

    public Task<int> CloseResourceFindingsAsync(string resourceId, string actor, string reason, DateTimeOffset at, CancellationToken cancellationToken = default) =>
        CloseResourceFindingsAsync(resourceId, actor, reason, at, held: null, cancellationToken);

    public async Task<int> CloseResourceFindingsAsync(string resourceId, string actor, string reason, DateTimeOffset at, IDictionary<string, DateTimeOffset>? held,
        CancellationToken cancellationToken)
    {
        // The marker first: a violation older than this deletion that is created after it finds the marker and is
        // resolved as superseded; one created before it is found by the query below.
        await PutMarkerAsync(LedgerKeys.GonePartition(resourceId), LedgerKeys.GoneMarker, at, actor, reason, at, cancellationToken).ConfigureAwait(false);
        var closed = 0;
        Dictionary<string, AttributeValue>? start = null;
        do
        {
            var response = await QueryAsync("resource-open", new QueryRequest
            {
                TableName = TableName,
                IndexName = LedgerSchema.Gsi3,
                // Every finding of the resource, resolved ones too: the deletion is an observation of each, spliced into its
                // timeline (a violation that arrives later finds it as its neighbour); only unresolved ones are closed.
                KeyConditionExpression = "#pk = :pk",
                ExpressionAttributeNames = new() { ["#pk"] = LedgerSchema.Gsi3PartitionKey },
                ExpressionAttributeValues = new() { [":pk"] = S(LedgerKeys.ResourcePartition(resourceId)) },
                ExclusiveStartKey = start,
            }, cancellationToken).ConfigureAwait(false);
            foreach (var item in response.Items)
            {
                // The index projects keys only: the finding id is its partition key's suffix (the mutation re-reads it).
                if (FindingIdOf(item) is not { } id) continue;
                var gone = new TimelineInput(new TimelineObservation(ObservationPoint.Of(at, Verdict.Compliant), actor, reason), at);
                FindingRecord? seen = null;
                var outcome = await MutateAsync(id, before =>
                {
                    seen = before;
                    return before is null ? null : FindingTransitions.OnResourceGone(before, actor, reason, at);
                }, allowCreate: false, cancellationToken, gone).ConfigureAwait(false);
                if (held is not null && (outcome.Plan?.After ?? seen) is { HoldsEvidence: true } holding) held[holding.Id] = HeldFailures.HeldAt(holding);
                if (outcome.Kind == MutationKind.Transition) closed++;
            }
            start = response.LastEvaluatedKey is { Count: > 0 } next ? next : null;
        }
        while (start is not null);
        return closed;
    }

    public async Task<FindingRecord?> GetAsync(string findingId, CancellationToken cancellationToken = default)
    {
        var (record, _, _) = await ReadFindingAsync(findingId, consistent: true, cancellationToken).ConfigureAwait(false);
        return record;
    }

    public async Task<IReadOnlyList<HistoryEntry>> GetHistoryAsync(string findingId, CancellationToken cancellationToken = default)
    {
        var entries = new List<HistoryEntry>();
        Dictionary<string, AttributeValue>? start = null;
        Dictionary<string, AttributeValue>? finding = null;
        var keys = new HashSet<string>(StringComparer.Ordinal);
        do
        {
            // The history lines and, last in key order, the finding item itself (HIST# < META): a line the finding still owes
            // (issue 20, put just after its write) is shown from the finding, so the history never lags the finding.
            var response = await QueryAsync("history", new QueryRequest
            {
                TableName = TableName,
                KeyConditionExpression = "#pk = :pk AND #sk BETWEEN :hist AND :meta",
                ExpressionAttributeNames = new() { ["#pk"] = LedgerSchema.PartitionKey, ["#sk"] = LedgerSchema.SortKey },
                ExpressionAttributeValues = new() { [":pk"] = S(LedgerKeys.Finding(findingId)), [":hist"] = S(LedgerKeys.HistoryPrefix), [":meta"] = S(LedgerKeys.Meta) },
                ConsistentRead = true,
                ExclusiveStartKey = start,
            }, cancellationToken).ConfigureAwait(false);
            foreach (var item in response.Items)
            {
                var sk = item.GetValueOrDefault(LedgerSchema.SortKey)?.S ?? "";
                if (sk == LedgerKeys.Meta)
                {
                    finding = item;
                    continue;
                }
                // Legacy membership items sort between the two (MEMBER# < META): not history.
                if (!sk.StartsWith(LedgerKeys.HistoryPrefix, StringComparison.Ordinal)) continue;
                keys.Add(sk);
                // Observations that start no run share the prefix (keyed by time, README "Delivery order"): not lines.
                if (item.GetValueOrDefault(LedgerSchema.EntityType)?.S == ObservationEntity) continue;
                if (TryReadHistory(item, out var entry, out var problem)) entries.Add(entry);
                else Log.Warn("ledger.malformed-item", ("item", Describe(item)), ("problem", problem));
            }
            start = response.LastEvaluatedKey is { Count: > 0 } next ? next : null;
        }
        while (start is not null);
        if (finding is not null && finding.ContainsKey(OutboxMarker.LineAttribute) && OwedLineEntry(finding, keys) is { } owed)
        {
            // The owed line is the finding's only observation, so the newest of its detection lines.
            entries.Add(owed);
        }
        if (entries.All(h => h.Sequence > 0)) return entries;
        // Detection lines are keyed by source time (sequence 0, read in key order), person and sweep lines by sequence:
        // merged into one list (a sequence line goes before the first detection line written after it), numbered 1..n.
        var sequenced = new Queue<HistoryEntry>(entries.Where(h => h.Sequence > 0).OrderBy(h => h.Sequence));
        var merged = new List<HistoryEntry>(entries.Count);
        foreach (var line in entries.Where(h => h.Sequence == 0))
        {
            while (sequenced.TryPeek(out var earlier) && earlier.At < line.At) merged.Add(sequenced.Dequeue());
            merged.Add(line);
        }
        merged.AddRange(sequenced);
        return merged.Select((h, i) => h with { Sequence = i + 1 }).ToList();
    }

    /// <summary>The history line a finding item owes and the table does not hold yet (its own state, as the line will say it), or null.</summary>
    private HistoryEntry? OwedLineEntry(Dictionary<string, AttributeValue> findingItem, HashSet<string> storedKeys)
    {
        if (!TryReadFinding(findingItem, out var f, out _) || f.OwedLine is null || OutboxMarker.LineItem(f, settings.ResolvedRetentionDays) is not { } line
            || storedKeys.Contains(line[LedgerSchema.SortKey].S))
            return null;
        return TryReadHistory(line, out var entry, out _) ? entry : null;
    }

    public Task<Page<FindingRecord>> QueryByStatusAsync(FindingStatus status, int limit, string? cursor = null, CancellationToken cancellationToken = default) =>
        QueryFindingsAsync(new FindingQuery { Status = status, Limit = limit, Cursor = cursor }, cancellationToken);

    public async Task<Page<FindingRecord>> QueryFindingsAsync(FindingQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var limit = Math.Clamp(query.Limit, 1, 500);
        var status = query.Status;
        var severity = query.Severity;
        var prefix = $"{LedgerKeys.StatusRank(status)}#" + (severity is { } sev ? $"{LedgerKeys.SeverityRank(sev)}#" : "");
        bool InView(FindingRecord f) => f.Status == status && (severity is null || f.Severity == severity);
        if (query.Category is { } category)
        {
            return await QueryClaimedAsync("findings-by-category", rule => rule.Category == category.ToWire(), (status, severity),
                [MergedSource.Gsi2(LedgerKeys.CategoryPartition(category))], f => f.Category == category && InView(f), prefix, limit, ViewCursor(query.Cursor, null),
                cancellationToken).ConfigureAwait(false);
        }
        // Every rule's partition (GSI2 sort keys within a status are the old GSI1's) with findings in the status, and the
        // legacy GSI1 STATUS# partition: items written before issue 20's gsi6 change carry its keys until their next write.
        var legacy = new MergedSource(LedgerSchema.Gsi1, LedgerSchema.Gsi1PartitionKey, LedgerKeys.StatusPartition(status), LedgerSchema.Gsi1SortKey,
            $"{LedgerKeys.StatusRank(status)}#");
        return await QueryClaimedAsync("findings-by-status", _ => true, (status, severity), [legacy], InView, prefix, limit, ViewCursor(query.Cursor, status),
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The position a view's cursor names: the last GSI2 sort key returned. A cursor handed out by the GSI1 status query
    /// (before issue 20's gsi6 change: its LastEvaluatedKey, GSI1 sort key without the status rank) still continues.
    /// </summary>
    private static string? ViewCursor(string? cursor, FindingStatus? status)
    {
        var key = PageCursor.Decode(cursor);
        if (key is null) return null;
        if (key.GetValueOrDefault(LedgerSchema.Gsi2SortKey)?.S is { Length: > 0 } sort) return sort;
        if (status is { } s && key.GetValueOrDefault(LedgerSchema.Gsi1SortKey)?.S is { Length: > 0 } old) return $"{LedgerKeys.StatusRank(s)}#{old}";
        // Decodes, names ledger keys, but no position in this view (forged, or from another view): refused, not restarted.
        throw new ArgumentException("page cursor names no position in this view", nameof(cursor));
    }

    public Task<Page<FindingRecord>> QueryByControlAsync(string control, int limit, string? cursor = null, CancellationToken cancellationToken = default) =>
        QueryClaimedAsync("findings-by-control", rule => rule.Controls.Contains(control, StringComparer.Ordinal), null,
            [MergedSource.Gsi2(LedgerKeys.ControlPartition(control))], f => f.Controls.Contains(control, StringComparer.Ordinal), null, Math.Clamp(limit, 1, 500),
            ViewCursor(cursor, null), cancellationToken);

    public async Task<Page<FindingRecord>> QueryByResourceAsync(string resourceId, int limit, string? cursor = null, CancellationToken cancellationToken = default)
    {
        var response = await QueryAsync("findings-by-resource", new QueryRequest
        {
            TableName = TableName,
            IndexName = LedgerSchema.Gsi3,
            KeyConditionExpression = "#pk = :pk",
            ExpressionAttributeNames = new() { ["#pk"] = LedgerSchema.Gsi3PartitionKey },
            ExpressionAttributeValues = new() { [":pk"] = S(LedgerKeys.ResourcePartition(resourceId)) },
            Limit = Math.Clamp(limit, 1, 500),
            ExclusiveStartKey = PageCursor.Decode(cursor),
        }, cancellationToken).ConfigureAwait(false);
        // Two long resource ids could share a hashed key only by a SHA-256 collision; filter on the real id anyway.
        var findings = (await ReadFindingsAsync(response.Items, cancellationToken).ConfigureAwait(false)).Where(f => f.ResourceId == resourceId).ToList();
        return new Page<FindingRecord>(findings, PageCursor.Encode(response.LastEvaluatedKey));
    }

    public async Task<IReadOnlyList<FindingRecord>> QueryDueBeforeAsync(DateTimeOffset at, int limit, CancellationToken cancellationToken = default)
    {
        var response = await QueryAsync("due-before", DueRequest(at, Math.Clamp(limit, 1, 1000), null), cancellationToken).ConfigureAwait(false);
        return await ReadFindingsAsync(response.Items, cancellationToken).ConfigureAwait(false);
    }

    public async Task<FindingRecord> AcknowledgeAsync(string findingId, string actor, string reason, DateTimeOffset at, CancellationToken cancellationToken = default) =>
        await ExistingAsync(findingId, f => FindingTransitions.OnAcknowledge(f, actor, reason, at), at, cancellationToken).ConfigureAwait(false);

    public async Task<FindingRecord> GrantWaiverAsync(string findingId, Waiver waiver, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(waiver);
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(waiver.Owner)) problems.Add("owner");
        if (string.IsNullOrWhiteSpace(waiver.Reason)) problems.Add("reason");
        if (string.IsNullOrWhiteSpace(waiver.Control)) problems.Add("control");
        if (string.IsNullOrWhiteSpace(waiver.GrantedBy)) problems.Add("grantedBy");
        if (problems.Count > 0) throw new ArgumentException("a waiver needs " + string.Join(", ", problems), nameof(waiver));
        if (waiver.ExpiresAt <= waiver.GrantedAt) throw new ArgumentException("a waiver must expire after it is granted", nameof(waiver));
        return await ExistingAsync(findingId, f => FindingTransitions.OnGrantWaiver(f, waiver), waiver.GrantedAt, cancellationToken).ConfigureAwait(false);
    }

    public async Task<FindingRecord> RevokeWaiverAsync(string findingId, string actor, string reason, DateTimeOffset at, CancellationToken cancellationToken = default) =>
        await ExistingAsync(findingId, f => FindingTransitions.OnRevokeWaiver(f, actor, reason, at), at, cancellationToken).ConfigureAwait(false);

    public async Task<LedgerWriteResult> AdvanceTimersAsync(EvaluationContext context, CancellationToken cancellationToken = default)
    {
        var now = context.Now;
        var tally = new Tally();
        Dictionary<string, AttributeValue>? start = null;
        do
        {
            // Paged with ExclusiveStartKey rather than re-queried: a finding whose write fails stays in the index
            // for the next sweep instead of being retried in a loop now.
            // Keys only: the id is the partition key's suffix; the mutation reads the finding itself (and reports a
            // malformed one).
            var response = await QueryAsync("due-before", DueRequest(now, 100, start), cancellationToken, hydrate: false).ConfigureAwait(false);
            foreach (var item in response.Items)
            {
                if (FindingIdOf(item) is not { } dueId)
                {
                    Log.Warn("ledger.malformed-item", ("item", Describe(item)), ("problem", "timer entry without a finding key"));
                    tally.Add(new Mutation(MutationKind.Malformed, null, null));
                    continue;
                }
                tally.Add(await MutateAsync(dueId, before => before is null ? null : FindingTransitions.OnTimer(before, now), allowCreate: false, cancellationToken, now: now).ConfigureAwait(false));
            }
            start = response.LastEvaluatedKey is { Count: > 0 } next ? next : null;
        }
        while (start is not null);
        return tally.ToResult();
    }

    public async Task<LedgerOverview> GetOverviewAsync(CancellationToken cancellationToken = default)
    {
        await CatchUpCountersAsync(cancellationToken).ConfigureAwait(false);
        var response = await QueryAsync("overview", new QueryRequest
        {
            TableName = TableName,
            KeyConditionExpression = "#pk = :pk",
            ExpressionAttributeNames = new() { ["#pk"] = LedgerSchema.PartitionKey },
            ExpressionAttributeValues = new() { [":pk"] = S(LedgerKeys.StatsPartition) },
        }, cancellationToken).ConfigureAwait(false);
        return LedgerCounters.Overview(response.Items);
    }

    public async Task<TrendPoint> WriteTrendSnapshotAsync(DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        var overview = await GetOverviewAsync(cancellationToken).ConfigureAwait(false);
        var point = new TrendPoint(DateOnly.FromDateTime(at.UtcDateTime), at, overview.Total, overview.ByCategory);
        await dynamo.PutItemAsync(new PutItemRequest { TableName = TableName, Item = LedgerCounters.TrendItem(point) }, cancellationToken).ConfigureAwait(false);
        return point;
    }

    public async Task<IReadOnlyList<TrendPoint>> GetTrendAsync(DateOnly from, DateOnly to, CancellationToken cancellationToken = default)
    {
        var points = new List<TrendPoint>();
        Dictionary<string, AttributeValue>? start = null;
        do
        {
            var response = await QueryAsync("trend", new QueryRequest
            {
                TableName = TableName,
                KeyConditionExpression = "#pk = :pk AND #sk BETWEEN :from AND :to",
                ExpressionAttributeNames = new() { ["#pk"] = LedgerSchema.PartitionKey, ["#sk"] = LedgerSchema.SortKey },
                ExpressionAttributeValues = new()
                {
                    [":pk"] = S(LedgerKeys.TrendPartition),
                    [":from"] = S(LedgerKeys.TrendDay(from)),
                    [":to"] = S(LedgerKeys.TrendDay(to)),
                },
                ExclusiveStartKey = start,
            }, cancellationToken).ConfigureAwait(false);
            foreach (var item in response.Items)
            {
                if (LedgerCounters.TryReadTrend(item, out var point)) points.Add(point);
                else Log.Warn("ledger.malformed-item", ("item", Describe(item)), ("problem", "unreadable trend snapshot"));
            }
            start = response.LastEvaluatedKey is { Count: > 0 } next ? next : null;
        }
        while (start is not null);
        return points;
    }

    // ---------------------------------------------------------------- writing

    internal enum MutationKind
    {
        Unchanged,
        Created,
        Updated,
        Transition,
        Malformed,
    }

    internal sealed record Mutation(MutationKind Kind, TransitionPlan? Plan, string? AlertId, IReadOnlyList<string>? TimelineAlerts = null);

    private async Task<FindingRecord> ExistingAsync(string findingId, Func<FindingRecord, TransitionPlan?> decide, DateTimeOffset at, CancellationToken cancellationToken)
    {
        var outcome = await MutateAsync(findingId, before => before is null
            ? throw new KeyNotFoundException($"no finding {findingId}")
            : decide(before), allowCreate: false, cancellationToken, now: at).ConfigureAwait(false);
        if (outcome.Kind == MutationKind.Malformed) throw new InvalidDataException($"finding {findingId} is stored malformed; see the log");
        return outcome.Plan?.After ?? await GetAsync(findingId, cancellationToken).ConfigureAwait(false)
            ?? throw new KeyNotFoundException($"no finding {findingId}");
    }

    /// <summary>
    /// Read → decide → conditional write, retried from the read when another writer got there first. The decision
    /// is re-made on fresh state each time, so a duplicate that lost the race sees the winner's write and does nothing.
    /// </summary>
    /// <param name="observation">The observation this change comes from (violation, compliant verdict, deletion): spliced
    /// into the finding's order-free timeline (<see cref="FindingTimeline"/>) in the same write. Null for person and sweep actions.</param>
    /// <param name="now">The caller's time (an owed alert past its retention is not put again); default the observation's, then <see cref="Clock"/>.</param>
    internal async Task<Mutation> MutateAsync(string findingId, Func<FindingRecord?, TransitionPlan?> decide, bool allowCreate, CancellationToken cancellationToken,
        TimelineInput? observation = null, DateTimeOffset? now = null)
    {
        var settled = new HashSet<string>(StringComparer.Ordinal);
        var repaired = new List<string>();
        var outcome = await MutateOnceSettledAsync(findingId, decide, allowCreate, observation, now ?? observation?.Now ?? Clock.GetUtcNow(), settled, repaired, cancellationToken).ConfigureAwait(false);
        // Alerts this call put for an earlier write (its process died before putting them) are raised now.
        return repaired.Count == 0 ? outcome : outcome with { TimelineAlerts = [.. outcome.TimelineAlerts ?? [], .. repaired] };
    }

    private async Task<Mutation> MutateOnceSettledAsync(string findingId, Func<FindingRecord?, TransitionPlan?> decide, bool allowCreate, TimelineInput? observation,
        DateTimeOffset now, HashSet<string> settled, List<string> repaired, CancellationToken cancellationToken)
    {
        // The first read is eventually consistent (half the read units): every write is conditional on the version it
        // read (or on the item's absence), so a stale read can only make the write fail and be retried, never win. A
        // decision to write nothing is only trusted from a strongly consistent read, so a stale read cannot drop one.
        var consistent = false;
        for (var attempt = 1; ; attempt++)
        {
            // The finding and its newest timeline item in one read (one Query billed as the one item would be: both fit the
            // same 4 KB): the head item settles an owed line without a read of its own, and shows a redelivery held.
            var (before, malformed, legacyShape, storedHead) = await ReadFindingAndHeadAsync(findingId, consistent, cancellationToken).ConfigureAwait(false);
            if (malformed)
            {
                // Never overwrite what we cannot read: the item is evidence. It is logged for a human.
                return new Mutation(MutationKind.Malformed, null, null);
            }
            // The alerts the stored version's write owes are settled before anything else (docs/data-model.md, "The alert
            // outbox"): a redelivery that changes nothing repairs a process that died after the finding's write, and a write
            // that replaces the version (and with it the names) never drops one.
            if (before is { OwedAlerts.Count: > 0 })
                repaired.AddRange(await SettleOwedAsync(before, storedHead, now, settled, cancellationToken).ConfigureAwait(false));
            // A new finding's created line is paid lazily (issue 20, wave 7): owed by the finding until its next write. Until
            // then it is the finding's head item as every reader sees it (OwedLineAsHead).
            var headItem = OwedLineAsHead(before, storedHead);
            TransitionPlan? plan;
            try
            {
                plan = decide(before);
            }
            catch (Exception ex) when (!consistent && ex is KeyNotFoundException or InvalidTransitionException)
            {
                // A refusal (no such finding, not a valid transition) is only trusted from a consistent read.
                consistent = true;
                attempt--;
                continue;
            }
            // A "nothing to do" from an eventually consistent read is trusted when the read shows this observation already
            // held (issue 20; docs/data-model.md, "Redeliveries"): every later version holds it too, and a held observation
            // changes nothing on any of them, so a newer state the stale read missed cannot make the no-op wrong.
            if (!consistent && plan is null && observation is not null && before is not null
                && (Holds(before, headItem, observation) || await HoldsEarlierAsync(before, observation, cancellationToken).ConfigureAwait(false)))
                return new Mutation(MutationKind.Unchanged, null, null);
            if (!consistent && (plan is null || (before is null && !allowCreate)))
            {
                consistent = true;
                attempt--;
                continue;
            }
            // Only evaluations create findings; every other caller's decision on a missing finding is "nothing".
            if (before is null && (plan is null || !allowCreate)) return new Mutation(MutationKind.Unchanged, null, null);
            var timelined = observation is not null && (before is null || before.ViolationRuns is not null);
            // This mutation writes (a plan, or an observation the timeline does not hold yet): the line the finding owes is put
            // first, built from the version read, so the timeline step reads it as a neighbour and the write can drop the name.
            if (before is { OwedLine: not null } && (plan is not null || (timelined && !Holds(before, headItem, observation!))))
                await SettleOwedLineAsync(before, settled, cancellationToken).ConfigureAwait(false);
            TimelineStep? step = null;
            if (timelined && observation is not null)
            {
                step = before is not null && Holds(before, headItem, observation) ? null
                    : await TimelineStepAsync(before, observation, cancellationToken).ConfigureAwait(false);
                if (step is not null && before is not null)
                {
                    // The timeline moved (a late observation inserted lines, or any new observation): the finding is written
                    // too, so every change to one finding's timeline is serialized by its version.
                    plan ??= TransitionPlan.Update(before, observation.Now);
                }
            }
            if (plan is null) return new Mutation(MutationKind.Unchanged, null, null);
            if (step is not null) plan = plan with { After = step.Apply(plan.After) };
            try
            {
                await EnsureRuleTextsAsync(plan.After, cancellationToken).ConfigureAwait(false);
                return await WriteAsync(before, plan, legacyShape, cancellationToken, step, timelined).ConfigureAwait(false);
            }
            catch (Exception ex) when (IsConflict(ex) && attempt < MaxAttempts)
            {
                consistent = true;
                await Backoff(attempt, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (IsConflict(ex))
            {
                throw new LedgerConflictException($"finding {findingId}: gave up after {MaxAttempts} conflicting attempts", ex);
            }
        }
    }

    /// <param name="legacyShape">What the stored item carries of older layouts: MEMBER items (before the GSI2 rule key) are
    /// deleted in this write; GSI1 status keys (before issue 20's gsi6 change) are dropped by it, with its rule claimed.</param>
    /// <param name="timelined">The change comes from an observation of a finding with an order-free timeline: its
    /// detection line and alert are the timeline's (<paramref name="step"/>, null when the observation is already in it).</param>
    private async Task<Mutation> WriteAsync(FindingRecord? before, TransitionPlan plan, LegacyShape legacyShape, CancellationToken cancellationToken, TimelineStep? step = null,
        bool timelined = false)
    {
        // A detection transition (created, resolved, reopened by an observation) of a timeline finding writes its line and
        // alert from the timeline; every other action (person, sweep, severity change) a sequence-numbered line.
        var detection = timelined && plan.Action is not null
            && (before is null || (before.Status == FindingStatus.Resolved) != (plan.After.Status == FindingStatus.Resolved));
        var sequenced = plan.Action is not null && !detection;
        var (historyLength, anyHistory) = before is not null ? (before.HistoryLength, true)
            : await LastHistorySequenceAsync(plan.After.Id, cancellationToken).ConfigureAwait(false);
        var after = plan.After with
        {
            // Only a finding with no earlier history holds its evidence failure: one re-created after its retention's TTL
            // continues an identity whose result was counted elsewhere (or held by the expired item) and is not flagged again.
            HoldsEvidence = plan.After.HoldsEvidence && (before is not null || !anyHistory),
            Version = (before?.Version ?? 0) + 1,
            HistoryLength = historyLength + (sequenced ? 1 : 0) + (step?.LinesDelta ?? 0),
        };
        // The alerts this write raises: put after it, each on its own, and named on the finding item until its next write.
        var alerts = new List<AlertRecord>();
        var timeline = step is null ? [] : TimelineWrites(after, step, plan, alerts);
        if (plan.Action is not null && !detection && plan.AlertKind is { } kind) alerts.Add(AlertFor(after, kind, plan));
        // A new finding's detection line leaves the transaction (issue 20): it is put after it, like the alerts, and the
        // finding names it until its next write (docs/data-model.md, "The alert outbox").
        var owedLine = before is null && !anyHistory && step is not null ? OwedLineOf(after, step, plan, timeline) : null;
        if (owedLine is not null) timeline.Clear();
        var shownMessage = after.Message;
        after = after with
        {
            OwedAlerts = alerts.Count == 0 ? null : alerts.Select(a => new OwedAlert(a.AlertId, a.Kind, a.CreatedAt, a.Message == shownMessage ? null : a.Message)).ToList(),
            OwedLine = owedLine is null ? null : OutboxMarker.OwedCreated,
        };
        var findingPut = new Put
        {
            TableName = TableName,
            Item = CountedFindingItem(after, FindingTransitions.ExpiryFor(after, settings)),
        };
        if (owedLine is not null && !(TryReadFinding(findingPut.Item, out var stored, out _)
                && OutboxMarker.LineItem(stored, settings.ResolvedRetentionDays) is { } repaired && SameItem(repaired, owedLine)))
        {
            // What a repair would rebuild from the item as stored differs from the line (an item encoding that does not give
            // back the fields the line is made of): the line stays in the transaction.
            timeline.Add(new TransactWriteItem { Put = new Put { TableName = TableName, Item = owedLine } });
            owedLine = null;
            after = after with { OwedLine = null };
            findingPut.Item = CountedFindingItem(after, FindingTransitions.ExpiryFor(after, settings));
        }
        if (before is null)
        {
            findingPut.ConditionExpression = "attribute_not_exists(#pk)";
            findingPut.ExpressionAttributeNames = new() { ["#pk"] = LedgerSchema.PartitionKey };
        }
        else
        {
            findingPut.ConditionExpression = "#v = :v";
            findingPut.ExpressionAttributeNames = new() { ["#v"] = "version" };
            findingPut.ExpressionAttributeValues = new() { [":v"] = N(before.Version) };
        }

        // The rule counters are not in this write (issue 20): the counter projector applies the finding item's stream
        // record (CounterProjection/CounterProjector: old image out, new image in, exactly once), and claims the rule's counter
        // item when the previous image was an older version's (one that still carried GSI1 keys may have been counted in
        // the SHARD# layout only). Whether they would move still picks the write below.
        var countersMove = before is not null && LedgerCounters.Update(TableName, before, after) is not null;
        // A finding written before the GSI2 rule key has MEMBER items; they go in the same write that gives it the key,
        // so a view never sees it twice (docs/data-model.md, "Legacy memberships").
        var legacy = before is not null && legacyShape.HasFlag(LegacyShape.Members)
            ? LegacyMemberKeys(before).Select(k => new TransactWriteItem { Delete = new Delete { TableName = TableName, Key = k } }).ToList()
            : [];
        if (plan.Action is null && before is not null && (countersMove || legacy.Count > 0 || timeline.Count > 0))
        {
            // No status change and no history, but the counters moved: a late-arriving earlier violation moved the
            // deadline (and with it the SLA state), or a late violation newer than the one the finding shows changed its
            // severity. The counters count by severity and SLA state: they are updated with the finding, in one
            // transaction, so the end state does not depend on which violation arrived first. (The index keys that hold
            // severity and due date are the finding item's own.)
            var moved = new List<TransactWriteItem> { new() { Put = findingPut } };
            moved.AddRange(legacy);
            moved.AddRange(timeline);
            if (step?.Cheap is { } cheapObservation) moved.Add(new TransactWriteItem { Put = CheapPut(cheapObservation) });
            // Only the finding (the counters follow from its stream record): one conditional Put, a conflict decided again.
            if (moved.Count == 1) await dynamo.PutItemAsync(SinglePut(findingPut), cancellationToken).ConfigureAwait(false);
            else await dynamo.TransactWriteItemsAsync(new TransactWriteItemsRequest { TransactItems = moved }, cancellationToken).ConfigureAwait(false);
            await PutAlertsAsync(alerts, cancellationToken).ConfigureAwait(false);
            if (before.DueAt != after.DueAt) await MoveNewAlertDeadlineAsync(after, cancellationToken).ConfigureAwait(false);
            return new Mutation(MutationKind.Updated, plan with { After = after }, step is { AlertIds.Count: > 0 } moving ? moving.AlertIds[^1] : null, step?.AlertIds);
        }
        if (plan.Action is null)
        {
            // A plain update (re-detection, timer move, a deadline or severity move that changes no counter) writes
            // no history and no counters, and its index keys are on the finding item: a single conditional Put. A newer
            // observation that starts no run is stored first, by itself (1 unit): if the finding's write then loses a
            // race, the retry finds it stored and, its verdict being its predecessor's, it changes no line.
            if (step?.Cheap is { } cheapObservation)
            {
                await dynamo.PutItemAsync(SinglePut(CheapPut(cheapObservation)), cancellationToken).ConfigureAwait(false);
            }
            // Not PutFindingAsync: a failed condition here is a conflict to decide again (even on an identical stored item,
            // which a concurrent writer of the same observation made: it reported the update, this one reports nothing).
            await dynamo.PutItemAsync(SinglePut(findingPut), cancellationToken).ConfigureAwait(false);
            if (before is not null && before.DueAt != after.DueAt) await MoveNewAlertDeadlineAsync(after, cancellationToken).ConfigureAwait(false);
            return new Mutation(MutationKind.Updated, plan with { After = after }, null);
        }

        var items = new List<TransactWriteItem> { new() { Put = findingPut } };
        if (sequenced)
        {
            var history = new HistoryEntry(historyLength + 1, plan.At, plan.Actor, plan.Action!, before?.Status.ToWire(), after.Status.ToWire(),
                before?.SlaState?.ToWire(), after.SlaState?.ToWire(), plan.Reason);
            items.Add(new TransactWriteItem
            {
                Put = new Put
                {
                    TableName = TableName,
                    Item = HistoryItem(after.Id, history),
                    // History is append-only: a sequence number is written once, never replaced.
                    ConditionExpression = "attribute_not_exists(#pk)",
                    ExpressionAttributeNames = new() { ["#pk"] = LedgerSchema.PartitionKey },
                },
            });
        }
        items.AddRange(legacy);
        items.AddRange(timeline);
        if (step?.Cheap is { } storedObservation) items.Add(new TransactWriteItem { Put = CheapPut(storedObservation) });
        string? alertId = step is { AlertIds.Count: > 0 } raising ? raising.AlertIds[^1] : null;
        if (!detection && plan.AlertKind is not null) alertId = alerts[^1].AlertId;
        if (items.Count == 1 && (before is null || countersMove))
        {
            // A new finding, or a transition that was a transaction only for its counter (issue 20): one conditional
            // PutItem, the counter from its stream record. A failed condition is a concurrent writer of the same change
            // (or this put's own retry after a lost answer): read again and decide again, so one writer reports it, as the
            // transaction's cancellation made it before.
            await dynamo.PutItemAsync(SinglePut(findingPut), cancellationToken).ConfigureAwait(false);
        }
        else if (items.Count == 1)
        {
            // Only the finding is left: a transaction of one item would cost twice its units for nothing.
            await PutFindingAsync(findingPut, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            // The transaction's ClientRequestToken (set by the SDK) makes its retry after a lost answer idempotent.
            await dynamo.TransactWriteItemsAsync(new TransactWriteItemsRequest { TransactItems = items }, cancellationToken).ConfigureAwait(false);
        }
        await PutAlertsAsync(alerts, cancellationToken).ConfigureAwait(false);
        // The owed line is not put now (issue 20, wave 7): the finding's next write puts it (SettleOwedLineAsync), so a finding
        // that never changes never pays for it; readers show it from the finding meanwhile.
        Log.Info("ledger.transition", ("findingId", after.Id), ("ruleId", after.RuleId), ("action", plan.Action ?? "timeline"),
            ("from", before?.Status.ToWire()), ("to", after.Status.ToWire()), ("slaState", after.SlaState?.ToWire()), ("alertId", alertId));
        return new Mutation(before is null ? MutationKind.Created : plan.Action is null ? MutationKind.Updated : MutationKind.Transition, plan with { After = after }, alertId,
            step?.AlertIds ?? []);
    }

    /// <summary>
    /// Records a non-violation observation as a marker item unless a newer one is stored (equal times: the smaller
    /// reason text wins, so the stored marker does not depend on arrival order). One small conditional Put; the TTL
    /// keeps markers for <see cref="IsmsSettings.ResolvedRetentionDays"/> after the later of the observation and now.
    /// </summary>
    /// <summary>A transaction's <see cref="Put"/> made on its own (same table, item and condition).</summary>
    private static PutItemRequest SinglePut(Put put) => new()
    {
        TableName = put.TableName,
        Item = put.Item,
        ConditionExpression = put.ConditionExpression,
        ExpressionAttributeNames = put.ExpressionAttributeNames,
        ExpressionAttributeValues = put.ExpressionAttributeValues,
    };

    private async Task PutMarkerAsync(string partition, string sort, DateTimeOffset observedAt, string actor, string reason, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var observed = LedgerKeys.Instant(observedAt);
        var expiry = (observedAt > now ? observedAt : now).AddDays(settings.ResolvedRetentionDays).ToUnixTimeSeconds();
        try
        {
            await dynamo.PutItemAsync(new PutItemRequest
            {
                TableName = TableName,
                Item = new()
                {
                    [LedgerSchema.PartitionKey] = S(partition),
                    [LedgerSchema.SortKey] = S(sort),
                    [LedgerSchema.EntityType] = S("MARKER"),
                    ["observedAt"] = S(observed),
                    ["actor"] = S(actor),
                    ["reason"] = S(reason.Length > 1024 ? reason[..1024] : reason),
                    [LedgerSchema.TimeToLive] = N(expiry),
                },
                ConditionExpression = "attribute_not_exists(#pk) OR #at < :at OR (#at = :at AND #reason > :reason)",
                ExpressionAttributeNames = new() { ["#pk"] = LedgerSchema.PartitionKey, ["#at"] = "observedAt", ["#reason"] = "reason" },
                ExpressionAttributeValues = new() { [":at"] = S(observed), [":reason"] = S(reason.Length > 1024 ? reason[..1024] : reason) },
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (ConditionalCheckFailedException)
        {
            // A newer (or equal and preferred) observation is already marked.
        }
    }

    private async Task DeleteObservedMarkerAsync(string findingId, CancellationToken cancellationToken) =>
        await dynamo.DeleteItemAsync(new DeleteItemRequest
        {
            TableName = TableName,
            Key = new() { [LedgerSchema.PartitionKey] = S(LedgerKeys.Finding(findingId)), [LedgerSchema.SortKey] = S(LedgerKeys.ObservedMarker) },
        }, cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// Of the finding's compliant marker and its resource's deletion marker (one BatchGetItem), the earliest observed
    /// after <paramref name="observed"/>: the observation that, delivered in order, would have resolved this violation.
    /// </summary>
    private async Task<(ObservationMarker? Superseding, DateTimeOffset? ObservedMarkerAt, IReadOnlyList<ObservationMarker> All)> SupersedingMarkerAsync(string findingId, string resourceId, DateTimeOffset observed, CancellationToken cancellationToken)
    {
        var keys = new List<Dictionary<string, AttributeValue>>
        {
            new() { [LedgerSchema.PartitionKey] = S(LedgerKeys.Finding(findingId)), [LedgerSchema.SortKey] = S(LedgerKeys.ObservedMarker) },
        };
        if (!string.IsNullOrEmpty(resourceId))
            keys.Add(new() { [LedgerSchema.PartitionKey] = S(LedgerKeys.GonePartition(resourceId)), [LedgerSchema.SortKey] = S(LedgerKeys.GoneMarker) });
        var found = new List<Dictionary<string, AttributeValue>>();
        for (var attempt = 1; keys.Count > 0; attempt++)
        {
            var response = await dynamo.BatchGetItemAsync(new BatchGetItemRequest
            {
                RequestItems = new() { [TableName] = new KeysAndAttributes { Keys = keys, ConsistentRead = true } },
            }, cancellationToken).ConfigureAwait(false);
            found.AddRange(response.Responses?.GetValueOrDefault(TableName) ?? []);
            keys = response.UnprocessedKeys?.GetValueOrDefault(TableName)?.Keys ?? [];
            if (keys.Count > 0)
            {
                if (attempt >= MaxAttempts) throw new LedgerConflictException($"BatchGetItem left {keys.Count} marker keys unprocessed");
                await Backoff(attempt, cancellationToken).ConfigureAwait(false);
            }
        }
        ObservationMarker? earliest = null;
        DateTimeOffset? observedMarkerAt = null;
        var all = new List<ObservationMarker>();
        foreach (var item in found)
        {
            if (!item.TryGetValue("observedAt", out var at) || !Timestamps.TryParse(at.S, out var markedAt)) continue;
            if (item.TryGetValue(LedgerSchema.SortKey, out var kind) && kind.S == LedgerKeys.ObservedMarker) observedMarkerAt = markedAt;
            var marker = new ObservationMarker(markedAt, item.TryGetValue("actor", out var a) ? a.S ?? Ingest : Ingest,
                item.TryGetValue("reason", out var r) ? r.S ?? "" : "",
                Gone: item.TryGetValue(LedgerSchema.SortKey, out var sk) && sk.S == LedgerKeys.GoneMarker);
            all.Add(marker);
            if (marker.ObservedAt <= observed) continue;
            if (earliest is null || marker.ObservedAt < earliest.ObservedAt) earliest = marker;
        }
        return (earliest, observedMarkerAt, all);
    }

    /// <summary>
    /// The finding's "new" alert record states the deadline as it was when it was raised; when an earlier violation
    /// arrives later and moves the deadline, the record is corrected so the outbox does not depend on arrival order.
    /// The alert Pipe forwards INSERTs only, so this MODIFY sends nothing again. No record (already expired): nothing.
    /// </summary>
    private async Task MoveNewAlertDeadlineAsync(FindingRecord f, CancellationToken cancellationToken)
    {
        var alertId = "a-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{f.Id}\u001fnew\u001f1")).AsSpan(0, 16));
        try
        {
            await dynamo.UpdateItemAsync(new UpdateItemRequest
            {
                TableName = TableName,
                Key = new() { [LedgerSchema.PartitionKey] = S(LedgerKeys.Alert(alertId)), [LedgerSchema.SortKey] = S(LedgerKeys.AlertSort) },
                UpdateExpression = "SET dueAt = :due",
                ConditionExpression = "attribute_exists(#pk)",
                ExpressionAttributeNames = new() { ["#pk"] = LedgerSchema.PartitionKey },
                ExpressionAttributeValues = new() { [":due"] = S(f.DueAt is { } due ? LedgerKeys.Instant(due) : "") },
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (ConditionalCheckFailedException)
        {
            // No "new" alert for this finding (raised before alerts existed, or expired): nothing to correct.
        }
    }

    /// <summary>
    /// Puts the alerts a write raised, after that write succeeded: each only if absent (its id is the transition's, so a
    /// second put of it, by a retry, a concurrent repair or a redelivery, finds it and writes nothing; the alert Pipe
    /// forwards INSERTs only, so it sees each alert once). A put whose answer was lost is recognised (<see cref="ConditionalPut"/>).
    /// </summary>
    private async Task PutAlertsAsync(IReadOnlyList<AlertRecord> alerts, CancellationToken cancellationToken)
    {
        foreach (var alert in alerts)
        {
            var outcome = await ConditionalPut.PutAsync(dynamo, TableName, await AlertItemAsync(alert, cancellationToken).ConfigureAwait(false), AlertAbsent, null, cancellationToken).ConfigureAwait(false);
            if (outcome == PutOutcome.ConditionFailed)
                Log.Info("ledger.alert-already-stored", ("alertId", alert.AlertId), ("findingId", alert.FindingId));
        }
    }

    private const string AlertAbsent = "attribute_not_exists(" + LedgerSchema.PartitionKey + ")";

    private long AlertExpiry(string createdAt) =>
        (Timestamps.ParseOrNull(createdAt) ?? DateTimeOffset.UnixEpoch).AddDays(settings.AlertRetentionDays).ToUnixTimeSeconds();

    /// <summary>
    /// The repair of the outbox: puts each alert <paramref name="before"/>'s write raised that is not stored yet (its process
    /// died between the finding's write and the alert's), rebuilt from the stored finding, which is exactly the version
    /// that write stored (any later write first comes through here and then drops the list). One eventually consistent
    /// read of the alert's key per owed alert (a stale miss only costs a put that finds it), once per mutation. An alert
    /// past its retention is not put again (its TTL may have removed it after it was sent). Returns the ids it put.
    /// </summary>
    private async Task<IReadOnlyList<string>> SettleOwedAlertsAsync(FindingRecord before, DateTimeOffset now, HashSet<string> settled, CancellationToken cancellationToken)
    {
        if (before.OwedAlerts is not { Count: > 0 }) return [];
        List<string>? put = null;
        foreach (var owed in before.OwedAlerts ?? [])
        {
            if (!settled.Add(owed.AlertId)) continue;
            var createdAt = Timestamps.ParseOrNull(owed.CreatedAt) ?? DateTimeOffset.UnixEpoch;
            if (now >= createdAt.AddDays(settings.AlertRetentionDays)) continue;
            var stored = await dynamo.GetItemAsync(new GetItemRequest
            {
                TableName = TableName,
                Key = new() { [LedgerSchema.PartitionKey] = S(LedgerKeys.Alert(owed.AlertId)), [LedgerSchema.SortKey] = S(LedgerKeys.AlertSort) },
                ProjectionExpression = "#pk",
                ExpressionAttributeNames = new() { ["#pk"] = LedgerSchema.PartitionKey },
            }, cancellationToken).ConfigureAwait(false);
            if (stored.Item is { Count: > 0 }) continue;
            var alert = AlertFor(before, owed.Kind, TransitionPlan.Update(before, createdAt), owed.AlertId, owed.Message ?? before.Message);
            if (await ConditionalPut.PutAsync(dynamo, TableName, await AlertItemAsync(alert, cancellationToken).ConfigureAwait(false), AlertAbsent, null, cancellationToken).ConfigureAwait(false) == PutOutcome.Written)
            {
                Log.Warn("ledger.alert-repaired", ("alertId", owed.AlertId), ("findingId", before.Id), ("kind", owed.Kind));
                (put ??= []).Add(owed.AlertId);
            }
        }
        return put ?? [];
    }

    /// <summary>
    /// Settles the alerts <paramref name="before"/>'s write owes (<see cref="SettleOwedAlertsAsync"/>). An owed line is put
    /// only by a mutation that writes, after this ran (<see cref="SettleOwedLineAsync"/>), so a stored owed line (the head
    /// item read with the finding: no read of its own) shows every owed alert settled and no alert read is made.
    /// </summary>
    private async Task<IReadOnlyList<string>> SettleOwedAsync(FindingRecord before, Dictionary<string, AttributeValue>? headItem, DateTimeOffset now,
        HashSet<string> settled, CancellationToken cancellationToken)
    {
        // A stored owed line was put by a mutation that settled these alerts first (SettleOwedLineAsync runs after this).
        if (before.OwedLine is not null && IsHeadItem(before, headItem)) return [];
        return await SettleOwedAlertsAsync(before, now, settled, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The owed detection line, put only if nothing holds its key: idempotent (a second put, by a retry, a repair or a
    /// redelivery, finds it), and never over a line a later write rewrote (every later write settled it first).
    /// </summary>
    private async Task<PutOutcome> PutOwedLineAsync(Dictionary<string, AttributeValue> line, string findingId, CancellationToken cancellationToken)
    {
        var outcome = await ConditionalPut.PutAsync(dynamo, TableName, line, "attribute_not_exists(#pk)", null, cancellationToken,
            new Dictionary<string, string> { ["#pk"] = LedgerSchema.PartitionKey }).ConfigureAwait(false);
        if (outcome == PutOutcome.ConditionFailed) Log.Info("ledger.line-already-stored", ("findingId", findingId));
        return outcome;
    }

    /// <summary>
    /// The line a new finding's write may owe instead of writing it in its transaction: only when the timeline's writes
    /// are exactly that one <c>created</c> line and the item rebuilt from the finding (what a repair puts) is identical to
    /// it. Every other timeline write (a reopening, a resolution, lines a late observation inserts, rewrites or demotes)
    /// stays in the transaction: it replaces items a put-if-absent cannot, or its text is not the finding's.
    /// </summary>
    private Dictionary<string, AttributeValue>? OwedLineOf(FindingRecord after, TimelineStep step, TransitionPlan plan, List<TransactWriteItem> timeline)
    {
        if (plan.Action != TimelineLine.Created || step.Cheap is not null || step.Edit is not { PutLines.Count: 1, DeleteLines.Count: 0 }
            || timeline is not [{ Put.Item: { } written }])
            return null;
        return OutboxMarker.LineItem(after, settings.ResolvedRetentionDays) is { } rebuilt && SameItem(rebuilt, written) ? rebuilt : null;
    }

    private static bool SameItem(Dictionary<string, AttributeValue> a, Dictionary<string, AttributeValue> b) =>
        a.Count == b.Count && a.All(kv => b.TryGetValue(kv.Key, out var other) && other.S == kv.Value.S && other.N == kv.Value.N
            && other.M is null && kv.Value.M is null && other.L is null && kv.Value.L is null);

    /// <summary>The item read with the finding is the one at its timeline head.</summary>
    private static bool IsHeadItem(FindingRecord f, Dictionary<string, AttributeValue>? headItem) =>
        headItem is not null && f.TimelineHead is { } head && headItem.GetValueOrDefault(LedgerSchema.SortKey)?.S is { } sk
        && sk.Length == LedgerKeys.HistoryPrefix.Length + head.Length && sk.StartsWith(LedgerKeys.HistoryPrefix, StringComparison.Ordinal)
        && sk.EndsWith(head, StringComparison.Ordinal);

    /// <summary>
    /// The finding read shows <paramref name="input"/>'s observation already held: it is the finding's timeline head and
    /// the head item holds it with a text the timeline keeps (ordinally not greater), so splicing it again changes
    /// nothing (<see cref="FindingTimeline.Splice"/>). Both only grow: a timeline item is never removed but by the TTL of a
    /// plain observation (set from the observation alone, so a rewrite would carry the same one), and its text is only ever
    /// replaced by a smaller one.
    /// </summary>
    private static bool Holds(FindingRecord f, Dictionary<string, AttributeValue>? headItem, TimelineInput input) =>
        f.ViolationRuns is not null && f.TimelineHead == TimelineKey(input.Observation.Point) && IsHeadItem(f, headItem) && HoldsItem(headItem, input);

    /// <summary>
    /// The same for an observation older than the head (a duplicate of an earlier event): one eventually consistent GetItem
    /// of its timeline key (0.5 RCU) instead of a consistent re-read and the two neighbour Queries. Only asked once the
    /// decision on the read finding is "nothing": that decision only depends on fields that move one way (a later
    /// source time, an earlier deadline, a more preferred tied message), so it holds on every later version too.
    /// </summary>
    private async Task<bool> HoldsEarlierAsync(FindingRecord f, TimelineInput input, CancellationToken cancellationToken)
    {
        if (f.ViolationRuns is null || f.TimelineHead is not { } head || string.CompareOrdinal(TimelineKey(input.Observation.Point), head) >= 0) return false;
        var response = await dynamo.GetItemAsync(new GetItemRequest
        {
            TableName = TableName,
            Key = new() { [LedgerSchema.PartitionKey] = S(LedgerKeys.Finding(f.Id)), [LedgerSchema.SortKey] = S(LedgerKeys.HistoryAt(input.Observation.Point)) },
        }, cancellationToken).ConfigureAwait(false);
        return HoldsItem(response.Item is { Count: > 0 } item ? item : null, input);
    }

    /// <summary>
    /// The timeline item holds the observation with a text the timeline keeps. A plain observation's TTL does not matter:
    /// it is a function of the observation alone (its source time + retention), so what a consistent read would have the
    /// duplicate write again (the same item, the same TTL) is exactly what is there, and TTL removes either the same way.
    /// </summary>
    private static bool HoldsItem(Dictionary<string, AttributeValue>? item, TimelineInput input)
    {
        var o = input.Observation;
        if (item is null || ReadObservation(item) is not { } same || same.Point != o.Point) return false;
        return string.CompareOrdinal(o.Actor + "\u001f" + o.Reason, same.Actor + "\u001f" + same.Reason) >= 0;
    }

    /// <summary>
    /// The finding's conditional write as one PutItem. The SDK retries a PutItem whose answer was lost, and that retry
    /// fails the condition the first attempt met: a failed condition on an item exactly like the one sent is that write.
    /// </summary>
    private async Task PutFindingAsync(Put put, CancellationToken cancellationToken)
    {
        if (await ConditionalPut.PutAsync(dynamo, TableName, put.Item, put.ConditionExpression, put.ExpressionAttributeValues, cancellationToken,
                put.ExpressionAttributeNames).ConfigureAwait(false) == PutOutcome.ConditionFailed)
            throw new ConditionalCheckFailedException($"finding {put.Item[LedgerSchema.PartitionKey].S}: the version moved");
    }

    private static string AlertIdOf(string key) => OutboxMarker.AlertIdOf(key);

    private AlertRecord AlertFor(FindingRecord f, string kind, TransitionPlan plan, string? id = null, string? message = null)
    {
        // Deterministic: the same transition of the same finding always names the same alert, so even a write that
        // slipped past the version check could not create a second outbox record for it.
        var alertId = id ?? AlertIdOf($"{f.Id}\u001f{kind}\u001f{f.HistoryLength}");
        var statusUrl = settings.StatusPageUrl.TrimEnd('/') + "/findings/" + Uri.EscapeDataString(f.Id);
        return new AlertRecord
        {
            AlertId = alertId,
            Kind = kind,
            FindingId = f.Id,
            RuleId = f.RuleId,
            Title = f.Title,
            Severity = f.Severity.ToWire(),
            Category = f.Category.ToWire(),
            ResourceId = f.ResourceId,
            ResourceType = f.ResourceType,
            AccountId = f.AccountId,
            Region = f.Region,
            PolicyClause = f.PolicyClause,
            Controls = JsonSerializer.Serialize(f.Controls.ToList(), LedgerJsonContext.Default.ListString),
            DueAt = f.DueAt is { } due ? LedgerKeys.Instant(due) : null,
            SlaState = f.SlaState?.ToWire(),
            Remediation = f.Remediation,
            Message = message ?? (kind == FindingTransitions.AlertNew ? f.Message : $"{plan.Reason}"),
            StatusUrl = statusUrl,
            CreatedAt = LedgerKeys.Instant(plan.At),
        };
    }

    /// <summary>
    /// A finding item may have expired by TTL while its history (kept for audit) remains; a recurrence continues the
    /// old sequence instead of colliding with it. Only on creation, so it costs one small Query per new finding.
    /// </summary>
    private async Task<(int Sequence, bool Any)> LastHistorySequenceAsync(string findingId, CancellationToken cancellationToken)
    {
        var response = await QueryAsync("history-tail", new QueryRequest
        {
            TableName = TableName,
            KeyConditionExpression = "#pk = :pk AND begins_with(#sk, :hist)",
            ExpressionAttributeNames = new() { ["#pk"] = LedgerSchema.PartitionKey, ["#sk"] = LedgerSchema.SortKey },
            ExpressionAttributeValues = new() { [":pk"] = S(LedgerKeys.Finding(findingId)), [":hist"] = S(LedgerKeys.HistoryPrefix) },
            ScanIndexForward = false,
            Limit = 1,
            ConsistentRead = true,
        }, cancellationToken).ConfigureAwait(false);
        return (response.Items.Count > 0 && TryReadHistory(response.Items[0], out var last, out _) ? last.Sequence : 0, response.Items.Count > 0);
    }

    // ---------------------------------------------------------------- order-free timeline (README "Delivery order")

    /// <summary>An observation to splice into a finding's timeline, and the processing time (alerts' createdAt).</summary>
    internal sealed record TimelineInput(TimelineObservation Observation, DateTimeOffset Now);

    /// <summary>What one observation changes in a finding's timeline: the edit, the view it was decided on, and its cost class.</summary>
    internal sealed record TimelineStep(string FindingId, TimelineObservation Observation, TimelineView View, TimelineEdit Edit, FindingRecord? Before,
        Dictionary<string, AttributeValue>? Cheap, IReadOnlyList<string> AlertIds, int LinesDelta, DateTimeOffset Now)
    {
        /// <summary>When each neighbour read was first written (its <c>at</c>): kept when its line is rewritten.</summary>
        public Dictionary<ObservationPoint, DateTimeOffset> WrittenAt { get; } = [];

        /// <summary>The finding's timeline attributes after the edit.</summary>
        public FindingRecord Apply(FindingRecord after)
        {
            var o = Observation.Point;
            var first = Before?.FirstViolationAt;
            if (o.Verdict == Verdict.Violation && (first is null || o < ObservationPoint.Of(first.Value, Verdict.Violation))) first = o.At;
            var runs = View.Created is null && !Edit.RaiseNew ? 0 : 1 + Edit.ReopenedAfter(View);
            var key = TimelineKey(o);
            var head = Before?.TimelineHead is { } h && string.CompareOrdinal(h, key) > 0 ? h : key;
            return after with { FirstViolationAt = first, ViolationRuns = runs, TimelineHead = head };
        }
    }

    private static string TimelineKey(ObservationPoint point) => LedgerKeys.HistoryAt(point)[LedgerKeys.HistoryPrefix.Length..];

    /// <summary>
    /// Decides how <paramref name="input"/> changes the finding's timeline. An observation newer than every stored one
    /// (the usual case) needs no read: its predecessor's verdict is the stored head's. An older one (late delivery) reads
    /// its two neighbours and any observation with its key (two Queries of at most two small items), and the
    /// <c>created</c> line when it is an earlier violation. Null: nothing to change (a redelivery).
    /// </summary>
    private async Task<TimelineStep?> TimelineStepAsync(FindingRecord? before, TimelineInput input, CancellationToken cancellationToken)
    {
        var o = input.Observation;
        var findingId = before?.Id;
        TimelineView view;
        var inOrder = true;
        var read = new List<(ObservationPoint, DateTimeOffset)>();
        if (before is null)
        {
            view = new TimelineView(null, null, null, null, 0);
        }
        else
        {
            findingId = before.Id;
            var head = before.TimelineHead ?? "";
            TimelineLine? created = before.FirstViolationAt is { } fv
                ? new TimelineLine(new TimelineObservation(ObservationPoint.Of(fv, Verdict.Violation), "", ""), TimelineLine.Created)
                : null;
            var reopened = Math.Max(0, (before.ViolationRuns ?? 0) - 1);
            var key = TimelineKey(o.Point);
            if (string.CompareOrdinal(key, head) > 0)
            {
                var headVerdict = head.EndsWith('1') ? Verdict.Violation : Verdict.Compliant;
                view = new TimelineView(new TimelineObservation(new ObservationPoint(o.Point.At, headVerdict), "", ""), null, null, created, reopened);
            }
            else
            {
                inOrder = false;
                var sk = LedgerKeys.HistoryAt(o.Point);
                var below = await NeighboursAsync(before.Id, LedgerKeys.HistoryPrefix + "1", sk, forward: false, read, cancellationToken).ConfigureAwait(false);
                var above = await NeighboursAsync(before.Id, sk, LedgerKeys.HistoryPrefix + "3", forward: true, read, cancellationToken).ConfigureAwait(false);
                var same = below.FirstOrDefault(x => x.Point == o.Point) ?? above.FirstOrDefault(x => x.Point == o.Point);
                var previous = below.FirstOrDefault(x => x.Point < o.Point);
                var next = above.FirstOrDefault(x => x.Point > o.Point);
                if (created is not null && o.Point.Verdict == Verdict.Violation && o.Point < created.Point)
                {
                    var line = await ObservationAtAsync(before.Id, created.Point, read, cancellationToken).ConfigureAwait(false);
                    if (line is not null) created = created with { Observation = line };
                }
                view = new TimelineView(previous, next, same, created, reopened);
            }
        }
        var edit = FindingTimeline.Splice(o, view);
        if (edit.Store is null) return null;
        var written = new Dictionary<ObservationPoint, DateTimeOffset>();
        foreach (var (point, at) in read) written[point] = at;
        var id = findingId ?? "";
        var changesLines = edit.PutLines.Count > 0 || edit.DeleteLines.Count > 0 || edit.RaiseNew || edit.RaiseReopened.Count > 0;
        var cheap = inOrder && !changesLines && before is not null ? TimelineItem(id, o, null, settings.ResolvedRetentionDays, input.Now) : null;
        var alerts = new List<string>();
        var delta = view.Same is not null ? 0
            : edit.PutLines.Count(l => l.Point == o.Point || (view.Next is { } n && l.Point == n.Point)) - edit.DeleteLines.Count;
        var step = new TimelineStep(id, o, view, edit, before, cheap, alerts, delta, input.Now);
        foreach (var (point, at) in written) step.WrittenAt[point] = at;
        return step;
    }

    /// <summary>
    /// The put of a newer observation that starts no run (a plain observation past the head). Never over a history line:
    /// past a head read consistently only this observation's own earlier put can hold the key, but a stale head (an
    /// eventually consistent first read) can put "past the head" an observation that is in truth a line; the failed
    /// condition is a conflict, decided again on a consistent read (StaleReadTests).
    /// </summary>
    private Put CheapPut(Dictionary<string, AttributeValue> observation) => new()
    {
        TableName = TableName,
        Item = observation,
        ConditionExpression = "attribute_not_exists(#pk) OR #type = :observation",
        ExpressionAttributeNames = new() { ["#pk"] = LedgerSchema.PartitionKey, ["#type"] = LedgerSchema.EntityType },
        ExpressionAttributeValues = new() { [":observation"] = S(ObservationEntity) },
    };

    /// <summary>The writes of a timeline step other than the finding: observation and line items; the alerts raised go to <paramref name="alerts"/>.</summary>
    private List<TransactWriteItem> TimelineWrites(FindingRecord after, TimelineStep step, TransitionPlan plan, List<AlertRecord> alerts)
    {
        var items = new List<TransactWriteItem>();
        var edit = step.Edit;
        var o = step.Observation;
        var retention = settings.ResolvedRetentionDays;
        Put Item(Dictionary<string, AttributeValue> item) => new() { TableName = TableName, Item = item };
        if (step.Cheap is null && edit.Store is { } stored)
        {
            // The line of the transition being written names the status it really left (an acknowledged finding resolves
            // from acknowledged); lines a late observation inserts say what the timeline implies.
            var own = edit.PutLines.FirstOrDefault(l => l.Point == stored.Point);
            var from = own is not null && plan.Action == own.Action && step.Before is { } was && own.Action != TimelineLine.Created ? was.Status.ToWire() : null;
            items.Add(new TransactWriteItem { Put = Item(TimelineItem(after.Id, stored, own, retention, step.Now, from)) });
        }
        DateTimeOffset WrittenAt(ObservationPoint point) => step.WrittenAt.TryGetValue(point, out var at) ? at : step.Now;
        foreach (var line in edit.PutLines.Where(l => l.Point != o.Point))
            items.Add(new TransactWriteItem { Put = Item(TimelineItem(after.Id, line.Observation, line, retention, WrittenAt(line.Point))) });
        foreach (var point in edit.DeleteLines)
        {
            // A line no longer starts a run: it stays as the observation it is (only the next neighbour's line is ever removed).
            if (step.View.Next is { } n && n.Point == point)
                items.Add(new TransactWriteItem { Put = Item(TimelineItem(after.Id, n, null, retention, WrittenAt(n.Point))) });
        }
        var raised = new List<(string Id, string Kind, string Message)>();
        if (edit.RaiseNew)
            raised.Add((OutboxMarker.NewAlertId(after.Id), FindingTransitions.AlertNew, after.Message));
        var reopening = edit.PutLines.Where(l => l.Action == TimelineLine.Reopened).OrderByDescending(l => l.Point).FirstOrDefault()?.Observation ?? o;
        foreach (var ordinal in edit.RaiseReopened)
            raised.Add((AlertIdOf(FindingTimeline.AlertKey(after.Id, FindingTransitions.AlertReopened, ordinal)), FindingTransitions.AlertReopened, "recurred: " + reopening.Reason));
        foreach (var (alertId, kind, message) in raised)
        {
            // Put after the finding's write (PutAlertsAsync), in this order: the finding names them until then.
            alerts.Add(AlertFor(after, kind, plan with { At = step.Now }, alertId, message));
            ((List<string>)step.AlertIds).Add(alertId);
        }
        return items;
    }

    /// <summary>Up to two timeline items of a finding from <paramref name="from"/> to <paramref name="to"/> (inclusive), nearest first.</summary>
    private async Task<List<TimelineObservation>> NeighboursAsync(string findingId, string from, string to, bool forward,
        List<(ObservationPoint, DateTimeOffset)> writtenAt, CancellationToken cancellationToken)
    {
        var response = await QueryAsync("timeline-neighbours", new QueryRequest
        {
            TableName = TableName,
            KeyConditionExpression = "#pk = :pk AND #sk BETWEEN :from AND :to",
            ExpressionAttributeNames = new() { ["#pk"] = LedgerSchema.PartitionKey, ["#sk"] = LedgerSchema.SortKey },
            ExpressionAttributeValues = new() { [":pk"] = S(LedgerKeys.Finding(findingId)), [":from"] = S(from), [":to"] = S(to) },
            ScanIndexForward = forward,
            Limit = 2,
            ConsistentRead = true,
        }, cancellationToken).ConfigureAwait(false);
        Remember(response.Items, writtenAt);
        return response.Items.Select(ReadObservation).OfType<TimelineObservation>().ToList();
    }

    /// <summary>Notes the <c>at</c> of timeline items read while deciding a step, so a rewritten line keeps it.</summary>
    private static void Remember(IEnumerable<Dictionary<string, AttributeValue>> items, List<(ObservationPoint, DateTimeOffset)> writtenAt)
    {
        foreach (var item in items)
        {
            if (ReadObservation(item) is not { } o || !Timestamps.TryParse(item.GetValueOrDefault("at")?.S, out var at)) continue;
            writtenAt.Add((o.Point, at));
        }
    }

    private async Task<TimelineObservation?> ObservationAtAsync(string findingId, ObservationPoint point, List<(ObservationPoint, DateTimeOffset)> writtenAt,
        CancellationToken cancellationToken)
    {
        var response = await dynamo.GetItemAsync(new GetItemRequest
        {
            TableName = TableName,
            Key = new() { [LedgerSchema.PartitionKey] = S(LedgerKeys.Finding(findingId)), [LedgerSchema.SortKey] = S(LedgerKeys.HistoryAt(point)) },
            ConsistentRead = true,
        }, cancellationToken).ConfigureAwait(false);
        if (response.Item is not { Count: > 0 } item) return null;
        Remember([item], writtenAt);
        return ReadObservation(item);
    }

    private static bool IsConflict(Exception ex) => ex switch
    {
        ConditionalCheckFailedException => true,
        TransactionConflictException => true,
        // A cancelled transaction with only ConditionalCheckFailed / TransactionConflict / None reasons means another
        // writer changed the finding: re-read and decide again. Validation errors are real bugs and propagate.
        TransactionCanceledException tce => tce.CancellationReasons is null || tce.CancellationReasons.All(r =>
            r.Code is null or "None" or "ConditionalCheckFailed" or "TransactionConflict"),
        _ => false,
    };

    private static Task Backoff(int attempt, CancellationToken cancellationToken)
    {
        // Full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter"): spreads 8 racing writers apart.
        var cap = Math.Min(1000, 25 * (1 << Math.Min(attempt, 6)));
        return Task.Delay(Random.Shared.Next(1, cap + 1), cancellationToken);
    }

    // ---------------------------------------------------------------- reading

    /// <summary>What a stored finding item carries of older layouts (docs/data-model.md, "Legacy memberships", "Legacy status keys").</summary>
    [Flags]
    internal enum LegacyShape
    {
        None = 0,
        /// <summary>No GSI2 rule key: the item has MEMBER items (one per control and category).</summary>
        Members = 1,
        /// <summary>GSI1 <c>STATUS#</c> keys (written before issue 20's gsi6 change).</summary>
        StatusKey = 2,
    }

    /// <returns>The finding (null: none or malformed), whether it is malformed, and what it carries of older layouts.</returns>
    private async Task<(FindingRecord? Record, bool Malformed, LegacyShape Legacy)> ReadFindingAsync(string findingId, bool consistent, CancellationToken cancellationToken)
    {
        var response = await dynamo.GetItemAsync(new GetItemRequest
        {
            TableName = TableName,
            Key = new() { [LedgerSchema.PartitionKey] = S(LedgerKeys.Finding(findingId)), [LedgerSchema.SortKey] = S(LedgerKeys.Meta) },
            ConsistentRead = consistent,
        }, cancellationToken).ConfigureAwait(false);
        if (response.Item is not { Count: > 0 } item) return (null, false, LegacyShape.None);
        await FillRuleTextsAsync([item], cancellationToken).ConfigureAwait(false);
        if (TryReadFinding(item, out var record, out var problem))
            return (record, false, (item.ContainsKey(LedgerSchema.Gsi2PartitionKey) ? LegacyShape.None : LegacyShape.Members)
                | (item.ContainsKey(LedgerSchema.Gsi1PartitionKey) ? LegacyShape.StatusKey : LegacyShape.None));
        Log.Warn("ledger.malformed-item", ("item", Describe(item)), ("problem", problem));
        return (null, true, LegacyShape.None);
    }

    /// <summary>
    /// The finding (as <see cref="ReadFindingAsync"/>) and, in the same Query, the item that sorts just below it in its
    /// partition: the newest timeline item (<c>HIST#&lt;head&gt;</c>) on a finding with an order-free timeline. DynamoDB
    /// bills a Query by the total size of what it returns, so this costs what the GetItem of the finding alone costs while
    /// the two stay under 4 KB (0.5 RCU eventually consistent).
    /// </summary>
    private async Task<(FindingRecord? Record, bool Malformed, LegacyShape Legacy, Dictionary<string, AttributeValue>? Head)> ReadFindingAndHeadAsync(string findingId,
        bool consistent, CancellationToken cancellationToken)
    {
        var response = await QueryAsync("finding-read", new QueryRequest
        {
            TableName = TableName,
            KeyConditionExpression = "#pk = :pk AND #sk BETWEEN :hist AND :meta",
            ExpressionAttributeNames = new() { ["#pk"] = LedgerSchema.PartitionKey, ["#sk"] = LedgerSchema.SortKey },
            ExpressionAttributeValues = new() { [":pk"] = S(LedgerKeys.Finding(findingId)), [":hist"] = S(LedgerKeys.HistoryPrefix), [":meta"] = S(LedgerKeys.Meta) },
            ScanIndexForward = false,
            Limit = 2,
            ConsistentRead = consistent,
        }, cancellationToken, hydrate: false).ConfigureAwait(false);
        if (response.Items is not [var item, ..] || item.GetValueOrDefault(LedgerSchema.SortKey)?.S != LedgerKeys.Meta) return (null, false, LegacyShape.None, null);
        var head = response.Items.Count > 1 ? response.Items[1] : null;
        await FillRuleTextsAsync([item], cancellationToken).ConfigureAwait(false);
        if (TryReadFinding(item, out var record, out var problem))
            return (record, false, (item.ContainsKey(LedgerSchema.Gsi2PartitionKey) ? LegacyShape.None : LegacyShape.Members)
                | (item.ContainsKey(LedgerSchema.Gsi1PartitionKey) ? LegacyShape.StatusKey : LegacyShape.None), head);
        Log.Warn("ledger.malformed-item", ("item", Describe(item)), ("problem", problem));
        return (null, true, LegacyShape.None, null);
    }

    private async Task<List<FindingRecord>> ReadFindingsAsync(List<Dictionary<string, AttributeValue>> items, CancellationToken cancellationToken)
    {
        await FillRuleTextsAsync(items, cancellationToken).ConfigureAwait(false);
        var findings = new List<FindingRecord>();
        foreach (var item in items)
        {
            if (TryReadFinding(item, out var record, out var problem)) findings.Add(record);
            else Log.Warn("ledger.malformed-item", ("item", Describe(item)), ("problem", problem));
        }
        return findings;
    }

    private QueryRequest DueRequest(DateTimeOffset at, int limit, Dictionary<string, AttributeValue>? start) => new()
    {
        TableName = TableName,
        IndexName = LedgerSchema.Gsi4,
        KeyConditionExpression = "#pk = :pk AND #sk <= :upper",
        ExpressionAttributeNames = new() { ["#pk"] = LedgerSchema.Gsi4PartitionKey, ["#sk"] = LedgerSchema.Gsi4SortKey },
        ExpressionAttributeValues = new() { [":pk"] = S(LedgerKeys.TimerPartition), [":upper"] = S(LedgerKeys.TimerUpperBound(at)) },
        Limit = limit,
        ExclusiveStartKey = start,
    };

    /// <summary>
    /// A key-only index partition merged into a view. Its entries' sort keys, with <see cref="SortPrefix"/> put in front,
    /// are in the view's order (GSI2's: status rank, severity, due date, id).
    /// </summary>
    private sealed record MergedSource(string Index, string PartitionAttribute, string Partition, string SortAttribute, string SortPrefix = "")
    {
        public static MergedSource Gsi2(string partition) => new(LedgerSchema.Gsi2, LedgerSchema.Gsi2PartitionKey, partition, LedgerSchema.Gsi2SortKey);
    }

    /// <summary>
    /// The findings a status, control or category view shows, one page in the status page's order (status, severity, due
    /// date, id): a k-way merge of the GSI2 partitions of the rules that claim the view (from the counter items: every rule
    /// with a finding has one; with <paramref name="counted"/>, only rules whose counters hold findings in that status and
    /// severity) and of the <paramref name="legacy"/> partitions (findings not rewritten since an older layout: MEMBER
    /// items, GSI1 status keys), de-duplicated by finding id, then one BatchGetItem of the page. Each partition is read in
    /// growing windows, and only as deep as the page needs, so the cost is about one small key-only Query per source (more
    /// only for the sources the page's entries come from), the counter items and one page of items, whatever the number of
    /// findings. <paramref name="after"/> (the cursor) is the last sort key returned. A
    /// finding that no longer belongs to the view (a policy change moved a control; index entries not yet updated) is
    /// filtered out after reading, so such a page can be shorter than the limit.
    /// </summary>
    private async Task<Page<FindingRecord>> QueryClaimedAsync(string operation, Func<LedgerCounters.RuleSet, bool> claims, (FindingStatus Status, Severity? Severity)? counted,
        IReadOnlyList<MergedSource> legacy, Func<FindingRecord, bool> belongs, string? sortPrefix, int limit, string? after, CancellationToken cancellationToken)
    {
        var upper = sortPrefix is null ? null : sortPrefix + "~";
        if (after is not null && sortPrefix is not null && string.CompareOrdinal(after, sortPrefix) < 0) after = null;
        if (after is not null && upper is not null && string.CompareOrdinal(after, upper) >= 0) return new Page<FindingRecord>([], null);
        var sources = (await ClaimingRulesAsync(operation, claims, counted, cancellationToken).ConfigureAwait(false))
            .Select(rule => MergedSource.Gsi2(LedgerKeys.RulePartition(rule))).Concat(legacy).DistinctBy(p => (p.Index, p.Partition)).ToList();
        // Each source is read in windows: a first one of about twice its share of the page, then, only for sources whose
        // window ends before the page's last entry (their unread entries could still belong to the page), the next one,
        // twice as large (at most page + 1). A page then reads about page + 2 × sources keys, not page × sources.
        var window = Math.Min(limit + 1, Math.Max(8, 2 * (limit + 1) / Math.Max(1, sources.Count)));
        var reads = new List<SourceRead>(sources.Count);
        foreach (var source in sources)
        {
            if (SourceRequest(source, sortPrefix, after, window) is { } request) reads.Add(new SourceRead(source, request));
        }
        List<(string Sort, string Id)> merged;
        while (true)
        {
            var pending = reads.Where(r => r.Pending).ToList();
            await Task.WhenAll(pending.Select(r => r.ReadAsync(this, operation, limit + 1, cancellationToken))).ConfigureAwait(false);
            var entries = new List<(string Sort, string Id)>();
            foreach (var read in reads)
                foreach (var entry in read.Entries)
                    if (after is null || string.CompareOrdinal(entry.Sort, after) > 0) entries.Add(entry);
            // A finding written by the last version is in its rule partition and the GSI1 one with the same sort key: once.
            merged = entries.OrderBy(e => e.Sort, StringComparer.Ordinal).DistinctBy(e => e.Id, StringComparer.Ordinal).ToList();
            var bound = merged.Count >= limit ? merged[limit - 1].Sort : null;
            // A source whose unread entries all sort after the page's last entry cannot change the page.
            var behind = reads.Where(r => r.More && (bound is null || r.WindowEnd is null || string.CompareOrdinal(r.WindowEnd, bound) < 0)).ToList();
            if (behind.Count == 0) break;
            foreach (var read in behind) read.Pending = true;
        }
        var more = merged.Count > limit || reads.Any(r => r.More);
        var page = merged.Take(limit).ToList();
        var byId = await BatchGetFindingsAsync(operation, page.Select(e => e.Id).ToList(), cancellationToken).ConfigureAwait(false);
        var findings = page.Select(e => byId.GetValueOrDefault(e.Id)).OfType<FindingRecord>().Where(belongs).ToList();
        var next = more && page.Count > 0
            ? PageCursor.Encode(new Dictionary<string, AttributeValue> { [LedgerSchema.Gsi2SortKey] = S(page[^1].Sort) })
            : null;
        return new Page<FindingRecord>(findings, next);
    }

    /// <summary>
    /// The first Query of a merged source: the view's bounds (sort prefix, cursor) in the source's own sort keys (its
    /// prefix stripped). Null when the source holds nothing in the view (wholly before the cursor, or another prefix).
    /// </summary>
    private QueryRequest? SourceRequest(MergedSource source, string? sortPrefix, string? after, int window)
    {
        var prefix = sortPrefix;
        var from = after;
        if (source.SortPrefix.Length > 0)
        {
            if (prefix is not null && !prefix.StartsWith(source.SortPrefix, StringComparison.Ordinal)) return null;
            prefix = prefix?[source.SortPrefix.Length..];
            if (from is not null)
            {
                if (from.StartsWith(source.SortPrefix, StringComparison.Ordinal)) from = from[source.SortPrefix.Length..];
                else if (string.CompareOrdinal(from, source.SortPrefix) < 0) from = null;
                else return null;
            }
            if (prefix is { Length: 0 }) prefix = null;
        }
        var top = prefix is null ? null : prefix + "~";
        var request = new QueryRequest
        {
            TableName = TableName,
            IndexName = source.Index,
            KeyConditionExpression = "#pk = :pk",
            ExpressionAttributeNames = new() { ["#pk"] = source.PartitionAttribute },
            ExpressionAttributeValues = new() { [":pk"] = S(source.Partition) },
            Limit = window,
        };
        if (from is null && prefix is null) return request;
        request.ExpressionAttributeNames["#sk"] = source.SortAttribute;
        if (from is null)
        {
            request.KeyConditionExpression += " AND begins_with(#sk, :prefix)";
            request.ExpressionAttributeValues[":prefix"] = S(prefix!);
        }
        else if (top is null)
        {
            request.KeyConditionExpression += " AND #sk > :after";
            request.ExpressionAttributeValues[":after"] = S(from);
        }
        else
        {
            // BETWEEN is inclusive: the cursor's own entry comes back and is dropped by the merge.
            request.KeyConditionExpression += " AND #sk BETWEEN :after AND :upper";
            request.ExpressionAttributeValues[":after"] = S(from);
            request.ExpressionAttributeValues[":upper"] = S(top);
        }
        return request;
    }

    /// <summary>One merged source's reading state: the entries read so far, in index order, and where to go on.</summary>
    private sealed class SourceRead(MergedSource source, QueryRequest request)
    {
        public List<(string Sort, string Id)> Entries { get; } = [];

        /// <summary>The merged-space sort key of the last entry read (null before any).</summary>
        public string? WindowEnd { get; private set; }

        /// <summary>The index has entries after the window (its last LastEvaluatedKey).</summary>
        public bool More => request.ExclusiveStartKey is { Count: > 0 } || !_read;

        public bool Pending { get; set; } = true;

        private bool _read;

        public async Task ReadAsync(DynamoDbFindingLedger ledger, string operation, int maxWindow, CancellationToken cancellationToken)
        {
            Pending = false;
            if (_read) request.Limit = Math.Min(maxWindow, (request.Limit ?? maxWindow) * 2);
            var response = await ledger.QueryAsync(operation, request, cancellationToken, hydrate: false).ConfigureAwait(false);
            _read = true;
            foreach (var item in response.Items)
            {
                // Keys only: a finding's (or a legacy membership's) partition key is FINDING#<id>.
                if (item.GetValueOrDefault(source.SortAttribute)?.S is not { } indexSort) continue;
                WindowEnd = source.SortPrefix + indexSort;
                if (FindingIdOf(item) is { } id) Entries.Add((WindowEnd, id));
            }
            request.ExclusiveStartKey = response.LastEvaluatedKey is { Count: > 0 } next ? next : null;
        }
    }

    /// <summary>
    /// The rules whose counter items (one Query of the <c>STATS</c> partition) satisfy <paramref name="claims"/>; with
    /// <paramref name="counted"/>, only those whose claiming items count a finding in that status (and severity). The
    /// counts are exact (every transition ADDs to its rule's item in its own transaction) unless the table still holds
    /// counter items of the <c>SHARD#</c> layout, whose findings no rule item counts: then every claiming rule is read.
    /// </summary>
    private async Task<IReadOnlyList<string>> ClaimingRulesAsync(string operation, Func<LedgerCounters.RuleSet, bool> claims,
        (FindingStatus Status, Severity? Severity)? counted, CancellationToken cancellationToken)
    {
        await CatchUpCountersAsync(cancellationToken).ConfigureAwait(false);
        var rules = new SortedSet<string>(StringComparer.Ordinal);
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        var shardLayout = false;
        Dictionary<string, AttributeValue>? start = null;
        do
        {
            var response = await QueryAsync(operation + ".rules", new QueryRequest
            {
                TableName = TableName,
                KeyConditionExpression = "#pk = :pk",
                ExpressionAttributeNames = new() { ["#pk"] = LedgerSchema.PartitionKey },
                ExpressionAttributeValues = new() { [":pk"] = S(LedgerKeys.StatsPartition) },
                ExclusiveStartKey = start,
            }, cancellationToken).ConfigureAwait(false);
            foreach (var item in response.Items)
            {
                shardLayout |= LedgerCounters.IsLegacyShard(item);
                foreach (var set in LedgerCounters.RuleSets([item]))
                {
                    if (!claims(set)) continue;
                    rules.Add(set.RuleId);
                    if (counted is { } c) counts[set.RuleId] = counts.GetValueOrDefault(set.RuleId) + LedgerCounters.StatusCount(item, c.Status, c.Severity);
                }
            }
            start = response.LastEvaluatedKey is { Count: > 0 } next ? next : null;
        }
        while (start is not null);
        return counted is null || shardLayout ? rules.ToList() : rules.Where(r => counts.GetValueOrDefault(r) != 0).ToList();
    }

    private async Task<Dictionary<string, FindingRecord>> BatchGetFindingsAsync(string operation, IReadOnlyList<string> ids, CancellationToken cancellationToken)
    {
        var found = new Dictionary<string, FindingRecord>(StringComparer.Ordinal);
        foreach (var chunk in ids.Chunk(100))
        {
            var keys = chunk.Select(id => new Dictionary<string, AttributeValue>
            {
                [LedgerSchema.PartitionKey] = S(LedgerKeys.Finding(id)),
                [LedgerSchema.SortKey] = S(LedgerKeys.Meta),
            }).ToList();
            for (var attempt = 1; keys.Count > 0; attempt++)
            {
                var response = await dynamo.BatchGetItemAsync(new BatchGetItemRequest
                {
                    RequestItems = new() { [TableName] = new KeysAndAttributes { Keys = keys } },
                    ReturnConsumedCapacity = CapacityObserver is null ? null : ReturnConsumedCapacity.TOTAL,
                }, cancellationToken).ConfigureAwait(false);
                if (CapacityObserver is { } observe && response.ConsumedCapacity is { } capacities)
                    foreach (var c in capacities) observe(operation + ".batch-get", c);
                foreach (var record in await ReadFindingsAsync(response.Responses.GetValueOrDefault(TableName) ?? [], cancellationToken).ConfigureAwait(false)) found[record.Id] = record;
                keys = response.UnprocessedKeys?.GetValueOrDefault(TableName)?.Keys ?? [];
                if (keys.Count > 0)
                {
                    if (attempt >= MaxAttempts) throw new LedgerConflictException($"BatchGetItem left {keys.Count} keys unprocessed after {attempt} attempts");
                    await Backoff(attempt, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        return found;
    }

    /// <summary>A query; on a GSI (keys only) the page's items are then read from the table unless <paramref name="hydrate"/> is false.</summary>
    private async Task<QueryResponse> QueryAsync(string operation, QueryRequest request, CancellationToken cancellationToken, bool hydrate = true)
    {
        if (CapacityObserver is not null) request.ReturnConsumedCapacity = ReturnConsumedCapacity.TOTAL;
        if (hydrate) return await dynamo.QueryItemsAsync(request, CapacityObserver, operation, cancellationToken).ConfigureAwait(false);
        var response = await dynamo.QueryAsync(request, cancellationToken).ConfigureAwait(false);
        if (CapacityObserver is { } observe && response.ConsumedCapacity is { } capacity) observe(operation, capacity);
        response.Items ??= [];
        return response;
    }

    /// <summary>The finding id of a finding, membership or index entry: the suffix of its <c>FINDING#&lt;id&gt;</c> partition key.</summary>
    private static string? FindingIdOf(Dictionary<string, AttributeValue> item) =>
        item.TryGetValue(LedgerSchema.PartitionKey, out var pk) && pk.S is { } value && value.StartsWith(LedgerKeys.FindingPrefix, StringComparison.Ordinal)
            && value.Length > LedgerKeys.FindingPrefix.Length
            ? value[LedgerKeys.FindingPrefix.Length..]
            : null;

    private sealed class Tally
    {
        private int _created, _updated, _resolved, _reopened, _unchanged, _escalated, _malformed;
        private readonly List<string> _alerts = [];
        private readonly HashSet<int> _superseded = [];
        private readonly Dictionary<string, DateTimeOffset> _holding = new(StringComparer.Ordinal);
        private readonly HashSet<string> _supersededCreations = new(StringComparer.Ordinal);

        public void Supersede(int index) => _superseded.Add(index);

        public bool IsSuperseded(int index) => _superseded.Contains(index);

        public void Hold(FindingRecord f) => _holding[f.Id] = HeldFailures.HeldAt(f);

        public void SupersededCreation(string findingId) => _supersededCreations.Add(findingId);

        public void Add(Mutation m)
        {
            switch (m.Kind)
            {
                case MutationKind.Created: _created++; break;
                case MutationKind.Updated: _updated++; break;
                case MutationKind.Unchanged: _unchanged++; break;
                case MutationKind.Malformed: _malformed++; break;
                case MutationKind.Transition:
                    switch (m.Plan?.Action)
                    {
                        case "resolved": _resolved++; break;
                        case "reopened" or "waiver-expired" or "waiver-revoked": _reopened++; break;
                        case "escalated": _escalated++; break;
                        default: _updated++; break;
                    }
                    break;
            }
            if (m.TimelineAlerts is { Count: > 0 } raised) _alerts.AddRange(raised);
            if (m.AlertId is not null && !_alerts.Contains(m.AlertId)) _alerts.Add(m.AlertId);
        }

        public LedgerWriteResult ToResult() => new()
        {
            Created = _created,
            Updated = _updated,
            Resolved = _resolved,
            Reopened = _reopened,
            Unchanged = _unchanged,
            Escalated = _escalated,
            Malformed = _malformed,
            AlertIds = _alerts,
            Superseded = _superseded,
            HoldingEvidence = _holding,
            SupersededCreations = _supersededCreations,
        };
    }
}
