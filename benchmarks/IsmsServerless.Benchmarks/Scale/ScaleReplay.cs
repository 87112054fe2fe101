using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Amazon.Runtime;
using Amazon.Runtime.Internal;
using IsmsServerless.Benchmarks.PerEvent;
using IsmsServerless.Cli.Local;
using IsmsServerless.Engine;
using IsmsServerless.Ledger;
using IsmsServerless.Observability;
using IsmsServerless.Pipeline;
using IsmsServerless.Settings;

namespace IsmsServerless.Benchmarks.Scale;

/// <summary>
/// Replays N events through the store-backed pipeline the ingest Lambda runs (<see cref="IngestPipeline"/>: adapt →
/// enrichers → rules → ledger) into DynamoDB Local, with W concurrent workers standing in for concurrent Lambda
/// invocations. Events are <see cref="EventVariants"/> of every real fixture that yields at least one evaluation.
/// Every DynamoDB request asks for ReturnConsumedCapacity=TOTAL, so the units per event cover the ledger and the
/// enrichers alike. DynamoDB Local computes capacity units the way the service bills on-demand tables; its speed is not
/// the service's, so events/s here is a floor for this machine, not a cloud figure.
/// </summary>
public static class ScaleReplay
{
    public static async Task<int> RunAsync(string[] args)
    {
        var events = int.Parse(Option(args, "--events") ?? "100000", CultureInfo.InvariantCulture);
        var workers = int.Parse(Option(args, "--workers") ?? "4", CultureInfo.InvariantCulture);
        var resources = int.Parse(Option(args, "--resources") ?? "2000", CultureInfo.InvariantCulture);
        // --passes 2: the same events again into the same table (steady state: every resource already evaluated), metered
        // per pass, so what re-evaluating known resources costs shows apart from first sight.
        var passes = int.Parse(Option(args, "--passes") ?? "1", CultureInfo.InvariantCulture);
        var endpoint = Option(args, "--dynamodb-endpoint");
        // The counter projector's batch (records per GetRecords page = per Lambda batch): its requests are metered in the run.
        ProjectorBatch = int.Parse(Option(args, "--projector-batch") ?? "1000", CultureInfo.InvariantCulture);
        Log.Target = TextWriter.Null;
        Log.MinimumLevel = LogLevel.Error;

        var settings = IsmsSettings.Default;
        var context = new EvaluationContext(settings, new FixedTimeProvider(new DateTimeOffset(2026, 1, 15, 12, 0, 0, TimeSpan.Zero)));
        var seeds = Seeds(context);

        // --evidence off: the pipeline without passing evidence (main's behaviour); on: with it; both (default):
        // one after the other in this process, each into a fresh table, so baseline and result share the run.
        var modes = (Option(args, "--evidence") ?? "both") switch { "on" => new[] { true }, "off" => new[] { false }, _ => new[] { false, true } };
        await using var local = endpoint is null ? await DynamoDbLocal.StartAsync() : null;
        var meter = new CapacityMeter();
        RuntimePipelineCustomizerRegistry.Instance.Register(meter);
        using var client = DynamoDbLocal.CreateClient(endpoint ?? local!.Endpoint);
        var exit = 0;
        foreach (var withEvidence in modes)
        {
            Console.WriteLine(withEvidence ? "## with passing evidence (DynamoDbEvidenceStore)" : "## baseline: no passing evidence (main's pipeline)");
            exit |= await RunOnceAsync(client, meter, settings, context, seeds, events, workers, resources, endpoint, withEvidence, passes).ConfigureAwait(false);
            Console.WriteLine();
        }
        return exit;
    }

    private static int ProjectorBatch { get; set; } = 1000;

