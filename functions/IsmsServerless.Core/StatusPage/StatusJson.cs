using System.Globalization;
using System.Text.Json;
using IsmsServerless.Ledger;
using IsmsServerless.Model;

namespace IsmsServerless.StatusPage;

/// <summary>
/// Writes the API's JSON by hand with <see cref="Utf8JsonWriter"/>. Its default encoder escapes &lt; &gt; &amp; ' and
/// non-ASCII, so a resource name like <c>&lt;script&gt;</c> leaves the API as <c>\u003Cscript\u003E</c> and stays inert
/// even if some consumer pastes it into HTML.
/// </summary>
public static class StatusJson
{
    public static byte[] Write(Action<Utf8JsonWriter> write)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            write(writer);
        }
        return buffer.ToArray();
    }

    public static string Time(DateTimeOffset at) => at.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    public static void WriteTime(this Utf8JsonWriter w, string name, DateTimeOffset? at)
    {
        if (at is { } value) w.WriteString(name, Time(value));
        else w.WriteNull(name);
    }

    /// <summary>One attestation as the export and the control drill-down show it: who, when, the note, evidence links, policy version.</summary>
    public static void WriteAttestation(this Utf8JsonWriter w, Compliance.AttestationRecord a)
    {
        ArgumentNullException.ThrowIfNull(a);
        w.WriteStartObject();
        w.WriteString("dutyId", a.DutyId);
        w.WriteString("by", a.By);
        w.WriteString("at", Time(a.At));
        w.WriteString("note", a.Note);
        w.WriteStartArray("evidence");
        foreach (var link in a.Evidence) w.WriteStringValue(link);
        w.WriteEndArray();
        w.WriteString("policyVersion", a.PolicyVersion);
        w.WriteEndObject();
    }

    public static void WriteFindingSummary(this Utf8JsonWriter w, FindingRecord f, DateTimeOffset now)
    {
        w.WriteStartObject();
        w.WriteString("id", f.Id);
        w.WriteString("ruleId", f.RuleId);
        w.WriteString("title", f.Title);
        w.WriteString("category", f.Category.ToWire());
        w.WriteString("severity", f.Severity.ToWire());
        w.WriteString("status", f.Status.ToWire());
        w.WriteString("resourceId", f.ResourceId);
        w.WriteString("resourceType", f.ResourceType);
        w.WriteString("accountId", f.AccountId);
        w.WriteString("region", f.Region);
        w.WriteString("sla", StatusSla.Current(f, now)?.ToWire());
        w.WriteTime("dueAt", f.DueAt);
        w.WriteTime("firstSeenAt", f.FirstSeenAt);
        w.WriteTime("lastSeenAt", f.LastSeenAt);
        w.WriteStartArray("controls");
        foreach (var control in f.Controls) w.WriteStringValue(control);
        w.WriteEndArray();
        if (f.Waiver is { } waiver)
        {
            w.WritePropertyName("waiver");
            w.WriteWaiver(waiver);
        }
        w.WriteEndObject();
    }

    public static void WriteWaiver(this Utf8JsonWriter w, Waiver waiver)
    {
        w.WriteStartObject();
        w.WriteString("owner", waiver.Owner);
        w.WriteString("reason", waiver.Reason);
        w.WriteString("control", waiver.Control);
        w.WriteTime("expiresAt", waiver.ExpiresAt);
        w.WriteString("grantedBy", waiver.GrantedBy);
        w.WriteTime("grantedAt", waiver.GrantedAt);
        w.WriteEndObject();
    }

    public static void WriteFindingDetail(this Utf8JsonWriter w, FindingRecord f, IReadOnlyList<HistoryEntry> history, DateTimeOffset now, Action<Utf8JsonWriter>? extra = null)
    {
        w.WriteStartObject();
        w.WritePropertyName("finding");
        w.WriteFindingSummary(f, now);
        w.WriteString("message", f.Message);
        w.WriteString("policyClause", f.PolicyClause);
        w.WriteString("remediation", f.Remediation);
        w.WriteTime("resolvedAt", f.ResolvedAt);
        w.WriteStartArray("diff");
        foreach (var d in f.Diff)
        {
            w.WriteStartObject();
            w.WriteString("path", d.Path);
            w.WriteString("expected", d.Expected);
            w.WriteString("actual", d.Actual);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartObject("evidence");
        foreach (var (key, value) in f.Evidence.OrderBy(e => e.Key, StringComparer.Ordinal)) w.WriteString(key, value);
        w.WriteEndObject();
        w.WriteStartArray("history");
        foreach (var h in history) w.WriteHistory(h);
        w.WriteEndArray();
        extra?.Invoke(w);
        w.WriteEndObject();
    }

    public static void WriteHistory(this Utf8JsonWriter w, HistoryEntry h)
    {
        w.WriteStartObject();
        w.WriteNumber("sequence", h.Sequence);
        w.WriteTime("at", h.At);
        w.WriteString("actor", h.Actor);
        w.WriteString("action", h.Action);
        w.WriteString("fromStatus", h.FromStatus);
        w.WriteString("toStatus", h.ToStatus);
        w.WriteString("fromState", h.FromState);
        w.WriteString("toState", h.ToState);
        w.WriteString("reason", h.Reason);
        w.WriteEndObject();
    }
}

/// <summary>The SLA state a finding is in now (the recorded state may lag the sweep by a few minutes).</summary>
public static class StatusSla
{
    public static SlaState? Current(FindingRecord f, DateTimeOffset now)
    {
        if (f.Status is FindingStatus.Resolved or FindingStatus.Suppressed) return null;
        if (f.DueAt is { } due && now >= due) return SlaState.Breached;
        if (f.AtRiskAt is { } atRisk && now >= atRisk) return SlaState.AtRisk > (f.SlaState ?? SlaState.Open) ? SlaState.AtRisk : f.SlaState;
        return f.SlaState ?? (f.DueAt is null ? null : SlaState.Open);
    }
}
