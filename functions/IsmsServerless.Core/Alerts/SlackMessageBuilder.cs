using System.Globalization;
using System.Text;
using System.Text.Json;

namespace IsmsServerless.Alerts;

/// <summary>
/// Builds the Block Kit JSON posted to the incoming webhook. Every string that came from an event (resource ids,
/// messages) is escaped for mrkdwn and every text object is cut to Block Kit's limits, so a hostile or huge value
/// can neither ping the channel nor make Slack reject the message with <c>invalid_blocks</c>.
/// </summary>
public static class SlackMessageBuilder
{
    private static readonly JsonWriterOptions WriterOptions = new() { Indented = false };

    /// <summary>One alert: header, facts, clause and controls, what to do, details, link.</summary>
    public static string ForAlert(AlertRecord alert)
    {
        ArgumentNullException.ThrowIfNull(alert);
        var emoji = SeverityEmoji(alert.Severity);
        var kind = alert.Kind switch
        {
            "escalated" => "SLA escalated",
            "reopened" => "Finding reopened",
            "new" => "New finding",
            _ => alert.Kind,
        };
        var fallback = AlertMessageFormat.Subject(alert) + " on " + alert.ResourceId;
        var due = alert.DueAt is { Length: > 0 } ? alert.DueAt : "no SLA";
        var sla = alert.SlaState is { Length: > 0 } ? alert.SlaState : "n/a";
        var blocks = new List<Action<Utf8JsonWriter>>
        {
            w => Header(w, $"{alert.Severity} · {kind}: {alert.Title}"),
            w => Fields(w,
                $"*Severity*\n{emoji} {SlackText.Escape(alert.Severity)}",
                $"*Resource*\n`{SlackText.Code(alert.ResourceId, 1500)}`\n{SlackText.EscapeAndTruncate(alert.ResourceType, 200)}",
                $"*Account / region*\n{SlackText.EscapeAndTruncate(alert.AccountId, 100)} / {SlackText.EscapeAndTruncate(alert.Region, 100)}",
                $"*Due (SLA state)*\n{SlackText.EscapeAndTruncate(due, 100)} ({SlackText.EscapeAndTruncate(sla, 50)})",
                $"*Rule*\n`{SlackText.Code(alert.RuleId, 300)}`",
                $"*Controls*\n{SlackText.EscapeAndTruncate(FormatControls(alert.Controls), 1500)}"),
            w => Section(w, "*Policy clause*\n>" + SlackText.EscapeAndTruncate(alert.PolicyClause, SlackText.MaxText - 20).ReplaceLineEndings("\n>")),
            w => Section(w, "*What to do*\n" + SlackText.EscapeAndTruncate(alert.Remediation, SlackText.MaxText - 20)),
        };
        if (alert.Message.Length > 0)
            blocks.Add(w => Section(w, "*Details*\n" + SlackText.EscapeAndTruncate(alert.Message, SlackText.MaxText - 20)));
        blocks.Add(w => Section(w, SlackText.Link(alert.StatusUrl, "Open the finding on the status page")));
        blocks.Add(w => Context(w, $"alert `{SlackText.Code(alert.AlertId, 200)}` · finding `{SlackText.Code(alert.FindingId, 200)}` · raised {SlackText.EscapeAndTruncate(alert.CreatedAt, 60)}"));
        return Message(fallback, blocks);
    }

    /// <summary>A notification that is not one of our alerts (a CloudWatch alarm on the topic, an unparseable body): shown as escaped text.</summary>
    public static string ForText(string subject, string text)
    {
        var blocks = new List<Action<Utf8JsonWriter>>
        {
            w => Header(w, subject),
            w => Section(w, "```" + SlackText.Code(text, SlackText.MaxText - 10) + "```"),
        };
        return Message(subject + ": " + text, blocks);
    }

    /// <summary>The daily digest: counts, then one line per finding (at most <paramref name="maxLines"/>, the rest summarized).</summary>
    public static string ForDigest(DigestSummary digest, int maxLines = 40)
    {
        ArgumentNullException.ThrowIfNull(digest);
        var blocks = new List<Action<Utf8JsonWriter>>
        {
            w => Header(w, $"ISMS daily digest {digest.Date}"),
            w => Fields(w,
                $"*Open*\n{digest.Open}",
                $"*At risk*\n{digest.AtRisk}",
                $"*Breached*\n{digest.Breached}",
                $"*Acknowledged*\n{digest.Acknowledged}"),
        };
        // Each line is a block's worth of text; group lines into sections of at most 3,000 characters and keep the
        // whole message within 50 blocks (header + fields + sections + link + context).
        var lines = digest.Items.Take(maxLines).Select(FormatDigestLine).ToList();
        var sectionBudget = SlackText.MaxBlocks - blocks.Count - 2;
        var section = new StringBuilder();
        var shown = 0;
        foreach (var line in lines)
        {
            if (section.Length + line.Length + 1 > SlackText.MaxText - 10)
            {
                if (sectionBudget <= 1) break;
                var text = section.ToString();
                blocks.Add(w => Section(w, text));
                sectionBudget--;
                section.Clear();
            }
            section.Append(line).Append('\n');
            shown++;
        }
        if (section.Length > 0)
        {
            var text = section.ToString();
            blocks.Add(w => Section(w, text));
        }
        if (digest.Items.Count > shown)
        {
            var more = digest.Items.Count - shown;
            blocks.Add(w => Context(w, $"…and {more} more on the status page"));
        }
        blocks.Add(w => Section(w, SlackText.Link(digest.StatusUrl, "Open the status page")));
        var fallback = string.Create(CultureInfo.InvariantCulture,
            $"ISMS daily digest {digest.Date}: {digest.Open} open, {digest.AtRisk} at risk, {digest.Breached} breached");
        return Message(fallback, blocks);
    }

