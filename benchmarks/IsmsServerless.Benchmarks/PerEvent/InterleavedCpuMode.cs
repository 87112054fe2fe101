using System.Globalization;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Loader;
using System.Text.Json;
using IsmsServerless.Engine;
using IsmsServerless.Observability;
using IsmsServerless.Settings;

namespace IsmsServerless.Benchmarks.PerEvent;

/// <summary>
/// Baseline and result in one process, interleaved, in CPU time: for each fixture, rounds of (floor, this build's
/// engine, the baseline build's engine), each timed with the thread's CPU clock (<c>CLOCK_THREAD_CPUTIME_ID</c>), so time
/// the thread spends waiting for a core on a shared machine is not counted; the baseline's <c>IsmsServerless.Core.dll</c>
/// is loaded into its own <see cref="AssemblyLoadContext"/>. Reports the median per-call CPU time of each and the ratios.
/// BenchmarkDotNet's wall-clock figures (<c>per-event</c>) are meaningless at a load average of 30–40; this is not.
/// Usage: <c>per-event-cpu --baseline-core path/to/IsmsServerless.Core.dll [--rounds 15] [--batch 400]</c>.
/// </summary>
public static partial class InterleavedCpuMode
{
    public static int Run(string[] args)
    {
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i + 1 < args.Length; i += 2) options[args[i].TrimStart('-')] = args[i + 1];
        var rounds = options.TryGetValue("rounds", out var r) ? int.Parse(r, CultureInfo.InvariantCulture) : 15;
        var batch = options.TryGetValue("batch", out var b) ? int.Parse(b, CultureInfo.InvariantCulture) : 400;
        Log.Target = TextWriter.Null;
        var now = DateTimeOffset.Parse("2026-01-15T12:00:00Z", CultureInfo.InvariantCulture);
        var engine = RuleEngine.CreateDefault();
        var context = new EvaluationContext(IsmsSettings.Default, new FixedTimeProvider(now));
        Func<byte[], int> current = payload => engine.Evaluate(payload, context).Evaluations.Count;
        Func<byte[], int>? baseline = options.TryGetValue("baseline-core", out var path) ? LoadBaseline(Path.GetFullPath(path), now) : null;
        var floorOptions = new JsonDocumentOptions { MaxDepth = 64, CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };
        Func<byte[], int> floor = payload =>
        {
            using var document = JsonDocument.Parse(payload, floorOptions);
            return document.RootElement.GetPropertyCount();
        };

