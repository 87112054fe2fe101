using System.Text;

namespace IsmsServerless.StatusPage;

/// <summary>One HTTP response, independent of the host. Security headers are added by <see cref="StatusRouter"/>.</summary>
public sealed record StatusResponse(int StatusCode, string ContentType, byte[] Body)
{
    public Dictionary<string, string> Headers { get; } = new(StringComparer.OrdinalIgnoreCase);

    public static StatusResponse Json(int status, byte[] body) => new(status, "application/json; charset=utf-8", body);

    public static StatusResponse Text(int status, string contentType, string body) => new(status, contentType, Encoding.UTF8.GetBytes(body));

    public static StatusResponse Error(int status, string code, string message) =>
        Json(status, StatusJson.Write(w =>
        {
            w.WriteStartObject();
            w.WriteString("error", code);
            w.WriteString("message", message);
            w.WriteEndObject();
        }));
}
