using System.Collections.Concurrent;

namespace IsmsServerless.StatusPage;

/// <summary>The page's HTML, CSS and JS, embedded in the assembly (no CDN, nothing fetched at run time).</summary>
public static class StatusAssets
{
    private static readonly ConcurrentDictionary<string, byte[]> Cache = new(StringComparer.Ordinal);

    public static byte[] Get(string name) => Cache.GetOrAdd(name, static n =>
    {
        using var stream = typeof(StatusAssets).Assembly.GetManifestResourceStream("IsmsServerless.StatusPage.Assets." + n)
            ?? throw new InvalidOperationException($"embedded asset {n} is missing");
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return buffer.ToArray();
    });
}
