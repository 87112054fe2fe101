using System.Globalization;
using Amazon.DynamoDBv2.Model;
using IsmsServerless.Ledger;
using IsmsServerless.Model;
using IsmsServerless.Observability;

namespace IsmsServerless.Obligations;

/// <summary>Obligation ⇄ DynamoDB item. Readers never throw on stored data: a malformed item is logged and skipped.</summary>
internal static class ObligationItems
{
    public static Dictionary<string, AttributeValue> ToItem(Obligation o)
    {
        var s = o.Spec;
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
            ["controls"] = new() { L = s.Controls.Select(S).ToList() },
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
            [LedgerSchema.Gsi1PartitionKey] = S(ObligationKeys.KindPartition(s.Kind)),
            [LedgerSchema.Gsi1SortKey] = S(ObligationKeys.DueSort(s.DueAt, o.Id)),
            [LedgerSchema.Gsi2PartitionKey] = S(ObligationKeys.SubjectPartition(s.Kind, s.Subject)),
            [LedgerSchema.Gsi2SortKey] = S(ObligationKeys.DueSort(s.DueAt, o.Id)),
        };
        Optional(item, "policyClause", s.PolicyClause);
        Optional(item, "ownerRole", s.OwnerRole);
        Optional(item, "ownerPerson", s.OwnerPerson);
        Optional(item, "evidenceExpected", s.EvidenceExpected);
        Optional(item, "author", s.Author);
        Optional(item, "accountId", s.AccountId);
        Optional(item, "region", s.Region);
        Optional(item, "policyVersion", s.PolicyVersion);
        Optional(item, "link", s.Link);
        if (s.OverdueSla is { } sla) item["overdueSlaSeconds"] = N((long)sla.TotalSeconds);
        if (s.LateOpenSettle is { } settle) item["lateOpenSettleSeconds"] = N((long)settle.TotalSeconds);
        if (o.Attestation is { } a)
        {
            item["attestedBy"] = S(a.By);
            item["attestedSubject"] = S(a.Subject);
            item["attestedAt"] = S(Timestamps.ToWire(a.At));
            Optional(item, "attestationNote", a.Note);
            item["evidence"] = new() { L = a.Evidence.Select(S).ToList() };
            item[LedgerSchema.Gsi3PartitionKey] = S(ObligationKeys.DonePartition);
            item[LedgerSchema.Gsi3SortKey] = S(ObligationKeys.DueSort(a.At, o.Id));
        }
        else
        {
            item[LedgerSchema.Gsi3PartitionKey] = S(ObligationKeys.OpenPartition);
            item[LedgerSchema.Gsi3SortKey] = S(ObligationKeys.DueSort(s.DueAt, o.Id));
        }
        if (ObligationSchedule.NextTimer(o) is { } timer)
        {
            item[LedgerSchema.Gsi4PartitionKey] = S(ObligationKeys.TimerPartition);
            item[LedgerSchema.Gsi4SortKey] = S(ObligationKeys.TimerSort(timer, o.Id));
        }
        return item;
    }

    public static Obligation? FromItem(Dictionary<string, AttributeValue> item)
    {
        var id = Str(item, "id");
        if (id is null || Str(item, "kind") is not { } kind || Str(item, "subject") is not { } subject
            || !Timestamps.TryParse(Str(item, "opensAt"), out var opensAt) || !Timestamps.TryParse(Str(item, "dueAt"), out var dueAt))
        {
            Log.Warn("ledger.malformed-item", ("entityType", ObligationKeys.EntityType), ("id", id), ("problem", "missing id, kind, subject, opensAt or dueAt"));
            return null;
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
            Controls = List(item, "controls"),
            PolicyClause = Str(item, "policyClause") ?? "",
            OwnerRole = Str(item, "ownerRole"),
            OwnerPerson = Str(item, "ownerPerson"),
            OpensAt = opensAt,
            DueAt = dueAt,
            Reminders = List(item, "reminders").Select(Timestamps.ParseOrNull).OfType<DateTimeOffset>().ToList(),
            EvidenceExpected = Str(item, "evidenceExpected") ?? "",
            FourEyes = item.TryGetValue("fourEyes", out var fe) && fe.BOOL == true,
            Author = Str(item, "author"),
            OverdueSeverity = SeverityNames.TryParse(Str(item, "overdueSeverity"), out var severity) ? severity : Severity.Medium,
            OverdueSla = Num(item, "overdueSlaSeconds") is { } seconds ? TimeSpan.FromSeconds(seconds) : null,
            LateOpenSettle = Num(item, "lateOpenSettleSeconds") is { } settle and > 0 and < 31_536_000 ? TimeSpan.FromSeconds(settle) : null,
            AccountId = Str(item, "accountId") ?? "",
            Region = Str(item, "region") ?? "",
            PolicyVersion = Str(item, "policyVersion") ?? "",
            Link = Str(item, "link"),
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
