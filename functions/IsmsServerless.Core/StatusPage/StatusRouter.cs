using System.Globalization;
using System.Text;
using System.Text.Json;
using IsmsServerless.Ledger;
using IsmsServerless.Model;
using IsmsServerless.Observability;
using IsmsServerless.Obligations;
using IsmsServerless.StatusPage.Auth;

namespace IsmsServerless.StatusPage;

/// <summary>
/// The status page's HTTP surface, independent of the host: static page, JSON views, CSV/JSON export, and actions.
/// Every <c>/api/</c> route except <c>/api/config</c> needs a valid bearer token (401); actions need the reviewers
/// group (403), a JSON content type (415) and, when the browser sends one, an Origin equal to our own (403). No
/// cookies are read or set, so a cross-site request carries no credentials (CSRF).
/// </summary>
public sealed partial class StatusRouter(StatusPageServices services, StatusPageOptions options, TokenValidator validator, TimeProvider clock, LocalIssuer? localIssuer = null)
{
    private const int DefaultPageSize = 50;
    private const int MaxPageSize = 200;
    private const int MaxReasonLength = 2000;
    private const int MaxExportFindings = 20_000;

    public async Task<StatusResponse> HandleAsync(StatusRequest request, CancellationToken cancellationToken = default)
    {
        StatusResponse response;
        try
        {
            response = HostRejected(request) ?? await RouteAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (Amazon.DynamoDBv2.AmazonDynamoDBException ex) when (ex.ErrorCode == "ValidationException" && request.QueryValue("cursor") is not null)
        {
            // A forged cursor that decodes but names a start key DynamoDB refuses: the caller's mistake, not ours.
            Log.Warn("statuspage.bad-cursor", ("path", request.Path), ("reason", ex.Message));
            response = StatusResponse.Error(400, "bad-cursor", "the paging cursor is not valid");
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Log.Error("statuspage.error", ex, ("method", request.Method), ("path", request.Path));
            response = StatusResponse.Error(500, "internal", "the request failed; it has been logged");
        }
        AddSecurityHeaders(response, request.Path);
        return response;
    }

    /// <summary>DNS rebinding: where hosts are configured (local serve), any other Host header is refused before routing.</summary>
    private StatusResponse? HostRejected(StatusRequest request)
    {
        if (options.AllowedHosts is not { } hosts) return null;
        var host = request.Header("Host") ?? "";
        if (hosts.Contains(host, StringComparer.OrdinalIgnoreCase)) return null;
        Log.Warn("statuspage.bad-host", ("path", request.Path), ("host", host.Length > 100 ? host[..100] : host));
        return StatusResponse.Error(421, "misdirected", "this server answers only on its own loopback address");
    }

    private async Task<StatusResponse> RouteAsync(StatusRequest request, CancellationToken ct)
    {
        var segments = Segments(request.Path);
        if (segments is null) return StatusResponse.Error(400, "bad-path", "malformed path");
        var method = request.Method.ToUpperInvariant();

        if (segments.Length == 0 || segments[0] is "index.html" or "assets" or "favicon.svg")
            return method is "GET" or "HEAD" ? StaticAsset(segments) : MethodNotAllowed();

        if (segments[0] == "local" && localIssuer is not null && options.LocalSignIn)
            return await LocalAsync(request, method, segments).ConfigureAwait(false);

        if (segments[0] != "api") return StatusResponse.Error(404, "not-found", "no such route");
        if (segments is ["api", "config"]) return method == "GET" ? Config() : MethodNotAllowed();

        var (principal, failure) = await validator.ValidateAsync(request.Header("Authorization"), ct).ConfigureAwait(false);
        if (principal is null)
        {
            Log.Warn("statuspage.unauthenticated", ("path", request.Path), ("reason", failure));
            var unauthorized = StatusResponse.Error(401, "unauthenticated", "a valid bearer token is required");
            unauthorized.Headers["WWW-Authenticate"] = "Bearer";
            return unauthorized;
        }

        if (method == "GET")
        {
            return segments switch
            {
                ["api", "me"] => Me(principal),
                ["api", "overview"] => await OverviewAsync(ct).ConfigureAwait(false),
                ["api", "findings"] => await FindingsAsync(request, ct).ConfigureAwait(false),
                ["api", "findings", var id] => await DetailAsync(id, ct).ConfigureAwait(false),
                ["api", "changes", "pending"] => await PendingChangesAsync(ct).ConfigureAwait(false),
                ["api", "changes", "reviewed"] => await ReviewedChangesAsync(ct).ConfigureAwait(false),
                ["api", "changes", var id] => await ChangeDetailAsync(id, ct).ConfigureAwait(false),
                ["api", "waivers"] => await WaiversAsync(ct).ConfigureAwait(false),
                ["api", "duties"] => await DutiesAsync(ct).ConfigureAwait(false),
                ["api", "incidents"] => await IncidentRoutes.ListAsync(services, clock, ct).ConfigureAwait(false),
                ["api", "incidents", var incidentId] => await IncidentRoutes.DetailAsync(services, incidentId, ct).ConfigureAwait(false),
                ["api", "trend"] => await TrendAsync(request, ct).ConfigureAwait(false),
                ["api", "export"] => await ExportAsync(request, ct).ConfigureAwait(false),
                ["api", "controls"] => await ControlsAsync(ct).ConfigureAwait(false),
                ["api", "control"] => await ControlDetailAsync(request, ct).ConfigureAwait(false),
                ["api", "access"] => await AccessInventoryAsync(ct).ConfigureAwait(false),
                ["api", "access-review"] => await AccessReviewAsync(ct).ConfigureAwait(false),
                ["api", "people"] => await PeopleAsync(ct).ConfigureAwait(false),
                _ => StatusResponse.Error(404, "not-found", "no such route"),
            };
        }
        if (method != "POST") return MethodNotAllowed();

        if (CheckActionRequest(request) is { } rejected) return rejected;
        if (!principal.IsIn(options.Auth.ReviewersGroup))
        {
            Log.Warn("statuspage.forbidden", ("path", request.Path), ("actor", principal.Username));
            return StatusResponse.Error(403, "forbidden", $"actions need membership of the '{options.Auth.ReviewersGroup}' group");
        }
        JsonElement body;
        if (!System.Text.Unicode.Utf8.IsValid(request.Body)) return BadEncoding();
        try
        {
            using var document = JsonDocument.Parse(request.Body, new JsonDocumentOptions { MaxDepth = 8 });
            body = document.RootElement.Clone();
        }
        catch (JsonException)
        {
            return StatusResponse.Error(400, "bad-json", "the body is not valid JSON");
        }
        if (body.ValueKind != JsonValueKind.Object) return StatusResponse.Error(400, "bad-json", "the body must be a JSON object");

        var now = clock.GetUtcNow();
        try
        {
            return segments switch
            {
                ["api", "findings", var id, "acknowledge"] => await AcknowledgeAsync(id, principal, body, now, ct).ConfigureAwait(false),
                ["api", "findings", var id, "waiver"] => await GrantWaiverAsync(id, principal, body, now, ct).ConfigureAwait(false),
                ["api", "findings", var id, "waiver", "revoke"] => await RevokeWaiverAsync(id, principal, body, now, ct).ConfigureAwait(false),
                ["api", "findings", var id, "baseline", "approve"] => await ApproveBaselineAsync(id, principal, body, now, ct).ConfigureAwait(false),
                ["api", "changes", var id, "review"] => await ReviewAsync(id, principal, body, now, ct).ConfigureAwait(false),
                ["api", "changes", var id, "reconcile"] => await ReconcileAsync(id, principal, body, ct).ConfigureAwait(false),
                ["api", "duties", var id, "attest"] => await AttestAsync(id, principal, body, ct).ConfigureAwait(false),
                ["api", "access-review", var id, "decide"] => await DecideAccessAsync(id, principal, body, ct).ConfigureAwait(false),
                ["api", "people", "leave"] => await MarkLeaveAsync(principal, body, now, ct).ConfigureAwait(false),
                ["api", "incidents", var id, var action] => Outcome(await IncidentRoutes.ActAsync(services, id, action, principal, body, ct).ConfigureAwait(false), id, principal, "incident-" + action),
                _ => StatusResponse.Error(404, "not-found", "no such action"),
            };
        }
        catch (KeyNotFoundException)
        {
            return StatusResponse.Error(404, "not-found", "no such finding");
        }
        catch (ArgumentException ex)
        {
            return StatusResponse.Error(400, "invalid", ex.Message);
        }
        catch (InvalidOperationException ex)
        {
            // The ledger refuses transitions that do not apply (e.g. acknowledging a resolved finding).
            Log.Warn("statuspage.action-refused", ("path", request.Path), ("actor", principal.Username), ("reason", ex.Message));
            return StatusResponse.Error(409, "conflict", ex.Message);
        }
    }

    /// <summary>CSRF: JSON only (a cross-site form cannot send it without a CORS preflight we never grant) and our own Origin.</summary>
    private StatusResponse? CheckActionRequest(StatusRequest request)
    {
        var contentType = request.Header("Content-Type") ?? "";
        if (!contentType.StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
            return StatusResponse.Error(415, "unsupported-media-type", "actions take application/json");
        if (request.Header("Origin") is { } origin && !OwnOrigins(request).Contains(origin, StringComparer.OrdinalIgnoreCase))
        {
            Log.Warn("statuspage.cross-origin", ("path", request.Path), ("origin", origin));
            return StatusResponse.Error(403, "cross-origin", "the request's Origin is not this site");
        }
        if (request.Body.Length > StatusRequest.MaxBodyBytes) return StatusResponse.Error(413, "too-large", "the body is too large");
        return null;
    }

    private IReadOnlyList<string> OwnOrigins(StatusRequest request) =>
        options.AllowedOrigins ?? [$"{options.PublicScheme}://{request.Header("Host")}"];

    private static StatusResponse BadEncoding() => StatusResponse.Error(400, "bad-encoding", "the body is not valid UTF-8");

    // ---- views ----

    private static StatusResponse Me(StatusPrincipal principal) => StatusResponse.Json(200, StatusJson.Write(w =>
    {
        w.WriteStartObject();
        w.WriteString("username", principal.Username);
        w.WriteStartArray("groups");
        foreach (var g in principal.Groups) w.WriteStringValue(g);
        w.WriteEndArray();
        w.WriteEndObject();
    }));

    private async Task<StatusResponse> OverviewAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var overview = await services.Overview.GetOverviewAsync(ct).ConfigureAwait(false);
        return StatusResponse.Json(200, StatusJson.Write(w =>
        {
            w.WriteStartObject();
            w.WriteString("generatedAt", StatusJson.Time(now));
            WriteCounts(w, "areas", overview.Areas);
            WriteCounts(w, "controls", overview.Controls);
            w.WriteEndObject();
        }));
    }

    private static void WriteCounts(Utf8JsonWriter w, string name, IReadOnlyList<CountsRow> counts)
    {
        w.WriteStartArray(name);
        foreach (var c in counts)
        {
            w.WriteStartObject();
            w.WriteString("key", c.Key);
            w.WriteString("framework", c.Key.StartsWith("ISO", StringComparison.Ordinal) ? "ISO 27001:2022" : c.Key.StartsWith("SOC2", StringComparison.Ordinal) ? "SOC 2" : "");
            w.WriteNumber("open", c.Open);
            w.WriteNumber("acknowledged", c.Acknowledged);
            w.WriteNumber("suppressed", c.Suppressed);
            w.WriteNumber("atRisk", c.AtRisk);
            w.WriteNumber("breached", c.Breached);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    private async Task<StatusResponse> FindingsAsync(StatusRequest request, CancellationToken ct)
    {
        var statusText = request.QueryValue("status") ?? "open";
        if (!FindingStatusNames.TryParse(statusText, out var status)) return StatusResponse.Error(400, "bad-filter", "status must be open, acknowledged, suppressed or resolved");
        Category? category = null;
        if (request.QueryValue("category") is { } categoryText)
        {
            if (!Enum.GetValues<Category>().Any(c => c.ToWire() == categoryText)) return StatusResponse.Error(400, "bad-filter", "category must be drift, patch, change, monitoring, backup, incident, duty or access");
            category = Enum.GetValues<Category>().First(c => c.ToWire() == categoryText);
        }
        Severity? severity = null;
        if (request.QueryValue("severity") is { } severityText)
        {
            if (!SeverityNames.TryParse(severityText, out var parsed)) return StatusResponse.Error(400, "bad-filter", "unknown severity");
            severity = parsed;
        }
        var limit = Math.Clamp(ParseInt(request.QueryValue("limit")) ?? DefaultPageSize, 1, MaxPageSize);
        var cursor = request.QueryValue("cursor");
        var control = request.QueryValue("control");
        if (control is { Length: > 100 } || cursor is { Length: > 2048 }) return StatusResponse.Error(400, "bad-filter", "filter too long");

        // One page: the ledger's rule partitions holding the status (and area) merged by severity then due date, or those
        // claiming the control when a control is chosen (then status, category and severity are filtered within the page).
        Page<FindingRecord> page;
        try
        {
            page = control is null
                ? await services.Ledger.QueryFindingsAsync(new FindingQuery { Status = status, Category = category, Severity = severity, Limit = limit, Cursor = cursor }, ct).ConfigureAwait(false)
                : await services.Ledger.QueryByControlAsync(control, limit, cursor, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException)
        {
            Log.Warn("statuspage.bad-cursor", ("path", request.Path), ("reason", ex.Message));
            return StatusResponse.Error(400, "bad-cursor", "the paging cursor is not valid");
        }
        var now = clock.GetUtcNow();
        var items = page.Items
            .Where(f => f.Status == status && (category is null || f.Category == category) && (severity is null || f.Severity == severity))
            .OrderByDescending(f => f.Severity).ThenBy(f => f.DueAt ?? DateTimeOffset.MaxValue).ThenBy(f => f.Id, StringComparer.Ordinal)
            .ToList();
        return StatusResponse.Json(200, StatusJson.Write(w =>
        {
            w.WriteStartObject();
            w.WriteStartArray("items");
            foreach (var f in items) w.WriteFindingSummary(f, now);
            w.WriteEndArray();
            w.WriteString("nextCursor", page.NextCursor);
            w.WriteEndObject();
        }));
    }

    private async Task<StatusResponse> DetailAsync(string id, CancellationToken ct)
    {
        var finding = await services.Ledger.GetAsync(id, ct).ConfigureAwait(false);
        if (finding is null) return StatusResponse.Error(404, "not-found", "no such finding");
        var history = await services.Ledger.GetHistoryAsync(id, ct).ConfigureAwait(false);
        var now = clock.GetUtcNow();
        // "Approve as baseline" is offered only when an approval could settle the finding, and names what it would approve.
        var notApprovable = Drift.DriftApprovability.NotApprovable(finding);
        var version = notApprovable is null && services.Baselines is not null
            ? await services.Baselines.CurrentVersionAsync(id, ct).ConfigureAwait(false)
            : null;
        return StatusResponse.Json(200, StatusJson.Write(w => w.WriteFindingDetail(finding, history, now, x =>
        {
            x.WriteBoolean("baselineApprovable", version is not null);
            x.WriteString("configurationVersion", version);
            x.WriteString("notApprovableReason", notApprovable);
        })));
    }

    private async Task<StatusResponse> PendingChangesAsync(CancellationToken ct)
    {
        var pending = await services.Changes.PendingAsync(100, ct).ConfigureAwait(false);
        var now = clock.GetUtcNow();
        return StatusResponse.Json(200, StatusJson.Write(w =>
        {
            w.WriteStartObject();
            w.WriteString("now", StatusJson.Time(now));
            w.WriteStartArray("items");
            foreach (var c in pending)
            {
                w.WriteStartObject();
                w.WriteString("changeId", c.ChangeId);
                w.WriteString("kind", c.Kind);
                w.WriteString("title", c.Title);
                w.WriteString("actor", c.Actor);
                w.WriteString("principal", c.Principal);
                w.WriteStartArray("resources");
                foreach (var r in c.Resources) w.WriteStringValue(r);
                w.WriteEndArray();
                w.WriteNumber("callCount", c.CallCount);
                w.WriteTime("firstCallAt", c.FirstCallAt);
                w.WriteTime("dueAt", c.DueAt);
                w.WriteBoolean("overdue", c.Overdue);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }));
    }

    private async Task<StatusResponse> ReviewedChangesAsync(CancellationToken ct)
    {
        var reviewed = await services.Changes.ReviewedAsync(50, ct).ConfigureAwait(false);
        return StatusResponse.Json(200, StatusJson.Write(w =>
        {
            w.WriteStartObject();
            w.WriteStartArray("items");
            foreach (var c in reviewed)
            {
                w.WriteStartObject();
                w.WriteString("changeId", c.ChangeId);
                w.WriteString("kind", c.Kind);
                w.WriteString("principal", c.Principal);
                w.WriteString("reviewer", c.Reviewer);
                w.WriteString("verdict", c.Verdict);
                w.WriteTime("reviewedAt", c.ReviewedAt);
                w.WriteString("ticketUrl", c.Ticket);
                w.WriteString("note", c.Note);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }));
    }

    private async Task<StatusResponse> WaiversAsync(CancellationToken ct)
    {
        // Waived findings are exactly the suppressed ones: one Query.
        var page = await services.Ledger.QueryByStatusAsync(FindingStatus.Suppressed, MaxPageSize, null, ct).ConfigureAwait(false);
        var now = clock.GetUtcNow();
        return StatusResponse.Json(200, StatusJson.Write(w =>
        {
            w.WriteStartObject();
            w.WriteString("now", StatusJson.Time(now));
            w.WriteStartArray("items");
            foreach (var f in page.Items.Where(f => f.Waiver is not null).OrderBy(f => f.Waiver!.ExpiresAt)) w.WriteFindingSummary(f, now);
            w.WriteEndArray();
            w.WriteString("nextCursor", page.NextCursor);
            w.WriteEndObject();
        }));
    }

    private async Task<StatusResponse> TrendAsync(StatusRequest request, CancellationToken ct)
    {
        var days = Math.Clamp(ParseInt(request.QueryValue("days")) ?? 30, 2, 365);
        var to = DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime);
        var points = await services.Overview.GetTrendAsync(to.AddDays(1 - days), to, ct).ConfigureAwait(false);
        return StatusResponse.Json(200, StatusJson.Write(w =>
        {
            w.WriteStartObject();
            w.WriteStartArray("points");
            foreach (var p in points)
            {
                w.WriteStartObject();
                w.WriteString("day", p.Day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
                w.WriteNumber("open", p.Open);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }));
    }

    private async Task<StatusResponse> ExportAsync(StatusRequest request, CancellationToken ct)
    {
        if (!TryParseDay(request.QueryValue("from"), out var from) || !TryParseDay(request.QueryValue("to"), out var toDay))
            return StatusResponse.Error(400, "bad-period", "from and to are required dates (yyyy-MM-dd)");
        var to = toDay.AddDays(1);
        if (to <= from || to - from > TimeSpan.FromDays(800)) return StatusResponse.Error(400, "bad-period", "the period must be 1 to 800 days");
        var format = request.QueryValue("format") ?? "csv";
        if (format is not ("csv" or "json" or "ocsf")) return StatusResponse.Error(400, "bad-format", "format must be csv, json or ocsf");
        if (services.Controls is { } controls && services.Evidence is { } evidence)
        {
            Compliance.AuditPackage package;
            try
            {
                package = await new Compliance.AuditPackageBuilder(services.Ledger, evidence, controls, services.Changes, services.Attestations) { Incidents = services.Incidents, AccessReviews = services.Access?.Review }
                    .BuildAsync(from, to, clock.GetUtcNow(), ct).ConfigureAwait(false);
            }
            catch (Compliance.AuditExportTooLargeException ex)
            {
                return StatusResponse.Error(413, "too-large", ex.Message);
            }
            var file = $"isms-evidence-{from:yyyyMMdd}-{toDay:yyyyMMdd}.{(format == "ocsf" ? "ocsf.jsonl" : format)}";
            var packaged = format switch
            {
                "csv" => new StatusResponse(200, "text/csv; charset=utf-8", Encoding.UTF8.GetBytes(Compliance.AuditPackageWriter.Csv(package))),
                "ocsf" => new StatusResponse(200, "application/x-ndjson; charset=utf-8", Encoding.UTF8.GetBytes(Compliance.AuditPackageWriter.Ocsf(package))),
                _ => StatusResponse.Json(200, Compliance.AuditPackageWriter.Json(package)),
            };
            packaged.Headers["Content-Disposition"] = $"attachment; filename=\"{file}\"";
            return packaged;
        }
        if (format == "ocsf") return StatusResponse.Error(400, "bad-format", "ocsf needs the controls view wired");

        var rows = new List<(FindingRecord, IReadOnlyList<HistoryEntry>)>();
        foreach (var status in Enum.GetValues<FindingStatus>())
        {
            string? cursor = null;
            do
            {
                var page = await services.Ledger.QueryByStatusAsync(status, 1000, cursor, ct).ConfigureAwait(false);
                foreach (var f in page.Items.Where(f => AuditExport.InPeriod(f, from, to)))
                {
                    if (rows.Count >= MaxExportFindings) return StatusResponse.Error(413, "too-large", "more than 20000 findings in the period: export a shorter period");
                    rows.Add((f, await services.Ledger.GetHistoryAsync(f.Id, ct).ConfigureAwait(false)));
                }
                cursor = page.NextCursor;
            }
            while (cursor is not null);
        }
        var name = $"isms-evidence-{from:yyyyMMdd}-{toDay:yyyyMMdd}.{format}";
        var response = format == "csv"
            ? new StatusResponse(200, "text/csv; charset=utf-8", Encoding.UTF8.GetBytes(AuditExport.Csv(rows)))
            : StatusResponse.Json(200, AuditExport.Json(rows, from, to, clock.GetUtcNow()));
        response.Headers["Content-Disposition"] = $"attachment; filename=\"{name}\"";
        return response;
    }

    /// <summary>The controls view: ISO 27001:2022 and SOC 2 side by side, each control's status. Two Queries whatever the table size.</summary>
    private async Task<StatusResponse> ControlsAsync(CancellationToken ct)
    {
        if (services.Controls is not { } controls) return StatusResponse.Error(404, "not-found", "the controls view is not wired");
        var views = await controls.GetAsync(clock.GetUtcNow(), ct).ConfigureAwait(false);
        var policy = Policy.PolicyDocument.Embedded;
        return StatusResponse.Json(200, StatusJson.Write(w =>
        {
            w.WriteStartObject();
            w.WriteString("policyVersion", policy.Version);
            w.WriteString("policyOwner", policy.Document.Owner);
            w.WriteString("policyApproved", policy.Document.ApprovedDate);
            w.WriteString("policyNextReview", policy.Document.NextReview);
            w.WriteStartArray("controls");
            foreach (var v in views) WriteControl(w, v);
            w.WriteEndArray();
            w.WriteEndObject();
        }));
    }

    private static void WriteControl(Utf8JsonWriter w, Compliance.ControlView v)
    {
        w.WriteStartObject();
        w.WriteString("key", v.Control.Key);
        w.WriteString("id", v.Control.Id);
        w.WriteString("framework", v.Control.Framework);
        Compliance.ControlViewJson.WriteBody(w, v);
        w.WriteNumber("activeFindings", v.ActiveFindings);
        w.WriteEndObject();
    }

    /// <summary>Drill-down: a control's rules with their latest results per resource, its findings and attestations.</summary>
    private async Task<StatusResponse> ControlDetailAsync(StatusRequest request, CancellationToken ct)
    {
        if (services.Controls is not { } controls || services.Evidence is not { } evidence) return StatusResponse.Error(404, "not-found", "the controls view is not wired");
        var key = request.QueryValue("id");
        var now = clock.GetUtcNow();
        var view = key is null ? null : (await controls.GetAsync(now, ct).ConfigureAwait(false)).FirstOrDefault(v => v.Control.Key == key);
        if (view is null) return StatusResponse.Error(404, "not-found", "no such control");
        var results = new List<(string Rule, IReadOnlyList<Evidence.EvidenceRecord> Items, string? Next)>();
        foreach (var rule in view.Rules)
        {
            var (items, next) = await evidence.QueryRuleAsync(rule, 50, null, ct).ConfigureAwait(false);
            results.Add((rule, items, next));
        }
        var findings = await services.Ledger.QueryByControlAsync(view.Control.Key, 50, null, ct).ConfigureAwait(false);
        var attestations = await services.Attestations.InPeriodAsync(now.AddYears(-1), now.AddSeconds(1), ct).ConfigureAwait(false);
        return StatusResponse.Json(200, StatusJson.Write(w =>
        {
            w.WriteStartObject();
            w.WritePropertyName("control");
            WriteControl(w, view);
            w.WriteString("note", view.Control.Note);
            w.WriteString("justification", view.Control.Justification);
            w.WriteStartArray("rules");
            foreach (var (rule, items, next) in results)
            {
                w.WriteStartObject();
                w.WriteString("ruleId", rule);
                w.WriteBoolean("more", next is not null);
                w.WriteStartArray("resources");
                foreach (var r in items)
                {
                    w.WriteStartObject();
                    w.WriteString("resourceId", r.ResourceId);
                    w.WriteString("resourceType", r.ResourceType);
                    w.WriteString("subKey", r.SubKey);
                    w.WriteString("result", r.Result);
                    w.WriteString("evaluatedAt", StatusJson.Time(r.EvaluatedAt));
                    w.WriteString("source", r.Source);
                    w.WriteString("policyVersion", r.PolicyVersion);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartArray("findings");
            foreach (var f in findings.Items) w.WriteFindingSummary(f, now);
            w.WriteEndArray();
            w.WriteStartArray("attestations");
            foreach (var a in attestations.Where(a => view.Control.Duties.Contains(a.DutyId))) w.WriteAttestation(a);
            w.WriteEndArray();
            w.WriteEndObject();
        }));
    }

    // ---- actions ----

    /// <summary>
    /// Who acts, as history records it: the person (e-mail, when the token maps to one) and the token's subject.
    /// </summary>
    private string ActorOf(StatusPrincipal who)
    {
        var display = services.Identities?.ResolveToken(who.Subject, who.Email, who.Username).Display ?? who.Username;
        return $"{display} (sub {who.Subject})";
    }

    /// <summary>
    /// Four-eyes on findings: the person whose change produced a finding (its evidence's principal or actor, break-glass
    /// prefix stripped) may not acknowledge, waive or approve it away.
    /// </summary>
    private StatusResponse? SelfAction(FindingRecord finding, StatusPrincipal who, string action)
    {
        // The same check as ./isms ack, waive and baseline approve (Review/FindingActions).
        if (services.Identities is not { } identities) return null;
        var me = identities.ResolveToken(who.Subject, who.Email, who.Username);
        return new Review.FindingActions(services.Ledger, identities).SelfActionRefusal(finding, me, action) is { } refusal
            ? StatusResponse.Error(403, "four-eyes", refusal)
            : null;
    }

    private async Task<StatusResponse> AcknowledgeAsync(string id, StatusPrincipal who, JsonElement body, DateTimeOffset now, CancellationToken ct)
    {
        if (Reason(body, "reason") is not { } reason) return BadReason();
        var actor = ActorOf(who);
        // One path with ./isms ack: the same validation and four-eyes (Review/FindingActions).
        return await ActAsync("acknowledge", id, who, async (actions, me) =>
        {
            var finding = await actions.AcknowledgeAsync(id, me, actor, reason, now, ct).ConfigureAwait(false);
            Log.Info("statuspage.acknowledged", ("finding", id), ("actor", actor));
            return StatusResponse.Json(200, StatusJson.Write(w => w.WriteFindingSummary(finding, now)));
        }).ConfigureAwait(false);
    }

    private async Task<StatusResponse> GrantWaiverAsync(string id, StatusPrincipal who, JsonElement body, DateTimeOffset now, CancellationToken ct)
    {
        if (Reason(body, "reason") is not { } reason) return BadReason();
        var actor = ActorOf(who);
        if (!body.TryGetProperty("expiresAt", out var expiresElement) || expiresElement.ValueKind != JsonValueKind.String
            || !DateTimeOffset.TryParse(expiresElement.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var expiresAt))
            return StatusResponse.Error(400, "bad-expiry", "expiresAt is required (ISO 8601)");
        // One path with ./isms waive: time-boxed (at most a year), a control of the finding, four-eyes (Review/FindingActions).
        return await ActAsync("waive", id, who, async (actions, me) =>
        {
            var updated = await actions.WaiveAsync(id, me, actor, Reason(body, "owner"), reason, Reason(body, "control"), expiresAt, now, ct).ConfigureAwait(false);
            Log.Info("statuspage.waiver-granted", ("finding", id), ("actor", actor), ("owner", updated.Waiver?.Owner), ("expiresAt", StatusJson.Time(expiresAt)));
            return StatusResponse.Json(200, StatusJson.Write(w => w.WriteFindingSummary(updated, now)));
        }).ConfigureAwait(false);
    }

    private async Task<StatusResponse> ActAsync(string action, string id, StatusPrincipal who, Func<Review.FindingActions, Identity.ResolvedIdentity, Task<StatusResponse>> act)
    {
        var identities = services.Identities ?? new Identity.IdentityResolver([], []);
        var me = identities.ResolveToken(who.Subject, who.Email, who.Username);
        try
        {
            return await act(new Review.FindingActions(services.Ledger, identities), me).ConfigureAwait(false);
        }
        catch (Review.FindingActionException ex)
        {
            Log.Warn("statuspage.action-refused", ("id", id), ("actor", who.Username), ("action", action), ("reason", ex.Message));
            return ex.Error switch
            {
                Review.FindingActionError.NotFound => StatusResponse.Error(404, "not-found", "no such finding"),
                Review.FindingActionError.FourEyes => StatusResponse.Error(403, "four-eyes", ex.Message),
                _ => StatusResponse.Error(400, "invalid", ex.Message),
            };
        }
    }

    private async Task<StatusResponse> RevokeWaiverAsync(string id, StatusPrincipal who, JsonElement body, DateTimeOffset now, CancellationToken ct)
    {
        if (Reason(body, "reason") is not { } reason) return BadReason();
        var actor = ActorOf(who);
        var finding = await services.Ledger.RevokeWaiverAsync(id, actor, reason, now, ct).ConfigureAwait(false);
        Log.Info("statuspage.waiver-revoked", ("finding", id), ("actor", actor));
        return StatusResponse.Json(200, StatusJson.Write(w => w.WriteFindingSummary(finding, now)));
    }

    private async Task<StatusResponse> ApproveBaselineAsync(string id, StatusPrincipal who, JsonElement body, DateTimeOffset now, CancellationToken ct)
    {
        if (Reason(body, "reason") is not { } reason) return BadReason();
        if (services.Baselines is null) return StatusResponse.Error(501, "not-available", "baseline approval is not wired in this deployment");
        var finding = await services.Ledger.GetAsync(id, ct).ConfigureAwait(false);
        if (finding is null) return StatusResponse.Error(404, "not-found", "no such finding");
        if (SelfAction(finding, who, "approve") is { } refused) return refused;
        var result = await services.Baselines.ApproveAsync(id, ActorOf(who), reason, now, ct, Reason(body, "configurationVersion")).ConfigureAwait(false);
        if (!result.Accepted && result.CurrentVersion is { } current)
        {
            Log.Warn("statuspage.action-refused", ("id", id), ("actor", who.Username), ("action", "baseline-approved"), ("reason", result.Refusal));
            return StatusResponse.Json(409, StatusJson.Write(w =>
            {
                w.WriteStartObject();
                w.WriteString("error", "stale-configuration");
                w.WriteString("message", result.Refusal);
                w.WriteString("configurationVersion", current);
                w.WriteStartArray("diff");
                foreach (var d in result.Diff ?? [])
                {
                    w.WriteStartObject();
                    w.WriteString("path", d.Path);
                    w.WriteString("expected", d.Expected);
                    w.WriteString("actual", d.Actual);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteEndObject();
            }));
        }
        return Outcome(result, id, who, "baseline-approved");
    }

    private async Task<StatusResponse> ReviewAsync(string id, StatusPrincipal who, JsonElement body, DateTimeOffset now, CancellationToken ct)
    {
        var verdict = body.TryGetProperty("verdict", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString() : null;
        if (verdict is not ("approved" or "rejected" or "needs-follow-up")) return StatusResponse.Error(400, "bad-verdict", "verdict must be approved, rejected or needs-follow-up");
        // The change service validates the ticket link and note, and refuses the change's own author (four-eyes).
        var result = await services.Changes.ReviewAsync(id, who.Username, verdict, Reason(body, "ticketUrl"), Reason(body, "note"), now, ct, who.Subject, who.Email).ConfigureAwait(false);
        return Outcome(result, id, who, "change-reviewed");
    }

    /// <summary>One change in full (issue 19 section 6): calls, approvals, risk, ticket, code update.</summary>
    private async Task<StatusResponse> ChangeDetailAsync(string id, CancellationToken ct)
    {
        if (!Changes.ChangeReviewService.IsChangeId(id)) return StatusResponse.Error(404, "not-found", "no such change");
        var json = await services.Changes.DetailJsonAsync(id, ct).ConfigureAwait(false);
        return json is null ? StatusResponse.Error(404, "not-found", "no such change") : StatusResponse.Json(200, json);
    }

    /// <summary>Closes a reviewed manual change: the signed-in person links the code change, marks it reverted, or names its stack.</summary>
    private async Task<StatusResponse> ReconcileAsync(string id, StatusPrincipal who, JsonElement body, CancellationToken ct)
    {
        var reverted = body.TryGetProperty("reverted", out var r) && r.ValueKind == JsonValueKind.True;
        var result = await services.Changes.ReconcileAsync(id, who.Username, Reason(body, "codeLink"), reverted, Reason(body, "stack"), ct, who.Subject, who.Email).ConfigureAwait(false);
        return Outcome(result, id, who, "change-reconciled");
    }

    private async Task<StatusResponse> AttestAsync(string target, StatusPrincipal who, JsonElement body, CancellationToken ct)
    {
        if (services.Duties is null) return StatusResponse.Error(501, "not-available", "duties are not wired in this deployment");
        // Who attests is the signed-in identity, never a form field: a "by" in the body is ignored.
        var evidence = new List<string>();
        if (body.TryGetProperty("evidence", out var links))
        {
            if (links.ValueKind == JsonValueKind.String) evidence.Add(links.GetString() ?? "");
            else if (links.ValueKind == JsonValueKind.Array)
                evidence.AddRange(links.EnumerateArray().Take(20).Select(l => l.ValueKind == JsonValueKind.String ? l.GetString() ?? "" : "\u0000"));
            else return StatusResponse.Error(400, "invalid", "evidence must be an https:// link or a list of them");
        }
        var note = body.TryGetProperty("note", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString() : null;
        var result = await services.Duties.AttestAsync(target, who.Username, who.Subject, evidence, note, ct).ConfigureAwait(false);
        return Outcome(result, target, who, "duty-attested");
    }

    private async Task<StatusResponse> DutiesAsync(CancellationToken ct)
    {
        if (services.Duties is null) return StatusResponse.Error(501, "not-available", "duties are not wired in this deployment");
        var lines = await services.Duties.ListAsync(MaxPageSize, ct).ConfigureAwait(false);
        var now = clock.GetUtcNow();
        return StatusResponse.Json(200, StatusJson.Write(w =>
        {
            w.WriteStartObject();
            w.WriteString("now", StatusJson.Time(now));
            w.WriteStartArray("items");
            foreach (var line in lines)
            {
                var o = line.Obligation;
                w.WriteStartObject();
                w.WriteString("id", o.Id);
                w.WriteString("kind", o.Kind);
                w.WriteString("subject", o.Subject);
                w.WriteString("period", o.Spec.Period);
                w.WriteString("title", o.Spec.Title);
                w.WriteString("control", line.Control);
                w.WriteStartArray("controls");
                foreach (var c in o.Spec.Controls) w.WriteStringValue(c);
                w.WriteEndArray();
                w.WriteString("owner", line.Owner);
                w.WriteTime("opensAt", o.Spec.OpensAt);
                w.WriteTime("dueAt", o.DueAt);
                w.WriteString("state", line.State.ToWire());
                w.WriteBoolean("fourEyes", o.Spec.FourEyes);
                w.WriteString("evidenceExpected", o.Spec.EvidenceExpected);
                w.WriteString("policyClause", o.Spec.PolicyClause);
                w.WriteBoolean("attestable", !o.Done && AttestationService.Attestable(o.Kind));
                if (o.Attestation is { } a)
                {
                    w.WriteStartObject("attestation");
                    w.WriteString("by", a.By);
                    w.WriteTime("at", a.At);
                    w.WriteString("note", a.Note);
                    w.WriteStartArray("evidence");
                    foreach (var e in a.Evidence) w.WriteStringValue(e);
                    w.WriteEndArray();
                    w.WriteEndObject();
                }
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }));
    }

    internal static StatusResponse Outcome(ReviewResult result, string id, StatusPrincipal who, string action)
    {
        if (!result.Accepted)
        {
            Log.Warn("statuspage.action-refused", ("id", id), ("actor", who.Username), ("action", action), ("reason", result.Refusal));
            return result.Kind switch
            {
                RefusalKind.NotFound => StatusResponse.Error(404, "not-found", result.Refusal ?? "not found"),
                RefusalKind.Invalid => StatusResponse.Error(400, "invalid", result.Refusal ?? "invalid"),
                _ => StatusResponse.Error(409, "refused", result.Refusal ?? "refused"),
            };
        }
        Log.Info("statuspage." + action, ("id", id), ("actor", who.Username));
        return StatusResponse.Json(200, StatusJson.Write(w =>
        {
            w.WriteStartObject();
            w.WriteString("id", id);
            w.WriteString("action", action);
            w.WriteString("actor", who.Username);
            w.WriteEndObject();
        }));
    }

    private static string? Reason(JsonElement body, string name) =>
        body.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String && value.GetString() is { } text
            && text.Trim() is { Length: > 0 and <= MaxReasonLength } trimmed ? trimmed : null;

    private static StatusResponse BadReason() => StatusResponse.Error(400, "bad-reason", "a reason (1-2000 characters) is required");

    // ---- local sign-in, config, assets ----

    private async Task<StatusResponse> LocalAsync(StatusRequest request, string method, string[] segments)
    {
        await Task.CompletedTask.ConfigureAwait(false);
        if (segments is ["local", "jwks.json"] && method == "GET")
            return StatusResponse.Text(200, "application/json; charset=utf-8", localIssuer!.JwksJson());
        if (segments is ["local", "token"] && method == "POST")
        {
            if (CheckActionRequest(request) is { } rejected) return rejected;
            if (!System.Text.Unicode.Utf8.IsValid(request.Body)) return BadEncoding();
            try
            {
                using var doc = JsonDocument.Parse(request.Body, new JsonDocumentOptions { MaxDepth = 4 });
                var root = doc.RootElement;
                var username = root.TryGetProperty("username", out var u) && u.ValueKind == JsonValueKind.String ? u.GetString()!.Trim() : "";
                if (username.Length is 0 or > 64) return StatusResponse.Error(400, "bad-user", "username must be 1-64 characters");
                var groups = root.TryGetProperty("groups", out var g) && g.ValueKind == JsonValueKind.Array
                    ? g.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.String).Select(e => e.GetString()!).Where(s => s.Length is > 0 and <= 64).Distinct(StringComparer.Ordinal).Take(10).ToArray()
                    : [];
                var token = localIssuer!.Issue(username, groups);
                Log.Info("statuspage.local-token", ("username", username), ("groups", string.Join(',', groups)));
                return StatusResponse.Json(200, StatusJson.Write(w =>
                {
                    w.WriteStartObject();
                    w.WriteString("access_token", token);
                    w.WriteString("token_type", "Bearer");
                    w.WriteNumber("expires_in", (int)LocalIssuer.TokenLifetime.TotalSeconds);
                    w.WriteEndObject();
                }));
            }
            catch (JsonException)
            {
                return StatusResponse.Error(400, "bad-json", "the body is not valid JSON");
            }
        }
        return StatusResponse.Error(404, "not-found", "no such route");
    }

    private StatusResponse Config() => StatusResponse.Json(200, StatusJson.Write(w =>
    {
        w.WriteStartObject();
        w.WriteString("mode", options.LocalSignIn ? "local" : "cognito");
        w.WriteString("clientId", options.Auth.ClientId);
        w.WriteString("reviewersGroup", options.Auth.ReviewersGroup);
        if (options.HostedUi is { } ui)
        {
            var root = ui.ToString().TrimEnd('/');
            w.WriteString("authorizeUrl", root + "/oauth2/authorize");
            w.WriteString("tokenUrl", root + "/oauth2/token");
            w.WriteString("logoutUrl", root + "/logout");
        }
        w.WriteEndObject();
    }));

    private static StatusResponse StaticAsset(string[] segments)
    {
        var (resource, contentType) = segments switch
        {
            [] or ["index.html"] => ("index.html", "text/html; charset=utf-8"),
            ["assets", "app.js"] => ("app.js", "text/javascript; charset=utf-8"),
            ["assets", "app.css"] => ("app.css", "text/css; charset=utf-8"),
            ["favicon.svg"] => ("favicon.svg", "image/svg+xml"),
            _ => (null, null),
        };
        if (resource is null) return StatusResponse.Error(404, "not-found", "no such asset");
        return new StatusResponse(200, contentType!, StatusAssets.Get(resource));
    }

    private void AddSecurityHeaders(StatusResponse response, string path)
    {
        var cognito = options.HostedUi is { } hostedUi ? " " + hostedUi.GetLeftPart(UriPartial.Authority) : "";
        // No inline script or style anywhere: the page's JS and CSS are files from this origin.
        response.Headers["Content-Security-Policy"] =
            $"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'{cognito}; " +
            $"form-action 'self'{cognito}; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";
        response.Headers["X-Content-Type-Options"] = "nosniff";
        response.Headers["X-Frame-Options"] = "DENY";
        response.Headers["Referrer-Policy"] = "no-referrer";
        response.Headers["Cross-Origin-Opener-Policy"] = "same-origin";
        response.Headers["Cross-Origin-Resource-Policy"] = "same-origin";
        response.Headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()";
        if (options.PublicScheme == "https") response.Headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains";
        response.Headers["Cache-Control"] = path.StartsWith("/assets/", StringComparison.Ordinal) ? "public, max-age=300" : "no-store";
    }

    private static StatusResponse MethodNotAllowed() => StatusResponse.Error(405, "method-not-allowed", "method not allowed");

    /// <summary>Splits and URL-decodes the path; null for traversal or control characters.</summary>
    private static string[]? Segments(string path)
    {
        if (path.Length > 2048) return null;
        var parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var result = new string[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            var decoded = Uri.UnescapeDataString(parts[i]);
            if (decoded is "." or ".." || decoded.Any(char.IsControl)) return null;
            result[i] = decoded;
        }
        return result;
    }

    private static int? ParseInt(string? text) => int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : null;

    private static bool TryParseDay(string? text, out DateTimeOffset day)
    {
        day = default;
        if (!DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date)) return false;
        day = new DateTimeOffset(date.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        return true;
    }
}
