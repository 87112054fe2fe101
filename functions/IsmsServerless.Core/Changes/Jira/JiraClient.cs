using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using IsmsServerless.Settings;

namespace IsmsServerless.Changes.Jira;

/// <summary>Why a Jira request failed, and so when to try again.</summary>
public enum JiraFailure
{
    /// <summary>401/403: the token or its account is wrong; nothing works until the policy owner fixes it.</summary>
    Unauthorized,
    /// <summary>429: Jira's rate limit; retry after <see cref="JiraException.RetryAfter"/>.</summary>
    RateLimited,
    /// <summary>5xx: Jira is failing; retry with backoff.</summary>
    ServerError,
    /// <summary>No answer within <c>timeoutSeconds</c>, or the connection failed.</summary>
    Unavailable,
    /// <summary>Another 4xx: Jira refused the request as made (project, issue type, fields).</summary>
    Rejected,
    /// <summary>A 2xx whose body is not what Jira documents.</summary>
    Malformed,
}

/// <summary>A failed Jira request. The message never carries the token (<see cref="JiraClient.Redact"/>).</summary>
public sealed class JiraException(JiraFailure failure, int? status, TimeSpan? retryAfter, string message) : Exception(message)
{
    public JiraFailure Failure { get; } = failure;

    public int? Status { get; } = status;

    /// <summary>The server's Retry-After (429, some 503s), when it sent one.</summary>
    public TimeSpan? RetryAfter { get; } = retryAfter;
}

/// <summary>
/// The few Jira Cloud REST API v3 calls the change register needs: JQL search (<c>POST /rest/api/3/search/jql</c>),
/// create issue (<c>POST /rest/api/3/issue</c>, 201 <c>{id, key, self}</c>), list and add comments
/// (<c>/rest/api/3/issue/{key}/comment</c>). Basic authentication with the account e-mail and the API token; bodies are
/// written with <see cref="Utf8JsonWriter"/> (every value JSON-escaped), descriptions and comments in Atlassian Document
/// Format. Every failure is a <see cref="JiraException"/> whose message has the token removed.
/// </summary>
public sealed class JiraClient(HttpClient http, JiraSettings settings, IJiraTokenSource tokens)
{
    public const int MaxSummaryLength = 250;
    private const int MaxErrorText = 300;

    private Uri Url(string path) => new(settings.SiteUrl.TrimEnd('/') + path, UriKind.Absolute);

    /// <summary>The key of the project's issue carrying <paramref name="label"/>, if one exists.</summary>
    public async Task<string?> FindByLabelAsync(string label, CancellationToken cancellationToken)
    {
        var body = Json(w =>
        {
            w.WriteStartObject();
            // Labels are [A-Za-z0-9_-] here (ChangeIds), so the JQL string literal needs no escaping beyond the quotes.
            w.WriteString("jql", $"project = \"{settings.ProjectKey}\" AND labels = \"{label}\"");
            w.WriteStartArray("fields");
            w.WriteStringValue("key");
            w.WriteEndArray();
            w.WriteNumber("maxResults", 1);
            w.WriteEndObject();
        });
        using var document = await SendAsync(HttpMethod.Post, "/rest/api/3/search/jql", body, HttpStatusCode.OK, cancellationToken).ConfigureAwait(false);
        if (!document.RootElement.TryGetProperty("issues", out var issues) || issues.ValueKind != JsonValueKind.Array)
            throw new JiraException(JiraFailure.Malformed, 200, null, "Jira search answered without an issues list");
        foreach (var issue in issues.EnumerateArray())
        {
            if (issue.TryGetProperty("key", out var key) && key.GetString() is { Length: > 0 } found) return found;
        }
        return null;
    }

