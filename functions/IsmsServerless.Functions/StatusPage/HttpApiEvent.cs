using System.Text.Json.Serialization;

namespace IsmsServerless.Functions.StatusPage;

/// <summary>
/// API Gateway HTTP API Lambda payload, format 2.0 (only the fields we read). Settable, not init-only: the STJ source
/// generator would null out defaults of init-only properties when a key is missing.
/// </summary>
public sealed class HttpApiRequest
{
    public string? Version { get; set; }
    public string? RawPath { get; set; }
    public string? RawQueryString { get; set; }
    public Dictionary<string, string>? Headers { get; set; }
    public HttpApiRequestContext? RequestContext { get; set; }
    public string? Body { get; set; }
    public bool IsBase64Encoded { get; set; }
}

public sealed class HttpApiRequestContext
{
    public HttpApiHttp? Http { get; set; }
    public string? RequestId { get; set; }
    public string? DomainName { get; set; }
}

public sealed class HttpApiHttp
{
    public string? Method { get; set; }
    public string? Path { get; set; }
    public string? SourceIp { get; set; }
}

/// <summary>The 2.0 response: the body always base64, so CSV, JSON and HTML pass through byte-exact.</summary>
public sealed class HttpApiResponse
{
    public int StatusCode { get; set; }
    public Dictionary<string, string> Headers { get; set; } = [];
    public string Body { get; set; } = "";
    public bool IsBase64Encoded { get; set; }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, PropertyNameCaseInsensitive = true, MaxDepth = 32)]
[JsonSerializable(typeof(HttpApiRequest))]
[JsonSerializable(typeof(HttpApiResponse))]
public sealed partial class HttpApiJsonContext : JsonSerializerContext;
