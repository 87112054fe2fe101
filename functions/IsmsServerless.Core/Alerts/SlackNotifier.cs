using System.Globalization;
using System.Net;
using System.Text;
using IsmsServerless.Observability;

namespace IsmsServerless.Alerts;

/// <summary>How one POST to the webhook ended.</summary>
public enum SlackDeliveryOutcome
{
    /// <summary>HTTP 200 with body <c>ok</c>.</summary>
    Delivered,

    /// <summary>Slack refused the message for good (400 invalid_payload, 403, 404 no_team, 410 channel_is_archived): retrying cannot help.</summary>
    Permanent,

    /// <summary>429, 5xx or timeouts outlasted the retry budget: the caller retries later (SQS) and finally dead-letters.</summary>
    Transient,
}

public sealed record SlackDeliveryResult(SlackDeliveryOutcome Outcome, int? StatusCode, string Detail, int Attempts)
{
    public bool Delivered => Outcome == SlackDeliveryOutcome.Delivered;
}

/// <summary>Limits of the notifier; defaults fit a Lambda with a two-minute timeout.</summary>
public sealed record SlackNotifierOptions
{
    /// <summary>Messages per second per webhook (Slack: about one). Per process: the stack divides it by the consumer concurrency.</summary>
    public double RatePerSecond { get; init; } = 1;

    /// <summary>Attempts per message, the first included.</summary>
    public int MaxAttempts { get; init; } = 5;

    /// <summary>Timeout of one POST.</summary>
    public TimeSpan AttemptTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>First backoff after a 5xx or timeout; doubles each attempt, with full jitter, up to <see cref="MaxBackoff"/>.</summary>
    public TimeSpan BaseBackoff { get; init; } = TimeSpan.FromMilliseconds(500);

    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(8);

    /// <summary>Longest Retry-After honoured in-process; longer ones end the attempt as transient and SQS retries later.</summary>
    public TimeSpan MaxRetryAfter { get; init; } = TimeSpan.FromSeconds(30);
}

/// <summary>
/// Posts Block Kit JSON to one Slack incoming webhook: rate-limited by a token bucket, honouring 429 Retry-After,
/// retrying 5xx and timeouts with bounded exponential backoff and jitter, and treating other 4xx answers as
/// permanent. The webhook URL is a secret: it appears in no log line and no exception message (see <see cref="Redact"/>).
/// The Lambda and the CLI use this same class.
/// </summary>
public sealed class SlackNotifier
{
    private readonly HttpClient _http;
    private readonly Uri _webhook;
    private readonly TimeProvider _clock;
    private readonly TokenBucket _bucket;
    private readonly SlackNotifierOptions _options;
    private readonly Func<double> _jitter;

