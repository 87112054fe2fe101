using System.Net;
using System.Net.Sockets;
using System.Text;

namespace IsmsServerless.Tests.Robustness;

/// <summary>What the proxy does with one request.</summary>
public enum Fault
{
    /// <summary>Forward to the real endpoint and return its answer.</summary>
    None,
    /// <summary>400 ThrottlingException, without forwarding (DynamoDB's control-plane/on-demand throttle body).</summary>
    Throttling,
    /// <summary>400 ProvisionedThroughputExceededException, without forwarding.</summary>
    ThroughputExceeded,
    /// <summary>500 InternalServerError, without forwarding.</summary>
    InternalError,
    /// <summary>503 ServiceUnavailable, without forwarding.</summary>
    Unavailable,
    /// <summary>Connection reset before the request reaches the store.</summary>
    DropBeforeForward,
    /// <summary>
    /// The store applies the request, then the connection is reset before the answer arrives: the nastiest case, as the
    /// client retries a write that already happened.
    /// </summary>
    DropAfterForward,
    /// <summary>The store applies the request, then the client gets a 500 instead of the answer.</summary>
    ErrorAfterForward,
}

/// <summary>
/// An HTTP proxy on 127.0.0.1 in front of a real endpoint (DynamoDB Local, a Slack stand-in) that injects faults: a
/// deterministic pseudo-random choice per request from <see cref="FaultPlan"/>. Counts what it injected, so a test can
/// show its faults actually happened.
/// </summary>
public sealed class FaultProxy : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly HttpClient _upstream = new(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false, AutomaticDecompression = DecompressionMethods.None });
    private readonly Uri _target;
    private readonly Func<int, Fault> _plan;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly int[] _counts = new int[Enum.GetValues<Fault>().Length];
    private int _requests;

    public FaultProxy(Uri target, Func<int, Fault> plan)
    {
        _target = target;
        _plan = plan;
        var port = FreePort();
        Endpoint = $"http://127.0.0.1:{port}";
        _listener.Prefixes.Add(Endpoint + "/");
        _listener.Start();
        _loop = Task.Run(ServeAsync);
    }

    public string Endpoint { get; }

    public int Requests => Volatile.Read(ref _requests);

    public int Injected(Fault fault) => Volatile.Read(ref _counts[(int)fault]);

    public int InjectedTotal => Enum.GetValues<Fault>().Where(f => f != Fault.None).Sum(Injected);

    /// <summary>Faults off: everything is forwarded (a test's setup and final read-back).</summary>
    public bool Enabled { get; set; } = true;

    public string Summary => string.Join(", ", Enum.GetValues<Fault>().Select(f => $"{f}={Injected(f)}"));

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
            _ = Task.Run(() => HandleAsync(context));
        }
    }

    private async Task HandleAsync(HttpListenerContext context)
    {
        var number = Interlocked.Increment(ref _requests);
        var fault = Enabled ? _plan(number) : Fault.None;
        Interlocked.Increment(ref _counts[(int)fault]);
        try
        {
            switch (fault)
            {
                case Fault.Throttling:
                    await AnswerAsync(context, 400, "com.amazonaws.dynamodb.v20120810#ThrottlingException", "Rate of requests exceeds the allowed throughput.").ConfigureAwait(false);
                    return;
                case Fault.ThroughputExceeded:
                    await AnswerAsync(context, 400, "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
                        "The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.").ConfigureAwait(false);
                    return;
                case Fault.InternalError:
                    await AnswerAsync(context, 500, "com.amazonaws.dynamodb.v20120810#InternalServerError", "Internal server error").ConfigureAwait(false);
                    return;
                case Fault.Unavailable:
                    await AnswerAsync(context, 503, "com.amazonaws.dynamodb.v20120810#ServiceUnavailableException", "Service unavailable").ConfigureAwait(false);
                    return;
                case Fault.DropBeforeForward:
                    context.Response.Abort();
                    return;
            }
            using var forwarded = await ForwardAsync(context.Request).ConfigureAwait(false);
            var body = await forwarded.Content.ReadAsByteArrayAsync().ConfigureAwait(false);
            if (fault == Fault.DropAfterForward)
            {
                context.Response.Abort();
                return;
            }
            if (fault == Fault.ErrorAfterForward)
            {
                await AnswerAsync(context, 500, "com.amazonaws.dynamodb.v20120810#InternalServerError", "Internal server error").ConfigureAwait(false);
                return;
            }
            context.Response.StatusCode = (int)forwarded.StatusCode;
            foreach (var header in forwarded.Headers.Concat(forwarded.Content.Headers))
            {
                if (header.Key is "Transfer-Encoding" or "Content-Length" or "Connection" or "Server" or "Date") continue;
                context.Response.Headers[header.Key] = string.Join(',', header.Value);
            }
            context.Response.ContentLength64 = body.Length;
            await context.Response.OutputStream.WriteAsync(body).ConfigureAwait(false);
            context.Response.Close();
        }
        catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or IOException or HttpRequestException or InvalidOperationException)
        {
            // The client gave up or the proxy is stopping; the client sees a broken connection, which is itself a fault.
            try
            {
                context.Response.Abort();
            }
            catch (ObjectDisposedException)
            {
            }
        }
    }

    private async Task<HttpResponseMessage> ForwardAsync(HttpListenerRequest request)
    {
        using var body = new MemoryStream();
        await request.InputStream.CopyToAsync(body).ConfigureAwait(false);
        var message = new HttpRequestMessage(new HttpMethod(request.HttpMethod), new Uri(_target, request.Url!.PathAndQuery))
        {
            Content = new ByteArrayContent(body.ToArray()),
        };
        foreach (var name in request.Headers.AllKeys.OfType<string>())
        {
            var value = request.Headers[name]!;
            if (name.Equals("Host", StringComparison.OrdinalIgnoreCase) || name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase)
                || name.Equals("Connection", StringComparison.OrdinalIgnoreCase) || name.Equals("Expect", StringComparison.OrdinalIgnoreCase)) continue;
            if (!message.Headers.TryAddWithoutValidation(name, value)) message.Content.Headers.TryAddWithoutValidation(name, value);
        }
        // SigV4 signs the Host header; DynamoDB Local does not check signatures, but keep what the client signed.
        message.Headers.Host = request.Headers["Host"];
        return await _upstream.SendAsync(message).ConfigureAwait(false);
    }

    private static async Task AnswerAsync(HttpListenerContext context, int status, string type, string text)
    {
        var bytes = Encoding.UTF8.GetBytes($"{{\"__type\":\"{type}\",\"message\":\"{text}\"}}");
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/x-amz-json-1.0";
        context.Response.Headers["x-amzn-RequestId"] = Guid.NewGuid().ToString("N");
        context.Response.ContentLength64 = bytes.Length;
        await context.Response.OutputStream.WriteAsync(bytes).ConfigureAwait(false);
        context.Response.Close();
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
        try
        {
            await _loop;
        }
        catch (ObjectDisposedException)
        {
        }
        _upstream.Dispose();
        _stop.Dispose();
    }
}

/// <summary>Deterministic fault schedules: the same seed injects the same faults at the same request numbers.</summary>
public static class FaultPlan
{
    /// <summary>
    /// <paramref name="rate"/> of requests get a fault, drawn evenly from <paramref name="faults"/>. Several faults can hit
    /// one operation in a row; the SDK's retries absorb most, and callers retry whole events, as EventBridge and SQS do.
    /// </summary>
    public static Func<int, Fault> Random(double rate, int seed, params Fault[] faults) => number =>
    {
        var hash = SplitMix((ulong)seed << 32 ^ (uint)number);
        var draw = (hash % 10_000) / 10_000.0;
        return draw < rate ? faults[(int)((hash / 10_000) % (ulong)faults.Length)] : Fault.None;
    };

    // string.GetHashCode and HashCode are randomized per process; this one is stable.
    private static ulong SplitMix(ulong x)
    {
        x += 0x9E3779B97F4A7C15;
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EB;
        return x ^ (x >> 31);
    }
}
