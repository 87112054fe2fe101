using System.Text;
using System.Text.Json;
using IsmsServerless.Model;

namespace IsmsServerless.Access;

/// <summary>One JSON writer for the access area's records, shared by the CLI and the status page.</summary>
public static class AccessJson
{
    public static string Principal(AccessPrincipal p) => Write(w => WritePrincipal(w, p));

    public static string Campaign(AccessReviewCampaign c, bool withPrincipals = true) => Write(w => WriteCampaign(w, c, withPrincipals));

    public static string Decision(AccessReviewDecision d) => Write(w => WriteDecision(w, d));

    public static string Leave(LeaveMark m) => Write(w => WriteLeave(w, m));

    public static void WritePrincipal(Utf8JsonWriter w, AccessPrincipal p)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(p);
        w.WriteStartObject();
        w.WriteString("key", p.Key);
        w.WriteString("kind", p.Kind);
        w.WriteString("name", p.Name);
        w.WriteString("accountId", p.AccountId);
        w.WriteBoolean("admin", p.Admin);
        Strings(w, "adminVia", p.AdminVia);
        w.WriteBoolean("external", p.External);
        w.WriteStartArray("externalTrusts");
        foreach (var t in p.ExternalTrusts)
        {
            w.WriteStartObject();
            w.WriteString("principal", t.Principal);
            w.WriteString("kind", t.Kind);
            w.WriteString("accountId", t.AccountId);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        Strings(w, "groups", p.Groups);
        Strings(w, "members", p.Members);
        w.WriteStartArray("policies");
        foreach (var a in p.Policies)
        {
            w.WriteStartObject();
            w.WriteString("name", a.Name);
            w.WriteString("arn", a.Arn);
            w.WriteBoolean("inline", a.Inline);
            Strings(w, "adminGrants", a.AdminGrants);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteBoolean("serviceLinked", p.ServiceLinked);
        w.WriteString("lastSeenAt", p.Activity?.LastSeenAt is { } seen ? Timestamps.ToWire(seen) : null);
        w.WriteString("lastEvent", p.Activity?.LastEvent);
        if (p.Activity?.LoginProfile is { } login) w.WriteBoolean("loginProfile", login);
        else w.WriteNull("loginProfile");
        Map(w, "accessKeys", p.Activity?.AccessKeys);
        Map(w, "mfaDevices", p.Activity?.MfaDevices);
        w.WriteEndObject();
    }

    /// <summary>
    /// A campaign's summary fields (period, dates, who opened and closed it, decision counts), written into the open
    /// object: one writer for the page's campaign JSON and the audit export's access review section.
    /// </summary>
    internal static void WriteCampaignSummary(Utf8JsonWriter w, AccessReviewCampaign c, string idName)
    {
        w.WriteString(idName, c.Id);
        w.WriteString("period", c.Period);
        w.WriteString("dueAt", Timestamps.ToWire(c.DueAt));
        w.WriteString("openedBy", c.OpenedBy);
        w.WriteString("openedAt", Timestamps.ToWire(c.OpenedAt));
        w.WriteString("closedBy", c.ClosedBy);
        w.WriteString("closedAt", c.ClosedAt is { } closed ? Timestamps.ToWire(closed) : null);
        w.WriteNumber("principalCount", c.Principals.Count);
        w.WriteNumber("undecided", c.Undecided);
        foreach (var choice in AccessReviewDecision.Choices) w.WriteNumber(choice, c.Principals.Count(p => p.Decision == choice));
    }

    public static void WriteCampaign(Utf8JsonWriter w, AccessReviewCampaign c, bool withPrincipals)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(c);
        w.WriteStartObject();
        WriteCampaignSummary(w, c, "id");
        if (withPrincipals)
        {
            w.WriteStartArray("principals");
            foreach (var d in c.Principals) WriteDecision(w, d);
            w.WriteEndArray();
        }
        w.WriteEndObject();
    }

    public static void WriteDecision(Utf8JsonWriter w, AccessReviewDecision d)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(d);
        w.WriteStartObject();
        w.WriteString("campaignId", d.CampaignId);
        w.WriteString("key", d.PrincipalKey);
        w.WriteString("kind", d.Kind);
        w.WriteString("name", d.Name);
        w.WriteString("accountId", d.AccountId);
        w.WriteString("owner", d.Owner);
        Strings(w, "adminVia", d.AdminVia);
        Strings(w, "externalTrusts", d.ExternalTrusts);
        w.WriteString("lastSeenAt", d.LastSeenAt is { } seen ? Timestamps.ToWire(seen) : null);
        w.WriteBoolean("dormant", d.Dormant);
        w.WriteString("decision", d.Decision.Length > 0 ? d.Decision : null);
        w.WriteString("note", d.Decided ? d.Note : null);
        w.WriteString("decidedBy", d.Decided ? d.DecidedBy : null);
        w.WriteString("decidedAt", d.Decided ? Timestamps.ToWire(d.DecidedAt) : null);
        w.WriteString("effectiveAt", d.EffectiveAt is { } e ? Timestamps.ToWire(e) : null);
        w.WriteEndObject();
    }

    public static void WriteLeave(Utf8JsonWriter w, LeaveMark m)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(m);
        w.WriteStartObject();
        w.WriteString("email", m.Email);
        w.WriteString("leftAt", m.LeftAt.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture));
        w.WriteString("markedBy", m.MarkedBy);
        w.WriteString("markedAt", Timestamps.ToWire(m.MarkedAt));
        w.WriteEndObject();
    }

    private static void Strings(Utf8JsonWriter w, string name, IEnumerable<string> values)
    {
        w.WriteStartArray(name);
        foreach (var v in values) w.WriteStringValue(v);
        w.WriteEndArray();
    }

    private static void Map(Utf8JsonWriter w, string name, IReadOnlyDictionary<string, string>? values)
    {
        w.WriteStartObject(name);
        foreach (var (k, v) in values ?? new Dictionary<string, string>()) w.WriteString(k, v);
        w.WriteEndObject();
    }

    private static string Write(Action<Utf8JsonWriter> write)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer)) write(w);
        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}
