using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace IsmsServerless.ColdStart;

/// <summary>
/// Starts the function host and the hello-world baseline N times each, alternately and in fresh processes (so both see
/// the same machine load), and prints medians as a Markdown table. The function is started the way the managed .NET
/// runtime starts it: <c>dotnet exec --depsfile &lt;fn&gt;.deps.json --runtimeconfig &lt;fn&gt;.runtimeconfig.json &lt;host&gt; &lt;handler&gt;</c>,
/// with the handler string and environment taken from the synthesized CloudFormation template.
/// </summary>
public static class ColdStartDriver
{
    public static async Task<int> RunAsync(string[] args)
    {
        var options = ParseOptions(args);
        var package = Path.GetFullPath(Required(options, "package"));
        var template = Required(options, "template");
        var eventFile = Path.GetFullPath(Required(options, "event"));
        var runs = options.TryGetValue("runs", out var r) ? int.Parse(r, CultureInfo.InvariantCulture) : 10;
        options.TryGetValue("function", out var functionPrefix);

        var function = TemplateFunction.Find(template, functionPrefix);
        var assemblyName = function.HandlerString.Split("::")[0];
        var deps = Path.Combine(package, assemblyName + ".deps.json");
        var runtimeConfig = Path.Combine(package, assemblyName + ".runtimeconfig.json");
        foreach (var file in new[] { deps, runtimeConfig, Path.Combine(package, assemblyName + ".dll") })
            if (!File.Exists(file)) throw new FileNotFoundException($"the published package lacks {file}; run scripts/publish-functions.sh");
        var self = typeof(ColdStartDriver).Assembly.Location;

        var environment = new Dictionary<string, string>(function.EnvironmentVariables) { ["LAMBDA_TASK_ROOT"] = package };
        foreach (var (key, value) in options.Where(o => o.Key.StartsWith("env:", StringComparison.Ordinal))) environment[key[4..]] = value;

        Console.WriteLine($"function: {function.LogicalId}  handler: {function.HandlerString}  event: {Path.GetFileName(eventFile)}  runs: {runs}");
        var hello = new List<RunResult>();
        var cold = new List<RunResult>();
        for (var i = 0; i < runs; i++)
        {
            hello.Add(await StartAsync(["exec", self, "--hello"], new Dictionary<string, string>()).ConfigureAwait(false));
            cold.Add(await StartAsync(["exec", "--depsfile", deps, "--runtimeconfig", runtimeConfig, self, function.HandlerString, eventFile], environment).ConfigureAwait(false));
        }
        Console.WriteLine($"response: {cold[^1].Response}");
        Console.WriteLine();
        Console.WriteLine("| Process | Runs | Launch → first response, median (min–max) | Launch → exit, median | Peak RSS (VmHWM), median |");
        Console.WriteLine("|---|---:|---:|---:|---:|");
        Console.WriteLine(Row("bare `dotnet` hello-world", hello));
        Console.WriteLine(Row($"`{function.HandlerString}`", cold));
        Console.WriteLine();
        Console.WriteLine(FormattableString.Invariant(
            $"cold-start overhead over hello-world: {Median(cold, x => x.LaunchToResponseMs) - Median(hello, x => x.LaunchToResponseMs):F1} ms, {(Median(cold, x => x.PeakRssKb) - Median(hello, x => x.PeakRssKb)) / 1024:F1} MiB"));
        if (options.TryGetValue("split", out var splitText) && int.Parse(splitText, CultureInfo.InvariantCulture) is > 0 and var splitRuns)
        {
            var split = new List<RunResult>();
            for (var i = 0; i < splitRuns; i++)
                split.Add(await StartAsync(["exec", "--depsfile", deps, "--runtimeconfig", runtimeConfig, self, function.HandlerString, eventFile, "--split"], environment).ConfigureAwait(false));
            Console.WriteLine();
            Console.WriteLine($"Where a cold start goes ({splitRuns} more fresh processes, phases timed inside the process; medians):");
            Console.WriteLine();
            Console.WriteLine("| Phase | Median ms (min–max) |");
            Console.WriteLine("|---|---:|");
            foreach (var (phase, label) in PhaseLabels)
            {
                var values = split.Select(x => x.Phases!.TryGetValue(phase, out var v) ? v : double.NaN).Order().ToList();
                Console.WriteLine(FormattableString.Invariant($"| {label} | {MedianOf(values):F1} ({values[0]:F1}–{values[^1]:F1}) |"));
            }
            Console.WriteLine(FormattableString.Invariant($"| launch → response, these runs | {Median(split, x => x.LaunchToResponseMs):F1} |"));
        }
        return 0;
    }

    private static readonly (string Phase, string Label)[] PhaseLabels =
    [
        ("runtimeStart", "runtime start: launch → host's Main (the hello-world's share)"),
        ("loadHandler", "load the function assembly, resolve and construct the handler"),
        ("settingsAndEngine", "our init: settings from ISMS_SETTINGS, rule registry and adapters"),
        ("sdkClient", "AWS SDK initialisation: construct the DynamoDB client"),
        ("handlerToFirstRequest", "handler until its first DynamoDB request is sent (parse, evaluate, SDK request pipeline, credentials, signing)"),
        ("dynamoRequestTime", "DynamoDB requests, sum of their durations (first one opens the connection)"),
        ("dynamoRequests", "DynamoDB requests (count)"),
        ("handlerTotal", "handler total (call → response)"),
    ];

