namespace IsmsServerless.StatusPage;

/// <summary>
/// One HTTP request, independent of the host (API Gateway v2 payload in Lambda, Kestrel locally). Header names are
/// matched case-insensitively; query values are already URL-decoded.
/// </summary>
public sealed record StatusRequest(
    string Method,
    string Path,
    IReadOnlyDictionary<string, string> Query,
    IReadOnlyDictionary<string, string> Headers,
    byte[] Body)
{
    /// <summary>Request bodies above this are rejected before parsing (actions carry a reason, not documents).</summary>
    public const int MaxBodyBytes = 16 * 1024;

    public string? Header(string name)
    {
        if (Headers.TryGetValue(name, out var value)) return value;
        foreach (var (key, v) in Headers)
        {
            if (string.Equals(key, name, StringComparison.OrdinalIgnoreCase)) return v;
        }
        return null;
    }

    public string? QueryValue(string name) => Query.TryGetValue(name, out var value) && value.Length > 0 ? value : null;
}
