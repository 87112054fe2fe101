using System.Net;
using System.Text;
using System.Text.Json;
using Amazon.Runtime;
using Amazon.SimpleSystemsManagement;

namespace IsmsServerless.Tests.Support;

/// <summary>
/// A real HTTP server on 127.0.0.1 that speaks SSM's JSON 1.1 protocol (POST /, <c>X-Amz-Target: AmazonSSM.&lt;Op&gt;</c>)
/// and answers from a handler, so the real SDK client, its signing, retries and unmarshalling are exercised.
/// Every request is recorded (operation and body).
/// </summary>
public sealed class SsmReplayServer : IAsyncDisposable
{
    private readonly HttpListener _listener;
    private readonly Func<string, JsonElement, (int Status, string Body)> _handler;
    private readonly Task _loop;
    private readonly List<(string Operation, JsonElement Body)> _requests = [];

    private SsmReplayServer(HttpListener listener, string url, Func<string, JsonElement, (int Status, string Body)> handler)
    {
        _listener = listener;
        Url = url;
        _handler = handler;
        _loop = Task.Run(LoopAsync);
    }

    public string Url { get; }

    public IReadOnlyList<(string Operation, JsonElement Body)> Requests
    {
        get { lock (_requests) return [.. _requests]; }
    }

    /// <summary>Starts on a free loopback port. The handler gets the operation name and the request JSON.</summary>
    public static SsmReplayServer Start(Func<string, JsonElement, (int Status, string Body)> handler)
    {
        for (var attempt = 0; ; attempt++)
        {
            var port = Random.Shared.Next(20_000, 60_000);
            var url = $"http://127.0.0.1:{port}/";
            var listener = new HttpListener();
            listener.Prefixes.Add(url);
            try
            {
                listener.Start();
                return new SsmReplayServer(listener, url, handler);
            }
            catch (HttpListenerException) when (attempt < 20)
            {
                listener.Close();
            }
        }
    }

    /// <summary>The real SDK client, pointed at this server, with fast standard-mode retries.</summary>
    public IAmazonSimpleSystemsManagement CreateClient(int maxErrorRetry = 3) => new AmazonSimpleSystemsManagementClient(
        new BasicAWSCredentials("AKIDEXAMPLE", "test-secret"),
        new AmazonSimpleSystemsManagementConfig
        {
            ServiceURL = Url,
            AuthenticationRegion = "us-east-1",
            MaxErrorRetry = maxErrorRetry,
            RetryMode = RequestRetryMode.Standard,
            Timeout = TimeSpan.FromSeconds(20),
        });

    /// <summary>A JSON 1.1 error body, as SSM sends it.</summary>
    public static string Error(string type, string message) =>
        JsonSerializer.Serialize(new Dictionary<string, string> { ["__type"] = type, ["message"] = message });

    private async Task LoopAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }
            try
            {
                var target = context.Request.Headers["X-Amz-Target"] ?? "";
                var operation = target.StartsWith("AmazonSSM.", StringComparison.Ordinal) ? target["AmazonSSM.".Length..] : target;
                using var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8);
                var text = await reader.ReadToEndAsync();
                var body = JsonDocument.Parse(string.IsNullOrEmpty(text) ? "{}" : text).RootElement.Clone();
                lock (_requests) _requests.Add((operation, body));
                var (status, response) = context.Request.HttpMethod == "POST" && context.Request.ContentType?.Contains("application/x-amz-json-1.1", StringComparison.Ordinal) == true
                    ? _handler(operation, body)
                    : (400, Error("ValidationException", "expected a JSON 1.1 POST"));
                var bytes = Encoding.UTF8.GetBytes(response);
                context.Response.StatusCode = status;
                context.Response.ContentType = "application/x-amz-json-1.1";
                context.Response.Headers["x-amzn-RequestId"] = Guid.NewGuid().ToString();
                context.Response.ContentLength64 = bytes.Length;
                await context.Response.OutputStream.WriteAsync(bytes);
                context.Response.Close();
            }
            catch (Exception ex) when (ex is HttpListenerException or IOException or JsonException)
            {
                context.Response.Abort();
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        _listener.Close();
        try
        {
            await _loop;
        }
        catch (ObjectDisposedException)
        {
        }
    }
}
