using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using IsmsServerless.Engine;
using IsmsServerless.Settings;

namespace IsmsServerless.Cli;

/// <summary>Options shared by several commands, parsed and validated once.</summary>
internal static class CliOptions
{
    public static Option<DateTimeOffset?> At() => new("--at")
    {
        Description = "The instant to treat as now (ISO 8601 with a zone, e.g. 2026-11-23T12:00:00Z). Default: the real clock.",
        CustomParser = ParseInstant,
    };

    public static Option<FileInfo?> Config() => new("--config")
    {
        Description = "Settings file (the same JSON the stack takes as the 'isms' context in cdk.json).",
    };

    public static Option<string?> DynamoDbEndpoint() => new("--dynamodb-endpoint")
    {
        Description = "DynamoDB endpoint URL, e.g. http://127.0.0.1:8000 (DynamoDB Local). Default: start a local one.",
    };

    public static TimeProvider ClockFor(DateTimeOffset? at) => at is { } instant ? new FixedTimeProvider(instant) : TimeProvider.System;

    /// <summary>Loads settings or throws <see cref="InvalidSettingsException"/> with every problem listed.</summary>
    public static IsmsSettings LoadSettings(FileInfo? file)
    {
        if (file is null) return IsmsSettings.Default;
        if (!file.Exists) throw new InvalidSettingsException([$"config file '{file.FullName}' does not exist"]);
        var text = File.ReadAllText(file.FullName);
        // Accept either the settings object itself or a cdk.json whose context holds it under "isms".
        using var doc = System.Text.Json.JsonDocument.Parse(text, new System.Text.Json.JsonDocumentOptions { CommentHandling = System.Text.Json.JsonCommentHandling.Skip, AllowTrailingCommas = true });
        if (doc.RootElement.ValueKind == System.Text.Json.JsonValueKind.Object
            && doc.RootElement.TryGetProperty("context", out var context) && context.TryGetProperty("isms", out var isms))
            return IsmsSettings.Parse(isms.GetRawText());
        return IsmsSettings.Parse(text);
    }

    private static DateTimeOffset? ParseInstant(ArgumentResult result)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var value))
            return value;
        result.AddError($"--at '{text}' is not an ISO 8601 instant (e.g. 2026-11-23T12:00:00Z)");
        return null;
    }
}