    private static double MedianOf(List<double> sorted) =>
        sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;

    private static string Row(string name, List<RunResult> results) => FormattableString.Invariant(
        $"| {name} | {results.Count} | {Median(results, x => x.LaunchToResponseMs):F1} ms ({results.Min(x => x.LaunchToResponseMs):F1}–{results.Max(x => x.LaunchToResponseMs):F1}) | {Median(results, x => x.LaunchToExitMs):F1} ms | {Median(results, x => x.PeakRssKb) / 1024:F1} MiB |");

    private static double Median(List<RunResult> results, Func<RunResult, double> selector)
    {
        var sorted = results.Select(selector).Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static async Task<RunResult> StartAsync(string[] arguments, Dictionary<string, string> environment)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        foreach (var (key, value) in environment) start.Environment[key] = value;
        var launched = Stopwatch.GetTimestamp();
        start.Environment[HandlerHost.LaunchTimestampVariable] = launched.ToString(CultureInfo.InvariantCulture);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start dotnet");
        var stderr = process.StandardError.ReadToEndAsync();
        string? resultLine = null;
        while (await process.StandardOutput.ReadLineAsync().ConfigureAwait(false) is { } line)
        {
            // The handler's own logs go to stdout too (as in Lambda); the host's result is the line it writes last.
            if (line.StartsWith("{\"launchToResponseMs\"", StringComparison.Ordinal)) resultLine = line;
        }
        await process.WaitForExitAsync().ConfigureAwait(false);
        var exited = Stopwatch.GetElapsedTime(launched).TotalMilliseconds;
        if (process.ExitCode != 0 || resultLine is null)
            throw new InvalidOperationException($"dotnet {string.Join(' ', arguments)} exited {process.ExitCode}: {await stderr.ConfigureAwait(false)}");
        using var document = JsonDocument.Parse(resultLine);
        var root = document.RootElement;
        var phases = root.TryGetProperty("phases", out var p) ? p.EnumerateObject().ToDictionary(x => x.Name, x => x.Value.GetDouble()) : null;
        return new RunResult(root.GetProperty("launchToResponseMs").GetDouble(), exited, root.GetProperty("peakRssKb").GetInt64(), root.GetProperty("response").GetString() ?? "", phases);
    }

    private static Dictionary<string, string> ParseOptions(string[] args)
    {
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal)) throw new ArgumentException($"unexpected argument '{args[i]}'");
            var name = args[i][2..];
            // --env KEY=VALUE overrides one environment variable of the function.
            if (name == "env")
            {
                var (key, value) = (args[i + 1].Split('=', 2)[0], args[i + 1].Split('=', 2).ElementAtOrDefault(1) ?? "");
                options["env:" + key] = value;
            }
            else
            {
                options[name] = args[i + 1];
            }
        }
        return options;
    }

    private static string Required(Dictionary<string, string> options, string name) =>
        options.TryGetValue(name, out var value) ? value : throw new ArgumentException($"--{name} is required");

    private sealed record RunResult(double LaunchToResponseMs, double LaunchToExitMs, long PeakRssKb, string Response, Dictionary<string, double>? Phases = null);
}

/// <summary>A Lambda function as the synthesized template declares it: handler string and plain-string environment.</summary>
public sealed record TemplateFunction(string LogicalId, string HandlerString, IReadOnlyDictionary<string, string> EnvironmentVariables)
{
    /// <summary>
    /// The function whose logical id starts with <paramref name="logicalIdPrefix"/> (or the first .NET function). Environment
    /// values that are CloudFormation intrinsics (Ref, Fn::GetAtt: ARNs, table names) have no local value; they are passed
    /// as <c>unresolved:&lt;expression&gt;</c> unless overridden with <c>--env</c>.
    /// </summary>
    public static TemplateFunction Find(string templatePath, string? logicalIdPrefix)
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(templatePath));
        foreach (var resource in document.RootElement.GetProperty("Resources").EnumerateObject())
        {
            if (resource.Value.GetProperty("Type").GetString() != "AWS::Lambda::Function") continue;
            if (logicalIdPrefix is not null && !resource.Name.StartsWith(logicalIdPrefix, StringComparison.Ordinal)) continue;
            var properties = resource.Value.GetProperty("Properties");
            if (!properties.TryGetProperty("Runtime", out var runtime) || runtime.GetString()?.StartsWith("dotnet", StringComparison.Ordinal) != true) continue;
            var environment = new Dictionary<string, string>(StringComparer.Ordinal);
            if (properties.TryGetProperty("Environment", out var env) && env.TryGetProperty("Variables", out var variables))
            {
                foreach (var variable in variables.EnumerateObject())
                    environment[variable.Name] = variable.Value.ValueKind == JsonValueKind.String ? variable.Value.GetString()! : "unresolved:" + variable.Value.GetRawText();
            }
            return new TemplateFunction(resource.Name, properties.GetProperty("Handler").GetString()!, environment);
        }
        throw new InvalidOperationException($"{templatePath} declares no .NET Lambda function{(logicalIdPrefix is null ? "" : $" whose logical id starts with '{logicalIdPrefix}'")}");
    }
}
