using IsmsServerless.Benchmarks;

// One command per measurement; more (e.g. a BenchmarkDotNet suite) are added as further cases.
var command = args.Length > 0 ? args[0] : "";
return command switch
{
    "ledger-capacity" => await LedgerCapacityBenchmark.RunAsync(args[1..]),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: IsmsServerless.Benchmarks ledger-capacity [--sizes 1000,100000] [--write-sample 2000] [--dynamodb-endpoint URL]");
    return 2;
}
