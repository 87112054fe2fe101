using System.Text.Json;
using Constructs;
using IsmsServerless.Settings;

namespace IsmsServerless.Infra;

/// <summary>
/// Deployment configuration from <c>cdk.json</c> context (or <c>-c key=value</c>), validated at synth time so a bad
/// value fails <c>cdk synth</c> with every problem listed instead of failing in the account.
/// </summary>
public sealed record StackConfiguration
{
    public string StackName { get; init; } = "IsmsServerless";

    /// <summary>Folder holding the published function package (what <c>scripts/publish-functions.sh</c> writes).</summary>
    public string FunctionsAssetPath { get; init; } = "artifacts/functions";

    /// <summary>The evaluation settings every function receives as <c>ISMS_SETTINGS</c>.</summary>
    public IsmsSettings Settings { get; init; } = IsmsSettings.Default;

    /// <summary>Rate of the scheduled sweep (SLA escalation, waiver expiry, review deadlines, heartbeats).</summary>
    public int SweepIntervalMinutes { get; init; } = 15;

    /// <summary>Email addresses subscribed to the alert topic (each confirms by mail). Context <c>alertEmails</c>.</summary>
    public IReadOnlyList<string> AlertEmails { get; init; } = [];

    /// <summary>Phone numbers (E.164, e.g. +447700900123) subscribed to the alert topic by SMS. Context <c>alertSms</c>.</summary>
    public IReadOnlyList<string> AlertSms { get; init; } = [];

    /// <summary>Name of the SSM SecureString holding the Slack incoming-webhook URL (never the URL itself). Context <c>slackWebhookParameter</c>.</summary>
    public string SlackWebhookParameter { get; init; } = "/isms/slack/webhook-url";

    public static StackConfiguration FromContext(Node node)
    {
        var errors = new List<string>();
        var config = new StackConfiguration();
        if (node.TryGetContext("stackName") is string name && name.Length > 0) config = config with { StackName = name };
        if (node.TryGetContext("functionsAssetPath") is string asset && asset.Length > 0) config = config with { FunctionsAssetPath = asset };
        if (node.TryGetContext("sweepIntervalMinutes") is { } sweep)
        {
            if (int.TryParse(sweep.ToString(), out var minutes) && minutes is >= 1 and <= 1440) config = config with { SweepIntervalMinutes = minutes };
            else errors.Add($"sweepIntervalMinutes must be a whole number of minutes from 1 to 1440, not '{sweep}'");
        }
        config = AlertContext.Apply(node, config, errors);
        var isms = node.TryGetContext("isms");
        if (isms is not null)
        {
            try
            {
                config = config with { Settings = IsmsSettings.Parse(ToJson(isms)) };
            }
            catch (InvalidSettingsException ex)
            {
                errors.AddRange(ex.Errors.Select(e => "isms." + e));
            }
            catch (JsonException ex)
            {
                errors.Add("isms: " + ex.Message);
            }
        }
        if (errors.Count > 0)
            throw new ArgumentException("Invalid cdk.json context:\n  - " + string.Join("\n  - ", errors));
        return config;
    }

    /// <summary>jsii hands context back as strings, numbers, arrays and dictionaries; re-serialize to parse it with the one settings parser.</summary>
    private static string ToJson(object value) => value switch
    {
        string s when s.TrimStart().StartsWith('{') => s,
        _ => JsonSerializer.Serialize(Normalize(value), InfraJsonContext.Default.Object),
    };

    private static object? Normalize(object? value) => value switch
    {
        null => null,
        string or bool or int or long or double or decimal => value,
        System.Collections.IDictionary map => map.Keys.Cast<object>().ToDictionary(k => k.ToString()!, k => Normalize(map[k])),
        System.Collections.IEnumerable list => list.Cast<object?>().Select(Normalize).ToList(),
        _ => value.ToString(),
    };
}

[System.Text.Json.Serialization.JsonSerializable(typeof(object))]
[System.Text.Json.Serialization.JsonSerializable(typeof(Dictionary<string, object?>))]
[System.Text.Json.Serialization.JsonSerializable(typeof(List<object?>))]
[System.Text.Json.Serialization.JsonSerializable(typeof(string))]
[System.Text.Json.Serialization.JsonSerializable(typeof(bool))]
[System.Text.Json.Serialization.JsonSerializable(typeof(int))]
[System.Text.Json.Serialization.JsonSerializable(typeof(long))]
[System.Text.Json.Serialization.JsonSerializable(typeof(double))]
[System.Text.Json.Serialization.JsonSerializable(typeof(decimal))]
internal sealed partial class InfraJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
