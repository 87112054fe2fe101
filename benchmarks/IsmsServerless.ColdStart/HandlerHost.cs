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

    public static async Task<int> InvokeOnceAsync(string handler, string eventFile)
    {
        var main = Stopwatch.StartNew();
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

        await using var input = new MemoryStream(await File.ReadAllBytesAsync(eventFile).ConfigureAwait(false));
        var invoked = method.Invoke(instance, [input]);
        Stream output = invoked switch
        {
            Task<Stream> task => await task.ConfigureAwait(false),
            Stream stream => stream,
            _ => throw new InvalidOperationException($"{handler} returned {invoked?.GetType().Name ?? "null"}, not Task<Stream>"),
        };
        using var reader = new StreamReader(output, Encoding.UTF8);
        var response = await reader.ReadToEndAsync().ConfigureAwait(false);
        WriteResult(response, main.Elapsed);
        return 0;
    }

    private static void WriteResult(string response, TimeSpan mainToResponse)
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
