using IsmsServerless.Cli.Local;

namespace IsmsServerless.Tests.Support;

/// <summary>
/// Real event payloads, from three places:
/// <list type="bullet">
/// <item><c>Shared(...)</c>: the repository's own copies in <c>fixtures/events/</c> (sources and licences in its SOURCES.md),
/// the payloads the demo, core tests and benchmarks need, so a lone clone runs them. A path not copied there falls back
/// to the external collection when it is present.</item>
/// <item><c>Local(...)</c>: this test project's own <c>Fixtures/</c> (sources in Fixtures/SOURCES.md).</item>
/// <item><see cref="ExternalRoot"/>: the wider third-party payload collection kept outside the repository
/// (<c>../shared/fixtures/events</c>, or <c>ISMS_EXTERNAL_FIXTURES</c>). Tests over it are
/// <see cref="ExternalCorpusFactAttribute"/>/<see cref="ExternalCorpusTheoryAttribute"/>: skipped, with the reason, when it is absent.</item>
/// </list>
/// </summary>
public static class Fixtures
{
    /// <summary>The repository's own payload corpus (<c>fixtures/events</c> at the repository root).</summary>
    public static string SharedRoot => Path.Combine(RepositoryRoot.Find(), "fixtures", "events");

    /// <summary>The external payload collection (may be absent).</summary>
    public static string ExternalRoot =>
        Environment.GetEnvironmentVariable("ISMS_EXTERNAL_FIXTURES") is { Length: > 0 } configured
            ? Path.GetFullPath(configured)
            : Path.GetFullPath(Path.Combine(RepositoryRoot.Find(), "..", "shared", "fixtures", "events"));

    /// <summary>The policy documents the rules cite (PROC-002, the Operations Security Policy); outside the repository.</summary>
    public static string PolicyRoot => Path.GetFullPath(Path.Combine(RepositoryRoot.Find(), "..", "shared", "seeds"));

    public static bool ExternalPresent => Directory.Exists(ExternalRoot);

    public static bool PoliciesPresent => Directory.Exists(PolicyRoot);

    public static string LocalRoot => Path.Combine(AppContext.BaseDirectory, "Fixtures");

    public static string SharedPath(string relative)
    {
        var own = Path.Combine(SharedRoot, relative);
        if (File.Exists(own) || Directory.Exists(own)) return own;
        var external = Path.Combine(ExternalRoot, relative);
        return File.Exists(external) || Directory.Exists(external) ? external : own;
    }

    public static byte[] Shared(string relative) => File.ReadAllBytes(SharedPath(relative));

    public static string ExternalPath(string relative) => Path.Combine(ExternalRoot, relative);

    public static string LocalPath(string relative) => Path.Combine(LocalRoot, relative);

    public static byte[] Local(string relative) => File.ReadAllBytes(LocalPath(relative));
}

/// <summary>A fact over the external payload collection: skipped, saying why, when the collection is absent (a lone clone).</summary>
public sealed class ExternalCorpusFactAttribute : FactAttribute
{
    public ExternalCorpusFactAttribute()
    {
        if (!Fixtures.ExternalPresent)
            Skip = $"external payload collection not present at {Fixtures.ExternalRoot} (kept outside the repository; set ISMS_EXTERNAL_FIXTURES or place it at ../shared/fixtures/events; CI has it)";
    }
}

/// <summary>A theory over the external payload collection: skipped, saying why, when the collection is absent.</summary>
public sealed class ExternalCorpusTheoryAttribute : TheoryAttribute
{
    public ExternalCorpusTheoryAttribute()
    {
        if (!Fixtures.ExternalPresent)
            Skip = $"external payload collection not present at {Fixtures.ExternalRoot} (kept outside the repository; set ISMS_EXTERNAL_FIXTURES or place it at ../shared/fixtures/events; CI has it)";
    }
}

/// <summary>A fact that reads the policy documents themselves: skipped, saying why, when they are not beside the clone.</summary>
public sealed class PolicyDocumentsFactAttribute : FactAttribute
{
    public PolicyDocumentsFactAttribute()
    {
        if (!Fixtures.PoliciesPresent)
            Skip = $"policy documents not present at {Fixtures.PolicyRoot} (they live outside the repository; see docs/policies.md)";
    }
}
