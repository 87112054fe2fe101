using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Runtime.Loader;
using System.Text;
using System.Text.Json;

namespace IsmsServerless.ColdStart;

/// <summary>
/// What the Lambda runtime client does for one invocation, minus the HTTP polling: split the handler string
/// <c>Assembly::Namespace.Type::Method</c>, load the assembly from the task root, construct the type, call the method with
/// the event as a <see cref="Stream"/>, and read the response. Prints one JSON line with the timings and peak RSS.
/// </summary>
public static class HandlerHost
{
    /// <summary>Set by the driver: <see cref="Stopwatch.GetTimestamp"/> just before it started this process.</summary>
    public const string LaunchTimestampVariable = "ISMS_COLDSTART_LAUNCH_TIMESTAMP";

    public static int Hello()
    {
        var response = "hello, world";
        WriteResult(response, mainToResponse: TimeSpan.Zero);
        return 0;
    }

    /// <summary>
    /// One cold invocation. With <paramref name="split"/>, the host also times the phases (printed as <c>phases</c>):
    /// it touches the function's per-process services in the order the first invocation builds them
    /// (<c>FunctionHost.Settings</c> and <c>.Engine</c>: our code; <c>FunctionHost.Dynamo</c>: the AWS SDK client) before
    /// calling the handler, and times the handler's HTTP requests to DynamoDB with the runtime's own
    /// <c>System.Net.Http</c> events. The split run does the same work as the plain one, in a fixed order.
    /// </summary>
    public static async Task<int> InvokeOnceAsync(string handler, string eventFile, bool split = false)
    {
        var main = Stopwatch.StartNew();
        var mainAt = Stopwatch.GetTimestamp();
        using var requests = split ? new HttpRequestTimer() : null;
        var parts = handler.Split("::");
        if (parts.Length != 3) throw new ArgumentException($"handler '{handler}' is not Assembly::Namespace.Type::Method");
        var (assemblyName, typeName, methodName) = (parts[0], parts[1], parts[2]);

        // Lambda's task root holds the function's assemblies; the runtime client resolves them from there.
        var taskRoot = Environment.GetEnvironmentVariable("LAMBDA_TASK_ROOT") is { Length: > 0 } root ? root : Directory.GetCurrentDirectory();
        AssemblyLoadContext.Default.Resolving += (context, name) =>
        {
            var candidate = Path.Combine(taskRoot, name.Name + ".dll");
            return File.Exists(candidate) ? context.LoadFromAssemblyPath(candidate) : null;
        };
        var assembly = AssemblyLoadContext.Default.LoadFromAssemblyName(new AssemblyName(assemblyName));
        var type = assembly.GetType(typeName, throwOnError: true)!;
        var method = type.GetMethod(methodName, BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static, [typeof(Stream)])
            ?? throw new MissingMethodException(typeName, methodName);
        var instance = method.IsStatic ? null : Activator.CreateInstance(type);
        var loadedAt = Stopwatch.GetTimestamp();
        long servicesAt = loadedAt, sdkAt = loadedAt;
        if (split)
        {
            var host = assembly.GetType("IsmsServerless.Functions.FunctionHost", throwOnError: true)!;
            object? Touch(string name) => host.GetProperty(name, BindingFlags.Public | BindingFlags.Static)!.GetValue(null);
            _ = Touch("Settings");
            _ = Touch("Engine");
            servicesAt = Stopwatch.GetTimestamp();
            _ = Touch("Dynamo");
            sdkAt = Stopwatch.GetTimestamp();
        }

        await using var input = new MemoryStream(await File.ReadAllBytesAsync(eventFile).ConfigureAwait(false));
        var invokedAt = Stopwatch.GetTimestamp();
        var invoked = method.Invoke(instance, [input]);
        Stream output = invoked switch
        {
            Task<Stream> task => await task.ConfigureAwait(false),
            Stream stream => stream,
            _ => throw new InvalidOperationException($"{handler} returned {invoked?.GetType().Name ?? "null"}, not Task<Stream>"),
        };
        using var reader = new StreamReader(output, Encoding.UTF8);
        var response = await reader.ReadToEndAsync().ConfigureAwait(false);
        var doneAt = Stopwatch.GetTimestamp();
        Dictionary<string, double>? phases = null;
        if (requests is not null)
        {
            static double Ms(long from, long to) => Math.Round(Stopwatch.GetElapsedTime(from, to).TotalMilliseconds, 2);
            var (count, requestTicks, firstStart) = requests.Summary();
            var launched = long.TryParse(Environment.GetEnvironmentVariable(LaunchTimestampVariable), NumberStyles.Integer, CultureInfo.InvariantCulture, out var l) ? l : mainAt;
            phases = new Dictionary<string, double>
            {
                ["runtimeStart"] = Ms(launched, mainAt),
                ["loadHandler"] = Ms(mainAt, loadedAt),
                ["settingsAndEngine"] = Ms(loadedAt, servicesAt),
                ["sdkClient"] = Ms(servicesAt, sdkAt),
                ["handlerToFirstRequest"] = Ms(invokedAt, firstStart ?? doneAt),
                ["dynamoRequests"] = count,
                ["dynamoRequestTime"] = Math.Round(Stopwatch.GetElapsedTime(0, requestTicks).TotalMilliseconds, 2),
                ["handlerTotal"] = Ms(invokedAt, doneAt),
            };
        }
        WriteResult(response, main.Elapsed, phases);
        return 0;
    }

