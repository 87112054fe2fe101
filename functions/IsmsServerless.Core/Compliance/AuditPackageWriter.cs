using System.Globalization;
using System.Text;
using System.Text.Json;
using IsmsServerless.Ledger;
using IsmsServerless.Model;
using IsmsServerless.StatusPage;

namespace IsmsServerless.Compliance;

/// <summary>Writes an <see cref="AuditPackage"/> as JSON, CSV (one table, a <c>section</c> column) or OCSF 1.8.0.</summary>
public static class AuditPackageWriter
{
    public const string OcsfVersion = "1.8.0";

    public static byte[] Json(AuditPackage p) => StatusJson.Write(w =>
    {
        w.WriteStartObject();
        w.WriteString("from", StatusJson.Time(p.From));
        w.WriteString("to", StatusJson.Time(p.To));
        w.WriteString("exportedAt", StatusJson.Time(p.ExportedAt));
        w.WriteString("policyVersion", p.PolicyVersion);
        w.WriteStartArray("policyVersions");
        foreach (var v in p.PolicyVersions) w.WriteStringValue(v);
        w.WriteEndArray();
        w.WriteStartObject("policyDocument");
        w.WriteString("owner", p.PolicyDocument.Owner);
        w.WriteString("approvedBy", p.PolicyDocument.ApprovedBy);
        w.WriteString("approvedDate", p.PolicyDocument.ApprovedDate);
        w.WriteString("nextReview", p.PolicyDocument.NextReview);
        w.WriteEndObject();
        w.WriteStartArray("controls");
        foreach (var c in p.Controls) WriteControl(w, c);
        w.WriteEndArray();
        w.WriteStartArray("statementOfApplicability");
        foreach (var c in p.Controls.Where(c => c.View.Status == ControlStatuses.NotApplicable))
        {
            w.WriteStartObject();
            w.WriteString("id", c.View.Control.Id);
            w.WriteString("framework", c.View.Control.Framework);
            w.WriteString("title", c.View.Control.Title);
            w.WriteString("justification", c.View.Control.Justification);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartArray("evidence");
        foreach (var s in p.Evidence.Values.OrderBy(s => s.RuleId, StringComparer.Ordinal))
        {
            w.WriteStartObject();
            w.WriteString("ruleId", s.RuleId);
            w.WriteNumber("evaluated", s.Evaluated);
            w.WriteNumber("passing", s.Passing);
            w.WriteNumber("failing", s.Failing);
            w.WriteTime("lastEvaluatedAt", s.LastEvaluatedAt);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartArray("findings");
        foreach (var (f, history) in p.Findings) w.WriteFindingDetail(f, history, p.ExportedAt);
        w.WriteEndArray();
        w.WriteStartArray("changeReviews");
        foreach (var r in p.ChangeReviews)
        {
            w.WriteStartObject();
            w.WriteString("changeId", r.ChangeId);
            w.WriteString("kind", r.Kind);
            w.WriteString("principal", r.Principal);
            w.WriteString("reviewer", r.Reviewer);
            w.WriteString("verdict", r.Verdict);
            w.WriteString("reviewedAt", StatusJson.Time(r.ReviewedAt));
            w.WriteString("ticket", r.Ticket);
            w.WriteString("note", r.Note);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        WriteDecisions(w, "waivers", p.Waivers);
        WriteDecisions(w, "baselineApprovals", p.BaselineApprovals);
        w.WriteStartArray("attestations");
        foreach (var a in p.Attestations) w.WriteAttestation(a);
        w.WriteEndArray();
        w.WriteStartArray("incidents");
        foreach (var i in p.Incidents)
        {
            w.WriteStartObject();
            w.WriteString("incidentId", i.IncidentId);
            w.WriteString("startedAt", StatusJson.Time(i.StartedAt));
            w.WriteBoolean("open", i.Open);
            w.WriteStartArray("clocks");
            foreach (var (o, state) in i.Clocks)
            {
                w.WriteStartObject();
                w.WriteString("clock", o.Kind[Incidents.IncidentObligations.Prefix.Length..]);
                w.WriteString("dueAt", StatusJson.Time(o.DueAt));
                w.WriteString("state", Obligations.ObligationStateNames.ToWire(state));
                if (o.Attestation is { } a)
                {
                    w.WriteString("by", a.By);
                    w.WriteString("at", StatusJson.Time(a.At));
                    w.WriteString("note", a.Note ?? "");
                    w.WriteStartArray("evidence");
                    foreach (var link in a.Evidence) w.WriteStringValue(link);
                    w.WriteEndArray();
                    w.WriteBoolean("late", a.At > o.DueAt);
                }
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartArray("accessReviews");
        foreach (var review in p.AccessReviews) Access.AccessReviewExport.Write(w, review);
        w.WriteEndArray();
        w.WriteEndObject();
    });

    private static void WriteControl(Utf8JsonWriter w, ControlPeriodStatus c)
    {
        var v = c.View;
        w.WriteStartObject();
        w.WriteString("id", v.Control.Id);
        w.WriteString("framework", v.Control.Framework);
        ControlViewJson.WriteBody(w, v);
        w.WriteString("periodStatus", c.PeriodStatus);
        w.WriteNumber("findingsInPeriod", c.FindingsInPeriod);
        w.WriteNumber("findingsOpenAtEnd", c.FindingsOpenAtEnd);
        w.WriteEndObject();
    }

    private static void WriteDecisions(Utf8JsonWriter w, string name, IReadOnlyList<DecisionRecord> decisions)
    {
        w.WriteStartArray(name);
        foreach (var d in decisions)
        {
            w.WriteStartObject();
            w.WriteString("findingId", d.Finding.Id);
            w.WriteString("ruleId", d.Finding.RuleId);
            w.WriteString("resourceId", d.Finding.ResourceId);
            w.WriteString("action", d.Entry.Action);
            w.WriteString("actor", d.Entry.Actor);
            w.WriteString("at", StatusJson.Time(d.Entry.At));
            w.WriteString("reason", d.Entry.Reason);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    public static readonly string[] CsvColumns =
        ["section", "id", "framework", "title", "status", "action", "detail", "rule_id", "resource_id", "actor", "at", "evaluated", "passing", "failing", "policy_version"];

    /// <summary>One table, a row per control, rule evidence, finding history line, change review, decision and attestation.</summary>
    public static string Csv(AuditPackage p)
    {
        var csv = new StringBuilder();
        Row(csv, CsvColumns);
        Row(csv, ["policy", p.PolicyVersion, "", p.PolicyDocument.Title, "in-force", "", $"versions in period: {string.Join(' ', p.PolicyVersions)}; next review {p.PolicyDocument.NextReview}", "", "", p.PolicyDocument.Owner, StatusJson.Time(p.ExportedAt), "", "", "", p.PolicyVersion]);
        foreach (var c in p.Controls)
        {
            var v = c.View;
            Row(csv, ["control", v.Control.Id, v.Control.Framework, v.Control.Title, c.PeriodStatus, "",
                $"now {v.Status}: {v.Reason}; findings in period {c.FindingsInPeriod}", string.Join(';', v.Rules), "", "",
                v.LastEvaluatedAt is { } l ? StatusJson.Time(l) : "", Num(v.Evaluated), Num(v.Passing), Num(v.Failing), p.PolicyVersion]);
        }
        foreach (var s in p.Evidence.Values.OrderBy(s => s.RuleId, StringComparer.Ordinal))
            Row(csv, ["evidence", s.RuleId, "", "", s.Failing > 0 ? "fail" : "pass", "", "", s.RuleId, "", "", s.LastEvaluatedAt is { } l ? StatusJson.Time(l) : "", Num(s.Evaluated), Num(s.Passing), Num(s.Failing), p.PolicyVersion]);
        foreach (var (f, history) in p.Findings)
        {
            var version = f.Evidence.GetValueOrDefault("policyVersion") ?? "";
            if (history.Count == 0) Row(csv, ["finding", f.Id, string.Join(';', f.Controls), f.Title, f.Status.ToWire(), "", f.Message, f.RuleId, f.ResourceId, "", StatusJson.Time(f.FirstSeenAt), "", "", "", version]);
            foreach (var h in history)
                Row(csv, ["finding", f.Id, string.Join(';', f.Controls), f.Title, h.ToStatus ?? f.Status.ToWire(), h.Action, h.Reason, f.RuleId, f.ResourceId, h.Actor, StatusJson.Time(h.At), "", "", "", version]);
        }
        foreach (var r in p.ChangeReviews)
            Row(csv, ["change-review", r.ChangeId, r.Kind, r.Principal, r.Verdict, "review", $"{r.Ticket} {r.Note}".Trim(), "", "", r.Reviewer, StatusJson.Time(r.ReviewedAt), "", "", "", ""]);
        foreach (var d in p.Waivers.Concat(p.BaselineApprovals))
            Row(csv, [d.Kind, d.Finding.Id, "", d.Finding.Title, d.Finding.Status.ToWire(), d.Entry.Action, DecisionDetail(d), d.Finding.RuleId, d.Finding.ResourceId, d.Entry.Actor, StatusJson.Time(d.Entry.At), "", "", "", ""]);
        foreach (var a in p.Attestations)
            Row(csv, ["attestation", a.DutyId, "", "", "done", "attested", $"{a.Note} {string.Join(' ', a.Evidence)}".Trim(), "", "", a.By, StatusJson.Time(a.At), "", "", "", a.PolicyVersion]);
        // One row per incident clock: due time, state at export, and who closed it (when, with what).
        foreach (var i in p.Incidents)
        {
            foreach (var (o, state) in i.Clocks)
            {
                var a = o.Attestation;
                Row(csv, ["incident-clock", i.IncidentId, "", o.Kind[Incidents.IncidentObligations.Prefix.Length..], Obligations.ObligationStateNames.ToWire(state), a is null ? "due " + StatusJson.Time(o.DueAt) : "closed",
                    a is null ? "" : $"{a.Note} {string.Join(' ', a.Evidence)}".Trim(), "", "", a?.By ?? "", StatusJson.Time(a?.At ?? o.DueAt), "", "", "", o.Spec.PolicyVersion]);
            }
        }
        // One row per principal of each access review campaign: snapshot, decision, and the finding it opened.
        foreach (var review in p.AccessReviews)
        {
            foreach (var row in Access.AccessReviewExport.CsvRows(review, p.PolicyVersion)) Row(csv, row);
        }
        return csv.ToString();
    }

    /// <summary>
    /// A decision's reason; for a waiver in force also its owner, who granted it and until when (issue 15: the export
    /// shows the granter, who may differ from the owner the granter named).
    /// </summary>
    private static string DecisionDetail(DecisionRecord d) =>
        d.Entry.Action is "waived" or "waiver-renewed" && d.Finding.Waiver is { } w && w.GrantedAt == d.Entry.At
            ? $"{d.Entry.Reason} (owner {w.Owner}; granted by {w.GrantedBy}; expires {StatusJson.Time(w.ExpiresAt)})"
            : d.Entry.Reason;

    /// <summary>
    /// OCSF 1.8.0 as JSON Lines: a Compliance Finding (2003) per finding of a rule result and per control's evidence
    /// result (its <c>compliance</c>: standards, control, status), a Detection Finding (2004) per monitoring finding.
    /// </summary>
    public static string Ocsf(AuditPackage p)
    {
        var lines = new StringBuilder();
        foreach (var c in p.Controls.Where(c => c.View.Status != ControlStatuses.NotApplicable))
            lines.Append(Encoding.UTF8.GetString(StatusJson.Write(w => ControlEvent(w, p, c)))).Append('\n');
        foreach (var (f, _) in p.Findings)
            lines.Append(Encoding.UTF8.GetString(StatusJson.Write(w => FindingEvent(w, p, f)))).Append('\n');
        return lines.ToString();
    }

    private static void ControlEvent(Utf8JsonWriter w, AuditPackage p, ControlPeriodStatus c)
    {
        var v = c.View;
        var statusId = c.PeriodStatus switch { ControlStatuses.Pass => 1, ControlStatuses.Fail => 3, _ => 2 };
        Header(w, 2003, "Compliance Finding", activityId: 1, severityId: statusId == 3 ? 4 : 1, time: p.ExportedAt,
            message: $"{v.Control.Framework} {v.Control.Id} {v.Control.Title}: {c.PeriodStatus} ({v.Reason})", p.PolicyVersion, "control:" + v.Control.Key);
        w.WriteNumber("status_id", 1);
        w.WriteString("status", "New");
        w.WriteStartObject("finding_info");
        w.WriteString("uid", "control:" + v.Control.Key + ":" + StatusJson.Time(p.From) + "/" + StatusJson.Time(p.To));
        w.WriteString("title", $"{v.Control.Id} {v.Control.Title}");
        w.WriteString("desc", v.Reason);
        if (v.LastEvaluatedAt is { } last) w.WriteNumber("last_seen_time", last.ToUnixTimeMilliseconds());
        w.WriteEndObject();
        w.WriteStartObject("compliance");
        w.WriteStartArray("standards");
        w.WriteStringValue(v.Control.Framework);
        w.WriteEndArray();
        w.WriteString("control", v.Control.Id);
        w.WriteNumber("status_id", statusId);
        w.WriteString("status", statusId switch { 1 => "Pass", 3 => "Fail", _ => "Warning" });
        w.WriteString("status_detail", $"{v.Passing} passing, {v.Failing} failing of {v.Evaluated} evaluated; {c.FindingsInPeriod} finding(s) in the period");
        w.WriteStartArray("requirements");
        foreach (var clause in v.Control.Clauses) w.WriteStringValue($"{clause.Document}: {clause.Section}");
        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static void FindingEvent(Utf8JsonWriter w, AuditPackage p, FindingRecord f)
    {
        var detection = f.Category == Category.Monitoring;
        var activity = f.Status == FindingStatus.Resolved ? 3 : f.HistoryLength > 1 ? 2 : 1;
        Header(w, detection ? 2004 : 2003, detection ? "Detection Finding" : "Compliance Finding", activity, SeverityId(f.Severity), f.LastSeenAt, f.Message,
            f.Evidence.GetValueOrDefault("policyVersion") ?? p.PolicyVersion, f.Id);
        var (statusId, status) = f.Status switch
        {
            FindingStatus.Open => (1, "New"),
            FindingStatus.Acknowledged => (2, "In Progress"),
            FindingStatus.Suppressed => (3, "Suppressed"),
            _ => (4, "Resolved"),
        };
        w.WriteNumber("status_id", statusId);
        w.WriteString("status", status);
        w.WriteStartObject("finding_info");
        w.WriteString("uid", f.Id);
        w.WriteString("title", f.Title);
        w.WriteString("desc", f.Message);
        w.WriteNumber("first_seen_time", f.FirstSeenAt.ToUnixTimeMilliseconds());
        w.WriteNumber("last_seen_time", f.LastSeenAt.ToUnixTimeMilliseconds());
        w.WriteStartArray("types");
        w.WriteStringValue(f.Category.ToWire());
        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteStartArray("resources");
        w.WriteStartObject();
        w.WriteString("uid", f.ResourceId);
        if (f.ResourceType.Length > 0) w.WriteString("type", f.ResourceType);
        if (f.Region.Length > 0) w.WriteString("region", f.Region);
        w.WriteEndObject();
        w.WriteEndArray();
        if (f.Remediation.Length > 0)
        {
            w.WriteStartObject("remediation");
            w.WriteString("desc", f.Remediation);
            w.WriteEndObject();
        }
        if (!detection)
        {
            w.WriteStartObject("compliance");
            w.WriteStartArray("standards");
            foreach (var s in f.Controls.Select(c => c.Split(' ')[0]).Distinct(StringComparer.Ordinal)) w.WriteStringValue(s);
            w.WriteEndArray();
            var primary = f.Controls.Count > 0 ? f.Controls[0] : "";
            w.WriteString("control", primary.Contains(' ', StringComparison.Ordinal) ? primary[(primary.IndexOf(' ', StringComparison.Ordinal) + 1)..] : primary);
            var pass = f.Status == FindingStatus.Resolved;
            w.WriteNumber("status_id", pass ? 1 : 3);
            w.WriteString("status", pass ? "Pass" : "Fail");
            if (f.Waiver is { } waiver) w.WriteString("status_detail", $"waived by {waiver.GrantedBy} until {StatusJson.Time(waiver.ExpiresAt)}: {waiver.Reason}");
            w.WriteStartArray("requirements");
            foreach (var c in f.Controls) w.WriteStringValue(c);
            w.WriteEndArray();
            w.WriteEndObject();
        }
        w.WriteEndObject();
    }

    private static void Header(Utf8JsonWriter w, int classUid, string className, int activityId, int severityId, DateTimeOffset time, string message, string policyVersion, string uid)
    {
        w.WriteStartObject();
        w.WriteNumber("activity_id", activityId);
        w.WriteString("activity_name", activityId switch { 1 => "Create", 2 => "Update", _ => "Close" });
        w.WriteNumber("category_uid", 2);
        w.WriteString("category_name", "Findings");
        w.WriteNumber("class_uid", classUid);
        w.WriteString("class_name", className);
        w.WriteNumber("type_uid", (long)classUid * 100 + activityId);
        w.WriteNumber("severity_id", severityId);
        w.WriteString("severity", severityId switch { 1 => "Informational", 2 => "Low", 3 => "Medium", 4 => "High", 5 => "Critical", _ => "Unknown" });
        w.WriteNumber("time", time.ToUnixTimeMilliseconds());
        w.WriteString("message", message);
        w.WriteStartObject("metadata");
        w.WriteString("version", OcsfVersion);
        w.WriteString("uid", uid);
        w.WriteStartObject("product");
        w.WriteString("name", "IsmsServerless");
        w.WriteString("vendor_name", "Qwestly");
        w.WriteEndObject();
        w.WriteStartArray("labels");
        w.WriteStringValue("policy-version:" + policyVersion);
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static int SeverityId(Severity s) => s switch
    {
        Severity.Informational => 1,
        Severity.Low => 2,
        Severity.Medium => 3,
        Severity.High => 4,
        Severity.Critical => 5,
        _ => 0,
    };

    private static string Num(long n) => n.ToString(CultureInfo.InvariantCulture);

    private static void Row(StringBuilder csv, IEnumerable<string?> cells)
    {
        csv.AppendJoin(',', cells.Select(AuditExport.Cell));
        csv.Append("\r\n");
    }
}