    private static async Task<int> RunOnceAsync(IAmazonDynamoDB client, CapacityMeter meter, IsmsSettings settings, EvaluationContext context,
        List<EventFixtures.Fixture> seeds, int events, int workers, int resources, string? endpoint, bool withEvidence, int passes = 1)
    {
        var table = "scale-" + Guid.NewGuid().ToString("N")[..8];
        await LedgerTable.CreateIfMissingAsync(client, table);
        var evidence = withEvidence ? new IsmsServerless.Evidence.DynamoDbEvidenceStore(client, table, IsmsServerless.Policy.PolicyDocument.Embedded.Version) : null;
        var pipeline = new IngestPipeline(RuleEngine.CreateDefault(), InputEnrichers.Default(client, table), new DynamoDbFindingLedger(client, table, settings), evidence);
        var exit = 0;
        for (var pass = 1; pass <= passes; pass++)
        {
            if (passes > 1) Console.WriteLine($"### pass {pass} of {passes}" + (pass > 1 ? " (the same events again: every resource already evaluated)" : ""));
            var before = evidence?.Decisions.ToDictionary(d => d.Key, d => d.Value) ?? [];
            var projection = IsmsServerless.CounterProjection.LocalStreamProjection.ForEndpoint(client, table)!;
            projection.BatchSize = ProjectorBatch;
            exit |= await PassAsync(pipeline, meter, context, seeds, events, workers, resources, endpoint, projection).ConfigureAwait(false);
            if (evidence is not null) PrintEvidenceDecisions(evidence.Decisions, before);
        }
        return exit;
    }

    /// <summary>
    /// Diagnostics only: the passing-evidence store's decision per result in this pass (what was written and why), by rule.
    /// </summary>
    private static void PrintEvidenceDecisions(IReadOnlyDictionary<(string Rule, string Decision), long> after, Dictionary<(string Rule, string Decision), long> before)
    {
        var pass = after.Select(d => (d.Key.Rule, d.Key.Decision, Count: d.Value - before.GetValueOrDefault(d.Key))).Where(d => d.Count > 0).ToList();
        var decisions = pass.Select(d => d.Decision).Distinct().Order(StringComparer.Ordinal).ToList();
        Console.WriteLine();
        Console.WriteLine("| Evidence decisions by rule | " + string.Join(" | ", decisions) + " |");
        Console.WriteLine("|---|" + string.Concat(decisions.Select(_ => "---:|")));
        foreach (var rule in pass.GroupBy(d => d.Rule).OrderByDescending(g => g.Sum(d => d.Count)).ThenBy(g => g.Key, StringComparer.Ordinal))
            Console.WriteLine($"| {rule.Key} | " + string.Join(" | ", decisions.Select(d => rule.Where(x => x.Decision == d).Sum(x => x.Count).ToString(CultureInfo.InvariantCulture))) + " |");
        Console.WriteLine("| **all** | " + string.Join(" | ", decisions.Select(d => pass.Where(x => x.Decision == d).Sum(x => x.Count).ToString(CultureInfo.InvariantCulture))) + " |");
    }

