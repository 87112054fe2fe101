using System.Collections.Concurrent;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using System.Text.Json;
using IsmsServerless.Ledger;

namespace IsmsServerless.CounterProjection;

/// <summary>
/// The counter projector run in-process over DynamoDB Local's stream (the CLI, the scale replay, the tests): the Streams
/// API (DescribeTable → DescribeStream → GetShardIterator → GetRecords), each page of records mapped to the record shape
/// Lambda delivers (<see cref="StreamChange"/>) and handed to the same <see cref="CounterProjector"/> the Lambda function
/// runs, after the same filter its event source mapping applies (finding and evidence items). <see cref="CatchUpAsync"/>
/// drains every shard to its end: a read that needs the counters calls it first (no sleeps). One instance per endpoint and
/// table in a process keeps each shard's position; a fresh process starts at the trim horizon and the projector's markers
/// skip what an earlier process applied.
/// </summary>
public sealed class LocalStreamProjection : ICounterCatchUp, IDisposable
{
    /// <summary>Instances live for the process (one per endpoint and table); disposing only releases the gate.</summary>
    public void Dispose() => _gate.Dispose();

    private static readonly ConcurrentDictionary<string, LocalStreamProjection> Shared = new(StringComparer.Ordinal);

    private IAmazonDynamoDB _dynamo;
    private readonly string _tableName;
    private readonly string _endpoint;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Dictionary<string, string> _positions = new(StringComparer.Ordinal);
    private readonly HashSet<string> _finished = new(StringComparer.Ordinal);
    private CounterProjector? _projector;
    private string? _streamArn;

    private LocalStreamProjection(IAmazonDynamoDB dynamo, string tableName, string endpoint)
    {
        _dynamo = dynamo;
        _tableName = tableName;
        _endpoint = endpoint;
    }

    /// <summary>Records per GetRecords page, i.e. per projector batch (Lambda's BatchSize for DynamoDB streams is at most 1000).</summary>
    public int BatchSize { get; set; } = 1000;

    /// <summary>The projector's counters written so far by this instance (diagnostics: the scale replay prints them).</summary>
    public long Batches => Interlocked.Read(ref _batches);

    private long _batches;

    /// <summary>
    /// The shared projection for a client that talks to DynamoDB Local (it has a <c>ServiceURL</c>), else null (in Lambda the
    /// projector function consumes the stream).
    /// </summary>
    public static LocalStreamProjection? ForEndpoint(IAmazonDynamoDB dynamo, string tableName)
    {
        ArgumentNullException.ThrowIfNull(dynamo);
        var endpoint = dynamo.Config?.ServiceURL;
        if (string.IsNullOrEmpty(endpoint) || string.IsNullOrEmpty(tableName)) return null;
        var shared = Shared.GetOrAdd(endpoint + "\u001f" + tableName, _ => new LocalStreamProjection(dynamo, tableName, endpoint));
        // The latest client for this endpoint and table is used (a command may have disposed the one before it).
        shared.Use(dynamo);
        return shared;
    }

    /// <summary>The projector this drain feeds.</summary>
    internal CounterProjector Projector => _projector ??= new CounterProjector(_dynamo, _tableName, [new FindingCounterSource(_dynamo, _tableName), new EvidenceCounterSource()], TimeProvider.System);