    /// <summary>Creates an issue; returns its key (e.g. <c>OPS-24</c>).</summary>
    public async Task<string> CreateIssueAsync(string summary, IReadOnlyList<string> descriptionParagraphs, IReadOnlyList<string> labels, CancellationToken cancellationToken)
    {
        var body = Json(w =>
        {
            w.WriteStartObject();
            w.WriteStartObject("fields");
            w.WriteStartObject("project");
            w.WriteString("key", settings.ProjectKey);
            w.WriteEndObject();
            w.WriteStartObject("issuetype");
            w.WriteString("name", settings.IssueType);
            w.WriteEndObject();
            w.WriteString("summary", Summary(summary));
            w.WritePropertyName("description");
            WriteDocument(w, descriptionParagraphs);
            w.WriteStartArray("labels");
            foreach (var label in labels) w.WriteStringValue(label);
            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteEndObject();
        });
        using var document = await SendAsync(HttpMethod.Post, "/rest/api/3/issue", body, HttpStatusCode.Created, cancellationToken).ConfigureAwait(false);
        return document.RootElement.TryGetProperty("key", out var key) && key.GetString() is { Length: > 0 } created && IsIssueKey(created)
            ? created
            : throw new JiraException(JiraFailure.Malformed, 201, null, "Jira created an issue but answered without a valid key");
    }

    /// <summary>True when one of the issue's latest 100 comments contains <paramref name="marker"/> (the comment's idempotency key).</summary>
    public async Task<bool> HasCommentAsync(string issueKey, string marker, CancellationToken cancellationToken)
    {
        using var document = await SendAsync(HttpMethod.Get, $"/rest/api/3/issue/{Uri.EscapeDataString(issueKey)}/comment?orderBy=-created&maxResults=100",
            null, HttpStatusCode.OK, cancellationToken).ConfigureAwait(false);
        if (!document.RootElement.TryGetProperty("comments", out var comments) || comments.ValueKind != JsonValueKind.Array) return false;
        return comments.EnumerateArray().Any(c => c.TryGetProperty("body", out var b) && b.GetRawText().Contains(marker, StringComparison.Ordinal));
    }