    private static async Task<int> PassAsync(IngestPipeline pipeline, CapacityMeter meter, EvaluationContext context,
        List<EventFixtures.Fixture> seeds, int events, int workers, int resources, string? endpoint, IsmsServerless.CounterProjection.LocalStreamProjection projection)
    {
        meter.Reset();
        var batchesBefore = projection.Batches;

        var alertIds = new System.Collections.Concurrent.ConcurrentDictionary<string, byte>(StringComparer.Ordinal);
        long next = -1, evaluations = 0, rejected = 0, created = 0, updated = 0, unchanged = 0, resolved = 0, alerts = 0, failed = 0;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, workers).Select(_ => Task.Run(async () =>
        {
            long i;
            while ((i = Interlocked.Increment(ref next)) < events)
            {
                var payload = EventVariants.Variant(seeds[(int)(i % seeds.Count)].Bytes, (int)i, resources);
                try
                {
                    var result = await pipeline.ProcessAsync(payload, context).ConfigureAwait(false);
                    Interlocked.Add(ref evaluations, result.Engine.Evaluations.Count);
                    if (result.Engine.Rejected) Interlocked.Increment(ref rejected);
                    Interlocked.Add(ref created, result.Ledger.Created);
                    Interlocked.Add(ref updated, result.Ledger.Updated);
                    Interlocked.Add(ref unchanged, result.Ledger.Unchanged);
                    Interlocked.Add(ref resolved, result.Ledger.Resolved + result.FindingsClosed);
                    // Distinct ids: two concurrent calls may name one outbox record (LedgerWriteResult.AlertIds).
                    foreach (var id in result.Ledger.AlertIds)
                        if (alertIds.TryAdd(id, 0)) Interlocked.Increment(ref alerts);
                }
                catch (Exception ex) when (ex is AmazonServiceException or AmazonClientException or LedgerConflictException or HttpRequestException)
                {
                    // In Lambda the invocation fails and EventBridge retries it; here it is counted (and should stay 0).
                    Interlocked.Increment(ref failed);
                }
                if ((i + 1) % 10_000 == 0) Console.Error.WriteLine($"scale: {i + 1} events, {clock.Elapsed.TotalSeconds:F0} s");
            }
        }))).ConfigureAwait(false);
        // The counter projector over this pass's stream records, metered like every other request (in Lambda it runs on
        // the stream beside the writers; its requests are the same: one transaction per batch of at most 99 counter items).
        await projection.CatchUpAsync().ConfigureAwait(false);
        clock.Stop();
        Console.WriteLine(FormattableString.Invariant($"counter projector: {projection.Batches - batchesBefore} batches of at most {projection.BatchSize} stream records (metered below as the STATS and PROJECTION_MARKER requests)"));

        var seconds = clock.Elapsed.TotalSeconds;
        Console.WriteLine(FormattableString.Invariant($"store: DynamoDB Local ({(endpoint ?? "started in memory")}), on-demand table, {workers} concurrent workers; {seeds.Count} real fixtures varied over {resources} resources"));
        Console.WriteLine();
        Console.WriteLine("| Events | Wall time | Events/s | Evaluations | Findings new / updated / unchanged / resolved | Alerts | Rejected | Failed | RCU/event | WCU/event | WCU/event as DynamoDB bills (estimate) |");
        Console.WriteLine("|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|");
        Console.WriteLine(FormattableString.Invariant(
            $"| {events} | {seconds:F0} s | {events / seconds:F0} | {evaluations} | {created} / {updated} / {unchanged} / {resolved} | {alerts} | {rejected} | {failed} | {meter.ReadUnits / events:F2} | {meter.WriteUnits / events:F2} | {meter.BilledWriteUnits / events:F2} |"));
        Console.WriteLine();
        Console.WriteLine("| DynamoDB operation | Requests | Requests/event | RCU | WCU | WCU billed (estimate) |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|");
        foreach (var (operation, stats) in meter.ByOperation.OrderByDescending(o => o.Value.Requests))
            Console.WriteLine(FormattableString.Invariant($"| {operation} | {stats.Requests} | {(double)stats.Requests / events:F2} | {stats.Read:F0} | {stats.Write:F0} | {stats.Billed:F0} |"));
        Console.WriteLine();
        Console.WriteLine("| Write units spent on | Units | per event |");
        Console.WriteLine("|---|---:|---:|");
        foreach (var (where, stats) in meter.ByIndex.OrderBy(o => o.Key, StringComparer.Ordinal))
            Console.WriteLine(FormattableString.Invariant($"| {where} | {stats.Write:F0} | {stats.Write / events:F2} |"));
        Console.WriteLine();
        Console.WriteLine("| Request by item kinds | Requests | Requests/event | RCU | WCU | WCU/event | billed WCU/event (estimate) |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|");
        foreach (var (kinds, stats) in meter.ByItems.OrderByDescending(o => o.Value.Write + o.Value.Read))
            Console.WriteLine(FormattableString.Invariant($"| {kinds} | {stats.Requests} | {(double)stats.Requests / events:F2} | {stats.Read:F0} | {stats.Write:F0} | {stats.Write / events:F2} | {stats.Billed / events:F2} |"));
        meter.Sizes.Print(Console.Out, events);
        return failed == 0 ? 0 : 1;
    }

    private static List<EventFixtures.Fixture> Seeds(EvaluationContext context)
    {
        var engine = RuleEngine.CreateDefault();
        var seeds = EventFixtures.All().Where(f => engine.Evaluate(f.Bytes, context).Evaluations.Count > 0).ToList();
        if (seeds.Count == 0) throw new InvalidOperationException("no fixture yields an evaluation; nothing to replay");
        return seeds;
    }

    private static string? Option(string[] args, string name)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
    }
}

