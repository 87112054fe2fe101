using System.Net;
using Amazon.Runtime;
using Amazon.S3;

namespace IsmsServerless.Tests.Support;

/// <summary>
/// A real HTTP server on 127.0.0.1 answering S3's GetObject (path style: <c>GET /&lt;bucket&gt;/&lt;key&gt;</c>) from files on
/// disk, streamed in 64 KB writes without buffering the object, so the real <see cref="AmazonS3Client"/> (signing,
/// response parsing, its response stream) reads it as it would from S3. Unknown objects get S3's NoSuchKey XML error.
/// </summary>
public sealed class S3ObjectServer : IAsyncDisposable
{
    private readonly HttpListener _listener;
    private readonly Task _loop;
    private readonly Dictionary<string, (string Path, string ETag)> _objects = new(StringComparer.Ordinal);
    private int _requests;

    private S3ObjectServer(HttpListener listener, string url)
    {
        _listener = listener;
        Url = url;
        _loop = Task.Run(LoopAsync);
    }

    public string Url { get; }

    public int Requests => Volatile.Read(ref _requests);

    private long _cutAfter = -1;

    /// <summary>
    /// The next GetObject sends only this many bytes of the object and then resets the connection (S3 connection reset
    /// mid-body, as a Lambda sees it); later requests are served whole.
    /// </summary>
    public void CutNextResponseAfter(long bytes) => Interlocked.Exchange(ref _cutAfter, bytes);

    public static S3ObjectServer Start()
    {
        for (var attempt = 0; ; attempt++)
        {
            var url = $"http://127.0.0.1:{Random.Shared.Next(20_000, 60_000)}/";
            var listener = new HttpListener();
            listener.Prefixes.Add(url);
            try
            {
                listener.Start();
                return new S3ObjectServer(listener, url);
            }
            catch (HttpListenerException) when (attempt < 20)
            {
                listener.Close();
            }
        }
    }

    /// <summary>Serves <paramref name="path"/> as s3://bucket/key.</summary>
    public void Put(string bucket, string key, string path)
    {
        string etag;
#pragma warning disable CA5351 // The ETag S3 returns is the MD5 of the object by protocol; nothing here relies on it for security.
        using (var file = File.OpenRead(path)) etag = Convert.ToHexStringLower(System.Security.Cryptography.MD5.HashData(file));
#pragma warning restore CA5351
        lock (_objects) _objects[$"/{bucket}/{key}"] = (path, etag);
    }

    public IAmazonS3 CreateClient() => new AmazonS3Client(new BasicAWSCredentials("AKIDEXAMPLE", "test-secret"), new AmazonS3Config
    {
        ServiceURL = Url,
        ForcePathStyle = true,
        AuthenticationRegion = "us-east-2",
        MaxErrorRetry = 0,
    });

    private async Task LoopAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }
            _ = Task.Run(() => ServeAsync(context));
        }
    }

    private async Task ServeAsync(HttpListenerContext context)
    {
        Interlocked.Increment(ref _requests);
        var response = context.Response;
        try
        {
            var path = Uri.UnescapeDataString(context.Request.Url!.AbsolutePath);
            (string Path, string ETag) entry;
            bool found;
            lock (_objects) found = _objects.TryGetValue(path, out entry);
            if (context.Request.HttpMethod != "GET" || !found)
            {
                response.StatusCode = 404;
                response.ContentType = "application/xml";
                var body = System.Text.Encoding.UTF8.GetBytes("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>");
                await response.OutputStream.WriteAsync(body).ConfigureAwait(false);
                return;
            }
            // S3's ETag for a single-part upload is the object's MD5, which the SDK checks against what it read.
            var info = new FileInfo(entry.Path);
            response.StatusCode = 200;
            response.ContentType = "application/octet-stream";
            response.ContentLength64 = info.Length;
            response.Headers["ETag"] = $"\"{entry.ETag}\"";
            response.Headers["Last-Modified"] = info.LastWriteTimeUtc.ToString("R");
            await using var stream = info.OpenRead();
            var cut = Interlocked.Exchange(ref _cutAfter, -1);
            if (cut >= 0)
            {
                var buffer = new byte[cut];
                var read = await stream.ReadAtLeastAsync(buffer, (int)cut, throwOnEndOfStream: false).ConfigureAwait(false);
                await response.OutputStream.WriteAsync(buffer.AsMemory(0, read)).ConfigureAwait(false);
                await response.OutputStream.FlushAsync().ConfigureAwait(false);
                response.Abort();
                return;
            }
            await stream.CopyToAsync(response.OutputStream, 64 * 1024).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is HttpListenerException or IOException or ObjectDisposedException)
        {
            // The client went away (a test cancelled or failed); nothing to serve.
        }
        finally
        {
            try { response.Close(); } catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException) { }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        _listener.Close();
        try { await _loop.ConfigureAwait(false); } catch (ObjectDisposedException) { }
    }
}
