using System.Text;
using IsmsServerless.Ledger;

namespace IsmsServerless.StatusPage;

/// <summary>
/// Evidence export for an audit period: findings that were live at any time in [from, to) and their history.
/// CSV cells are protected against formula injection (OWASP: a cell starting with = + - @ tab or CR gets a leading ').
/// </summary>
public static class AuditExport
{
    public static readonly string[] HistoryColumns =
    [
        "finding_id", "rule_id", "title", "category", "severity", "status", "resource_type", "resource_id", "account_id", "region",
        "controls", "first_seen_at", "due_at", "resolved_at", "sequence", "at", "actor", "action", "from_status", "to_status",
        "from_sla", "to_sla", "reason",
    ];

    public static bool InPeriod(FindingRecord f, DateTimeOffset from, DateTimeOffset to) =>
        f.FirstSeenAt < to && (f.ResolvedAt is null || f.ResolvedAt >= from);

    public static string Csv(IReadOnlyList<(FindingRecord Finding, IReadOnlyList<HistoryEntry> History)> rows)
    {
        var csv = new StringBuilder();
        WriteRow(csv, HistoryColumns);
        foreach (var (f, history) in rows)
        {
            string[] finding =
            [
                f.Id, f.RuleId, f.Title, f.Category.ToString().ToLowerInvariant(), f.Severity.ToString().ToUpperInvariant(), f.Status.ToWire(),
                f.ResourceType, f.ResourceId, f.AccountId, f.Region, string.Join(';', f.Controls), StatusJson.Time(f.FirstSeenAt),
                f.DueAt is { } due ? StatusJson.Time(due) : "", f.ResolvedAt is { } resolved ? StatusJson.Time(resolved) : "",
            ];
            if (history.Count == 0)
            {
                WriteRow(csv, [.. finding, "", "", "", "", "", "", "", "", ""]);
                continue;
            }
            foreach (var h in history)
            {
                WriteRow(csv, [.. finding, h.Sequence.ToString(System.Globalization.CultureInfo.InvariantCulture), StatusJson.Time(h.At),
                    h.Actor, h.Action, h.FromStatus ?? "", h.ToStatus ?? "", h.FromState ?? "", h.ToState ?? "", h.Reason]);
            }
        }
        return csv.ToString();
    }

    public static byte[] Json(IReadOnlyList<(FindingRecord Finding, IReadOnlyList<HistoryEntry> History)> rows, DateTimeOffset from, DateTimeOffset to, DateTimeOffset now) =>
        StatusJson.Write(w =>
        {
            w.WriteStartObject();
            w.WriteString("from", StatusJson.Time(from));
            w.WriteString("to", StatusJson.Time(to));
            w.WriteString("exportedAt", StatusJson.Time(now));
            w.WriteStartArray("findings");
            foreach (var (f, history) in rows) w.WriteFindingDetail(f, history, now);
            w.WriteEndArray();
            w.WriteEndObject();
        });

    /// <summary>One CSV cell: neutralizes bidi controls and spreadsheet formulas, then quotes per RFC 4180.</summary>
    public static string Cell(string? value)
    {
        value = Output.BidiControls.Neutralize(value);
        if (value.Length > 0 && value[0] is '=' or '+' or '-' or '@' or '\t' or '\r') value = "'" + value;
        return value.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;
    }

    private static void WriteRow(StringBuilder csv, IEnumerable<string> cells)
    {
        csv.AppendJoin(',', cells.Select(Cell));
        csv.Append("\r\n");
    }
}
