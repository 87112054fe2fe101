using System.Globalization;
using System.Text;

namespace IsmsServerless.Alerts;

/// <summary>
/// The one plain-text shape of an alert as email, SMS and pager subscribers read it. The same field list produces
/// (a) <see cref="Render"/>, which the EventBridge Pipe's enrichment Lambda runs on each outbox item (the Pipe's input
/// template only puts the marker before its output: <see cref="PipeInputTemplate"/>) and the CLI and tests run too, and
/// (b) <see cref="TryParse"/> in the Slack notifier, which reads the message back out of the SNS envelope. Keeping both on
/// one list means the renderer and the parser cannot drift apart. (Before issue 20 wave 8 the template rendered the text
/// itself from the item's attributes, <c>&lt;$.dynamodb.NewImage.&lt;attr&gt;.S&gt;</c>; texts it rendered still parse.)
/// </summary>
public static class AlertMessageFormat
{
    /// <summary>First word of the subject line; the parser uses it to tell our alerts from other topic traffic (alarms).</summary>
    public const string Marker = "[ISMS]";

    // The outbox item's keys that hold the alert id (after the ALERT# prefix) and the creation time.
    private const string PartitionKey = Ledger.LedgerSchema.PartitionKey;
    private const string RaisedAtKey = Ledger.LedgerSchema.Gsi4SortKey;

    /// <summary>
    /// Labelled lines in order. Each line reads "Label: value"; the parser expects them in this order, so a hostile
    /// value that contains a newline and a fake label can only spoof labels that come after it, never the alert id,
    /// severity or title, which come first and are written by the rule engine, not by attackers.
    /// </summary>
    /// <remarks>
    /// The alert id and the time it was raised are read from the outbox item's keys (<c>PK</c> = <c>ALERT#&lt;id&gt;</c>,
    /// <c>GSI4SK</c> = the creation time; issue 20: the item does not repeat them as attributes), so the text shows the id
    /// with its <c>ALERT#</c> prefix; <see cref="TryParse"/> removes it, and reads text rendered before (bare id) too.
    /// </remarks>
    internal static IReadOnlyList<(string Label, string Attribute)> Lines { get; } =
    [
        ("Alert", PartitionKey),
        ("Kind", "kind"),
        ("Severity", "severity"),
        ("Title", "title"),
        ("Rule", "ruleId"),
        ("Category", "category"),
        ("Finding", "findingId"),
        ("Resource type", "resourceType"),
        ("Account", "accountId"),
        ("Region", "region"),
        ("Due", "dueAt"),
        ("SLA state", "slaState"),
        ("Controls", "controls"),
        ("Raised at", RaisedAtKey),
        ("Status page", "statusUrl"),
        ("Policy clause", "policyClause"),
        ("What to do", "remediation"),
        ("Details", "message"),
        ("Resource", "resourceId"),
    ];

    /// <summary>
    /// The field of the Pipe's enrichment output (<see cref="EnrichedEvent"/>) that holds the rendered text after the marker.
    /// </summary>
    public const string EnrichedField = "text";

    /// <summary>
    /// The Pipe's target input template. Issue 20 wave 8: the outbox item no longer carries every text (the rule's texts
    /// are named by fingerprint, <see cref="AlertReader"/>), so the Pipe's enrichment Lambda renders each alert with
    /// <see cref="Render"/> and returns <see cref="EnrichedEvent"/>; this template puts the marker before the rendered
    /// text. A string template (not JSON, it starts with text), so SNS delivers readable text to email and SMS, exactly
    /// <see cref="Render"/>'s output.
    /// </summary>
    public static string PipeInputTemplate() => Marker + " <$." + EnrichedField + ">";

    /// <summary>Renders an alert: the text email, SMS and the Slack notifier's parse see, and the CLI and demo print.</summary>
    public static string Render(AlertRecord alert) => Marker + " " + RenderAfterMarker(alert);

