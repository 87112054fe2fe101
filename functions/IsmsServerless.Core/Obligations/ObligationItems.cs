using System.Globalization;
using Amazon.DynamoDBv2.Model;
using IsmsServerless.Ledger;
using IsmsServerless.Model;
using IsmsServerless.Observability;

namespace IsmsServerless.Obligations;

/// <summary>Obligation ⇄ DynamoDB item. Readers never throw on stored data: a malformed item is logged and skipped.</summary>
internal static class ObligationItems
{
    /// <summary>
    /// The item of <paramref name="o"/>. When its constant texts are exactly a template's (<see cref="ObligationTemplates"/>),
    /// the item names the template (<c>texts</c>) instead of carrying the clause, the evidence expected and the controls,
    /// and carries no link when the link is the one the template derives from <paramref name="statusPageUrl"/> (issue 20:
    /// under 1 KB, one write unit instead of two). <see cref="FromItem"/> hydrates them.
    /// </summary>
    public static Dictionary<string, AttributeValue> ToItem(Obligation o, string statusPageUrl)
    {
        var s = o.Spec;
        var template = ObligationTemplates.Match(s);
        var item = new Dictionary<string, AttributeValue>
        {
            [LedgerSchema.PartitionKey] = S(ObligationKeys.Partition(o.Id)),
            [LedgerSchema.SortKey] = S(ObligationKeys.SortKey),
            [LedgerSchema.EntityType] = S(ObligationKeys.EntityType),
            ["id"] = S(o.Id),
            ["kind"] = S(s.Kind),
            ["subject"] = S(s.Subject),
            ["period"] = S(s.Period),
            ["title"] = S(s.Title),
            ["opensAt"] = S(Timestamps.ToWire(s.OpensAt)),
            ["dueAt"] = S(Timestamps.ToWire(s.DueAt)),
            ["reminders"] = new() { L = s.Reminders.Select(r => S(Timestamps.ToWire(r))).ToList() },
            ["fourEyes"] = new() { BOOL = s.FourEyes },
            ["overdueSeverity"] = S(s.OverdueSeverity.ToWire()),
            ["stage"] = N(o.Stage),
            ["state"] = S(o.StoredState.ToWire()),
            ["findingResolved"] = new() { BOOL = o.FindingResolved },
            ["createdAt"] = S(Timestamps.ToWire(o.CreatedAt)),
            ["version"] = N(o.Version),
        };
        if (s.KindIndexed)
        {
            item[LedgerSchema.Gsi1PartitionKey] = S(ObligationKeys.KindPartition(s.Kind));
            item[LedgerSchema.Gsi1SortKey] = S(ObligationKeys.DueSort(s.DueAt, o.Id));
        }
        else
        {
            item["kindIndexed"] = new() { BOOL = false };
        }
        if (s.SubjectIndexed)
        {
            item[LedgerSchema.Gsi2PartitionKey] = S(ObligationKeys.SubjectPartition(s.Kind, s.Subject));
            item[LedgerSchema.Gsi2SortKey] = S(ObligationKeys.DueSort(s.DueAt, o.Id));
        }
        else
        {
            item["subjectIndexed"] = new() { BOOL = false };
        }
        if (template is null && s.UnresolvedTexts is { } unresolved)
        {
            item["texts"] = S(unresolved);
        }
        else if (template is null)
        {
            item["controls"] = new() { L = s.Controls.Select(S).ToList() };
            Optional(item, "policyClause", s.PolicyClause);
            Optional(item, "evidenceExpected", s.EvidenceExpected);
        }
        else
        {
            item["texts"] = S(template.Id);
        }
        Optional(item, "ownerRole", s.OwnerRole);
        Optional(item, "ownerPerson", s.OwnerPerson);
        Optional(item, "author", s.Author);
        Optional(item, "accountId", s.AccountId);
        Optional(item, "region", s.Region);
        Optional(item, "policyVersion", s.PolicyVersion);
        // A derived link is not stored when the template derives the same one (the reader derives it from its own settings).
        if (template?.LinkFor(statusPageUrl, s.Subject) is not { } derived || s.Link != derived) Optional(item, "link", s.Link);
        else item["linkDerived"] = new() { BOOL = true };
        if (template is null && s.UnresolvedTexts is not null && s.UnresolvedLinkDerived && s.Link is null) item["linkDerived"] = new() { BOOL = true };
        if (s.OverdueSla is { } sla) item["overdueSlaSeconds"] = N((long)sla.TotalSeconds);
        if (s.LateOpenSettle is { } settle) item["lateOpenSettleSeconds"] = N((long)settle.TotalSeconds);
        if (o.Attestation is { } a)
        {
            item["attestedBy"] = S(a.By);
            item["attestedSubject"] = S(a.Subject);
            item["attestedAt"] = S(Timestamps.ToWire(a.At));
            Optional(item, "attestationNote", a.Note);
            item["evidence"] = new() { L = a.Evidence.Select(S).ToList() };
            if (s.StateIndexed)
            {
                item[LedgerSchema.Gsi3PartitionKey] = S(ObligationKeys.DonePartition);
                item[LedgerSchema.Gsi3SortKey] = S(ObligationKeys.DueSort(a.At, o.Id));
            }
        }
        else if (s.StateIndexed)
        {
            item[LedgerSchema.Gsi3PartitionKey] = S(ObligationKeys.OpenPartition);
            item[LedgerSchema.Gsi3SortKey] = S(ObligationKeys.DueSort(s.DueAt, o.Id));
        }
        // Listed elsewhere (change reviews: the change register) or not: said only when not the kind's default.
        if (s.StateIndexed != ObligationSpec.StateIndexedByDefault(s.Kind)) item["stateIndexed"] = new() { BOOL = s.StateIndexed };
        if (!o.TimerIndexed) item["timerIndexed"] = new() { BOOL = false };
        else if (ObligationSchedule.NextTimer(o) is { } timer)
        {
            item[LedgerSchema.Gsi4PartitionKey] = S(ObligationKeys.TimerPartition);
            item[LedgerSchema.Gsi4SortKey] = S(ObligationKeys.TimerSort(timer, o.Id));
        }
        return item;
    }

