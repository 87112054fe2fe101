using System.Text.RegularExpressions;
using Constructs;

namespace IsmsServerless.Infra;

/// <summary>Reads and validates the alerting keys of <c>cdk.json</c> context (alertEmails, alertSms, slackWebhookParameter).</summary>
internal static partial class AlertContext
{
    public static StackConfiguration Apply(Node node, StackConfiguration config, List<string> errors)
    {
        var emails = Strings(node.TryGetContext("alertEmails"), "alertEmails", errors);
        foreach (var email in emails.Where(e => !EmailPattern().IsMatch(e)))
            errors.Add($"alertEmails: '{email}' is not an email address");
        var phones = Strings(node.TryGetContext("alertSms"), "alertSms", errors);
        foreach (var phone in phones.Where(p => !PhonePattern().IsMatch(p)))
            errors.Add($"alertSms: '{phone}' is not an E.164 phone number (+ then 7 to 15 digits, e.g. +447700900123)");
        config = config with { AlertEmails = emails.Distinct(StringComparer.OrdinalIgnoreCase).ToList(), AlertSms = phones.Distinct(StringComparer.Ordinal).ToList() };
        if (node.TryGetContext("slackWebhookParameter") is { } parameter)
        {
            var name = parameter.ToString() ?? "";
            if (name.Contains("hooks.slack.com", StringComparison.OrdinalIgnoreCase) || name.Contains("://", StringComparison.Ordinal))
                // Do not echo the value: it is a secret that was put in the wrong place.
                errors.Add("slackWebhookParameter must be the NAME of an SSM SecureString, not the webhook URL (put the URL in SSM, see README 'Alerts')");
            else if (!ParameterPattern().IsMatch(name))
                errors.Add($"slackWebhookParameter must be an SSM parameter path like /isms/slack/webhook-url, not '{name}'");
            else
                config = config with { SlackWebhookParameter = name };
        }
        return config;
    }

    private static List<string> Strings(object? value, string key, List<string> errors)
    {
        switch (value)
        {
            case null:
                return [];
            case string single when single.TrimStart().StartsWith('['):
                try
                {
                    return System.Text.Json.JsonSerializer.Deserialize(single, InfraJsonContext.Default.ListObject)?.Select(v => v?.ToString()?.Trim() ?? "").ToList() ?? [];
                }
                catch (System.Text.Json.JsonException)
                {
                    errors.Add($"{key} must be a JSON array of strings");
                    return [];
                }
            case string single:
                // -c alertEmails=a@x.com,b@y.com
                return single.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
            case System.Collections.IEnumerable list:
                return list.Cast<object?>().Select(v => v?.ToString()?.Trim() ?? "").ToList();
            default:
                errors.Add($"{key} must be a list of strings");
                return [];
        }
    }

    [GeneratedRegex(@"^[^@\s,;<>""]+@[^@\s,;<>""]+\.[A-Za-z]{2,}$")]
    private static partial Regex EmailPattern();

    [GeneratedRegex(@"^\+[1-9][0-9]{6,14}$")]
    private static partial Regex PhonePattern();

    [GeneratedRegex(@"^/[A-Za-z0-9_.\-/]{1,1010}$")]
    private static partial Regex ParameterPattern();
}