/// <summary>
/// Asks every DynamoDB request for its consumed capacity (TOTAL: table and indexes) and adds it up per operation, from
/// a handler in the SDK's own request pipeline, so no caller has to opt in. Register it before creating the client.
/// </summary>
public sealed class CapacityMeter : IRuntimePipelineCustomizer
{
    private readonly ConcurrentDictionary<string, OperationStats> _byOperation = new(StringComparer.Ordinal);

    public sealed class OperationStats
    {
        private long _requests;
        private double _read;
        private double _write;
        private double _billed;

        public long Requests => Interlocked.Read(ref _requests);
        public double Read { get { lock (this) return _read; } }
        public double Write { get { lock (this) return _write; } }

        /// <summary>Write units as DynamoDB's published rules bill them (<see cref="BillEstimate"/>), not as DynamoDB Local reports.</summary>
        public double Billed { get { lock (this) return _billed; } }

        public void Add(double read, double write, double billed = 0)
        {
            Interlocked.Increment(ref _requests);
            lock (this)
            {
                _read += read;
                _write += write;
                _billed += billed;
            }
        }
    }

    public string UniqueName => "isms-capacity-meter";

    public IReadOnlyDictionary<string, OperationStats> ByOperation => _byOperation;

    public double ReadUnits => _byOperation.Values.Sum(s => s.Read);

    public double WriteUnits => _byOperation.Values.Sum(s => s.Write);

    public double BilledWriteUnits => _byOperation.Values.Sum(s => s.Billed);

    private readonly BillEstimate _bill = new();

    /// <summary>Sizes of every item put, by entity type, and the bytes of each attribute (diagnostics only).</summary>
    public ItemSizes Sizes => _bill.Sizes;

    public void Reset()
    {
        _byOperation.Clear();
        _byItems.Clear();
        _byIndex.Clear();
        _bill.Clear();
    }

    public void Customize(Type type, RuntimePipeline pipeline)
    {
        ArgumentNullException.ThrowIfNull(pipeline);
        if (type != typeof(AmazonDynamoDBClient)) return;
        pipeline.AddHandlerBefore<Marshaller>(new Handler(this));
    }

    private void Record(AmazonWebServiceRequest? request, AmazonWebServiceResponse? response)
    {
        if (response is null) return;
        IEnumerable<ConsumedCapacity> capacities = response switch
        {
            GetItemResponse r => One(r.ConsumedCapacity),
            PutItemResponse r => One(r.ConsumedCapacity),
            UpdateItemResponse r => One(r.ConsumedCapacity),
            DeleteItemResponse r => One(r.ConsumedCapacity),
            QueryResponse r => One(r.ConsumedCapacity),
            BatchGetItemResponse r => r.ConsumedCapacity ?? [],
            BatchWriteItemResponse r => r.ConsumedCapacity ?? [],
            TransactWriteItemsResponse r => r.ConsumedCapacity ?? [],
            TransactGetItemsResponse r => r.ConsumedCapacity ?? [],
            _ => [],
        };
        var isRead = response is GetItemResponse or QueryResponse or BatchGetItemResponse or TransactGetItemsResponse;
        double read = 0, write = 0;
        foreach (var c in capacities)
        {
            // Transactions and batches report reads and writes apart; single-item calls only CapacityUnits.
            var r = c.ReadCapacityUnits ?? 0;
            var w = c.WriteCapacityUnits ?? 0;
            if (r == 0 && w == 0 && c.CapacityUnits is { } units)
            {
                if (isRead) r = units;
                else w = units;
            }
            read += r;
            write += w;
            // Where the write units went: the table itself, or each index (INDEXES reports both).
            if (w > 0 || c.CapacityUnits > 0)
            {
                if (c.Table?.WriteCapacityUnits is > 0 || c.Table?.CapacityUnits is > 0)
                    _byIndex.GetOrAdd("table", _ => new OperationStats()).Add(0, c.Table.WriteCapacityUnits ?? c.Table.CapacityUnits ?? 0);
                foreach (var (index, capacity) in c.GlobalSecondaryIndexes ?? [])
                    _byIndex.GetOrAdd(index, _ => new OperationStats()).Add(0, capacity.WriteCapacityUnits ?? capacity.CapacityUnits ?? 0);
            }
        }
        var operation = response.GetType().Name.Replace("Response", "", StringComparison.Ordinal);
        var billed = _bill.WriteUnits(request);
        _byOperation.GetOrAdd(operation, _ => new OperationStats()).Add(read, write, billed);
        // Which items the request touched (their key kinds), so the write units can be attributed to the writer.
        if (Kinds(request) is { Length: > 0 } kinds)
            _byItems.GetOrAdd(operation + " " + kinds, _ => new OperationStats()).Add(read, write, billed);
    }

