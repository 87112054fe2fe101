using System.Text.Json;
using IsmsServerless.StatusPage;

namespace IsmsServerless.Compliance;

/// <summary>The fields of a control's view that the status page and the audit export both write, written once.</summary>
public static class ControlViewJson
{
    /// <summary>Writes title, status, reason, evidence, clauses, rules, duties, counts and last evaluation of <paramref name="v"/>.</summary>
    public static void WriteBody(Utf8JsonWriter w, ControlView v)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(v);
        w.WriteString("title", v.Control.Title);
        w.WriteString("status", v.Status);
        w.WriteString("reason", v.Reason);
        w.WriteString("evidence", v.Control.Evidence);
        w.WriteStartArray("clauses");
        foreach (var clause in v.Control.Clauses) w.WriteStringValue($"{clause.Document}: {clause.Section}");
        w.WriteEndArray();
        w.WriteStartArray("rules");
        foreach (var r in v.Rules) w.WriteStringValue(r);
        w.WriteEndArray();
        w.WriteStartArray("duties");
        foreach (var d in v.Control.Duties) w.WriteStringValue(d);
        w.WriteEndArray();
        w.WriteNumber("evaluated", v.Evaluated);
        w.WriteNumber("passing", v.Passing);
        w.WriteNumber("failing", v.Failing);
        w.WriteTime("lastEvaluatedAt", v.LastEvaluatedAt);
    }
}
