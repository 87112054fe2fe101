using System.Text.Json;
using IsmsServerless.Incidents;
using IsmsServerless.Ledger;
using IsmsServerless.Model;
using IsmsServerless.Obligations;
using IsmsServerless.StatusPage.Auth;

namespace IsmsServerless.StatusPage;

/// <summary>
/// The status page's incidents view: <c>GET /api/incidents</c> (each incident with its three clocks: due, state,
/// attestation), <c>GET /api/incidents/{id}</c> (the clocks plus the incident's findings: the signals that opened it and
/// each missed clock) and <c>POST /api/incidents/{id}/ack|document|review</c> (closing a clock as the signed-in person,
/// through the same <see cref="IncidentService"/> as <c>./isms incident</c>: note required, https evidence, four-eyes).
/// </summary>
internal static class IncidentRoutes
{
    private const int MaxIncidents = 100;
    private const int MaxFindingsScanned = 200;

    public static async Task<StatusResponse> ListAsync(StatusPageServices services, TimeProvider clock, CancellationToken ct)
    {
        if (services.Incidents is null) return NotWired();
        var incidents = await services.Incidents.ListAsync(MaxIncidents, ct).ConfigureAwait(false);
        var now = clock.GetUtcNow();
        return StatusResponse.Json(200, StatusJson.Write(w =>
        {
            w.WriteStartObject();
            w.WriteString("now", StatusJson.Time(now));
            w.WriteStartArray("items");
            foreach (var incident in incidents) WriteIncident(w, incident);
            w.WriteEndArray();
            w.WriteEndObject();
        }));
    }

    public static async Task<StatusResponse> DetailAsync(StatusPageServices services, string incidentId, CancellationToken ct)
    {
        if (services.Incidents is null) return NotWired();
        if (!IncidentObligations.IsIncidentId(incidentId)) return StatusResponse.Error(400, "bad-id", "not an incident id (inc-<24 hex>)");
        var incident = await services.Incidents.GetAsync(incidentId, ct).ConfigureAwait(false);
        if (incident is null) return StatusResponse.Error(404, "not-found", "no such incident");
        // The missed clocks are keyed by the incident id; the signals by their resource, so they are found by category.
        var findings = new List<FindingRecord>((await services.Ledger.QueryByResourceAsync(incidentId, 20, null, ct).ConfigureAwait(false)).Items);
        foreach (var status in new[] { FindingStatus.Open, FindingStatus.Acknowledged, FindingStatus.Resolved })
        {
            var page = await services.Ledger.QueryFindingsAsync(new FindingQuery { Status = status, Category = Category.Incident, Limit = MaxFindingsScanned }, ct).ConfigureAwait(false);
            findings.AddRange(page.Items.Where(f => f.Evidence.TryGetValue("incidentId", out var id) && id == incidentId));
        }
        return StatusResponse.Json(200, StatusJson.Write(w =>
        {
            w.WriteStartObject();
            w.WritePropertyName("incident");
            WriteIncident(w, incident);
            w.WriteStartArray("findings");
            foreach (var f in findings.DistinctBy(f => f.Id).OrderBy(f => f.FirstSeenAt))
            {
                w.WriteStartObject();
                w.WriteString("id", f.Id);
                w.WriteString("ruleId", f.RuleId);
                w.WriteString("title", f.Title);
                w.WriteString("severity", f.Severity.ToWire());
                w.WriteString("status", f.Status.ToWire());
                w.WriteString("resourceId", f.ResourceId);
                w.WriteString("message", f.Message);
                w.WriteString("firstSeenAt", StatusJson.Time(f.FirstSeenAt));
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }));
    }

    public static async Task<ReviewResult> ActAsync(StatusPageServices services, string incidentId, string actionText, StatusPrincipal who, JsonElement body, CancellationToken ct)
    {
        if (services.Incidents is null) return new ReviewResult(false, "incidents are not wired in this deployment", RefusalKind.NotFound);
        if (!IncidentService.TryParseAction(actionText, out var action)) return new ReviewResult(false, "no such action: ack, document or review", RefusalKind.NotFound);
        var evidence = new List<string>();
        if (body.TryGetProperty("evidence", out var links))
        {
            if (links.ValueKind == JsonValueKind.String) evidence.Add(links.GetString() ?? "");
            else if (links.ValueKind == JsonValueKind.Array)
                evidence.AddRange(links.EnumerateArray().Take(20).Select(l => l.ValueKind == JsonValueKind.String ? l.GetString() ?? "" : "\u0000"));
            else return new ReviewResult(false, "evidence must be an https:// link or a list of them", RefusalKind.Invalid);
        }
        evidence.RemoveAll(string.IsNullOrWhiteSpace);
        var note = body.TryGetProperty("note", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString() : null;
        try
        {
            // Who closes the clock is the signed-in identity, never a form field.
            await services.Incidents.ActAsync(action, incidentId, who.Email ?? who.Username, who.Subject, note, evidence, ct).ConfigureAwait(false);
            return ReviewResult.Ok;
        }
        catch (ObligationException ex)
        {
            return new ReviewResult(false, ex.Message, ex.Error switch
            {
                ObligationError.NotFound => RefusalKind.NotFound,
                ObligationError.Invalid => RefusalKind.Invalid,
                _ => RefusalKind.Conflict,
            });
        }
    }

    private static void WriteIncident(Utf8JsonWriter w, IncidentView incident)
    {
        w.WriteStartObject();
        w.WriteString("incidentId", incident.IncidentId);
        w.WriteString("startedAt", StatusJson.Time(incident.StartedAt));
        w.WriteBoolean("open", incident.Open);
        w.WriteStartArray("clocks");
        foreach (var (o, state) in incident.Clocks)
        {
            w.WriteStartObject();
            w.WriteString("clock", o.Kind[IncidentObligations.Prefix.Length..]);
            w.WriteString("obligationId", o.Id);
            w.WriteString("title", o.Spec.Title);
            w.WriteString("dueAt", StatusJson.Time(o.DueAt));
            w.WriteString("state", state.ToWire());
            w.WriteString("owner", o.Spec.OwnerPerson ?? o.Spec.OwnerRole ?? "");
            w.WriteString("evidenceExpected", o.Spec.EvidenceExpected);
            if (o.Attestation is { } a)
            {
                w.WriteStartObject("attestation");
                w.WriteString("by", a.By);
                w.WriteString("at", StatusJson.Time(a.At));
                if (a.Note is { } note) w.WriteString("note", note);
                w.WriteStartArray("evidence");
                foreach (var link in a.Evidence) w.WriteStringValue(link);
                w.WriteEndArray();
                w.WriteBoolean("late", a.At > o.DueAt);
                w.WriteEndObject();
            }
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static StatusResponse NotWired() => StatusResponse.Error(501, "not-available", "incidents are not wired in this deployment");
}