    /// <summary>Write units by where they were spent: the table or one GSI.</summary>
    public IReadOnlyDictionary<string, OperationStats> ByIndex => _byIndex;

    private readonly ConcurrentDictionary<string, OperationStats> _byIndex = new(StringComparer.Ordinal);

    /// <summary>By request and item kinds (e.g. <c>TransactWriteItems FINDING/META+FINDING/HIST+STATS</c>).</summary>
    public IReadOnlyDictionary<string, OperationStats> ByItems => _byItems;

    private readonly ConcurrentDictionary<string, OperationStats> _byItems = new(StringComparer.Ordinal);

    private static string Kinds(AmazonWebServiceRequest? request)
    {
        IEnumerable<Dictionary<string, AttributeValue>?> keys = request switch
        {
            PutItemRequest r => [r.Item],
            UpdateItemRequest r => [r.Key],
            DeleteItemRequest r => [r.Key],
            GetItemRequest r => [r.Key],
            QueryRequest r => [r.ExpressionAttributeValues is { } v && v.TryGetValue(":pk", out var pk) ? new() { ["PK"] = pk } : null],
            TransactWriteItemsRequest r => r.TransactItems.Select(t => t.Put?.Item ?? t.Update?.Key ?? t.Delete?.Key ?? t.ConditionCheck?.Key),
            BatchWriteItemRequest r => r.RequestItems.Values.SelectMany(v => v).Select(w => w.PutRequest?.Item ?? w.DeleteRequest?.Key),
            _ => [],
        };
        // The kind is the key's text up to its first '#'; a key that starts with a digit (a time) is shown as "*".
        static string Head(string? text) => text is null ? "?" : text.Length > 0 && char.IsDigit(text[0]) ? "*" : text.Split('#')[0];
        var kinds = keys.OfType<Dictionary<string, AttributeValue>>()
            .Select(k => Head(k.GetValueOrDefault("PK")?.S) + (k.GetValueOrDefault("SK")?.S is { } sk ? "/" + Head(sk) : ""))
            .GroupBy(k => k, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => g.Count() == 1 ? g.Key : $"{g.Key}×{g.Count()}");
        return string.Join("+", kinds);
    }

    private static List<ConsumedCapacity> One(ConsumedCapacity? capacity) => capacity is null ? [] : [capacity];

