using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Amazon.DynamoDBv2;
using Amazon.Runtime;

namespace IsmsServerless.Cli.Local;

/// <summary>
/// Starts and stops the official DynamoDB Local jar on a free loopback port. Used by the tests' fixture, by
/// <c>./isms replay</c>/<c>serve</c> when no endpoint is given, and by the local run. Fetches the jar (and Java)
/// through <c>scripts/dynamodb-local.sh fetch</c> the first time.
/// </summary>
public sealed class DynamoDbLocal : IAsyncDisposable
{
    private readonly Process _process;

    private DynamoDbLocal(Process process, int port)
    {
        _process = process;
        Port = port;
    }

    public int Port { get; }

    public string Endpoint => $"http://127.0.0.1:{Port}";

    /// <summary>Starts an instance. <paramref name="dataDirectory"/> null means in-memory; otherwise data persists there.</summary>
    public static async Task<DynamoDbLocal> StartAsync(string? dataDirectory = null, CancellationToken cancellationToken = default)
    {
        var emulator = await EnsureEmulatorAsync(cancellationToken).ConfigureAwait(false);
        var port = FreePort();
        var start = new ProcessStartInfo("java")
        {
            WorkingDirectory = emulator,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "-Xmx1g", "-Djava.library.path=DynamoDBLocal_lib", "-jar", "DynamoDBLocal.jar", "-sharedDb", "-port", port.ToString(System.Globalization.CultureInfo.InvariantCulture) })
            start.ArgumentList.Add(arg);
        if (dataDirectory is null)
        {
            start.ArgumentList.Add("-inMemory");
        }
        else
        {
            Directory.CreateDirectory(dataDirectory);
            start.ArgumentList.Add("-dbPath");
            start.ArgumentList.Add(Path.GetFullPath(dataDirectory));
        }
        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start java for DynamoDB Local");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var local = new DynamoDbLocal(process, port);
        try
        {
            await local.WaitUntilReadyAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await local.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        return local;
    }

    /// <summary>A client for this instance. DynamoDB Local accepts any credentials; the region only names the data.</summary>
    public IAmazonDynamoDB CreateClient() => CreateClient(Endpoint);

    public static IAmazonDynamoDB CreateClient(string endpoint) => new AmazonDynamoDBClient(
        new BasicAWSCredentials("local", "local"),
        new AmazonDynamoDBConfig { ServiceURL = endpoint, AuthenticationRegion = "us-east-1", MaxErrorRetry = 8 });

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync().ConfigureAwait(false);
            }
        }
        catch (InvalidOperationException)
        {
        }
        _process.Dispose();
    }

    private async Task WaitUntilReadyAsync(CancellationToken cancellationToken)
    {
        using var client = CreateClient();
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (true)
        {
            if (_process.HasExited) throw new InvalidOperationException($"DynamoDB Local exited with code {_process.ExitCode} before it was ready");
            try
            {
                await client.ListTablesAsync(new Amazon.DynamoDBv2.Model.ListTablesRequest(), cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (Exception ex) when (ex is AmazonServiceException or HttpRequestException or IOException or SocketException or AmazonClientException)
            {
                if (DateTime.UtcNow > deadline) throw new TimeoutException("DynamoDB Local did not answer within 90 seconds", ex);
                await Task.Delay(200, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task<string> EnsureEmulatorAsync(CancellationToken cancellationToken)
    {
        var root = RepositoryRoot.Find();
        var dir = Environment.GetEnvironmentVariable("ISMS_DYNAMODB_LOCAL_DIR") is { Length: > 0 } custom
            ? Path.Combine(custom, "emulator")
            : Path.Combine(root, ".cache", "dynamodb-local", "emulator");
        if (File.Exists(Path.Combine(dir, "DynamoDBLocal.jar"))) return dir;
        var fetch = new ProcessStartInfo("bash") { UseShellExecute = false, RedirectStandardOutput = true };
        fetch.ArgumentList.Add(Path.Combine(root, "scripts", "dynamodb-local.sh"));
        fetch.ArgumentList.Add("fetch");
        using var process = Process.Start(fetch) ?? throw new InvalidOperationException("could not run scripts/dynamodb-local.sh");
        var output = await process.StandardOutput.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
        await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        if (process.ExitCode != 0) throw new InvalidOperationException($"scripts/dynamodb-local.sh fetch failed with exit code {process.ExitCode}");
        var fetched = output.Trim().Split('\n').Last().Trim();
        return File.Exists(Path.Combine(fetched, "DynamoDBLocal.jar")) ? fetched : dir;
    }
}

/// <summary>Finds the repository root (the folder holding IsmsServerless.sln) from the current or the program's folder.</summary>
public static class RepositoryRoot
{
    public static string Find()
    {
        if (Environment.GetEnvironmentVariable("ISMS_REPO_ROOT") is { Length: > 0 } explicitRoot) return explicitRoot;
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "IsmsServerless.sln"))) return dir.FullName;
            }
        }
        throw new InvalidOperationException("cannot find the repository root (IsmsServerless.sln); set ISMS_REPO_ROOT");
    }
}
