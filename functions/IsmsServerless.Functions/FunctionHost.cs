using IsmsServerless.Engine;
using IsmsServerless.Observability;
using IsmsServerless.Settings;

namespace IsmsServerless.Functions;

/// <summary>
/// Per-process services, built once on the first invocation and reused by every warm invocation
/// (Powertools' pattern): settings, clock, engine. Handlers stay one line.
/// </summary>
public static class FunctionHost
{
    private static readonly Lazy<IsmsSettings> LazySettings = new(IsmsSettings.FromEnvironment);
    private static readonly Lazy<RuleEngine> LazyEngine = new(RuleEngine.CreateDefault);

    static FunctionHost()
    {
        // Lambda ships stdout to CloudWatch Logs; one JSON object a line.
        Log.Target = Console.Out;
    }

    public static IsmsSettings Settings => LazySettings.Value;

    public static TimeProvider Clock { get; set; } = TimeProvider.System;

    public static RuleEngine Engine => LazyEngine.Value;

    public static EvaluationContext NewContext() => new(Settings, Clock);

    /// <summary>Reads an invocation payload fully; Lambda payloads are at most 6 MB, our router caps them lower.</summary>
    public static async Task<byte[]> ReadAllAsync(Stream input)
    {
        using var buffer = new MemoryStream();
        await input.CopyToAsync(buffer).ConfigureAwait(false);
        return buffer.ToArray();
    }

    public static string RequiredEnvironment(string name) =>
        System.Environment.GetEnvironmentVariable(name) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException($"environment variable {name} is not set (the stack sets it)");
}