    private static string FormatDigestLine(DigestItem item)
    {
        var state = item.SlaState switch { "breached" => ":red_circle:", "at-risk" => ":large_orange_circle:", _ => ":white_circle:" };
        var due = item.DueAt is { Length: > 0 } ? " due " + SlackText.EscapeAndTruncate(item.DueAt, 40) : "";
        var title = SlackText.EscapeAndTruncate(item.Title, 200);
        if (Uri.TryCreate(item.StatusUrl, UriKind.Absolute, out _)) title = SlackText.Link(item.StatusUrl, SlackText.Truncate(item.Title, 200));
        return $"{state} *{SlackText.EscapeAndTruncate(item.Severity, 20)}* {title} · `{SlackText.Code(item.ResourceId, 300)}`{due}";
    }

    private static string FormatControls(string controlsJson)
    {
        try
        {
            using var document = JsonDocument.Parse(controlsJson);
            if (document.RootElement.ValueKind == JsonValueKind.Array)
                return string.Join(", ", document.RootElement.EnumerateArray().Select(e => e.ToString()));
        }
        catch (JsonException)
        {
            // Not a JSON array (hand-written or truncated): show it as it is.
        }
        return controlsJson;
    }

    private static string SeverityEmoji(string severity) => severity.ToUpperInvariant() switch
    {
        "CRITICAL" => ":rotating_light:",
        "HIGH" => ":red_circle:",
        "MEDIUM" => ":large_orange_circle:",
        "LOW" => ":large_yellow_circle:",
        _ => ":white_circle:",
    };

    private static string Message(string fallback, List<Action<Utf8JsonWriter>> blocks)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, WriterOptions))
        {
            w.WriteStartObject();
            // The fallback text shows in notifications; it is mrkdwn too, so escape it.
            w.WriteString("text", SlackText.EscapeAndTruncate(fallback, SlackText.MaxText));
            w.WriteStartArray("blocks");
            foreach (var block in blocks.Take(SlackText.MaxBlocks)) block(w);
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static void Header(Utf8JsonWriter w, string text)
    {
        w.WriteStartObject();
        w.WriteString("type", "header");
        w.WriteStartObject("text");
        w.WriteString("type", "plain_text");
        w.WriteString("text", SlackText.Header(text));
        w.WriteBoolean("emoji", true);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static void Section(Utf8JsonWriter w, string mrkdwn)
    {
        w.WriteStartObject();
        w.WriteString("type", "section");
        w.WriteStartObject("text");
        w.WriteString("type", "mrkdwn");
        w.WriteString("text", SlackText.Truncate(mrkdwn.Length == 0 ? " " : mrkdwn, SlackText.MaxText, escaped: true));
        w.WriteEndObject();
        w.WriteEndObject();
    }

    /// <summary>Section fields: at most 10, each at most 2,000 characters.</summary>
    private static void Fields(Utf8JsonWriter w, params string[] fields)
    {
        w.WriteStartObject();
        w.WriteString("type", "section");
        w.WriteStartArray("fields");
        foreach (var field in fields.Take(10))
        {
            w.WriteStartObject();
            w.WriteString("type", "mrkdwn");
            w.WriteString("text", SlackText.Truncate(field, SlackText.MaxField, escaped: true));
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void Context(Utf8JsonWriter w, string mrkdwn)
    {
        w.WriteStartObject();
        w.WriteString("type", "context");
        w.WriteStartArray("elements");
        w.WriteStartObject();
        w.WriteString("type", "mrkdwn");
        w.WriteString("text", SlackText.Truncate(mrkdwn, SlackText.MaxText, escaped: true));
        w.WriteEndObject();
        w.WriteEndArray();
        w.WriteEndObject();
    }
}

/// <summary>What the daily digest reports.</summary>
public sealed record DigestSummary(string Date, int Open, int AtRisk, int Breached, int Acknowledged, IReadOnlyList<DigestItem> Items, string StatusUrl);

/// <summary>One finding line in the digest.</summary>
public sealed record DigestItem(string Severity, string Title, string ResourceId, string? DueAt, string? SlaState, string StatusUrl);
