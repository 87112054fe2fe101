using System.Globalization;
using BenchmarkDotNet.Running;
using IsmsServerless.Engine;
using IsmsServerless.Observability;
using IsmsServerless.Settings;

namespace IsmsServerless.Benchmarks.PerEvent;

public static class PerEventMode
{
    public static int Run(string[] args)
    {
        DescribeFixtures();
        var summary = BenchmarkRunner.Run<PerEventBenchmarks>(args: args);
        return summary.HasCriticalValidationErrors || summary.Reports.Any(r => !r.Success) ? 1 : 0;
    }

    /// <summary>
    /// A quick breakdown without BenchmarkDotNet (for finding where time goes): per fixture, the mean time of the parse
    /// floor, of <see cref="RuleEngine.Adapt"/> (parse + classify + adapter) and of the full <see cref="RuleEngine.Evaluate"/>.
    /// </summary>
    public static int Profile(string[] args)
    {
        Log.Target = TextWriter.Null;
        var iterations = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 20_000;
        var engine = RuleEngine.CreateDefault();
        var context = new EvaluationContext(IsmsSettings.Default, new FixedTimeProvider(DateTimeOffset.Parse("2026-01-15T12:00:00Z", CultureInfo.InvariantCulture)));
        Console.WriteLine("| Fixture | floor µs | adapt µs | evaluate µs | rules µs | adapt B | evaluate B |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|");
        foreach (var fixture in EventFixtures.PerEvent)
        {
            var payload = EventFixtures.Read(fixture);
            var bench = new PerEventBenchmarks { Fixture = fixture };
            bench.Setup();
            double Measure(Action action)
            {
                for (var i = 0; i < iterations / 10; i++) action();
                var clock = System.Diagnostics.Stopwatch.StartNew();
                for (var i = 0; i < iterations; i++) action();
                return clock.Elapsed.TotalMicroseconds / iterations;
            }
            // Bytes allocated per call on this thread (deterministic, unlike the times).
            long Bytes(Action action)
            {
                action();
                var before = GC.GetAllocatedBytesForCurrentThread();
                for (var i = 0; i < 100; i++) action();
                return (GC.GetAllocatedBytesForCurrentThread() - before) / 100;
            }
            var floor = Measure(() => bench.Floor());
            var adapt = Measure(() => engine.Adapt(payload, context));
            var evaluate = Measure(() => engine.Evaluate(payload, context));
            var adaptBytes = Bytes(() => engine.Adapt(payload, context));
            var evaluateBytes = Bytes(() => engine.Evaluate(payload, context));
            Console.WriteLine(FormattableString.Invariant($"| `{fixture}` ({payload.Length} B) | {floor:F1} | {adapt:F1} | {evaluate:F1} | {evaluate - adapt:F1} | {adaptBytes} | {evaluateBytes} |"));
            // The costliest rules for this payload's inputs.
            var inputs = engine.Adapt(payload, context).Inputs;
            var costs = new List<(string Rule, double Micros, long Bytes)>();
            foreach (var rule in engine.Registry.Rules)
            {
                var evaluate1 = rule.GetType().GetInterfaces()
                    .FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IRule<>) && inputs.Any(x => i.GetGenericArguments()[0].IsInstanceOfType(x)));
                if (evaluate1 is null) continue;
                var method = evaluate1.GetMethod("Evaluate")!;
                var matching = inputs.Where(x => evaluate1.GetGenericArguments()[0].IsInstanceOfType(x)).ToList();
                void Run()
                {
                    foreach (var input in matching) _ = ((IEnumerable<Model.Evaluation>)method.Invoke(rule, [input, context])!).Count();
                }
                costs.Add((rule.Metadata.Id, Measure(Run), Bytes(Run)));
            }
            foreach (var (rule, micros, bytes) in costs.OrderByDescending(c => c.Bytes).Take(4))
                Console.WriteLine(FormattableString.Invariant($"|   ↳ rule `{rule}` | | | {micros:F1} | | | {bytes} (incl. reflection call) |"));
        }
        return 0;
    }

    /// <summary>
    /// <see cref="RuleEngine.Evaluate"/> on one fixture (or every benchmarked one, round robin) for a number of seconds,
    /// nothing else: a process for a sampling profiler to attach to
    /// (<c>dotnet-trace collect --profile cpu-sampling -- dotnet IsmsServerless.Benchmarks.dll loop all 20</c>, then
    /// <c>dotnet-trace report trace.nettrace topN -n 40</c>).
    /// </summary>
    public static int Loop(string[] args)
    {
        Log.Target = TextWriter.Null;
        var which = args.Length > 0 ? args[0] : "all";
        var seconds = args.Length > 1 ? double.Parse(args[1], CultureInfo.InvariantCulture) : 20;
        var payloads = (which == "all" ? EventFixtures.PerEvent : [which]).Select(EventFixtures.Read).ToArray();
        var engine = RuleEngine.CreateDefault();
        var context = new EvaluationContext(IsmsSettings.Default, new FixedTimeProvider(DateTimeOffset.Parse("2026-01-15T12:00:00Z", CultureInfo.InvariantCulture)));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        long calls = 0;
        while (clock.Elapsed.TotalSeconds < seconds)
        {
            foreach (var payload in payloads) calls += engine.Evaluate(payload, context).Evaluations.Count >= 0 ? 1 : 0;
        }
        Console.WriteLine(FormattableString.Invariant($"{calls} evaluations in {clock.Elapsed.TotalSeconds:F1} s"));
        return 0;
    }

    /// <summary>
    /// Exactly <c>calls</c> evaluations of one fixture (or, with <c>floor</c>, bare parses of it) and nothing else, for an
    /// instruction counter: <c>valgrind --tool=callgrind dotnet IsmsServerless.Benchmarks.dll calls &lt;fixture&gt; 2000</c>
    /// minus the same with 1000 calls is the instructions of 1000 calls, startup and JIT cancelled (run it with
    /// <c>DOTNET_TieredCompilation=0</c> so both runs compile the same code). Deterministic, unlike times on a shared machine.
    /// Usage: <c>calls &lt;fixture&gt; &lt;calls&gt; [engine|floor]</c>.
    /// </summary>
    public static int Calls(string[] args)
    {
        Log.Target = TextWriter.Null;
        var payload = EventFixtures.Read(args[0]);
        var calls = int.Parse(args[1], CultureInfo.InvariantCulture);
        var floor = args.Length > 2 && args[2] == "floor";
        var bench = new PerEventBenchmarks { Fixture = args[0] };
        bench.Setup();
        long sum = 0;
        for (var i = 0; i < calls; i++) sum += floor ? bench.Floor() : bench.Engine();
        Console.WriteLine(FormattableString.Invariant($"{calls} {(floor ? "parses" : "evaluations")} ({sum})"));
        return 0;
    }

    /// <summary>
    /// Prints what each benchmarked fixture exercises, so a fast number cannot hide a payload the engine merely
    /// ignored (e.g. before an adapter for its source existed).
    /// </summary>
    public static int DescribeFixtures()
    {
        Log.Target = TextWriter.Null;
        var engine = RuleEngine.CreateDefault();
        var context = new EvaluationContext(IsmsSettings.Default, new FixedTimeProvider(DateTimeOffset.Parse("2026-01-15T12:00:00Z", CultureInfo.InvariantCulture)));
        Console.WriteLine("| Fixture | Bytes | Adapter | Inputs | Evaluations | Findings | Note |");
        Console.WriteLine("|---|---:|---|---:|---:|---:|---|");
        foreach (var fixture in EventFixtures.PerEvent)
        {
            var payload = EventFixtures.Read(fixture);
            var result = engine.Evaluate(payload, context);
            var findings = result.Evaluations.Count(e => e.Outcome == Model.Outcome.Finding);
            var note = result.Error ?? result.IgnoredReason ?? "";
            Console.WriteLine(FormattableString.Invariant(
                $"| `{fixture}` | {payload.Length} | {result.Adapter ?? "none"} | {result.Inputs.Count} | {result.Evaluations.Count} | {findings} | {note.Replace('|', '/')} |"));
        }
        return 0;
    }
}
