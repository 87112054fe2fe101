using IsmsServerless.Cli.Local;

namespace IsmsServerless.Tests.Support;

/// <summary>
/// Real event payloads. <c>Shared(...)</c> reads <c>../shared/fixtures/events</c> (sources in its SOURCES.md);
/// <c>Local(...)</c> reads this project's own <c>Fixtures/</c> (sources in Fixtures/SOURCES.md).
/// </summary>
public static class Fixtures
{
    public static string SharedRoot => Path.GetFullPath(Path.Combine(RepositoryRoot.Find(), "..", "shared", "fixtures", "events"));

    public static string LocalRoot => Path.Combine(AppContext.BaseDirectory, "Fixtures");

    public static string SharedPath(string relative) => Path.Combine(SharedRoot, relative);

    public static byte[] Shared(string relative) => File.ReadAllBytes(SharedPath(relative));

    public static string LocalPath(string relative) => Path.Combine(LocalRoot, relative);

    public static byte[] Local(string relative) => File.ReadAllBytes(LocalPath(relative));
}
