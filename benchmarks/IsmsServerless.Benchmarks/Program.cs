using IsmsServerless.Benchmarks;
using IsmsServerless.Benchmarks.PerEvent;
using IsmsServerless.Benchmarks.Scale;

// One console, one mode per first argument. Other measurements add a case to this switch (and their code in a file or
// folder of their own) rather than a second project. scripts/bench.sh runs every mode; docs/benchmarks.md has the numbers.
var command = args.Length > 0 ? args[0] : "";
var rest = args.Length > 0 ? args[1..] : [];
return command switch
{
    "ledger-capacity" => await LedgerCapacityBenchmark.RunAsync(rest),
    "status-page" => await StatusPageBenchmark.RunAsync(rest),
    "per-event" => PerEventMode.Run(rest),
    "per-event-cpu" => InterleavedCpuMode.Run(rest),
    "fixtures" => PerEventMode.DescribeFixtures(),
    "profile" => PerEventMode.Profile(rest),
    "loop" => PerEventMode.Loop(rest),
    "calls" => PerEventMode.Calls(rest),
    "icu-cold" => IcuColdMode.Run(rest),
    "scale" => await ScaleReplay.RunAsync(rest),
    "snapshot" => await IsmsServerless.Benchmarks.Snapshot.SnapshotBackfillBenchmark.RunAsync(rest),
    "controls-view" => await ControlsViewBenchmark.RunAsync(rest),
    "create-table" => await CreateTableAsync(rest),
    _ => Usage(),
};

// For scripts/bench.sh's cold start: the ledger table the function writes to, in a DynamoDB Local it started.
// Retries while DynamoDB Local is still starting.
static async Task<int> CreateTableAsync(string[] args)
{
    if (args is not ["--dynamodb-endpoint", var endpoint, "--table", var table]) return Usage();
    using var client = IsmsServerless.Cli.Local.DynamoDbLocal.CreateClient(endpoint);
    for (var attempt = 1; ; attempt++)
    {
        try
        {
            await IsmsServerless.Ledger.LedgerTable.CreateIfMissingAsync(client, table);
            return 0;
        }
        catch (Exception ex) when (attempt < 150 && ex is Amazon.Runtime.AmazonClientException or HttpRequestException or IOException)
        {
            await Task.Delay(200);
        }
    }
}

static int Usage()
{
    Console.Error.WriteLine("""
        usage: IsmsServerless.Benchmarks <mode> [options]
          ledger-capacity [--sizes 1000,100000] [--write-sample 2000] [--rules 4] [--dynamodb-endpoint URL]
          status-page [--sizes 1000,100000] [--rules 4]  DynamoDB requests and RCU per status page view
          per-event [BenchmarkDotNet args]   RuleEngine.Evaluate per real event vs the JsonDocument.Parse floor
          fixtures                           what the engine makes of each benchmarked fixture (adapter, evaluations)
          profile [iterations]               quick floor / adapt / evaluate breakdown per fixture (no BenchmarkDotNet)
          loop <fixture|all> [seconds]       RuleEngine.Evaluate in a loop, for a sampling profiler (dotnet-trace collect --profile cpu-sampling)
          calls <fixture> <calls> [engine|floor]  exactly that many evaluations (or parses), for an instruction counter (callgrind)
          controls-view [--sizes 1000,100000]  DynamoDB requests of one controls view at N resources with passing evidence
          create-table --dynamodb-endpoint URL --table NAME
          scale [--events 100000] [--workers 4] [--resources 2000] [--evidence both|on|off] [--passes 1] [--dynamodb-endpoint URL]
                                             events through IngestPipeline into DynamoDB Local: events/s, capacity units/event
          snapshot --phase naive|stream|backfill [--items 100000] [--workers 16] [--dynamodb-endpoint URL]
                                             Config snapshot back-fill: items/s and peak memory, whole-file parse as baseline
        """);
    return 2;
}
