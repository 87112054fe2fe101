using System.Globalization;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using IsmsServerless.Identity;
using IsmsServerless.Ledger;
using IsmsServerless.Model;
using IsmsServerless.Observability;
using IsmsServerless.Settings;

namespace IsmsServerless.Access;

/// <summary>Someone marked a person as left at runtime (CLI or page): who, when, and the leave day.</summary>
public sealed record LeaveMark(string Email, DateOnly LeftAt, string MarkedBy, DateTimeOffset MarkedAt);

/// <summary>
/// Runtime leave marks. The policy file (<c>people[].leftAt</c>) is reviewed YAML, changed by pull request: too slow for
/// "revoke access immediately when team members leave". So a leave is marked at runtime (<c>./isms people leave</c>, the
/// page's People view) and stored in the ledger table (<c>PK=PEOPLE#LEAVE SK=&lt;email&gt;</c>, plus an immutable history
/// item per mark), then overlaid on the settings every evaluation uses (<see cref="Apply"/>): the earlier of the file's
/// <c>leftAt</c> and the mark wins, so the leaver rules (<c>access.leaver-credentials</c>, <c>access.leaver-activity</c>)
/// watch the person's principals from the next event or sweep. The file stays the record of who the people are; the
/// mark should be copied into it at the next policy review (the page shows both side by side).
/// </summary>
public sealed class LeaveMarkStore(IAmazonDynamoDB dynamo, string tableName)
{
    public const string Partition = "PEOPLE#LEAVE";
    private const string HistoryPrefix = "HISTORY#";

    /// <summary>Roles that may mark a person as left.</summary>
    public static readonly IReadOnlyList<string> MarkerRoles = ["it-director", "cto", "ceo", "it-team"];

    /// <summary>
    /// Marks <paramref name="email"/> as left on <paramref name="leftAt"/>. The person must be in <c>people</c>; the marker
    /// must be a person with one of <see cref="MarkerRoles"/> and not the leaver. Returns the stored mark.
    /// </summary>
    public async Task<LeaveMark> MarkAsync(IsmsSettings settings, string email, DateOnly leftAt, string by, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var resolver = IdentityResolver.For(settings);
        var leaver = resolver.ResolveName(email).Person
            ?? throw new Obligations.ObligationException(Obligations.ObligationError.NotFound, $"'{Obligations.AttestationRules.Shorten(email)}' is not a person in the policy file's people (add them there first)");
        var marker = resolver.ResolveName(Obligations.AttestationRules.ValidatePerson(by)).Person
            ?? throw new Obligations.ObligationException(Obligations.ObligationError.Invalid, $"'{Obligations.AttestationRules.Shorten(by)}' is not a person in the policy file's people");
        if (!marker.Roles.Any(MarkerRoles.Contains))
            throw new Obligations.ObligationException(Obligations.ObligationError.Invalid, $"{marker.Email} may not mark leavers: one of the roles {string.Join(", ", MarkerRoles)} is needed");
        if (resolver.SamePerson(resolver.ResolveName(leaver.Email), resolver.ResolveName(marker.Email)))
            throw new Obligations.ObligationException(Obligations.ObligationError.FourEyes, "four-eyes: nobody marks their own leave; ask the IT Director");
        if (leftAt < DateOnly.FromDateTime(now.UtcDateTime).AddYears(-5) || leftAt > DateOnly.FromDateTime(now.UtcDateTime).AddYears(1))
            throw new Obligations.ObligationException(Obligations.ObligationError.Invalid, $"leave date {leftAt:yyyy-MM-dd} is implausible (within five years back and one ahead)");
        var mark = new LeaveMark(leaver.Email, leftAt, marker.Email, now);
        var day = leftAt.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var item = new Dictionary<string, AttributeValue>
        {
            [LedgerSchema.PartitionKey] = S(Partition),
            [LedgerSchema.SortKey] = S(leaver.Email.ToLowerInvariant()),
            [LedgerSchema.EntityType] = S("LEAVE_MARK"),
            ["email"] = S(leaver.Email),
            ["leftAt"] = S(day),
            ["markedBy"] = S(marker.Email),
            ["markedAt"] = S(Timestamps.ToWire(now)),
        };
        var history = new Dictionary<string, AttributeValue>(item)
        {
            [LedgerSchema.SortKey] = S(HistoryPrefix + leaver.Email.ToLowerInvariant() + "#" + Timestamps.ToWire(now)),
            [LedgerSchema.EntityType] = S("LEAVE_MARK_HISTORY"),
        };
        await dynamo.TransactWriteItemsAsync(new TransactWriteItemsRequest
        {
            TransactItems =
            [
                new TransactWriteItem { Put = new Put { TableName = tableName, Item = item } },
                new TransactWriteItem { Put = new Put { TableName = tableName, Item = history, ConditionExpression = "attribute_not_exists(PK)" } },
            ],
        }, cancellationToken).ConfigureAwait(false);
        Invalidate();
        Log.Info("people.leave-marked", ("person", leaver.Email), ("leftAt", day), ("by", marker.Email));
        return mark;
    }

