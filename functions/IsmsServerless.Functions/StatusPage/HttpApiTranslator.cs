using System.Text;
using System.Text.Json;
using IsmsServerless.StatusPage;

namespace IsmsServerless.Functions.StatusPage;

/// <summary>Turns HTTP API 2.0 payloads into <see cref="StatusRequest"/>s and <see cref="StatusResponse"/>s back.</summary>
public static class HttpApiTranslator
{
    /// <summary>Parses the payload; null (with the reason) for anything that is not a usable 2.0 request.</summary>
    public static (StatusRequest? Request, string? Error) ToRequest(byte[] payload)
    {
        HttpApiRequest? evt;
        try
        {
            evt = JsonSerializer.Deserialize(payload, HttpApiJsonContext.Default.HttpApiRequest);
        }
        catch (JsonException ex)
        {
            return (null, "payload is not JSON: " + ex.Message);
        }
        if (evt is null || evt.Version != "2.0" || evt.RequestContext?.Http?.Method is not { Length: > 0 } method)
            return (null, "payload is not an HTTP API 2.0 request");
        byte[] body;
        try
        {
            body = evt.Body is null ? [] : evt.IsBase64Encoded ? Convert.FromBase64String(evt.Body) : Encoding.UTF8.GetBytes(evt.Body);
        }
        catch (FormatException)
        {
            return (null, "body is not valid base64");
        }
        var query = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in (evt.RawQueryString ?? "").Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            var key = Decode(eq < 0 ? pair : pair[..eq]);
            var value = eq < 0 ? "" : Decode(pair[(eq + 1)..]);
            query.TryAdd(key, value);  // first value wins, as in Kestrel's single-value reads
        }
        var headers = new Dictionary<string, string>(evt.Headers ?? [], StringComparer.OrdinalIgnoreCase);
        return (new StatusRequest(method, evt.RawPath ?? evt.RequestContext.Http.Path ?? "/", query, headers, body), null);
    }

    public static byte[] ToPayload(StatusResponse response)
    {
        var headers = new Dictionary<string, string>(response.Headers, StringComparer.OrdinalIgnoreCase) { ["Content-Type"] = response.ContentType };
        return JsonSerializer.SerializeToUtf8Bytes(new HttpApiResponse
        {
            StatusCode = response.StatusCode,
            Headers = headers,
            Body = Convert.ToBase64String(response.Body),
            IsBase64Encoded = true,
        }, HttpApiJsonContext.Default.HttpApiResponse);
    }

    private static string Decode(string text) => Uri.UnescapeDataString(text.Replace('+', ' '));
}