    private sealed class Handler(CapacityMeter meter) : PipelineHandler
    {
        public override async Task<T> InvokeAsync<T>(IExecutionContext executionContext)
        {
            switch (executionContext.RequestContext.OriginalRequest)
            {
                case GetItemRequest r: r.ReturnConsumedCapacity = ReturnConsumedCapacity.INDEXES; break;
                case PutItemRequest r: r.ReturnConsumedCapacity = ReturnConsumedCapacity.INDEXES; break;
                case UpdateItemRequest r: r.ReturnConsumedCapacity = ReturnConsumedCapacity.INDEXES; break;
                case DeleteItemRequest r: r.ReturnConsumedCapacity = ReturnConsumedCapacity.INDEXES; break;
                case QueryRequest r: r.ReturnConsumedCapacity = ReturnConsumedCapacity.INDEXES; break;
                case BatchGetItemRequest r: r.ReturnConsumedCapacity = ReturnConsumedCapacity.INDEXES; break;
                case BatchWriteItemRequest r: r.ReturnConsumedCapacity = ReturnConsumedCapacity.INDEXES; break;
                case TransactWriteItemsRequest r: r.ReturnConsumedCapacity = ReturnConsumedCapacity.INDEXES; break;
                case TransactGetItemsRequest r: r.ReturnConsumedCapacity = ReturnConsumedCapacity.INDEXES; break;
            }
            var response = await base.InvokeAsync<T>(executionContext).ConfigureAwait(false);
            meter.Record(executionContext.RequestContext.OriginalRequest, executionContext.ResponseContext.Response);
            return response;
        }
    }
}

/// <summary>
/// Write units of a successful request as DynamoDB bills them (its published rules), because DynamoDB Local's figures for
/// transactions are not the bill (docs/benchmarks.md): each item written costs ceil(size / 1 KB) units, twice inside
/// TransactWriteItems (a ConditionCheck too); every GSI entry written costs 1 more (KEYS_ONLY entries are under 1 KB),
/// 2 when the item's index key changes (the old entry is deleted, the new one put), none when it is unchanged.
/// The meter keeps, per item key, the size and index keys of the last successful write it saw (every write of a
/// fresh table goes through it), which gives the old image a replace or delete is billed against. Estimates, said so:
/// an UpdateItem is billed on the larger of the last known size and the request's key and values; requests that fail
/// their condition are not counted (DynamoDB bills them too); item size follows DynamoDB's rules (attribute names +
/// values; numbers ~1 byte per 2 digits + 1; lists and maps 3 bytes + 1 per element).
/// </summary>
public sealed class BillEstimate
{
    private static readonly string[] IndexKeys = ["GSI1", "GSI2", "GSI3", "GSI4"];

    private readonly ConcurrentDictionary<string, (int Size, string?[] Keys)> _last = new(StringComparer.Ordinal);

    public void Clear()
    {
        _last.Clear();
        Sizes.Clear();
    }

    /// <summary>Sizes of the items put (diagnostics only: the bill above does not read them).</summary>
    public ItemSizes Sizes { get; } = new();

    public double WriteUnits(AmazonWebServiceRequest? request) => request switch
    {
        PutItemRequest r => Put(r.TableName, r.Item, 1),
        UpdateItemRequest r => Update(r.TableName, r.Key, r.ExpressionAttributeValues, 1),
        DeleteItemRequest r => Delete(r.TableName, r.Key, 1),
        BatchWriteItemRequest r => r.RequestItems.Sum(t => t.Value.Sum(w =>
            w.PutRequest is { } put ? Put(t.Key, put.Item, 1) : w.DeleteRequest is { } del ? Delete(t.Key, del.Key, 1) : 0)),
        TransactWriteItemsRequest r => r.TransactItems.Sum(t =>
            t.Put is { } put ? Put(put.TableName, put.Item, 2)
            : t.Update is { } update ? Update(update.TableName, update.Key, update.ExpressionAttributeValues, 2)
            : t.Delete is { } del ? Delete(del.TableName, del.Key, 2)
            : t.ConditionCheck is { } check ? 2 * Units(_last.TryGetValue(Id(check.TableName, check.Key), out var known) ? known.Size : 1)
            : 0),
        _ => 0,
    };

