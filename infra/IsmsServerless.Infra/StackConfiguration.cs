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

    /// <summary>Cognito hosted UI prefix for the status page sign-in (globally unique in the region; lower-case, digits, hyphens).</summary>
    public string StatusPageDomainPrefix { get; init; } = "isms-status";

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
        if (node.TryGetContext("statusPageDomainPrefix") is string prefix && prefix.Length > 0)
        {
            if (System.Text.RegularExpressions.Regex.IsMatch(prefix, "^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$") && !prefix.Contains("aws", StringComparison.Ordinal)
                && !prefix.Contains("amazon", StringComparison.Ordinal) && !prefix.Contains("cognito", StringComparison.Ordinal))
                config = config with { StatusPageDomainPrefix = prefix };
            else errors.Add($"statusPageDomainPrefix must be lower-case letters, digits and hyphens without aws/amazon/cognito, not '{prefix}'");
        }
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
