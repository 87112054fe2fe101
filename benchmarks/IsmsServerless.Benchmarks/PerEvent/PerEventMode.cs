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
