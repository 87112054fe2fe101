using System.Diagnostics;
using System.Text.Json;
using IsmsServerless.Engine;
using IsmsServerless.Events;
using IsmsServerless.Ingestion;
using IsmsServerless.Observability;
using IsmsServerless.Pipeline;

namespace IsmsServerless.Inventory;

/// <summary>What one back-fill run did.</summary>
public sealed record SnapshotBackfillResult
{
    public string? Bucket { get; init; }
    public string? Key { get; init; }
    public string? SnapshotId { get; init; }
    public long Items { get; init; }
    public long Evaluations { get; init; }
    public long Findings { get; init; }
    public long Created { get; init; }
    public long Resolved { get; init; }

    /// <summary>Items of a type no rule covers (ignored).</summary>
    public long Ignored { get; init; }

    /// <summary>Malformed items (rejected, each logged with its reason); the rest of the snapshot is still read.</summary>
    public long Rejected { get; init; }

    /// <summary>Why the notification itself was ignored (a delivery started/failed message), else null.</summary>
    public string? IgnoredReason { get; init; }

    /// <summary>Why the notification or the file was refused, else null.</summary>
    public string? Error { get; init; }

    public TimeSpan Elapsed { get; init; }

    /// <summary>Items skipped because a checkpoint said an earlier invocation finished them.</summary>
    public long Skipped { get; init; }

    /// <summary>True when the run stopped before the end of the file (time budget); the checkpoint says where to resume.</summary>
    public bool Incomplete { get; init; }
}

/// <summary>
/// Inventory back-fill: reads the configuration snapshot a "Configuration Snapshot Delivery Completed" notification
/// names, streaming, and sends every item through the same Config adapter and store-backed pipeline as a change event
/// (enrich → rules → ledger), so each recorded resource is judged by this system's baselines at every snapshot, not only
/// when it changes. Items are processed with bounded concurrency pulled from the stream: memory stays bounded by
/// <see cref="MaxConcurrency"/> items whatever the file size. Only objects in <see cref="AllowedBucket"/> are read.
/// </summary>
public sealed class SnapshotBackfill(IngestPipeline pipeline, ISnapshotObjectSource source, string allowedBucket)
{
    /// <summary>Items in flight at once (each is a few small DynamoDB calls).</summary>
    public int MaxConcurrency { get; init; } = 16;

    /// <summary>Checkpoints (null: none; every run reads the whole file). With them a timed-out run resumes after its last contiguous finished item.</summary>
    public SnapshotCheckpointStore? Checkpoints { get; init; }

    /// <summary>Time left in the invocation (Lambda's remaining time); null: unbounded.</summary>
    public Func<TimeSpan>? RemainingTime { get; init; }

