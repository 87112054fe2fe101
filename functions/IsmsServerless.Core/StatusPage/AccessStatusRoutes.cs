using System.Text.Json;
using Amazon.DynamoDBv2;
using IsmsServerless.Access;
using IsmsServerless.Obligations;
using IsmsServerless.Settings;
using IsmsServerless.StatusPage.Auth;

namespace IsmsServerless.StatusPage;

/// <summary>The access area's services for the status page (access inventory, access review, leave marks).</summary>
public sealed class AccessPageServices(IAmazonDynamoDB dynamo, string tableName, IsmsSettings settings, TimeProvider clock, string accountId, string region)
{
    public AccessInventoryService Inventory { get; } = new(dynamo, tableName, settings);
    public AccessReviewService Review { get; } = new(dynamo, tableName, settings, clock, accountId, region);
    public LeaveMarkStore Leaves { get; } = new(dynamo, tableName);
    public Ledger.IFindingLedger Ledger { get; } = new Ledger.DynamoDbFindingLedger(dynamo, tableName, settings);
    public IsmsSettings Settings { get; } = settings;
}

/// <summary>
/// The page's access routes: <c>GET /api/access</c> (inventory), <c>GET /api/access-review</c> (the latest campaign),
/// <c>GET /api/people</c> (people with the file's leave date and the runtime mark), <c>POST
/// /api/access-review/{id}/decide</c> and <c>POST /api/people/leave</c>. Who decides or marks is the signed-in person,
/// never a form field.
/// </summary>
public sealed partial class StatusRouter
{
    private async Task<StatusResponse> AccessInventoryAsync(CancellationToken ct)
    {
        if (services.Access is null) return StatusResponse.Error(501, "not-available", "the access inventory is not wired in this deployment");
        var inventory = await services.Access.Inventory.ReadAsync(ct).ConfigureAwait(false);
        return StatusResponse.Json(200, StatusJson.Write(w =>
        {
            w.WriteStartObject();
            w.WriteStartArray("items");
            foreach (var p in inventory.Principals.Take(MaxPageSize * 10)) AccessJson.WritePrincipal(w, p);
            w.WriteEndArray();
            w.WriteNumber("total", inventory.Principals.Count);
            w.WriteEndObject();
        }));
    }

    private async Task<StatusResponse> AccessReviewAsync(CancellationToken ct)
    {
        if (services.Access is null) return StatusResponse.Error(501, "not-available", "the access review is not wired in this deployment");
        var latest = await services.Access.Review.ListAsync(1, ct).ConfigureAwait(false);
        var campaign = latest.Count > 0 ? await services.Access.Review.GetAsync(latest[0], ct).ConfigureAwait(false) : null;
        return StatusResponse.Json(200, StatusJson.Write(w =>
        {
            w.WriteStartObject();
            if (campaign is null) w.WriteNull("campaign");
            else
            {
                w.WritePropertyName("campaign");
                AccessJson.WriteCampaign(w, campaign, withPrincipals: true);
            }
            w.WriteEndObject();
        }));
    }

    private async Task<StatusResponse> PeopleAsync(CancellationToken ct)
    {
        if (services.Access is null) return StatusResponse.Error(501, "not-available", "people are not wired in this deployment");
        var marks = await services.Access.Leaves.ListAsync(ct).ConfigureAwait(false);
        var settings = services.Access.Settings;
        var applied = LeaveMarkStore.Apply(settings, marks);
        return StatusResponse.Json(200, StatusJson.Write(w =>
        {
            w.WriteStartObject();
            w.WriteStartArray("items");
            for (var i = 0; i < settings.People.Count; i++)
            {
                var p = settings.People[i];
                w.WriteStartObject();
                w.WriteString("email", p.Email);
                w.WriteString("name", p.Name);
                w.WriteString("fileLeftAt", p.LeftAt?.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture));
                var mark = marks.FirstOrDefault(m => string.Equals(m.Email, p.Email, StringComparison.OrdinalIgnoreCase));
                if (mark is null) w.WriteNull("mark");
                else
                {
                    w.WritePropertyName("mark");
                    AccessJson.WriteLeave(w, mark);
                }
                w.WriteString("leftAt", applied.People[i].LeftAt?.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture));
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }));
    }

    private async Task<StatusResponse> DecideAccessAsync(string campaignId, StatusPrincipal who, JsonElement body, CancellationToken ct)
    {
        if (services.Access is null) return StatusResponse.Error(501, "not-available", "the access review is not wired in this deployment");
        try
        {
            var decided = await services.Access.Review.DecideAsync(campaignId, Text(body, "principal") ?? "", Text(body, "decision") ?? "", Text(body, "note"),
                who.Email ?? who.Username, services.Access.Ledger, ct).ConfigureAwait(false);
            Observability.Log.Info("statuspage.access-decided", ("campaign", campaignId), ("principal", decided.PrincipalKey), ("decision", decided.Decision), ("actor", who.Username));
            return StatusResponse.Json(200, System.Text.Encoding.UTF8.GetBytes(AccessJson.Decision(decided)));
        }
        catch (ObligationException ex)
        {
            return Refused(ex, who);
        }
    }

    private async Task<StatusResponse> MarkLeaveAsync(StatusPrincipal who, JsonElement body, DateTimeOffset now, CancellationToken ct)
    {
        if (services.Access is null) return StatusResponse.Error(501, "not-available", "people are not wired in this deployment");
        if (!DateOnly.TryParseExact(Text(body, "leftAt"), "yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out var day))
            return StatusResponse.Error(400, "invalid", "leftAt must be a date YYYY-MM-DD");
        try
        {
            var mark = await services.Access.Leaves.MarkAsync(services.Access.Settings, Text(body, "email") ?? "", day, who.Email ?? who.Username, now, ct).ConfigureAwait(false);
            return StatusResponse.Json(200, System.Text.Encoding.UTF8.GetBytes(AccessJson.Leave(mark)));
        }
        catch (ObligationException ex)
        {
            return Refused(ex, who);
        }
    }

    private static StatusResponse Refused(ObligationException ex, StatusPrincipal who)
    {
        Observability.Log.Warn("statuspage.access-refused", ("actor", who.Username), ("reason", ex.Error.ToString()));
        return ex.Error switch
        {
            ObligationError.NotFound => StatusResponse.Error(404, "not-found", ex.Message),
            ObligationError.FourEyes => StatusResponse.Error(403, "four-eyes", ex.Message),
            ObligationError.AlreadyDone or ObligationError.Conflict => StatusResponse.Error(409, "conflict", ex.Message),
            _ => StatusResponse.Error(400, "invalid", ex.Message),
        };
    }

    private static string? Text(JsonElement body, string name) =>
        body.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}