    private void Use(IAmazonDynamoDB dynamo)
    {
        if (ReferenceEquals(dynamo, _dynamo)) return;
        _gate.Wait();
        try
        {
            _dynamo = dynamo;
            _projector = null;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Whether a record is one the projector's event source mapping lets through (finding and evidence result items).</summary>
    public static bool Counted(StreamChange change) => FindingCounterSource.IsFinding(change) || EvidenceCounterSource.IsEvidence(change);

    public Task CatchUpAsync(CancellationToken cancellationToken = default) => WalkAsync(ApplyAsync, advance: true, cancellationToken);

    /// <summary>Every counted record of the stream from its trim horizon, not applied (tests deliver them in chosen batches).</summary>
    public async Task<List<StreamChange>> ReadAllAsync(CancellationToken cancellationToken = default)
    {
        var all = new List<StreamChange>();
        await WalkAsync(batch => { all.AddRange(batch); return Task.CompletedTask; }, advance: false, cancellationToken).ConfigureAwait(false);
        return all;
    }

    /// <summary>
    /// The stream's counted records from its trim horizon as the Lambda event that would carry them
    /// (<c>{"Records":[…]}</c>: each GetRecords record as DynamoDB Local returns it, with <c>eventSourceARN</c> added as Lambda
    /// adds it): for tests of the handler on real records. <paramref name="keep"/> chooses other records (the alert Pipe's tests).
    /// </summary>
    public Task<string> ReadAllAsLambdaEventAsync(CancellationToken cancellationToken = default) => ReadAllAsLambdaEventAsync(null, cancellationToken);

    /// <summary>The same, of the records <paramref name="keep"/> chooses (null: the counted ones).</summary>
    public async Task<string> ReadAllAsLambdaEventAsync(Func<StreamChange, bool>? keep, CancellationToken cancellationToken = default)
    {
        var raw = new List<string>();
        await WalkAsync(_ => Task.CompletedTask, advance: false, cancellationToken, raw, keep).ConfigureAwait(false);
        return "{\"Records\":[" + string.Join(",", raw) + "]}";
    }

    private async Task ApplyAsync(List<StreamChange> batch)
    {
        var result = await Projector.ApplyAsync(batch).ConfigureAwait(false);
        Interlocked.Increment(ref _batches);
        if (result.FailedAt is { } failed)
            throw new InvalidOperationException($"counter projection of {_tableName}: the write from sequence number {failed} failed; the next catch-up retries it");
    }

    private async Task WalkAsync(Func<List<StreamChange>, Task> onBatch, bool advance, CancellationToken cancellationToken, List<string>? lambdaRecords = null,
        Func<StreamChange, bool>? keep = null)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        var positions = advance ? _positions : new Dictionary<string, string>(StringComparer.Ordinal);
        var finished = advance ? _finished : new HashSet<string>(StringComparer.Ordinal);
        try
        {
            _streamArn ??= (await _dynamo.DescribeTableAsync(_tableName, cancellationToken).ConfigureAwait(false)).Table.LatestStreamArn;
            if (_streamArn is null) return;
            var shards = new List<Shard>();
            string? startShard = null;
            do
            {
                using var described = await CallAsync("DescribeStream", new Dictionary<string, string?> { ["StreamArn"] = _streamArn, ["ExclusiveStartShardId"] = startShard }, cancellationToken).ConfigureAwait(false);
                var description = described.RootElement.GetProperty("StreamDescription");
                foreach (var shard in description.TryGetProperty("Shards", out var list) ? list.EnumerateArray() : default)
                {
                    var range = shard.TryGetProperty("SequenceNumberRange", out var r) ? r : default;
                    shards.Add(new Shard(shard.GetProperty("ShardId").GetString()!, shard.TryGetProperty("ParentShardId", out var parent) ? parent.GetString() : null,
                        range.ValueKind == JsonValueKind.Object && range.TryGetProperty("StartingSequenceNumber", out var first) ? first.GetString() : null));
                }
                startShard = description.TryGetProperty("LastEvaluatedShardId", out var last) ? last.GetString() : null;
            }
            while (!string.IsNullOrEmpty(startShard));
            // Parents before children (a split shard's records come after its parent's).
            foreach (var shard in Ordered(shards))
            {
                if (finished.Contains(shard.ShardId)) continue;
                var positioned = positions.TryGetValue(shard.ShardId, out var after);
                string? iterator;
                using (var answer = await CallAsync("GetShardIterator", new Dictionary<string, string?>
                {
                    ["StreamArn"] = _streamArn,
                    ["ShardId"] = shard.ShardId,
                    ["ShardIteratorType"] = positioned ? "AFTER_SEQUENCE_NUMBER" : "TRIM_HORIZON",
                    ["SequenceNumber"] = after,
                }, cancellationToken).ConfigureAwait(false))
                {
                    iterator = answer.RootElement.TryGetProperty("ShardIterator", out var it) ? it.GetString() : null;
                }
                while (iterator is not null)
                {
                    using var page = await CallAsync("GetRecords", new Dictionary<string, string?> { ["ShardIterator"] = iterator, ["Limit"] = null }, cancellationToken, BatchSize).ConfigureAwait(false);
                    var (records, problems) = StreamRecordJson.ReadEvent(page.RootElement, _streamArn);
                    foreach (var problem in problems) IsmsServerless.Observability.Log.Warn("projector.malformed-record", ("problem", problem));
                    var next = page.RootElement.TryGetProperty("NextShardIterator", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString() : null;
                    var count = page.RootElement.TryGetProperty("Records", out var raw) ? raw.GetArrayLength() : 0;
                    if (count == 0)
                    {
                        if (next is null) finished.Add(shard.ShardId);
                        break;
                    }
                    if (lambdaRecords is not null)
                    {
                        foreach (var record in page.RootElement.GetProperty("Records").EnumerateArray())
                        {
                            if (!StreamRecordJson.TryReadRecord(record, _streamArn, out var change, out _) || !(keep ?? Counted)(change)) continue;
                            var text = record.GetRawText();
                            lambdaRecords.Add(text[..text.LastIndexOf('}')] + ",\"eventSourceARN\":" + JsonSerializer.Serialize(_streamArn, ProjectionJsonContext.Default.String) + "}");
                        }
                    }
                    var batch = records.Where(Counted).ToList();
                    if (batch.Count > 0) await onBatch(batch).ConfigureAwait(false);
                    var lastRecord = raw[count - 1];
                    positions[shard.ShardId] = lastRecord.GetProperty("dynamodb").GetProperty("SequenceNumber").GetString()!;
                    iterator = next;
                }
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    private sealed record Shard(string ShardId, string? ParentShardId, string? StartingSequenceNumber);

    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(30) };

    /// <summary>
    /// One DynamoDB Streams API call to DynamoDB Local (JSON protocol, <c>DynamoDBStreams_20120810</c>). AWSSDK.DynamoDBv2 4.x
    /// no longer carries the Streams client (it is the separate AWSSDK.DynamoDBStreams package, not available here), and
    /// DynamoDB Local does not check signatures: the request names the local credentials without signing.
    /// </summary>
    private async Task<JsonDocument> CallAsync(string action, Dictionary<string, string?> body, CancellationToken cancellationToken, int? limit = null)
    {
        var json = new System.Text.StringBuilder("{");
        foreach (var (name, value) in body.Where(b => b.Value is not null))
        {
            if (json.Length > 1) json.Append(',');
            json.Append(JsonSerializer.Serialize(name, ProjectionJsonContext.Default.String)).Append(':').Append(JsonSerializer.Serialize(value!, ProjectionJsonContext.Default.String));
        }
        if (limit is { } l) json.Append(json.Length > 1 ? "," : "").Append("\"Limit\":").Append(l.ToString(System.Globalization.CultureInfo.InvariantCulture));
        json.Append('}');
        for (var attempt = 1; ; attempt++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, _endpoint.TrimEnd('/') + "/")
            {
                Content = new StringContent(json.ToString(), System.Text.Encoding.UTF8),
            };
            request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/x-amz-json-1.0");
            request.Headers.TryAddWithoutValidation("X-Amz-Target", "DynamoDBStreams_20120810." + action);
            var now = DateTime.UtcNow;
            request.Headers.TryAddWithoutValidation("X-Amz-Date", now.ToString("yyyyMMdd'T'HHmmss'Z'", System.Globalization.CultureInfo.InvariantCulture));
            request.Headers.TryAddWithoutValidation("Authorization",
                $"AWS4-HMAC-SHA256 Credential=local/{now:yyyyMMdd}/us-east-1/dynamodb/aws4_request, SignedHeaders=host;x-amz-date, Signature=0");
            using var response = await Http.SendAsync(request, cancellationToken).ConfigureAwait(false);
            var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            if (response.IsSuccessStatusCode) return JsonDocument.Parse(text);
            if ((int)response.StatusCode >= 500 && attempt < 5)
            {
                await Task.Delay(50 * attempt, cancellationToken).ConfigureAwait(false);
                continue;
            }
            throw new AmazonDynamoDBException($"DynamoDB Streams {action} on {_endpoint}: {(int)response.StatusCode} {text}");
        }
    }

    private static IEnumerable<Shard> Ordered(List<Shard> shards)
    {
        var ids = shards.Select(s => s.ShardId).ToHashSet(StringComparer.Ordinal);
        var done = new HashSet<string>(StringComparer.Ordinal);
        var pending = shards.OrderBy(s => s.StartingSequenceNumber?.Length ?? 0).ThenBy(s => s.StartingSequenceNumber, StringComparer.Ordinal).ToList();
        while (pending.Count > 0)
        {
            var ready = pending.FirstOrDefault(s => s.ParentShardId is null || !ids.Contains(s.ParentShardId) || done.Contains(s.ParentShardId)) ?? pending[0];
            pending.Remove(ready);
            done.Add(ready.ShardId);
            yield return ready;
        }
    }
}
