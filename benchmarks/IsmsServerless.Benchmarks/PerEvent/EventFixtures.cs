using IsmsServerless.Cli.Local;

namespace IsmsServerless.Benchmarks.PerEvent;

/// <summary>
/// The real payloads the per-event benchmark measures (the repository's <c>fixtures/events</c>, sources in its
/// SOURCES.md): one or more per source the engine ingests, small and large, so the ratio to the parse floor is not
/// flattered by one easy shape.
/// </summary>
public static class EventFixtures
{
    /// <summary>
    /// The measured fixtures; <c>BENCH_FIXTURES</c> (comma-separated parts of names) narrows them for a quick look at a
    /// few (scripts/bench.sh leaves it unset: the reported runs measure all nine).
    /// </summary>
    public static IReadOnlyList<string> PerEvent { get; } = Narrowed(
    [
        "cloudtrail/eb-console-signin-root-success-nomfa.json",
        "cloudtrail/eb-api-call-s3-createbucket-assumedrole.json",
        "cloudtrail/raw-ec2-runinstances-root-autoscaling.json",
        "cloudtrail/raw-logfile-trailscraper-assumerole.json",
        "config/eb-config-item-change-sqs-create.json",
        "config/rule-invoke-change-ec2-with-diff.json",
        "patch/eb-inspector2-finding-ec2-package-vuln.json",
        "patch/eb-inspector2-finding-ec2-network-reachability.json",
        "patch/eb-ssm-compliance-patch-noncompliant.json",
    ]);

    private static IReadOnlyList<string> Narrowed(IReadOnlyList<string> fixtures)
    {
        var parts = Environment.GetEnvironmentVariable("BENCH_FIXTURES")?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return parts is not { Length: > 0 } ? fixtures : [.. fixtures.Where(f => parts.Any(p => f.Contains(p, StringComparison.Ordinal)))];
    }

    /// <summary>The repository's own payload copies (fixtures/events, sources and licences in its SOURCES.md).</summary>
    public static string Root => Path.Combine(RepositoryRoot.Find(), "fixtures", "events");

    public static byte[] Read(string relative) => File.ReadAllBytes(Path.Combine(Root, relative));

    public sealed record Fixture(string Name, byte[] Bytes);

    /// <summary>Every JSON fixture under the repository's fixtures/events, in a stable order.</summary>
    public static IReadOnlyList<Fixture> All() =>
        [.. Directory.EnumerateFiles(Root, "*.json", SearchOption.AllDirectories).Order(StringComparer.Ordinal)
            .Select(f => new Fixture(Path.GetRelativePath(Root, f), File.ReadAllBytes(f)))];
}
