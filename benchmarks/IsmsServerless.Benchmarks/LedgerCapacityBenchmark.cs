using System.Diagnostics;
using System.Globalization;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using IsmsServerless.Cli.Local;
using IsmsServerless.Engine;
using IsmsServerless.Ledger;
using IsmsServerless.Model;
using IsmsServerless.Observability;
using IsmsServerless.Settings;

namespace IsmsServerless.Benchmarks;

/// <summary>
/// Read capacity of the status page's first query and the sweep's due-items query at growing table sizes (the
/// figures must stay flat: both are key-range Queries bounded by page size, never Scans), and the ledger's write
/// throughput (new findings through <see cref="DynamoDbFindingLedger.RecordAsync"/>, each a read plus one
/// TransactWriteItems) against DynamoDB Local.
/// </summary>
internal static class LedgerCapacityBenchmark
{
    private static readonly DateTimeOffset Now = new(2026, 6, 1, 0, 0, 0, TimeSpan.Zero);

    private static readonly RuleMetadata[] Templates =
    [
        new("patch.bench-critical-patch", "Critical patch missing", Category.Patch, Severity.Critical, "AWS::EC2::Instance", "PROC-002", [Controls.IsoVulnerabilities, "SOC2 CC7.1"], "r", "m"),
        new("drift.bench-open-ingress", "World-open ingress", Category.Drift, Severity.High, "AWS::EC2::SecurityGroup", "PROC-002", [Controls.IsoNetworkSecurity, Controls.IsoConfiguration, "SOC2 CC6.6"], "r", "m"),
        new("change.bench-unreviewed", "Unreviewed manual change", Category.Change, Severity.Medium, "AWS::IAM::Role", "PROC-002", ["ISO27001:2022 A.8.32", "SOC2 CC8.1"], "r", "m"),
        new("monitoring.bench-root", "Root activity", Category.Monitoring, Severity.Low, "AWS::::Account", "Qwestly OSP", [Controls.IsoMonitoring, "SOC2 CC7.2"], "r", "m"),
    ];

    private static RuleMetadata[] Rules = Templates;

