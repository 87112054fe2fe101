using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace IsmsServerless.Tests.Support;

/// <summary>One scripted answer of the Slack stand-in.</summary>
public sealed record SlackReply(int Status, string Body, string? RetryAfter = null, TimeSpan? Delay = null)
{
    public static SlackReply Ok => new(200, "ok");
}

/// <summary>
/// A real HTTP server on 127.0.0.1 that plays a Slack incoming webhook: it answers from a script (the last reply
/// repeats) and records every request body. Bodies follow Slack's documented plain-text answers (../shared/fixtures/events/slack).
/// </summary>
public sealed class SlackTestServer : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly ConcurrentQueue<SlackReply> _script = new();
    private readonly Task _loop;
    private readonly CancellationTokenSource _stop = new();
    private SlackReply _last = SlackReply.Ok;

    public SlackTestServer(params SlackReply[] script)
    {
        foreach (var reply in script) _script.Enqueue(reply);
        var port = FreePort();
        // A path shaped like a real webhook, so redaction is tested on something realistic.
        WebhookUrl = new Uri($"http://127.0.0.1:{port}/services/T0TESTTEAM/B0TESTHOOK/S3cr3tT0kenValue");
        _listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        _listener.Start();
        _loop = Task.Run(ServeAsync);
    }

    public Uri WebhookUrl { get; }

    public const string SecretPart = "S3cr3tT0kenValue";

    public ConcurrentQueue<string> Bodies { get; } = new();

    public int Requests => Bodies.Count;

    private async Task ServeAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync().ConfigureAwait(false);
            }
            catch (Exception) when (_stop.IsCancellationRequested || !_listener.IsListening)
            {
                return;
            }
            _ = Task.Run(() => AnswerAsync(context));
        }
    }

    private async Task AnswerAsync(HttpListenerContext context)
    {
        try
        {
            using (var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8))
                Bodies.Enqueue(await reader.ReadToEndAsync().ConfigureAwait(false));
            var reply = _script.TryDequeue(out var next) ? _last = next : _last;
            if (reply.Delay is { } delay) await Task.Delay(delay).ConfigureAwait(false);
            context.Response.StatusCode = reply.Status;
            context.Response.ContentType = "text/html";
            if (reply.RetryAfter is not null) context.Response.AddHeader("Retry-After", reply.RetryAfter);
            var bytes = Encoding.UTF8.GetBytes(reply.Body);
            await context.Response.OutputStream.WriteAsync(bytes).ConfigureAwait(false);
            context.Response.Close();
        }
        catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or IOException)
        {
            // The client gave up (timeout test) or the server is stopping.
        }
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        _listener.Close();
        await _loop;
        _stop.Dispose();
    }
}