    public async Task AddCommentAsync(string issueKey, IReadOnlyList<string> paragraphs, CancellationToken cancellationToken)
    {
        var body = Json(w =>
        {
            w.WriteStartObject();
            w.WritePropertyName("body");
            WriteDocument(w, paragraphs);
            w.WriteEndObject();
        });
        using var _ = await SendAsync(HttpMethod.Post, $"/rest/api/3/issue/{Uri.EscapeDataString(issueKey)}/comment", body, HttpStatusCode.Created, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>One line, no control or bidi-override characters, at most <see cref="MaxSummaryLength"/> characters (Jira's limit is 255).</summary>
    public static string Summary(string text)
    {
        var builder = new StringBuilder(Math.Min(text.Length, MaxSummaryLength));
        var space = false;
        foreach (var c in text)
        {
            if (char.IsControl(c) || char.IsWhiteSpace(c) || c is >= '\u202a' and <= '\u202e' or >= '\u2066' and <= '\u2069')
            {
                space = builder.Length > 0;
                continue;
            }
            if (space) { builder.Append(' '); space = false; }
            builder.Append(c);
            if (builder.Length >= MaxSummaryLength) break;
        }
        return builder.Length == 0 ? "(no summary)" : builder.ToString();
    }

    public static bool IsIssueKey(string? key) => key is { Length: >= 3 and <= 32 } && System.Text.RegularExpressions.Regex.IsMatch(key, "^[A-Z][A-Z0-9_]+-[0-9]+$",
        System.Text.RegularExpressions.RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(50));

    /// <summary>Removes the token (and its base64 credential form) from text bound for logs, errors or the ledger.</summary>
    public static string Redact(string text, string? token, string? email = null)
    {
        if (string.IsNullOrEmpty(text) || string.IsNullOrEmpty(token)) return text;
        var redacted = text.Replace(token, "[redacted]", StringComparison.Ordinal);
        if (email is not null)
            redacted = redacted.Replace(Convert.ToBase64String(Encoding.UTF8.GetBytes(email + ":" + token)), "[redacted]", StringComparison.Ordinal);
        return redacted;
    }

    private async Task<JsonDocument> SendAsync(HttpMethod method, string path, byte[]? body, HttpStatusCode expected, CancellationToken cancellationToken)
    {
        var token = await tokens.GetAsync(cancellationToken).ConfigureAwait(false);
        using var request = new HttpRequestMessage(method, Url(path));
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(settings.UserEmail + ":" + token)));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (body is not null) request.Content = new ByteArrayContent(body) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } };
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(settings.TimeoutSeconds));
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new JiraException(JiraFailure.Unavailable, null, null, $"Jira did not answer {method} {path} within {settings.TimeoutSeconds}s");
        }
        catch (HttpRequestException ex)
        {
            throw new JiraException(JiraFailure.Unavailable, null, null, Redact($"Jira {method} {path} failed: {ex.Message}", token, settings.UserEmail));
        }
        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            var status = (int)response.StatusCode;
            if (response.StatusCode == expected || (expected == HttpStatusCode.OK && status is >= 200 and < 300) || (expected == HttpStatusCode.Created && status is 200 or 201))
            {
                try
                {
                    return JsonDocument.Parse(string.IsNullOrWhiteSpace(text) ? "{}" : text);
                }
                catch (JsonException)
                {
                    throw new JiraException(JiraFailure.Malformed, status, null, $"Jira answered {method} {path} with {status} and a body that is not JSON");
                }
            }
            var retryAfter = RetryAfterOf(response);
            var detail = Redact(ErrorText(text), token, settings.UserEmail);
            var failure = status switch
            {
                401 or 403 => JiraFailure.Unauthorized,
                429 => JiraFailure.RateLimited,
                >= 500 => JiraFailure.ServerError,
                _ => JiraFailure.Rejected,
            };
            throw new JiraException(failure, status, retryAfter, $"Jira answered {method} {path} with {status}" + (detail.Length > 0 ? ": " + detail : ""));
        }
    }

    /// <summary>Retry-After as delta-seconds or an HTTP date (RFC 9110); null when absent or unreadable.</summary>
    private static TimeSpan? RetryAfterOf(HttpResponseMessage response)
    {
        if (response.Headers.RetryAfter is not { } value) return null;
        if (value.Delta is { } delta) return delta < TimeSpan.Zero ? TimeSpan.Zero : delta;
        if (value.Date is { } date) return date - DateTimeOffset.UtcNow is var left && left > TimeSpan.Zero ? left : TimeSpan.Zero;
        return null;
    }

    /// <summary>Jira's documented error body (<c>{"errorMessages":[...],"errors":{...}}</c>) as one short line.</summary>
    private static string ErrorText(string body)
    {
        if (string.IsNullOrWhiteSpace(body)) return "";
        try
        {
            using var document = JsonDocument.Parse(body);
            var parts = new List<string>();
            if (document.RootElement.TryGetProperty("errorMessages", out var messages) && messages.ValueKind == JsonValueKind.Array)
                parts.AddRange(messages.EnumerateArray().Select(m => m.ToString()));
            if (document.RootElement.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Object)
                parts.AddRange(errors.EnumerateObject().Select(e => $"{e.Name}: {e.Value}"));
            return Clip(string.Join("; ", parts));
        }
        catch (JsonException)
        {
            return "(non-JSON error body)";
        }
    }

    private static string Clip(string text)
    {
        var clean = new string(text.Where(c => !char.IsControl(c)).ToArray());
        return clean.Length <= MaxErrorText ? clean : clean[..MaxErrorText] + "…";
    }

    /// <summary>An ADF document of plain-text paragraphs (text nodes must not be empty).</summary>
    private static void WriteDocument(Utf8JsonWriter w, IReadOnlyList<string> paragraphs)
    {
        w.WriteStartObject();
        w.WriteString("type", "doc");
        w.WriteNumber("version", 1);
        w.WriteStartArray("content");
        foreach (var paragraph in paragraphs.Where(p => !string.IsNullOrEmpty(p)))
        {
            w.WriteStartObject();
            w.WriteString("type", "paragraph");
            w.WriteStartArray("content");
            w.WriteStartObject();
            w.WriteString("type", "text");
            w.WriteString("text", paragraph.Length > 4000 ? paragraph[..4000] + "…" : paragraph);
            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static byte[] Json(Action<Utf8JsonWriter> write)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            write(writer);
        }
        return buffer.ToArray();
    }
}