    /// <summary>Every current mark (one Query on the partition; history items are skipped).</summary>
    public async Task<IReadOnlyList<LeaveMark>> ListAsync(CancellationToken cancellationToken = default)
    {
        var marks = new List<LeaveMark>();
        Dictionary<string, AttributeValue>? start = null;
        do
        {
            var page = await dynamo.QueryAsync(new QueryRequest
            {
                TableName = tableName,
                KeyConditionExpression = "PK = :pk",
                ExpressionAttributeValues = new Dictionary<string, AttributeValue> { [":pk"] = S(Partition) },
                ExclusiveStartKey = start,
                ConsistentRead = true,
            }, cancellationToken).ConfigureAwait(false);
            foreach (var item in page.Items ?? [])
            {
                if (item.TryGetValue(LedgerSchema.SortKey, out var sk) && sk.S.StartsWith(HistoryPrefix, StringComparison.Ordinal)) continue;
                if (Read(item) is { } mark) marks.Add(mark);
            }
            start = page.LastEvaluatedKey is { Count: > 0 } next ? next : null;
        }
        while (start is not null && marks.Count < 10_000);
        return marks;
    }

    /// <summary>
    /// <paramref name="settings"/> with the marks applied: each marked person's <c>LeftAt</c> becomes the earlier of the
    /// file's date and the mark's. Returns the same object when no mark changes anything (the leaver resolver cache stays warm).
    /// </summary>
    public static IsmsSettings Apply(IsmsSettings settings, IReadOnlyList<LeaveMark> marks)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (marks is not { Count: > 0 }) return settings;
        var byEmail = marks.GroupBy(m => m.Email, StringComparer.OrdinalIgnoreCase).ToDictionary(g => g.Key, g => g.Min(m => m.LeftAt), StringComparer.OrdinalIgnoreCase);
        var changed = false;
        var people = settings.People.Select(p =>
        {
            if (!byEmail.TryGetValue(p.Email, out var marked) || (p.LeftAt is { } file && file <= marked)) return p;
            changed = true;
            return p with { LeftAt = marked };
        }).ToList();
        return changed ? settings with { People = people } : settings;
    }

    private static readonly object Gate = new();
    private static (string Table, IsmsSettings Source, IsmsSettings Applied, DateTimeOffset ReadAt)? _cache;

    /// <summary>How long a process reuses the marks it read (a new mark reaches every Lambda within this).</summary>
    public static readonly TimeSpan CacheFor = TimeSpan.FromMinutes(5);

    /// <summary>
    /// <paramref name="settings"/> with the stored marks applied, read at most once per <see cref="CacheFor"/> per process
    /// (one Query), so a warm Lambda pays nothing per event. A store failure propagates (the invocation is retried).
    /// </summary>
    public async Task<IsmsSettings> OverlayAsync(IsmsSettings settings, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        lock (Gate)
        {
            if (_cache is { } c && c.Table == tableName && ReferenceEquals(c.Source, settings) && now - c.ReadAt < CacheFor && now >= c.ReadAt) return c.Applied;
        }
        var applied = Apply(settings, await ListAsync(cancellationToken).ConfigureAwait(false));
        lock (Gate) _cache = (tableName, settings, applied, now);
        return applied;
    }

    /// <summary>Forgets the process's cached marks (after a mark in this process, and in tests).</summary>
    public static void Invalidate()
    {
        lock (Gate) _cache = null;
    }

    private static LeaveMark? Read(Dictionary<string, AttributeValue> item)
    {
        string? Text(string name) => item.TryGetValue(name, out var v) ? v.S : null;
        if (Text("email") is not { } email || !DateOnly.TryParseExact(Text("leftAt"), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var leftAt)) return null;
        return new LeaveMark(email, leftAt, Text("markedBy") ?? "", Timestamps.ParseOrNull(Text("markedAt")) ?? default);
    }

    private static AttributeValue S(string value) => new() { S = value };
}
