using System.Globalization;
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
    /// <summary>429 Too Many Requests with <c>Retry-After: 1</c> and an empty body, as Slack's webhooks rate-limit.</summary>
    RateLimited,
    /// <summary>400 TransactionConflictException, without forwarding (a write to an item a transaction holds).</summary>
    TransactionConflict,
}

/// <summary>
/// An HTTP/1.1 proxy on 127.0.0.1 in front of a real endpoint (DynamoDB Local, a Slack stand-in) that injects faults: a
/// deterministic pseudo-random choice per request from <see cref="FaultPlan"/>. Written on raw sockets so a "dropped
/// connection" is a real TCP reset (linger 0), not an empty answer. Counts what it injected, so a test can show its
/// faults actually happened.
/// </summary>
public sealed class FaultProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly HttpClient _upstream = new(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false, AutomaticDecompression = DecompressionMethods.None });
    private readonly Uri _target;
    private readonly Func<int, string, byte[], Fault> _plan;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly int[] _counts = new int[Enum.GetValues<Fault>().Length];
    private int _requests;

    public FaultProxy(Uri target, Func<int, Fault> plan)
        : this(target, (number, _, _) => plan(number))
    {
    }

    /// <summary>
    /// A proxy whose plan sees each request: its number, its operation (the <c>X-Amz-Target</c> header, e.g.
    /// <c>DynamoDB_20120810.PutItem</c>) and its body, so a test can fault one exact write (the alert put after a transaction).
    /// </summary>
    public FaultProxy(Uri target, Func<int, string, byte[], Fault> plan)
    {
        _target = target;
        _plan = plan;
        _listener.Start();
        Endpoint = $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";
        _loop = Task.Run(AcceptAsync);
    }

    public string Endpoint { get; }

    public int Requests => Volatile.Read(ref _requests);

    public int Injected(Fault fault) => Volatile.Read(ref _counts[(int)fault]);

    /// <summary>Faults off: everything is forwarded.</summary>
    public bool Enabled { get; set; } = true;

    public string Summary => string.Join(", ", Enum.GetValues<Fault>().Select(f => $"{f}={Injected(f)}"));

    /// <summary>
    /// An answer given instead of forwarding (operation, request body → response body, or null to forward): a test serves a
    /// stale read this way, the answer the store really gave earlier (<see cref="Observe"/>), as an eventually consistent
    /// read may.
    /// </summary>
    public Func<string, byte[], byte[]?>? Answer { get; set; }

    /// <summary>Sees every forwarded request and its answer (operation, request body, response body).</summary>
    public Action<string, byte[], byte[]>? Observe { get; set; }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptSocketAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException)
            {
                continue;
            }
            _ = Task.Run(() => ServeConnectionAsync(socket));
        }
    }

    private async Task ServeConnectionAsync(Socket socket)
    {
        using var stream = new NetworkStream(socket, ownsSocket: true);
        var reader = new RequestReader(stream);
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var request = await reader.ReadAsync(_stop.Token).ConfigureAwait(false);
                if (request is null) return;
                var number = Interlocked.Increment(ref _requests);
                var operation = request.Headers.FirstOrDefault(h => h.Name.Equals("X-Amz-Target", StringComparison.OrdinalIgnoreCase)).Value ?? "";
                var fault = Enabled ? _plan(number, operation, request.Body) : Fault.None;
                Interlocked.Increment(ref _counts[(int)fault]);
                switch (fault)
                {
                    case Fault.Throttling:
                        await WriteAsync(stream, 400, "application/x-amz-json-1.0", AwsError("ThrottlingException", "Rate of requests exceeds the allowed throughput.")).ConfigureAwait(false);
                        continue;
                    case Fault.ThroughputExceeded:
                        await WriteAsync(stream, 400, "application/x-amz-json-1.0", AwsError("ProvisionedThroughputExceededException",
                            "The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.")).ConfigureAwait(false);
                        continue;
                    case Fault.InternalError:
                        await WriteAsync(stream, 500, "application/x-amz-json-1.0", AwsError("InternalServerError", "Internal server error")).ConfigureAwait(false);
                        continue;
                    case Fault.Unavailable:
                        await WriteAsync(stream, 503, "application/x-amz-json-1.0", AwsError("ServiceUnavailableException", "Service unavailable")).ConfigureAwait(false);
                        continue;
                    case Fault.TransactionConflict:
                        await WriteAsync(stream, 400, "application/x-amz-json-1.0", AwsError("TransactionConflictException",
                            "Transaction is ongoing for the item")).ConfigureAwait(false);
                        continue;
                    case Fault.RateLimited:
                        await WriteAsync(stream, 429, "text/plain;charset=utf-8", [], ("Retry-After", "1")).ConfigureAwait(false);
                        continue;
                    case Fault.DropBeforeForward:
                        Reset(socket);
                        return;
                }
                if (fault == Fault.None && Answer?.Invoke(operation, request.Body) is { } answer)
                {
                    await WriteAsync(stream, 200, "application/x-amz-json-1.0", answer).ConfigureAwait(false);
                    continue;
                }
                using var forwarded = await ForwardAsync(request).ConfigureAwait(false);
                var body = await forwarded.Content.ReadAsByteArrayAsync().ConfigureAwait(false);
                if (forwarded.IsSuccessStatusCode) Observe?.Invoke(operation, request.Body, body);
                if (fault == Fault.DropAfterForward)
                {
                    Reset(socket);
                    return;
                }
                if (fault == Fault.ErrorAfterForward)
                {
                    await WriteAsync(stream, 500, "application/x-amz-json-1.0", AwsError("InternalServerError", "Internal server error")).ConfigureAwait(false);
                    continue;
                }
                var headers = forwarded.Headers.Concat(forwarded.Content.Headers)
                    .Where(h => h.Key is not ("Transfer-Encoding" or "Content-Length" or "Connection" or "Keep-Alive"))
                    .Select(h => (h.Key, string.Join(',', h.Value))).ToArray();
                await WriteAsync(stream, (int)forwarded.StatusCode, null, body, headers).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or OperationCanceledException or HttpRequestException or InvalidDataException)
        {
            // The client went away, the upstream failed or the proxy is stopping: the client sees a broken connection.
        }
    }

    /// <summary>Closes with linger 0: the peer gets a TCP RST, exactly what a crashed load balancer or NAT timeout gives.</summary>
    private static void Reset(Socket socket)
    {
        socket.LingerState = new LingerOption(true, 0);
        socket.Close();
    }

    private async Task<HttpResponseMessage> ForwardAsync(ProxiedRequest request)
    {
        var message = new HttpRequestMessage(new HttpMethod(request.Method), new Uri(_target, request.Target)) { Content = new ByteArrayContent(request.Body) };
        foreach (var (name, value) in request.Headers)
        {
            if (name.Equals("Host", StringComparison.OrdinalIgnoreCase) || name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase)
                || name.Equals("Connection", StringComparison.OrdinalIgnoreCase) || name.Equals("Expect", StringComparison.OrdinalIgnoreCase)
                || name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase)) continue;
            if (!message.Headers.TryAddWithoutValidation(name, value)) message.Content.Headers.TryAddWithoutValidation(name, value);
        }
        // SigV4 signs the Host header; DynamoDB Local does not check signatures, but keep what the client signed.
        message.Headers.Host = request.Headers.FirstOrDefault(h => h.Name.Equals("Host", StringComparison.OrdinalIgnoreCase)).Value;
        return await _upstream.SendAsync(message).ConfigureAwait(false);
    }

    private static byte[] AwsError(string type, string text) =>
        Encoding.UTF8.GetBytes($"{{\"__type\":\"com.amazonaws.dynamodb.v20120810#{type}\",\"message\":\"{text}\"}}");

    private static async Task WriteAsync(NetworkStream stream, int status, string? contentType, byte[] body, params (string Name, string Value)[] headers)
    {
        var head = new StringBuilder();
        head.Append(CultureInfo.InvariantCulture, $"HTTP/1.1 {status} {ReasonPhrase(status)}\r\n");
        if (contentType is not null) head.Append(CultureInfo.InvariantCulture, $"Content-Type: {contentType}\r\n");
        foreach (var (name, value) in headers) head.Append(CultureInfo.InvariantCulture, $"{name}: {value}\r\n");
        if (contentType is not null) head.Append(CultureInfo.InvariantCulture, $"x-amzn-RequestId: {Guid.NewGuid():N}\r\n");
        head.Append(CultureInfo.InvariantCulture, $"Content-Length: {body.Length}\r\n\r\n");
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head.ToString())).ConfigureAwait(false);
        await stream.WriteAsync(body).ConfigureAwait(false);
        await stream.FlushAsync().ConfigureAwait(false);
    }

    private static string ReasonPhrase(int status) => status switch
    {
        200 => "OK",
        400 => "Bad Request",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Status",
    };

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
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

    private sealed record ProxiedRequest(string Method, string Target, List<(string Name, string Value)> Headers, byte[] Body);

    /// <summary>Reads HTTP/1.1 requests (Content-Length or chunked bodies) from a keep-alive connection.</summary>
    private sealed class RequestReader(NetworkStream stream)
    {
        private readonly byte[] _buffer = new byte[64 * 1024];
        private int _start;
        private int _end;

        public async Task<ProxiedRequest?> ReadAsync(CancellationToken cancellationToken)
        {
            var head = await ReadLineBlockAsync(cancellationToken).ConfigureAwait(false);
            if (head is null) return null;
            var lines = head.Split("\r\n");
            var parts = lines[0].Split(' ');
            if (parts.Length < 3) throw new InvalidDataException("bad request line");
            var headers = lines.Skip(1).Where(l => l.Contains(':', StringComparison.Ordinal))
                .Select(l => (Name: l[..l.IndexOf(':', StringComparison.Ordinal)].Trim(), Value: l[(l.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim())).ToList();
            string? Header(string name) => headers.FirstOrDefault(h => h.Name.Equals(name, StringComparison.OrdinalIgnoreCase)).Value;
            if (Header("Expect")?.Equals("100-continue", StringComparison.OrdinalIgnoreCase) == true)
                await stream.WriteAsync("HTTP/1.1 100 Continue\r\n\r\n"u8.ToArray(), cancellationToken).ConfigureAwait(false);
            byte[] body;
            if (Header("Transfer-Encoding")?.Contains("chunked", StringComparison.OrdinalIgnoreCase) == true)
            {
                using var collected = new MemoryStream();
                while (true)
                {
                    var sizeLine = await ReadLineAsync(cancellationToken).ConfigureAwait(false) ?? throw new InvalidDataException("truncated chunk");
                    var size = Convert.ToInt32(sizeLine.Split(';')[0].Trim(), 16);
                    if (size == 0)
                    {
                        await ReadLineAsync(cancellationToken).ConfigureAwait(false);
                        break;
                    }
                    collected.Write(await ReadExactlyAsync(size, cancellationToken).ConfigureAwait(false));
                    await ReadLineAsync(cancellationToken).ConfigureAwait(false);
                }
                body = collected.ToArray();
            }
            else
            {
                body = await ReadExactlyAsync(int.Parse(Header("Content-Length") ?? "0", CultureInfo.InvariantCulture), cancellationToken).ConfigureAwait(false);
            }
            return new ProxiedRequest(parts[0], parts[1], headers, body);
        }

        private async Task<string?> ReadLineBlockAsync(CancellationToken cancellationToken)
        {
            var text = new StringBuilder();
            while (true)
            {
                var line = await ReadLineAsync(cancellationToken).ConfigureAwait(false);
                if (line is null) return text.Length == 0 ? null : throw new InvalidDataException("truncated headers");
                if (line.Length == 0) return text.Length == 0 ? await ReadLineBlockAsync(cancellationToken).ConfigureAwait(false) : text.ToString().TrimEnd('\r', '\n');
                text.Append(line).Append("\r\n");
            }
        }

        private async Task<string?> ReadLineAsync(CancellationToken cancellationToken)
        {
            var line = new List<byte>();
            while (true)
            {
                if (_start == _end && !await FillAsync(cancellationToken).ConfigureAwait(false)) return line.Count == 0 ? null : Encoding.ASCII.GetString([.. line]);
                var b = _buffer[_start++];
                if (b == (byte)'\n') return Encoding.ASCII.GetString([.. line]).TrimEnd('\r');
                line.Add(b);
            }
        }

        private async Task<byte[]> ReadExactlyAsync(int count, CancellationToken cancellationToken)
        {
            var result = new byte[count];
            var filled = 0;
            while (filled < count)
            {
                if (_start == _end && !await FillAsync(cancellationToken).ConfigureAwait(false)) throw new InvalidDataException("truncated body");
                var take = Math.Min(count - filled, _end - _start);
                Array.Copy(_buffer, _start, result, filled, take);
                _start += take;
                filled += take;
            }
            return result;
        }

        private async Task<bool> FillAsync(CancellationToken cancellationToken)
        {
            _start = 0;
            _end = await stream.ReadAsync(_buffer, cancellationToken).ConfigureAwait(false);
            return _end > 0;
        }
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
