using System.Net;
using IsmsServerless.Ledger;
using IsmsServerless.StatusPage;
using IsmsServerless.StatusPage.Auth;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace IsmsServerless.Cli.Local;

/// <summary>
/// Hosts the status page's <see cref="StatusRouter"/> on Kestrel at 127.0.0.1 with the development issuer: the same
/// router, views and token validation as the Lambda; only the issuer differs (a local RSA key, its JWKS served here and
/// fetched over HTTP by the validator, exactly as Cognito's would be).
/// </summary>
public sealed class StatusServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly LocalIssuer _issuer;
    private readonly JwksKeySource _keys;
    private readonly HttpClient _http;

    private StatusServer(WebApplication app, LocalIssuer issuer, JwksKeySource keys, HttpClient http, Uri url)
    {
        _app = app;
        _issuer = issuer;
        _keys = keys;
        _http = http;
        Url = url;
    }

    public Uri Url { get; }

    /// <summary>Issues development tokens (tests use it directly; the page uses <c>POST /local/token</c>).</summary>
    public LocalIssuer Issuer => _issuer;

    public static async Task<StatusServer> StartAsync(StatusPageServices services, int port, TimeProvider clock, CancellationToken cancellationToken = default)
    {
        if (port == 0) port = FreePort();
        var url = new Uri($"http://127.0.0.1:{port}");
        var origin = url.GetLeftPart(UriPartial.Authority);
        var issuer = new LocalIssuer(origin + "/local", clock);
        var auth = new AuthOptions { Issuer = issuer.Issuer, ClientId = LocalIssuer.ClientId, JwksUri = new Uri(origin + "/local/jwks.json") };
        var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var keys = new JwksKeySource(http, auth.JwksUri, clock);
        var router = new StatusRouter(services, new StatusPageOptions
            {
                Auth = auth,
                PublicScheme = "http",
                LocalSignIn = true,
                // DNS rebinding: only loopback names on our port, and the Origin computed from them, never from Host.
                AllowedHosts = LoopbackHosts(port),
                AllowedOrigins = [.. LoopbackHosts(port).Select(h => "http://" + h)],
            },
            new TokenValidator(auth, keys, clock), clock, issuer);

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = StatusRequest.MaxBodyBytes + 1;
            // Loopback only: the development issuer signs tokens for anyone who asks.
            kestrel.Listen(IPAddress.Loopback, port, listen => listen.Protocols = HttpProtocols.Http1AndHttp2);
        });
        var app = builder.Build();
        app.Run(context => HandleAsync(context, router));
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        return new StatusServer(app, issuer, keys, http, url);
    }

    private static async Task HandleAsync(HttpContext context, StatusRouter router)
    {
        var request = context.Request;
        byte[] body;
        try
        {
            using var buffer = new MemoryStream();
            await request.Body.CopyToAsync(buffer, context.RequestAborted).ConfigureAwait(false);
            body = buffer.ToArray();
        }
        catch (Microsoft.AspNetCore.Http.BadHttpRequestException)
        {
            context.Response.StatusCode = StatusCodes.Status413PayloadTooLarge;
            return;
        }
        var query = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, values) in request.Query) query[key] = values.FirstOrDefault() ?? "";
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (key, values) in request.Headers) headers[key] = values.ToString();
        // ToUriComponent re-encodes the decoded path, so the router sees what API Gateway's rawPath would carry.
        var statusRequest = new StatusRequest(request.Method, request.Path.ToUriComponent(), query, headers, body);
        var response = await router.HandleAsync(statusRequest, context.RequestAborted).ConfigureAwait(false);
        context.Response.StatusCode = response.StatusCode;
        context.Response.ContentType = response.ContentType;
        foreach (var (key, value) in response.Headers) context.Response.Headers[key] = value;
        if (!HttpMethods.IsHead(request.Method)) await context.Response.Body.WriteAsync(response.Body, context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>
    /// Completes when the host begins stopping (SIGINT/SIGTERM, which the host's console lifetime takes over) or
    /// <paramref name="cancellationToken"/> is cancelled.
    /// </summary>
    public Task WaitForShutdownAsync(CancellationToken cancellationToken) => _app.WaitForShutdownAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        _keys.Dispose();
        _http.Dispose();
        _issuer.Dispose();
    }

    internal static string[] LoopbackHosts(int port) =>
        [$"127.0.0.1:{port}", $"localhost:{port}", $"[::1]:{port}"];

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