    /// <summary>
    /// The obligation of a stored item; null (logged) when unreadable. An item naming a template (<c>texts</c>) gets the
    /// template's texts, and its link from <paramref name="statusPageUrl"/> when it stored none; items without one read
    /// their own attributes (every item written before issue 20's templates).
    /// </summary>
    public static Obligation? FromItem(Dictionary<string, AttributeValue> item, string statusPageUrl)
    {
        var id = Str(item, "id");
        if (id is null || Str(item, "kind") is not { } kind || Str(item, "subject") is not { } subject
            || !Timestamps.TryParse(Str(item, "opensAt"), out var opensAt) || !Timestamps.TryParse(Str(item, "dueAt"), out var dueAt))
        {
            Log.Warn("ledger.malformed-item", ("entityType", ObligationKeys.EntityType), ("id", id), ("problem", "missing id, kind, subject, opensAt or dueAt"));
            return null;
        }
        ObligationTemplate? template = null;
        string? unresolved = null;
        if (Str(item, "texts") is { } textsId && !ObligationTemplates.ById.TryGetValue(textsId, out template))
        {
            // Written by a newer version with a template this one does not know: readable, texts missing (logged), and
            // the id kept so that a rewrite stores it again.
            Log.Warn("obligation.unknown-template", ("id", id), ("texts", textsId));
            unresolved = textsId;
        }
        Attestation? attestation = null;
        if (Str(item, "attestedBy") is { } by && Timestamps.TryParse(Str(item, "attestedAt"), out var attestedAt))
            attestation = new Attestation(by, Str(item, "attestedSubject") ?? "", attestedAt, Str(item, "attestationNote"), List(item, "evidence"));
        var spec = new ObligationSpec
        {
            Kind = kind,
            Subject = subject,
            Period = Str(item, "period") ?? "",
            Title = Str(item, "title") ?? kind,
            Controls = template?.Controls ?? List(item, "controls"),
            PolicyClause = template?.PolicyClause ?? Str(item, "policyClause") ?? "",
            OwnerRole = Str(item, "ownerRole"),
            OwnerPerson = Str(item, "ownerPerson"),
            OpensAt = opensAt,
            DueAt = dueAt,
            Reminders = List(item, "reminders").Select(Timestamps.ParseOrNull).OfType<DateTimeOffset>().ToList(),
            EvidenceExpected = template?.EvidenceExpected ?? Str(item, "evidenceExpected") ?? "",
            FourEyes = item.TryGetValue("fourEyes", out var fe) && fe.BOOL == true,
            Author = Str(item, "author"),
            OverdueSeverity = SeverityNames.TryParse(Str(item, "overdueSeverity"), out var severity) ? severity : Severity.Medium,
            OverdueSla = Num(item, "overdueSlaSeconds") is { } seconds ? TimeSpan.FromSeconds(seconds) : null,
            LateOpenSettle = Num(item, "lateOpenSettleSeconds") is { } settle and > 0 and < 31_536_000 ? TimeSpan.FromSeconds(settle) : null,
            AccountId = Str(item, "accountId") ?? "",
            Region = Str(item, "region") ?? "",
            PolicyVersion = Str(item, "policyVersion") ?? "",
            Link = Str(item, "link") ?? (item.TryGetValue("linkDerived", out var derived) && derived.BOOL == true ? template?.LinkFor(statusPageUrl, subject) : null),
            SubjectIndexed = !(item.TryGetValue("subjectIndexed", out var si) && si.BOOL == false),
            KindIndexed = !(item.TryGetValue("kindIndexed", out var ki) && ki.BOOL == false),
            // Change reviews written before issue 20 wave 7 had an open/done entry: read as the kind's default, so their
            // next write (the attestation) drops it.
            StateIndexed = item.TryGetValue("stateIndexed", out var sx) && sx.BOOL is { } stateIndexed ? stateIndexed : ObligationSpec.StateIndexedByDefault(kind),
            UnresolvedTexts = unresolved,
            UnresolvedLinkDerived = unresolved is not null && item.TryGetValue("linkDerived", out var unresolvedLink) && unresolvedLink.BOOL == true,
        };
        return new Obligation
        {
            Id = id,
            Spec = spec,
            Stage = (int)(Num(item, "stage") ?? 0),
            StoredState = ObligationStateNames.TryParse(Str(item, "state"), out var state) ? state : ObligationState.Open,
            Attestation = attestation,
            FindingResolved = item.TryGetValue("findingResolved", out var fr) && fr.BOOL == true,
            CreatedAt = Timestamps.ParseOrNull(Str(item, "createdAt")) ?? opensAt,
            Version = Num(item, "version") ?? 1,
            TimerIndexed = !(item.TryGetValue("timerIndexed", out var ti) && ti.BOOL == false),
        };
    }

    private static string? Str(Dictionary<string, AttributeValue> item, string name) =>
        item.TryGetValue(name, out var value) ? value.S : null;

    private static long? Num(Dictionary<string, AttributeValue> item, string name) =>
        item.TryGetValue(name, out var value) && long.TryParse(value.N, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : null;

    private static List<string> List(Dictionary<string, AttributeValue> item, string name) =>
        item.TryGetValue(name, out var value) && value.L is { } list ? list.Select(v => v.S).OfType<string>().ToList() : [];

    private static void Optional(Dictionary<string, AttributeValue> item, string name, string? value)
    {
        if (!string.IsNullOrEmpty(value)) item[name] = S(value);
    }

    private static AttributeValue S(string value) => new() { S = value };

    private static AttributeValue N(long value) => new() { N = value.ToString(CultureInfo.InvariantCulture) };
}