        Console.WriteLine(FormattableString.Invariant($"CPU time per call, median of {rounds} interleaved rounds of {batch} calls each (thread CPU clock); load average at start {File.ReadAllText("/proc/loadavg").Split(' ')[0]}"));
        Console.WriteLine();
        Console.WriteLine("| Payload (bytes) | floor µs | baseline engine µs | baseline ratio | result engine µs | **result ratio** | result ÷ baseline |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|");
        var baseRatios = new List<double>();
        var newRatios = new List<double>();
        // Warm every fixture through all three first, then give the runtime's background tier-1 compilation time to finish:
        // measured otherwise, the first fixture's rounds run partly on tier-0 code (its floor read 7 µs for 1.2 KB beside
        // 1.8 µs for the next fixture's 1.4 KB at load 60).
        for (var pass = 0; pass < 2; pass++)
        {
            foreach (var fixture in EventFixtures.PerEvent)
            {
                var payload = EventFixtures.Read(fixture);
                for (var i = 0; i < 500; i++) { floor(payload); current(payload); baseline?.Invoke(payload); }
            }
            Thread.Sleep(2_000);
        }
        foreach (var fixture in EventFixtures.PerEvent)
        {
            var payload = EventFixtures.Read(fixture);
            var f = new List<double>();
            var c = new List<double>();
            var bl = new List<double>();
            for (var i = 0; i < Math.Max(2_000, batch * 5); i++) { floor(payload); current(payload); baseline?.Invoke(payload); }
            for (var round = 0; round < rounds; round++)
            {
                f.Add(Time(floor, payload, batch));
                c.Add(Time(current, payload, batch));
                if (baseline is not null) bl.Add(Time(baseline, payload, batch));
            }
            var (mf, mc) = (Median(f), Median(c));
            double? mb = baseline is null ? null : Median(bl);
            newRatios.Add(mc / mf);
            if (mb is { } value) baseRatios.Add(value / mf);
            Console.WriteLine(FormattableString.Invariant(
                $"| `{fixture}` ({payload.Length:N0}) | {mf:F2} | {(mb is { } x ? x.ToString("F2", CultureInfo.InvariantCulture) : "–")} | {(mb is { } y ? (y / mf).ToString("F2", CultureInfo.InvariantCulture) + "×" : "–")} | {mc:F2} | **{mc / mf:F2}×** | {(mb is { } z ? (mc / z).ToString("F2", CultureInfo.InvariantCulture) : "–")} |"));
        }
        Console.WriteLine();
        if (baseRatios.Count > 0)
            Console.WriteLine(FormattableString.Invariant($"Baseline: engine ÷ floor median **{Median(baseRatios):F2}×**, max **{baseRatios.Max():F2}×**.  "));
        Console.WriteLine(FormattableString.Invariant($"Result: engine ÷ floor median **{Median(newRatios):F2}×** (goal ≤ 2), max **{newRatios.Max():F2}×** (goal ≤ 3)."));
        return 0;
    }

    /// <summary>The baseline build's engine, loaded beside this one; called through a delegate built once.</summary>
    private static Func<byte[], int> LoadBaseline(string corePath, DateTimeOffset now)
    {
        var directory = Path.GetDirectoryName(corePath)!;
        var alc = new AssemblyLoadContext("baseline");
        alc.Resolving += (context, name) =>
        {
            var candidate = Path.Combine(directory, name.Name + ".dll");
            // Only the baseline's own assembly is loaded twice; framework and SDK assemblies are shared.
            return name.Name == "IsmsServerless.Core" && File.Exists(candidate) ? context.LoadFromAssemblyPath(candidate) : null;
        };
        var core = alc.LoadFromAssemblyPath(corePath);
        var engineType = core.GetType("IsmsServerless.Engine.RuleEngine", throwOnError: true)!;
        var contextType = core.GetType("IsmsServerless.Engine.EvaluationContext", throwOnError: true)!;
        var settingsType = core.GetType("IsmsServerless.Settings.IsmsSettings", throwOnError: true)!;
        var clockType = core.GetType("IsmsServerless.Engine.FixedTimeProvider", throwOnError: true)!;
        var logType = core.GetType("IsmsServerless.Observability.Log", throwOnError: true)!;
        logType.GetProperty("Target", BindingFlags.Public | BindingFlags.Static)?.SetValue(null, TextWriter.Null);
        var engine = engineType.GetMethod("CreateDefault", BindingFlags.Public | BindingFlags.Static)!.Invoke(null, null)!;
        var settings = settingsType.GetProperty("Default", BindingFlags.Public | BindingFlags.Static)!.GetValue(null)!;
        var clock = Activator.CreateInstance(clockType, now)!;
        var context = Activator.CreateInstance(contextType, settings, clock)!;
        var evaluate = engineType.GetMethod("Evaluate", [typeof(ReadOnlyMemory<byte>), contextType])!;
        var resultType = evaluate.ReturnType;
        var evaluations = resultType.GetProperty("Evaluations")!;
        return payload =>
        {
            var result = evaluate.Invoke(engine, [new ReadOnlyMemory<byte>(payload), context])!;
            return ((System.Collections.ICollection)evaluations.GetValue(result)!).Count;
        };
    }

    private static double Time(Func<byte[], int> action, byte[] payload, int batch)
    {
        var start = ThreadCpuNanoseconds();
        for (var i = 0; i < batch; i++) action(payload);
        return (ThreadCpuNanoseconds() - start) / 1000.0 / batch;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static long ThreadCpuNanoseconds()
    {
        // CLOCK_THREAD_CPUTIME_ID = 3 on Linux.
        if (ClockGetTime(3, out var spec) != 0) throw new InvalidOperationException("clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed");
        return spec.Seconds * 1_000_000_000L + spec.Nanoseconds;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clockId, out TimeSpec spec);
}
