using System.Text.Json;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using IsmsServerless.Engine;
using IsmsServerless.Observability;
using IsmsServerless.Settings;

namespace IsmsServerless.Benchmarks.PerEvent;

/// <summary>
/// Cost of evaluating one real event (router + adapter + every applicable rule) beside the floor: a bare
/// <see cref="JsonDocument.Parse(ReadOnlyMemory{byte}, JsonDocumentOptions)"/> of the same bytes with the router's options.
/// No engine can do less than parse its input once, so the Ratio column is the engine's overhead. Target: ≤ 2.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(ShortInProcessConfig))]
public class PerEventBenchmarks
{
    private static readonly JsonDocumentOptions FloorOptions = new()
    {
        MaxDepth = 64,
        CommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    private ReadOnlyMemory<byte> _payload;
    private RuleEngine _engine = null!;
    private EvaluationContext _context = null!;

    [ParamsSource(nameof(Fixtures))]
    public string Fixture { get; set; } = "";

    public static IEnumerable<string> Fixtures => EventFixtures.PerEvent;

    [GlobalSetup]
    public void Setup()
    {
        // Rejections are logged; a benchmark measures the engine, not the console.
        Log.Target = TextWriter.Null;
        Log.MinimumLevel = LogLevel.Error;
        _payload = EventFixtures.Read(Fixture);
        _engine = RuleEngine.CreateDefault();
        _context = new EvaluationContext(IsmsSettings.Default, new FixedTimeProvider(DateTimeOffset.Parse("2026-01-15T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture)));
    }

    [Benchmark(Baseline = true, Description = "floor: JsonDocument.Parse")]
    public int Floor()
    {
        var payload = _payload;
        // The router strips a UTF-8 BOM before parsing; the floor does the same work.
        if (payload.Span is [0xEF, 0xBB, 0xBF, ..]) payload = payload[3..];
        using var document = JsonDocument.Parse(payload, FloorOptions);
        return document.RootElement.GetPropertyCount();
    }

    [Benchmark(Description = "engine: RuleEngine.Evaluate")]
    public int Engine() => _engine.Evaluate(_payload, _context).Evaluations.Count;
}

/// <summary>
/// ShortRun (3 warm-ups, 3 iterations, 1 launch) in process: the whole suite fits in minutes on a 2-core machine and
/// needs no second build of a generated project. Good for ratios and allocations; not for sub-percent comparisons.
/// </summary>
public sealed class ShortInProcessConfig : ManualConfig
{
    public ShortInProcessConfig()
    {
        // BENCH_QUICK=1 (scripts/bench.sh's smoke mode) runs each benchmark once: checks the suite, measures nothing.
        var job = Environment.GetEnvironmentVariable("BENCH_QUICK") == "1" ? Job.Dry : Job.ShortRun;
        AddJob(job.WithToolchain(InProcessEmitToolchain.Instance).WithId(job == Job.Dry ? "Dry-InProcess" : "ShortRun-InProcess"));
        SummaryStyle = BenchmarkDotNet.Reports.SummaryStyle.Default.WithMaxParameterColumnWidth(70);
    }
}