    /// <summary>The enrichment's output for one alert: one event whose <see cref="EnrichedField"/> the template reads.</summary>
    public static void WriteEnrichedEvent(System.Text.Json.Utf8JsonWriter writer, AlertRecord alert)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject();
        writer.WriteString(EnrichedField, RenderAfterMarker(alert));
        writer.WriteEndObject();
    }

    /// <summary>
    /// The enrichment's output for an outbox item no alert can be read from: a one-line text with no labelled lines, so
    /// <see cref="TryParse"/> does not take it for an alert and the Slack notifier posts it as plain text (never lost).
    /// </summary>
    public static void WriteUnreadableEvent(System.Text.Json.Utf8JsonWriter writer, string key, string problem)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject();
        writer.WriteString(EnrichedField, OneLine($"unreadable alert outbox item {key}: {problem}"));
        writer.WriteEndObject();
    }

    private static string OneLine(string text) => text.Replace('\r', ' ').Replace('\n', ' ');

    private static string RenderAfterMarker(AlertRecord alert)
    {
        ArgumentNullException.ThrowIfNull(alert);
        var text = new StringBuilder();
        text.Append(alert.Severity).Append(' ').Append(alert.Kind).Append(": ").Append(alert.Title).Append("\n\n");
        foreach (var (label, attribute) in Lines)
            text.Append(label).Append(": ").Append(ValueOf(alert, attribute)).Append('\n');
        return text.ToString();
    }

    /// <summary>
    /// Reads an alert back from the text. Returns false for text that is not one of ours (CloudWatch alarm
    /// notifications reach the same topic) or has no alert id; the caller then delivers it as plain text.
    /// </summary>
    public static bool TryParse(string? text, out AlertRecord alert)
    {
        alert = null!;
        if (string.IsNullOrEmpty(text) || !text.StartsWith(Marker, StringComparison.Ordinal)) return false;
        var values = new Dictionary<string, StringBuilder>(StringComparer.Ordinal);
        var next = 0;
        StringBuilder? current = null;
        foreach (var rawLine in text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n').Skip(1))
        {
            if (next < Lines.Count && rawLine.StartsWith(Lines[next].Label + ":", StringComparison.Ordinal))
            {
                var (label, attribute) = Lines[next];
                current = new StringBuilder(rawLine[(label.Length + 1)..].TrimStart(' '));
                values[attribute] = current;
                next++;
                continue;
            }
            // A value that itself contained newlines continues until the next expected label.
            current?.Append('\n').Append(rawLine);
        }
        string Get(string attribute) => values.TryGetValue(attribute, out var v) ? v.ToString().TrimEnd('\n', ' ') : "";
        var alertId = Get(PartitionKey);
        if (alertId.StartsWith(Ledger.LedgerKeys.AlertPrefix, StringComparison.Ordinal)) alertId = alertId[Ledger.LedgerKeys.AlertPrefix.Length..];
        if (alertId.Length == 0) return false;
        // Text rendered from an item of the earlier layout during a deployment: its sort key was "<createdAt>#<alertId>".
        var createdAt = Get(RaisedAtKey);
        if (createdAt.IndexOf('#', StringComparison.Ordinal) is > 0 and var hash) createdAt = createdAt[..hash];
        alert = new AlertRecord
        {
            AlertId = alertId,
            Kind = Get("kind"),
            FindingId = Get("findingId"),
            RuleId = Get("ruleId"),
            Title = Get("title"),
            Severity = Get("severity"),
            Category = Get("category"),
            ResourceId = Get("resourceId"),
            ResourceType = Get("resourceType"),
            AccountId = Get("accountId"),
            Region = Get("region"),
            PolicyClause = Get("policyClause"),
            Controls = Get("controls") is { Length: > 0 } controls ? controls : "[]",
            DueAt = NullIfEmpty(Get("dueAt")),
            SlaState = NullIfEmpty(Get("slaState")),
            Remediation = Get("remediation"),
            Message = Get("message"),
            StatusUrl = Get("statusUrl"),
            CreatedAt = createdAt,
        };
        return true;
    }

    /// <summary>The SNS subject-like first line, for logs and the CLI summary.</summary>
    public static string Subject(AlertRecord alert) =>
        string.Create(CultureInfo.InvariantCulture, $"{Marker} {alert.Severity} {alert.Kind}: {alert.Title}");

    private static string? NullIfEmpty(string value) => value.Length == 0 ? null : value;

    internal static string ValueOf(AlertRecord alert, string attribute) => attribute switch
    {
        PartitionKey => Ledger.LedgerKeys.Alert(alert.AlertId),
        RaisedAtKey => alert.CreatedAt,
        "alertId" => alert.AlertId,
        "kind" => alert.Kind,
        "findingId" => alert.FindingId,
        "ruleId" => alert.RuleId,
        "title" => alert.Title,
        "severity" => alert.Severity,
        "category" => alert.Category,
        "resourceId" => alert.ResourceId,
        "resourceType" => alert.ResourceType,
        "accountId" => alert.AccountId,
        "region" => alert.Region,
        "policyClause" => alert.PolicyClause,
        "controls" => alert.Controls,
        "dueAt" => alert.DueAt ?? "",
        "slaState" => alert.SlaState ?? "",
        "remediation" => alert.Remediation,
        "message" => alert.Message,
        "statusUrl" => alert.StatusUrl,
        "createdAt" => alert.CreatedAt,
        _ => throw new ArgumentOutOfRangeException(nameof(attribute), attribute, "not an AlertRecord attribute"),
    };
}
