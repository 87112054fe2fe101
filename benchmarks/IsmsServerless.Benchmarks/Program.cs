using IsmsServerless.Benchmarks;

// One command per measurement; more (e.g. a BenchmarkDotNet suite) are added as further cases.
var command = args.Length > 0 ? args[0] : "";
return command switch
{
    "ledger-capacity" => await LedgerCapacityBenchmark.RunAsync(args[1..]),
    "status-page" => await StatusPageBenchmark.RunAsync(args[1..]),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: IsmsServerless.Benchmarks ledger-capacity [--sizes 1000,100000] [--write-sample 2000] [--dynamodb-endpoint URL]");
    Console.Error.WriteLine("       IsmsServerless.Benchmarks status-page [--sizes 1000,100000]");
    return 2;
}