    public SlackNotifier(HttpClient http, Uri webhook, TimeProvider clock, SlackNotifierOptions? options = null, Func<double>? jitter = null)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(webhook);
        ArgumentNullException.ThrowIfNull(clock);
        if (webhook.Scheme != Uri.UriSchemeHttps && !webhook.IsLoopback)
            throw new ArgumentException("the Slack webhook must be an https URL (http only on loopback, for tests)", nameof(webhook));
        _http = http;
        _webhook = webhook;
        _clock = clock;
        _options = options ?? new SlackNotifierOptions();
        _bucket = new TokenBucket(_options.RatePerSecond, 1, clock);
        _jitter = jitter ?? Random.Shared.NextDouble;
    }

    /// <summary>The webhook as it may be logged: scheme, host and the first path segment only.</summary>
    public string RedactedWebhook => Redact(_webhook.ToString());

    /// <summary>Posts one message; never throws for HTTP or network failures (only for cancellation by the caller).</summary>
    public async Task<SlackDeliveryResult> PostAsync(string payloadJson, string logKey, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(payloadJson);
        var attempt = 0;
        string detail = "";
        int? status = null;
        while (true)
        {
            attempt++;
            await _bucket.TakeAsync(cancellationToken).ConfigureAwait(false);
            TimeSpan? wait;
            using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                timeout.CancelAfter(_options.AttemptTimeout);
                try
                {
                    using var content = new StringContent(payloadJson, Encoding.UTF8, "application/json");
                    using var response = await _http.PostAsync(_webhook, content, timeout.Token).ConfigureAwait(false);
                    status = (int)response.StatusCode;
                    var body = await ReadBodyAsync(response, timeout.Token).ConfigureAwait(false);
                    detail = body;
                    if (response.StatusCode == HttpStatusCode.OK)
                    {
                        // Slack answers exactly "ok"; a 200 with another body is still accepted by Slack.
                        Log.Info("slack.delivered", ("key", logKey), ("attempts", attempt), ("webhook", RedactedWebhook));
                        return new SlackDeliveryResult(SlackDeliveryOutcome.Delivered, status, body, attempt);
                    }
                    if (response.StatusCode == HttpStatusCode.TooManyRequests)
                    {
                        var retryAfter = RetryAfter(response) ?? TimeSpan.FromSeconds(1);
                        Log.Warn("slack.rate_limited", ("key", logKey), ("attempt", attempt), ("retryAfterSeconds", retryAfter.TotalSeconds));
                        if (retryAfter > _options.MaxRetryAfter)
                            return Give(SlackDeliveryOutcome.Transient, status, $"429 Retry-After {retryAfter.TotalSeconds:0}s exceeds the in-process limit", attempt, logKey);
                        wait = retryAfter;
                    }
                    else if (status >= 500)
                    {
                        Log.Warn("slack.server_error", ("key", logKey), ("attempt", attempt), ("status", status), ("body", body));
                        wait = Backoff(attempt);
                    }
                    else
                    {
                        // 400 invalid_payload, 403 action_prohibited, 404 no_team / channel_not_found, 410 channel_is_archived:
                        // the same payload to the same webhook will fail the same way.
                        return Give(SlackDeliveryOutcome.Permanent, status, body, attempt, logKey);
                    }
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    status = null;
                    detail = $"timed out after {_options.AttemptTimeout.TotalSeconds:0.###}s";
                    Log.Warn("slack.timeout", ("key", logKey), ("attempt", attempt));
                    wait = Backoff(attempt);
                }
                catch (HttpRequestException ex)
                {
                    status = null;
                    detail = Scrub(ex.Message);
                    Log.Warn("slack.network_error", ("key", logKey), ("attempt", attempt), ("error", detail));
                    wait = Backoff(attempt);
                }
            }
            if (attempt >= _options.MaxAttempts)
                return Give(SlackDeliveryOutcome.Transient, status, detail, attempt, logKey);
            await Task.Delay(wait.Value, _clock, cancellationToken).ConfigureAwait(false);
        }
    }

    private SlackDeliveryResult Give(SlackDeliveryOutcome outcome, int? status, string detail, int attempts, string logKey)
    {
        var message = outcome == SlackDeliveryOutcome.Permanent ? "slack.rejected_permanently" : "slack.retries_exhausted";
        Log.Error(message, null, ("key", logKey), ("status", status), ("slackError", detail), ("attempts", attempts), ("webhook", RedactedWebhook));
        return new SlackDeliveryResult(outcome, status, detail, attempts);
    }

    /// <summary>Full-jitter exponential backoff: uniform in [0, min(max, base·2^(attempt-1))], at least 1 ms.</summary>
    internal TimeSpan Backoff(int attempt)
    {
        var ceiling = Math.Min(_options.MaxBackoff.TotalMilliseconds, _options.BaseBackoff.TotalMilliseconds * Math.Pow(2, attempt - 1));
        return TimeSpan.FromMilliseconds(Math.Max(1, ceiling * _jitter()));
    }

    private TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        var header = response.Headers.RetryAfter;
        if (header?.Delta is { } delta) return delta < TimeSpan.Zero ? TimeSpan.Zero : delta;
        if (header?.Date is { } date)
        {
            var delay = date - _clock.GetUtcNow();
            return delay < TimeSpan.Zero ? TimeSpan.Zero : delay;
        }
        // Some proxies send a fractional or malformed value; read seconds leniently.
        if (response.Headers.TryGetValues("Retry-After", out var values)
            && double.TryParse(values.FirstOrDefault(), NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds >= 0)
            return TimeSpan.FromSeconds(seconds);
        return null;
    }

    private static async Task<string> ReadBodyAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        body = body.Trim();
        return body.Length > 500 ? body[..500] + "…" : body;
    }

    private string Scrub(string text) => text.Replace(_webhook.ToString(), RedactedWebhook, StringComparison.Ordinal)
        .Replace(_webhook.AbsolutePath, "/***", StringComparison.Ordinal);

    /// <summary>
    /// Hides the secret part of a webhook URL (<c>https://hooks.slack.com/services/T-EXAMPLE/B-EXAMPLE/XXXX</c> →
    /// <c>https://hooks.slack.com/services/***</c>). Anything that is not a URL is hidden entirely.
    /// </summary>
    public static string Redact(string? url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri)) return "***";
        var first = uri.AbsolutePath.Split('/', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
        return first is null ? $"{uri.Scheme}://{uri.Authority}/***" : $"{uri.Scheme}://{uri.Authority}/{first}/***";
    }
}