    /// <summary>Stop pulling new items when less than this is left, so the checkpoint is written before the timeout.</summary>
    public TimeSpan StopBefore { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Completed items between checkpoint writes.</summary>
    public int CheckpointEvery { get; init; } = 1000;

    /// <summary>The one bucket the function may read (the delivery channel's); a notification naming another is refused.</summary>
    public string AllowedBucket { get; } = allowedBucket;

    public async Task<SnapshotBackfillResult> RunAsync(ReadOnlyMemory<byte> notificationPayload, EvaluationContext context, CancellationToken cancellationToken = default)
    {
        ConfigSnapshotNotification? notification;
        string? ignored;
        try
        {
            notification = ConfigSnapshotNotification.Parse(notificationPayload, out ignored);
        }
        catch (EventRejectedException ex)
        {
            Log.Warn("snapshot.notification-rejected", ("error", ex.Message));
            return new SnapshotBackfillResult { Error = ex.Message };
        }
        if (notification is null)
        {
            Log.Info("snapshot.notification-ignored", ("reason", ignored));
            return new SnapshotBackfillResult { IgnoredReason = ignored };
        }
        if (!string.Equals(notification.Bucket, AllowedBucket, StringComparison.Ordinal))
        {
            var error = $"snapshot bucket '{notification.Bucket}' is not the configured snapshot bucket";
            Log.Warn("snapshot.bucket-refused", ("bucket", notification.Bucket), ("allowed", AllowedBucket));
            return new SnapshotBackfillResult { Bucket = notification.Bucket, Key = notification.Key, Error = error };
        }
        await using var stream = await source.OpenAsync(notification.Bucket, notification.Key, cancellationToken).ConfigureAwait(false);
        var result = await ProcessAsync(stream, notification.SnapshotId, notification.CreatedAt, context, cancellationToken).ConfigureAwait(false);
        return result with { Bucket = notification.Bucket, Key = notification.Key };
    }

    /// <summary>Reads one snapshot stream through the pipeline. A malformed file stops the run with <see cref="SnapshotBackfillResult.Error"/>; items done stay done.</summary>
    public async Task<SnapshotBackfillResult> ProcessAsync(Stream snapshot, string? snapshotId, DateTimeOffset? deliveredAt, EvaluationContext context, CancellationToken cancellationToken = default)
    {
        var clock = Stopwatch.StartNew();
        var header = new ConfigSnapshotReader.Header();
        long items = 0, evaluations = 0, findings = 0, created = 0, resolved = 0, ignoredItems = 0, rejected = 0, skipped = 0;
        string? error = null;
        var checkpointId = snapshotId;
        var resumeAfter = -1L;
        SnapshotCheckpoint? resumed = null;
        if (Checkpoints is not null && checkpointId is not null && await Checkpoints.GetAsync(checkpointId, cancellationToken).ConfigureAwait(false) is { } saved)
        {
            if (saved.Done)
            {
                Log.Info("snapshot.already-backfilled", ("snapshotId", checkpointId));
                return new SnapshotBackfillResult { SnapshotId = checkpointId, Skipped = saved.Watermark + 1, Elapsed = clock.Elapsed };
            }
            resumeAfter = saved.Watermark;
            resumed = saved;
            Log.Info("snapshot.resuming", ("snapshotId", checkpointId), ("after", resumeAfter), ("ahead", saved.Ahead?.Count ?? 0));
        }
        // Completion tracking: the watermark is the last index up to which every item is done; the set holds at most
        // MaxConcurrency finished-out-of-order indexes (plus those an interrupted invocation finished ahead), so memory
        // stays bounded.
        var gate = new object();
        var finished = new HashSet<long>(resumed?.Ahead ?? new HashSet<long>());
        var watermark = resumeAfter;
        var savedWatermark = resumeAfter;
        var stopped = false;
        async IAsyncEnumerable<(long Index, JsonDocument Document)> Numbered([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct = default)
        {
            var index = -1L;
            await foreach (var document in ConfigSnapshotReader.ReadItemsAsync(snapshot, header, cancellationToken: ct).ConfigureAwait(false))
            {
                index++;
                if (index <= resumeAfter || resumed?.Covers(index) == true)
                {
                    document.Dispose();
                    skipped++;
                    continue;
                }
                if (RemainingTime is not null && RemainingTime() < StopBefore)
                {
                    document.Dispose();
                    stopped = true;
                    yield break;
                }
                yield return (index, document);
            }
        }
        async Task SaveCheckpointAsync(bool done, CancellationToken ct, bool withAhead = false)
        {
            long mark;
            List<long> ahead;
            lock (gate)
            {
                mark = watermark;
                ahead = withAhead ? finished.Where(i => i > mark).ToList() : [];
            }
            if (Checkpoints is null || checkpointId is null || (!done && mark <= savedWatermark && ahead.Count == 0)) return;
            await Checkpoints.SaveAsync(checkpointId, mark, done, context.Now, ahead, ct).ConfigureAwait(false);
            lock (gate) savedWatermark = Math.Max(savedWatermark, mark);
        }
        try
        {
            await Parallel.ForEachAsync(Numbered(cancellationToken),
                new ParallelOptions { MaxDegreeOfParallelism = MaxConcurrency, CancellationToken = cancellationToken },
                async (numbered, ct) =>
                {
                    using (var document = numbered.Document)
                    {
                        Interlocked.Increment(ref items);
                        var adapted = Adapt(document.RootElement, snapshotId ?? header.ConfigSnapshotId, deliveredAt);
                        if (adapted.Rejected)
                        {
                            Interlocked.Increment(ref rejected);
                            Log.Warn("snapshot.item-rejected", ("error", adapted.Error), ("snapshotId", snapshotId ?? header.ConfigSnapshotId));
                        }
                        else
                        {
                            // The caller's token, not the loop's: when the stream dies mid-file the loop cancels, but an item
                            // already being judged finishes (half of an item's writes would be judged again at the retry).
                            var outcome = await pipeline.ProcessAdaptedAsync(adapted, context, cancellationToken).ConfigureAwait(false);
                            if (outcome.Engine.Evaluations.Count == 0 && outcome.ResourcesGone == 0) Interlocked.Increment(ref ignoredItems);
                            Interlocked.Add(ref evaluations, outcome.Engine.Evaluations.Count);
                            Interlocked.Add(ref findings, outcome.Findings);
                            Interlocked.Add(ref created, outcome.Ledger.Created);
                            Interlocked.Add(ref resolved, outcome.Ledger.Resolved + outcome.FindingsClosed);
                        }
                    }
                    bool due;
                    lock (gate)
                    {
                        finished.Add(numbered.Index);
                        while (finished.Remove(watermark + 1)) watermark++;
                        due = watermark - savedWatermark >= CheckpointEvery;
                    }
                    if (due) await SaveCheckpointAsync(false, ct).ConfigureAwait(false);
                }).ConfigureAwait(false);
            await SaveCheckpointAsync(!stopped, cancellationToken, withAhead: stopped).ConfigureAwait(false);
        }
        catch (SnapshotFormatException ex)
        {
            error = ex.Message;
            Log.Warn("snapshot.file-rejected", ("error", ex.Message), ("itemsRead", items), ("snapshotId", snapshotId ?? header.ConfigSnapshotId));
        }
        catch (Exception ex) when (Checkpoints is not null && checkpointId is not null)
        {
            // Killed mid-stream (S3 connection reset, a store error, the invocation cancelled): record what is done, the
            // contiguous watermark and the items finished ahead of it, so the retry of the same notification judges
            // each remaining item once and nothing twice. The invocation still fails, so Lambda retries it.
            try
            {
                await SaveCheckpointAsync(false, CancellationToken.None, withAhead: true).ConfigureAwait(false);
            }
            catch (Exception saveError) when (saveError is not OutOfMemoryException)
            {
                Log.Warn("snapshot.checkpoint-failed", ("error", saveError.Message), ("snapshotId", checkpointId));
            }
            Log.Warn("snapshot.interrupted", ("error", ex.Message), ("itemsJudged", items), ("watermark", watermark), ("snapshotId", checkpointId));
            throw;
        }
        var result = new SnapshotBackfillResult
        {
            SnapshotId = snapshotId ?? header.ConfigSnapshotId,
            Items = items,
            Evaluations = evaluations,
            Findings = findings,
            Created = created,
            Resolved = resolved,
            Ignored = ignoredItems,
            Rejected = rejected,
            Error = error,
            Elapsed = clock.Elapsed,
            Skipped = skipped,
            Incomplete = stopped && error is null,
        };
        Log.Info("snapshot.backfilled", ("snapshotId", result.SnapshotId), ("items", items), ("evaluations", evaluations), ("findings", findings),
            ("created", created), ("resolved", resolved), ("ignored", ignoredItems), ("rejected", rejected), ("skipped", skipped), ("incomplete", stopped), ("error", error), ("elapsedMs", (long)clock.Elapsed.TotalMilliseconds));
        return result;
    }

    /// <summary>One snapshot item through the Config adapter, as the engine would report a payload.</summary>
    public static EngineResult Adapt(JsonElement item, string? snapshotId, DateTimeOffset? deliveredAt)
    {
        try
        {
            return new EngineResult
            {
                Adapter = "config",
                Kind = InboundKind.EventBridge,
                Source = "aws.config",
                DetailType = ConfigSnapshotNotification.EventBridgeDetailType,
                Inputs = ConfigAdapter.FromSnapshotItem(item, snapshotId, deliveredAt),
            };
        }
        catch (EventRejectedException ex)
        {
            return new EngineResult { Adapter = "config", Source = "aws.config", DetailType = ConfigSnapshotNotification.EventBridgeDetailType, Error = ex.Message };
        }
    }
}
