using IsmsServerless.Engine;
using IsmsServerless.Tests.Support;

namespace IsmsServerless.Tests.Correctness;

/// <summary>
/// Tests over the external payload collection (<c>../shared/fixtures/events</c>, kept outside the repository because
/// licences vary). Skipped, saying why, in a lone clone; CI has the collection and runs them.
/// </summary>
public sealed class ExternalCorpusTests
{
    private static IEnumerable<string> ExternalFiles() =>
        Directory.EnumerateFiles(Fixtures.ExternalRoot, "*.json", SearchOption.AllDirectories).Order(StringComparer.Ordinal);

    [ExternalCorpusFact]
    public void Every_external_payload_is_evaluated_or_rejected_with_a_reason_never_a_crash()
    {
        var engine = RuleEngine.CreateDefault();
        var context = TestContexts.At("2026-01-15T12:00:00Z");
        var files = ExternalFiles().ToList();
        Assert.NotEmpty(files);
        foreach (var file in files)
        {
            var result = engine.Evaluate(File.ReadAllBytes(file), context);
            if (result.Rejected) Assert.False(string.IsNullOrWhiteSpace(result.Error), $"{file}: rejected without a reason");
        }
    }

    [ExternalCorpusFact]
    public void The_repository_copies_are_byte_identical_to_the_external_collection()
    {
        var copies = Directory.EnumerateFiles(Fixtures.SharedRoot, "*", SearchOption.AllDirectories)
            .Where(f => !f.EndsWith("SOURCES.md", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(copies);
        var compared = 0;
        foreach (var copy in copies)
        {
            var relative = Path.GetRelativePath(Fixtures.SharedRoot, copy);
            var original = Fixtures.ExternalPath(relative);
            // A payload the project collected itself (not a copy) has its own sources row, checked by the test below.
            if (!File.Exists(original)) continue;
            Assert.Equal(File.ReadAllBytes(original), File.ReadAllBytes(copy));
            compared++;
        }
        Assert.True(compared > 0, "no repository payload is a copy of the external collection");
    }

    [Fact]
    public void Every_repository_payload_has_a_sources_row_with_a_licence()
    {
        var sources = File.ReadAllText(Path.Combine(Fixtures.SharedRoot, "SOURCES.md"));
        foreach (var file in Directory.EnumerateFiles(Fixtures.SharedRoot, "*", SearchOption.AllDirectories).Where(f => !f.EndsWith("SOURCES.md", StringComparison.Ordinal)))
        {
            var relative = Path.GetRelativePath(Fixtures.SharedRoot, file).Replace('\\', '/');
            var row = sources.Split('\n').SingleOrDefault(l => l.StartsWith($"| `{relative}`", StringComparison.Ordinal));
            Assert.True(row is not null, $"{relative} has no row in fixtures/events/SOURCES.md");
            Assert.Matches("Apache-2.0|MIT|CC-BY-SA-4.0|AWS documentation|as above", row);
        }
    }
}
