using System.Text;
using System.Text.Json;

namespace IsmsServerless.Observability;

/// <summary>
/// Structured logs as one JSON object a line (CloudWatch Logs Insights reads them as fields). Values are escaped
/// by the JSON writer, so attacker-controlled text (resource names, user agents) cannot forge log lines.
/// Lambda writes to stdout; the CLI to stderr, because its stdout is the JSON Lines result.
/// </summary>
public static class Log
{
    private static readonly object Gate = new();

    public static TextWriter Target { get; set; } = Console.Error;

    public static LogLevel MinimumLevel { get; set; } = LogLevel.Info;

    public static void Debug(string message, params (string Key, object? Value)[] fields) => Write(LogLevel.Debug, message, null, fields);

    public static void Info(string message, params (string Key, object? Value)[] fields) => Write(LogLevel.Info, message, null, fields);

    public static void Warn(string message, params (string Key, object? Value)[] fields) => Write(LogLevel.Warn, message, null, fields);

    public static void Error(string message, Exception? exception, params (string Key, object? Value)[] fields) =>
        Write(LogLevel.Error, message, exception, fields);

    private static void Write(LogLevel level, string message, Exception? exception, (string Key, object? Value)[] fields)
    {
        if (level < MinimumLevel) return;
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("level", level.ToString().ToUpperInvariant());
            json.WriteString("message", message);
            json.WriteString("timestamp", DateTimeOffset.UtcNow.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
            foreach (var (key, value) in fields)
            {
                switch (value)
                {
                    case null: json.WriteNull(key); break;
                    case int i: json.WriteNumber(key, i); break;
                    case long l: json.WriteNumber(key, l); break;
                    case double d: json.WriteNumber(key, d); break;
                    case bool b: json.WriteBoolean(key, b); break;
                    default: json.WriteString(key, Truncate(value.ToString())); break;
                }
            }
            if (exception is not null)
            {
                json.WriteString("exception", exception.GetType().FullName);
                json.WriteString("exceptionMessage", Truncate(exception.Message));
                json.WriteString("stackTrace", Truncate(exception.StackTrace, 4000));
            }
            json.WriteEndObject();
        }
        var line = Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
        lock (Gate) Target.WriteLine(line);
    }

    private static string? Truncate(string? text, int max = 1000) =>
        text is null || text.Length <= max ? text : text[..max] + "…";
}

public enum LogLevel
{
    Debug,
    Info,
    Warn,
    Error,
}
