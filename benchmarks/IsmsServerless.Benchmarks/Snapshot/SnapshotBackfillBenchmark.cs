using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Text.Json;
using System.Text.Json.Nodes;
using IsmsServerless.Cli.Local;
using IsmsServerless.Engine;
using IsmsServerless.Inventory;
using IsmsServerless.Ledger;
using IsmsServerless.Observability;
using IsmsServerless.Pipeline;
using IsmsServerless.Settings;

namespace IsmsServerless.Benchmarks.Snapshot;

/// <summary>
/// Inventory back-fill memory and speed. Builds a gzip snapshot of N real configuration items (SnapshotFiles), then runs
/// ONE phase per process so each peak is its own:
///   naive    the baseline: decompress and JsonDocument.Parse the whole file, then evaluate every item (what "read the
///            snapshot" costs without streaming);
///   stream   ConfigSnapshotReader + the Config adapter + every rule, no store (the back-fill's CPU and memory floor);
///   backfill SnapshotBackfill through IngestPipeline into DynamoDB Local (enrichers, rules, ledger), the Lambda's path.
/// Peak managed heap is sampled every 5 ms; peak working set is the process's own.
/// </summary>
public static class SnapshotBackfillBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        var phase = Option(args, "--phase") ?? "stream";
        var items = int.Parse(Option(args, "--items") ?? "100000", CultureInfo.InvariantCulture);
        var file = Option(args, "--file") ?? Path.Combine(Path.GetTempPath(), $"isms-snapshot-{items}.json.gz");
        Log.Target = TextWriter.Null;
        Log.MinimumLevel = LogLevel.Error;
        if (!File.Exists(file))
        {
            SnapshotFiles.Write(file, Templates(), items);
            Console.Error.WriteLine($"snapshot: wrote {items} items to {file}");
        }
        var settings = IsmsSettings.Default;
        var context = new EvaluationContext(settings, new FixedTimeProvider(new DateTimeOffset(2026, 11, 24, 12, 0, 0, TimeSpan.Zero)));
        var engine = RuleEngine.CreateDefault();
        GC.Collect();
        var before = GC.GetTotalMemory(true);
        using var sampler = new PeakSampler();
        var clock = Stopwatch.StartNew();
        long count = 0, evaluations = 0;
        string detail;
        switch (phase)
        {
            case "naive":
            {
                await using var gzip = new GZipStream(File.OpenRead(file), CompressionMode.Decompress);
                using var whole = new MemoryStream();
                await gzip.CopyToAsync(whole);
                using var document = JsonDocument.Parse(whole.ToArray());
                foreach (var item in document.RootElement.GetProperty("configurationItems").EnumerateArray())
                {
                    count++;
                    evaluations += Evaluate(engine, item, context);
                }
                detail = "whole file decompressed into memory, one JsonDocument, then every item adapted and evaluated";
                break;
            }
            case "stream":
            {
                await using var stream = File.OpenRead(file);
                await foreach (var document in ConfigSnapshotReader.ReadItemsAsync(stream))
                {
                    using (document)
                    {
                        count++;
                        evaluations += Evaluate(engine, document.RootElement, context);
                    }
                }
                detail = "ConfigSnapshotReader (streaming) + Config adapter + every rule, no store";
                break;
            }
            case "backfill":
            {
                var workers = int.Parse(Option(args, "--workers") ?? "16", CultureInfo.InvariantCulture);
                var endpoint = Option(args, "--dynamodb-endpoint");
                await using var local = endpoint is null ? await DynamoDbLocal.StartAsync() : null;
                using var client = DynamoDbLocal.CreateClient(endpoint ?? local!.Endpoint);
                var table = "snapshot-" + Guid.NewGuid().ToString("N")[..8];
                await LedgerTable.CreateIfMissingAsync(client, table);
                var pipeline = new IngestPipeline(engine, InputEnrichers.Default(client, table), new DynamoDbFindingLedger(client, table, settings));
                var backfill = new SnapshotBackfill(pipeline, new FileSource(file), "bench") { MaxConcurrency = workers };
                clock.Restart();
                await using var stream = File.OpenRead(file);
                var result = await backfill.ProcessAsync(stream, null, null, context);
                count = result.Items;
                evaluations = result.Evaluations;
                detail = FormattableString.Invariant($"SnapshotBackfill -> IngestPipeline -> DynamoDB Local ({(endpoint ?? "started in process")}), {workers} items in flight; created {result.Created}, findings {result.Findings}, ignored {result.Ignored}, rejected {result.Rejected}, error {result.Error ?? "none"}");
                break;
            }
            case "resume":
            {
                // The back-fill with checkpoints and a time budget per "invocation": each run stops at its budget, writes
                // its checkpoint, and the next run resumes after it (what Lambda's retry does), until the file is done.
                var workers = int.Parse(Option(args, "--workers") ?? "16", CultureInfo.InvariantCulture);
                var budget = TimeSpan.FromSeconds(double.Parse(Option(args, "--budget-seconds") ?? "10", CultureInfo.InvariantCulture));
                var endpoint = Option(args, "--dynamodb-endpoint");
                await using var local = endpoint is null ? await DynamoDbLocal.StartAsync() : null;
                using var client = DynamoDbLocal.CreateClient(endpoint ?? local!.Endpoint);
                var table = "snapshot-" + Guid.NewGuid().ToString("N")[..8];
                await LedgerTable.CreateIfMissingAsync(client, table);
                var pipeline = new IngestPipeline(engine, InputEnrichers.Default(client, table), new DynamoDbFindingLedger(client, table, settings));
                var checkpoints = new SnapshotCheckpointStore(client, table);
                clock.Restart();
                var invocations = 0;
                long skipped = 0;
                SnapshotBackfillResult result;
                do
                {
                    invocations++;
                    var started = Stopwatch.StartNew();
                    var backfill = new SnapshotBackfill(pipeline, new FileSource(file), "bench")
                    {
                        MaxConcurrency = workers, Checkpoints = checkpoints, CheckpointEvery = 100,
                        RemainingTime = () => budget - started.Elapsed, StopBefore = TimeSpan.Zero,
                    };
                    await using var stream = File.OpenRead(file);
                    result = await backfill.ProcessAsync(stream, "bench-snapshot", null, context);
                    count += result.Items;
                    skipped += result.Skipped;
                    evaluations += result.Evaluations;
                }
                while (result.Incomplete && invocations < 1000);
                detail = FormattableString.Invariant($"SnapshotBackfill with checkpoints, {budget.TotalSeconds:F0} s budget per invocation: {invocations} invocations, {skipped:N0} items skipped on resume (re-read, not judged), {workers} in flight, DynamoDB Local ({(endpoint ?? "started in process")})");
                break;
            }
            default:
                Console.Error.WriteLine("usage: snapshot --phase naive|stream|backfill|resume [--budget-seconds 10] [--items 100000] [--file path] [--workers 16] [--dynamodb-endpoint URL]");
                return 2;
        }
        clock.Stop();
        var peakHeap = sampler.Stop();
        var seconds = clock.Elapsed.TotalSeconds;
        var size = new FileInfo(file).Length;
        Console.WriteLine(FormattableString.Invariant(
            $"| {phase} | {count:N0} | {size / 1048576.0:F1} MB gz | {seconds:F1} s | {count / seconds:F0} | {(peakHeap - before) / 1048576.0:F1} MB | {Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0:F0} MB | {evaluations:N0} | {detail} |"));
        return 0;
    }

    private static int Evaluate(RuleEngine engine, JsonElement item, EvaluationContext context)
    {
        var adapted = SnapshotBackfill.Adapt(item, "bench", null);
        return adapted.Rejected ? 0 : engine.EvaluateInputs(adapted, context).Evaluations.Count;
    }

    /// <summary>The real items the tests use (published fixtures; see tests/…/Fixtures/baselines/SOURCES.md).</summary>
    private static List<JsonObject> Templates()
    {
        var root = RepositoryRoot.Find();
        var local = Path.Combine(root, "tests", "IsmsServerless.Tests", "Fixtures");
        var shared = Path.Combine(root, "..", "shared", "fixtures", "events", "config");
        JsonObject Read(string path) => JsonNode.Parse(File.ReadAllBytes(path))!.AsObject();
        return
        [
            Read(Path.Combine(local, "baselines", "ci-sns-topic-rdk.json")),
            Read(Path.Combine(local, "baselines", "ci-redshift-cluster-rdk.json")),
            Read(Path.Combine(local, "baselines", "ci-opensearch-domain-rdk.json")),
            Read(Path.Combine(local, "baselines", "ci-apigateway-stage-rdk.json")),
            Read(Path.Combine(local, "baselines", "ci-cloudfront-distribution-rdk.json")),
            Read(Path.Combine(shared, "ci-s3-bucket-rdk.json")),
            Read(Path.Combine(shared, "ci-ec2-instance-rdk.json")),
            Read(Path.Combine(shared, "eb-config-item-change-sqs-create.json"))["detail"]!["configurationItem"]!.DeepClone().AsObject(),
            Read(Path.Combine(local, "drift", "ci-security-group-configservice-docs.json")),
            Read(Path.Combine(local, "drift", "ci-dynamodb-table-rdk.json")),
        ];
    }

    private static string? Option(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    private sealed class FileSource(string path) : ISnapshotObjectSource
    {
        public Task<Stream> OpenAsync(string bucket, string key, CancellationToken cancellationToken) => Task.FromResult<Stream>(File.OpenRead(path));
    }

    /// <summary>Samples the managed heap every 5 ms and keeps the highest value.</summary>
    private sealed class PeakSampler : IDisposable
    {
        private readonly Timer _timer;
        private long _peak;

        public PeakSampler() => _timer = new Timer(_ => Sample(), null, 0, 5);

        private void Sample()
        {
            var now = GC.GetTotalMemory(false);
            long seen;
            while (now > (seen = Interlocked.Read(ref _peak)) && Interlocked.CompareExchange(ref _peak, now, seen) != seen) { }
        }

        public long Stop()
        {
            Sample();
            _timer.Dispose();
            return Interlocked.Read(ref _peak);
        }

        public void Dispose() => _timer.Dispose();
    }
}