    /// <summary>Times HTTP requests (the SDK's calls to DynamoDB) with the runtime's System.Net.Http event source.</summary>
    private sealed class HttpRequestTimer : System.Diagnostics.Tracing.EventListener
    {
        private readonly object _gate = new();
        private readonly Dictionary<int, long> _open = [];
        private long _total;
        private int _count;
        private long? _firstStart;

        protected override void OnEventSourceCreated(System.Diagnostics.Tracing.EventSource eventSource)
        {
            if (eventSource.Name == "System.Net.Http") EnableEvents(eventSource, System.Diagnostics.Tracing.EventLevel.Informational);
        }

        protected override void OnEventWritten(System.Diagnostics.Tracing.EventWrittenEventArgs eventData)
        {
            var now = Stopwatch.GetTimestamp();
            // Requests on one connection do not overlap here (the handler awaits each call), so the thread keys them.
            var key = Environment.CurrentManagedThreadId;
            lock (_gate)
            {
                switch (eventData.EventName)
                {
                    case "RequestStart":
                        _firstStart ??= now;
                        _open[key] = now;
                        break;
                    case "RequestStop":
                        if (_open.Count == 0) break;
                        var started = _open.TryGetValue(key, out var s) ? s : _open.Values.Min();
                        _open.Remove(_open.First(p => p.Value == started).Key);
                        _total += now - started;
                        _count++;
                        break;
                }
            }
        }

        public (int Count, long Ticks, long? FirstStart) Summary()
        {
            lock (_gate) return (_count, _total, _firstStart);
        }
    }

    private static void WriteResult(string response, TimeSpan mainToResponse, Dictionary<string, double>? phases = null)
    {
        var now = Stopwatch.GetTimestamp();
        double? sinceLaunch = long.TryParse(Environment.GetEnvironmentVariable(LaunchTimestampVariable), NumberStyles.Integer, CultureInfo.InvariantCulture, out var launched)
            ? Stopwatch.GetElapsedTime(launched, now).TotalMilliseconds
            : null;
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            if (sinceLaunch is { } ms) json.WriteNumber("launchToResponseMs", Math.Round(ms, 2));
            json.WriteNumber("mainToResponseMs", Math.Round(mainToResponse.TotalMilliseconds, 2));
            json.WriteNumber("peakRssKb", PeakRssKilobytes());
            json.WriteString("response", response);
            if (phases is not null)
            {
                json.WriteStartObject("phases");
                foreach (var (name, value) in phases) json.WriteNumber(name, value);
                json.WriteEndObject();
            }
            json.WriteEndObject();
        }
        Console.Out.WriteLine(Encoding.UTF8.GetString(buffer.ToArray()));
    }

    /// <summary>VmHWM: the process's peak resident set size so far (Linux), in kB; -1 elsewhere.</summary>
    public static long PeakRssKilobytes()
    {
        const string status = "/proc/self/status";
        if (!File.Exists(status)) return -1;
        foreach (var line in File.ReadLines(status))
        {
            if (!line.StartsWith("VmHWM:", StringComparison.Ordinal)) continue;
            var digits = new string(line.AsSpan(6).ToArray().Where(char.IsAsciiDigit).ToArray());
            return long.Parse(digits, CultureInfo.InvariantCulture);
        }
        return -1;
    }
}
