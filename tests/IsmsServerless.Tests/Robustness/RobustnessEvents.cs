using IsmsServerless.Benchmarks.Scale;
using IsmsServerless.Engine;
using IsmsServerless.Tests.Support;

namespace IsmsServerless.Tests.Robustness;

/// <summary>
/// The batch the fault tests push through the pipeline: every real payload under the repository's fixtures/events (findings,
/// compliant results, ignored and rejected payloads alike), then <c>variants</c> deterministic variants of each payload that
/// yields evaluations, so findings are both created and re-detected.
/// </summary>
public static class RobustnessEvents
{
    public static readonly EvaluationContext Context = TestContexts.At("2026-01-15T12:00:00Z");

    public static IReadOnlyList<(string Name, byte[] Bytes)> Load(int variants)
    {
        var files = Directory.EnumerateFiles(Fixtures.SharedRoot, "*.json", SearchOption.AllDirectories).Order(StringComparer.Ordinal)
            .Select(f => (Name: Path.GetRelativePath(Fixtures.SharedRoot, f), Bytes: File.ReadAllBytes(f))).ToList();
        var engine = RuleEngine.CreateDefault();
        var evaluating = files.Where(f => engine.Evaluate(f.Bytes, Context).Evaluations.Count > 0).ToList();
        var events = new List<(string, byte[])>(files);
        for (var v = 1; v <= variants; v++)
            foreach (var (name, bytes) in evaluating) events.Add(($"{name}~v{v}", EventVariants.Variant(bytes, v, resources: 3)));
        return events;
    }
}