    private double Put(string table, Dictionary<string, AttributeValue> item, int factor)
    {
        var size = Size(item);
        Sizes.Observe(item, size);
        var keys = IndexKeys.Select(g => item.TryGetValue(g + "PK", out var pk) ? pk.S + "\u001f" + item.GetValueOrDefault(g + "SK")?.S : null).ToArray();
        var id = Id(table, item);
        var old = _last.TryGetValue(id, out var previous) ? previous : ((int Size, string?[] Keys)?)null;
        _last[id] = (size, keys);
        var index = 0;
        for (var i = 0; i < IndexKeys.Length; i++)
        {
            var before = old?.Keys[i];
            var after = keys[i];
            index += before is null ? (after is null ? 0 : 1) : after is null ? 1 : before == after ? 0 : 2;
        }
        return factor * Units(Math.Max(size, old?.Size ?? 0)) + index;
    }

    private double Update(string table, Dictionary<string, AttributeValue> key, Dictionary<string, AttributeValue>? values, int factor)
    {
        var id = Id(table, key);
        var estimate = Size(key) + (values?.Sum(v => 4 + Value(v.Value)) ?? 0);
        var size = Math.Max(estimate, _last.TryGetValue(id, out var known) ? known.Size : 0);
        _last[id] = (size, known.Keys ?? new string?[IndexKeys.Length]);
        return factor * Units(size);
    }

    private double Delete(string table, Dictionary<string, AttributeValue> key, int factor)
    {
        if (!_last.TryRemove(Id(table, key), out var old)) return factor * 1;
        return factor * Units(old.Size) + old.Keys.Count(k => k is not null);
    }

    private static string Id(string table, Dictionary<string, AttributeValue> item) =>
        table + "\u001f" + item.GetValueOrDefault("PK")?.S + "\u001f" + item.GetValueOrDefault("SK")?.S;

    internal static int Units(int bytes) => Math.Max(1, (bytes + 1023) / 1024);

    internal static int Size(Dictionary<string, AttributeValue> item) => IsmsServerless.Storage.ItemSize.Of(item);

    internal static int Value(AttributeValue v) => IsmsServerless.Storage.ItemSize.Of(v);
}

/// <summary>
/// Diagnostics beside the bill (issue 20, wave 5): the size of every item put (PutItem, BatchWriteItem and
/// TransactWriteItems puts), by entity type, with the units each size is billed at, and for each entity type the mean
/// bytes of each attribute (name + value), so what makes an item cross a 1 KB step shows. Reads nothing the bill reads.
/// </summary>
public sealed class ItemSizes
{
    private readonly ConcurrentDictionary<string, Kind> _kinds = new(StringComparer.Ordinal);

    private sealed class Kind
    {
        public readonly List<int> Sizes = [];
        public readonly Dictionary<string, (long Bytes, long Count)> Attributes = new(StringComparer.Ordinal);
    }

    public void Clear() => _kinds.Clear();

    // ISMS_SCALE_DUMP_ITEMS=<file>: every FINDING and ALERT item put, one JSON line each (DynamoDB JSON: S, N, B as base64,
    // M, L), to measure encodings offline on the replay's real mix. Diagnostics only.
    private static readonly string? DumpPath = Environment.GetEnvironmentVariable("ISMS_SCALE_DUMP_ITEMS");
    private static readonly object DumpLock = new();

    public void Observe(Dictionary<string, AttributeValue> item, int size)
    {
        var entity = item.GetValueOrDefault("entityType")?.S ?? "(none)";
        if (DumpPath is not null && entity is "FINDING" or "ALERT")
        {
            var line = Dump(item);
            lock (DumpLock) File.AppendAllText(DumpPath, line + "\n");
        }
        var kind = _kinds.GetOrAdd(entity, _ => new Kind());
        lock (kind)
        {
            kind.Sizes.Add(size);
            foreach (var (name, value) in item)
            {
                var bytes = System.Text.Encoding.UTF8.GetByteCount(name) + BillEstimate.Value(value);
                var (b, c) = kind.Attributes.GetValueOrDefault(name);
                kind.Attributes[name] = (b + bytes, c + 1);
                // A map's entries too (evidence, waiver), so the biggest map's contents show.
                foreach (var (key, inner) in value.M ?? [])
                {
                    var entry = "  " + name + "." + key;
                    var (eb, ec) = kind.Attributes.GetValueOrDefault(entry);
                    kind.Attributes[entry] = (eb + 1 + System.Text.Encoding.UTF8.GetByteCount(key) + BillEstimate.Value(inner), ec + 1);
                }
            }
        }
    }