    /// <summary>
    /// The rules findings are spread over (<c>--rules N</c>): the four templates, or N rules cycling through them (ids
    /// <c>&lt;template&gt;-NNN</c>), to measure how the views that merge rule partitions grow with the number of rules.
    /// </summary>
    internal static int UseRules(string[] args)
    {
        var count = int.Parse(Option(args, "--rules") ?? Templates.Length.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
        Rules = count == Templates.Length ? Templates
            : Enumerable.Range(0, count).Select(k => Templates[k % Templates.Length] with { Id = $"{Templates[k % Templates.Length].Id}-{k:D3}" }).ToArray();
        return count;
    }

    public static async Task<int> RunAsync(string[] args)
    {
        var sizes = Option(args, "--sizes")?.Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray() ?? [1_000, 100_000];
        var writeSample = int.Parse(Option(args, "--write-sample") ?? "2000", CultureInfo.InvariantCulture);
        var endpoint = Option(args, "--dynamodb-endpoint");
        var rules = UseRules(args);
        Log.MinimumLevel = LogLevel.Warn;

        await using var local = endpoint is null ? await DynamoDbLocal.StartAsync() : null;
        using var client = DynamoDbLocal.CreateClient(endpoint ?? local!.Endpoint);
        var table = "bench-" + Guid.NewGuid().ToString("N")[..8];
        await LedgerTable.CreateIfMissingAsync(client, table);
        var settings = IsmsSettings.Default;
        var ledger = new DynamoDbFindingLedger(client, table, settings);
        var context = new EvaluationContext(settings, new FixedTimeProvider(Now));

        Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {Environment.OSVersion}, .NET {Environment.Version}; store: DynamoDB Local {(endpoint ?? local!.Endpoint)}; rules: {rules}");

        // Write throughput through the real write path, sequential (one Lambda) and 8-way (eight Lambdas).
        var sequential = await WriteAsync(ledger, context, 0, writeSample, 1);
        var parallel = await WriteAsync(ledger, context, writeSample, writeSample, 8);
        Console.WriteLine($"writes: new findings via RecordAsync: {sequential:F0}/s sequential, {parallel:F0}/s with 8 concurrent writers ({writeSample} each)");

        var stored = 2 * writeSample;
        Console.WriteLine("| findings stored | open page (50) RCU | category page (50) RCU | due-items page (100) RCU | overview RCU |");
        Console.WriteLine("|---:|---:|---:|---:|---:|");
        foreach (var size in sizes.Order())
        {
            if (size > stored)
            {
                await BulkFillAsync(client, table, settings, stored, size - stored);
                stored = size;
            }
            var (open, category, due, overview) = await MeasureReadsAsync(ledger);
            Console.WriteLine($"| {size:N0} | {open} | {category} | {due} | {overview} |");
        }
        await client.DeleteTableAsync(table);
        return 0;
    }

    private static async Task<double> WriteAsync(DynamoDbFindingLedger ledger, EvaluationContext context, int offset, int count, int writers)
    {
        var watch = Stopwatch.StartNew();
        var next = offset - 1;
        await Task.WhenAll(Enumerable.Range(0, writers).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < offset + count)
                await ledger.RecordAsync([EvaluationFor(i)], context);
        })));
        return count / watch.Elapsed.TotalSeconds;
    }

    private static Evaluation EvaluationFor(int i)
    {
        var rule = Rules[i % Rules.Length];
        var observed = Now.AddMinutes(-(i % 20_000));
        return new Evaluation
        {
            Rule = rule,
            Outcome = Outcome.Finding,
            ResourceId = $"res-{i:D7}",
            AccountId = "123456789012",
            Region = "eu-west-1",
            Message = $"benchmark finding {i}",
            ClockStart = observed,
            ObservedAt = observed,
        };
    }

    /// <summary>
    /// Fills the table quickly with BatchWriteItem, using the ledger's own item layout (finding items carrying their rule
    /// as GSI2 key, and a counter item per rule); 70% of the findings are resolved, as in a ledger that has run for a while.
    /// </summary>
    internal static async Task BulkFillAsync(IAmazonDynamoDB client, string table, IsmsSettings settings, int offset, int count)
    {
        var watch = Stopwatch.StartNew();
        var sla = new IsmsServerless.Sla.SlaClock(settings);
        var items = Enumerable.Range(offset, count).SelectMany(i =>
        {
            var plan = FindingTransitions.OnFinding(null, EvaluationFor(i), sla, Now)!;
            var f = plan.After with { HistoryLength = 1 };
            if (i % 10 < 7) f = f with { Status = FindingStatus.Resolved, ResolvedAt = Now, NextTimerAt = null };
            var ttl = FindingTransitions.ExpiryFor(f, settings);
            return new[] { LedgerItems.FindingItem(f, ttl) };
        });
        // The views find a rule's findings through its counter items (every rule with a finding has one), and the status
        // view reads only the rules whose counters hold findings in the status: the counters are added exactly, as the
        // ledger's transactions would, one ADD per (counter item, status, SLA state).
        var shapes = Enumerable.Range(offset, count).Select(i =>
        {
            var f = FindingTransitions.OnFinding(null, EvaluationFor(i), sla, Now)!.After;
            return i % 10 < 7 ? f with { Status = FindingStatus.Resolved, ResolvedAt = Now, NextTimerAt = null } : f;
        }).GroupBy(f => (LedgerKeys.StatsRule(f.RuleId, f.Category.ToWire(), f.Controls, f.Id, LedgerCounters.RuleShards), f.Status, f.Severity, f.SlaState));
        foreach (var shape in shapes)
        {
            var update = LedgerCounters.Update(table, null, shape.First(), shape.LongCount())!;
            await client.UpdateItemAsync(new UpdateItemRequest
            {
                TableName = table, Key = update.Key, UpdateExpression = update.UpdateExpression,
                ExpressionAttributeNames = update.ExpressionAttributeNames, ExpressionAttributeValues = update.ExpressionAttributeValues,
            });
        }
        await Parallel.ForEachAsync(items.Chunk(25), new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (chunk, ct) =>
        {
            var writes = chunk.Select(item => new WriteRequest { PutRequest = new PutRequest { Item = item } }).ToList();
            while (writes.Count > 0)
            {
                var response = await client.BatchWriteItemAsync(new BatchWriteItemRequest { RequestItems = new() { [table] = writes } }, ct);
                writes = response.UnprocessedItems?.GetValueOrDefault(table) ?? [];
            }
        });
        Console.Error.WriteLine($"bulk fill: {count:N0} findings in {watch.Elapsed.TotalSeconds:F0}s");
    }

    private static async Task<(double Open, double Category, double Due, double Overview)> MeasureReadsAsync(DynamoDbFindingLedger ledger)
    {
        var consumed = new Dictionary<string, double>(StringComparer.Ordinal);
        ledger.CapacityObserver = (operation, capacity) =>
        {
            var key = operation.Split('.')[0];
            consumed[key] = consumed.GetValueOrDefault(key) + (capacity.CapacityUnits ?? 0);
        };
        try
        {
            var open = await ledger.QueryByStatusAsync(FindingStatus.Open, 50);
            if (open.Items.Count != 50) throw new InvalidOperationException($"expected a full page, got {open.Items.Count}");
            await ledger.QueryFindingsAsync(new FindingQuery { Category = Category.Patch, Limit = 50 });
            await ledger.QueryDueBeforeAsync(Now.AddDays(400), 100);
            await ledger.GetOverviewAsync();
            return (consumed.GetValueOrDefault("findings-by-status"), consumed.GetValueOrDefault("findings-by-category"),
                consumed.GetValueOrDefault("due-before"), consumed.GetValueOrDefault("overview"));
        }
        finally
        {
            ledger.CapacityObserver = null;
        }
    }

    private static string? Option(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}