    private static string Dump(Dictionary<string, AttributeValue> item)
    {
        using var buffer = new MemoryStream();
        using (var json = new System.Text.Json.Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            foreach (var (name, value) in item)
            {
                json.WritePropertyName(name);
                Write(json, value);
            }
            json.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());

        static void Write(System.Text.Json.Utf8JsonWriter json, AttributeValue v)
        {
            json.WriteStartObject();
            if (v.S is not null) json.WriteString("S", v.S);
            else if (v.N is not null) json.WriteString("N", v.N);
            else if (v.B is not null) json.WriteString("B", Convert.ToBase64String(v.B.ToArray()));
            else if (v.M is not null)
            {
                json.WriteStartObject("M");
                foreach (var (k, inner) in v.M)
                {
                    json.WritePropertyName(k);
                    Write(json, inner);
                }
                json.WriteEndObject();
            }
            else if (v.L is not null)
            {
                json.WriteStartArray("L");
                foreach (var inner in v.L) Write(json, inner);
                json.WriteEndArray();
            }
            json.WriteEndObject();
        }
    }

    public void Print(TextWriter output, int events)
    {
        output.WriteLine();
        output.WriteLine("| Item put (entityType) | Puts | Puts/event | bytes p50 | p90 | max | mean | billed units each (1 / 2 / 3+ KB) |");
        output.WriteLine("|---|---:|---:|---:|---:|---:|---:|---|");
        foreach (var (entity, kind) in _kinds.OrderByDescending(k => k.Value.Sizes.Count))
        {
            int[] sizes;
            lock (kind) sizes = [.. kind.Sizes.Order()];
            if (sizes.Length == 0) continue;
            int P(double q) => sizes[Math.Min(sizes.Length - 1, (int)(q * sizes.Length))];
            var ones = sizes.Count(s => BillEstimate.Units(s) == 1);
            var twos = sizes.Count(s => BillEstimate.Units(s) == 2);
            output.WriteLine(FormattableString.Invariant(
                $"| {entity} | {sizes.Length} | {(double)sizes.Length / events:F2} | {P(0.5)} | {P(0.9)} | {sizes[^1]} | {sizes.Average():F0} | {ones} / {twos} / {sizes.Length - ones - twos} |"));
        }
        output.WriteLine();
        output.WriteLine("| Item put (entityType) | puts by size, 128-byte steps from 0: count (bytes up to) |");
        output.WriteLine("|---|---|");
        foreach (var (entity, kind) in _kinds.Where(k => k.Key is "FINDING" or "ALERT" or "HISTORY").OrderBy(k => k.Key, StringComparer.Ordinal))
        {
            int[] sizes;
            lock (kind) sizes = [.. kind.Sizes];
            var steps = sizes.GroupBy(s => (s + 127) / 128).OrderBy(g => g.Key).Select(g => FormattableString.Invariant($"{g.Count()} (≤{g.Key * 128})"));
            output.WriteLine($"| {entity} | {string.Join(", ", steps)} |");
        }
        foreach (var (entity, kind) in _kinds.OrderByDescending(k => k.Value.Sizes.Count))
        {
            if (entity is not ("FINDING" or "ALERT" or "HISTORY" or "OBSERVATION" or "STATS" or "DRIFT_CONFIG" or "EVIDENCE")) continue;
            output.WriteLine();
            output.WriteLine($"| {entity} attribute | present in | mean bytes (name + value) |");
            output.WriteLine("|---|---:|---:|");
            lock (kind)
                foreach (var (name, (bytes, count)) in kind.Attributes.OrderByDescending(a => (double)a.Value.Bytes / kind.Sizes.Count))
                    output.WriteLine(FormattableString.Invariant($"| {name} | {(double)count / kind.Sizes.Count:P0} | {(double)bytes / count:F0} |"));
        }
    }
}
