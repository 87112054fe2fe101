using System.Globalization;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using IsmsServerless.Engine;
using IsmsServerless.Identity;
using IsmsServerless.Inputs;
using IsmsServerless.Ledger;
using IsmsServerless.Model;
using IsmsServerless.Obligations;
using IsmsServerless.Observability;
using IsmsServerless.Settings;

namespace IsmsServerless.Access;

/// <summary>
/// One principal of an access review campaign: what the reviewer saw when the campaign opened (admin-level rights with
/// their path, external trust, last activity), and the decision, once taken. Decisions are immutable evidence.
/// </summary>
public sealed record AccessReviewDecision
{
    public const string Keep = "keep";
    public const string Revoke = "revoke";
    public const string Reduce = "reduce";

    public static readonly IReadOnlyList<string> Choices = [Keep, Revoke, Reduce];

    public required string CampaignId { get; init; }
    public required string PrincipalKey { get; init; }
    public required string Kind { get; init; }
    public required string Name { get; init; }
    public required string AccountId { get; init; }
    public IReadOnlyList<string> AdminVia { get; init; } = [];
    public IReadOnlyList<string> ExternalTrusts { get; init; } = [];
    public IReadOnlyList<string> Members { get; init; } = [];
    public DateTimeOffset? LastSeenAt { get; init; }
    public bool Dormant { get; init; }

    /// <summary>The person the principal is (an IAM user mapped in <c>people</c>), when known.</summary>
    public string? Owner { get; init; }

    /// <summary><see cref="Keep"/>, <see cref="Revoke"/>, <see cref="Reduce"/>; empty until decided.</summary>
    public string Decision { get; init; } = "";
    public string Note { get; init; } = "";
    public string DecidedBy { get; init; } = "";
    public DateTimeOffset DecidedAt { get; init; }

    /// <summary>For revoke/reduce: when the sweep (or Config's deletion) saw the access gone.</summary>
    public DateTimeOffset? EffectiveAt { get; init; }

    public bool Decided => Decision.Length > 0;
}

/// <summary>An access review campaign: one per period of the <c>access-review</c> duty (its id is the obligation's).</summary>
public sealed record AccessReviewCampaign
{
    public required string Id { get; init; }
    public required string Period { get; init; }
    public required DateTimeOffset DueAt { get; init; }
    public required string OpenedBy { get; init; }
    public required DateTimeOffset OpenedAt { get; init; }
    public string? ClosedBy { get; init; }
    public DateTimeOffset? ClosedAt { get; init; }
    public IReadOnlyList<AccessReviewDecision> Principals { get; init; } = [];

    public bool Closed => ClosedAt is not null;
    public int Undecided => Principals.Count(p => !p.Decided);
}

/// <summary>
/// The quarterly access review on the obligation mechanism (the <c>access-review</c> duty). Opening a campaign snapshots
/// every principal of the access inventory the review covers (users, groups, roles; AWS service-linked roles are AWS's)
/// with its admin-level rights, external trust and last activity. The reviewer decides keep / revoke / reduce with a note
/// for each; nobody decides on their own access (four-eyes through <see cref="ObligationPeople.SamePerson"/>: a user
/// that maps to the reviewer, or a group the reviewer is in). A revoke or reduce decision is an
/// <c>access.review-decision</c> finding due <c>access.reviewRemediationDays</c> later, resolved when Config shows the
/// access gone (<see cref="AccessReviewRecheckStep"/>). Closing the campaign, once every principal is decided, attests the
/// duty's obligation with the campaign's summary and link: the evidence the export carries.
/// <para>
/// Items (ledger table, docs/data-model.md "Access review"): <c>PK=ACCESSREVIEW#&lt;obligationId&gt;</c>, <c>SK=CAMPAIGN</c>
/// (header) and <c>SK=P#&lt;principal ARN&gt;</c> (one per principal); revoke/reduce decisions not yet in effect are listed on
/// GSI1 <c>ACCESSREVIEW#PENDING</c> for the sweep.
/// </para>
/// </summary>
public sealed class AccessReviewService(IAmazonDynamoDB dynamo, string tableName, IsmsSettings settings, TimeProvider clock, string accountId = "unknown", string region = "unknown")
{
    public const string DutyId = "access-review";
    public const string PendingPartition = "ACCESSREVIEW#PENDING";
    private const string Prefix = "ACCESSREVIEW#";
    private const string HeaderSort = "CAMPAIGN";
    private const string PrincipalPrefix = "P#";

    private IdentityResolver? _resolver;
    private IdentityResolver Resolver => _resolver ??= IdentityResolver.For(settings);

    private AttestationService Attestations => new(new DynamoObligationStore(dynamo, tableName, settings), settings, clock, accountId, region);

    /// <summary>
    /// Opens the campaign of the access-review duty's current (earliest unattested) period, or returns it when it is open
    /// already (idempotent: the header is a conditional put).
    /// </summary>
    public async Task<AccessReviewCampaign> OpenAsync(string by, CancellationToken cancellationToken = default)
    {
        by = AttestationRules.ValidatePerson(by);
        var obligation = await Attestations.ResolveAsync(DutyId, cancellationToken).ConfigureAwait(false);
        var existing = await GetAsync(obligation.Id, cancellationToken).ConfigureAwait(false);
        if (existing is not null) return existing;
        var now = clock.GetUtcNow();
        var inventory = await new AccessInventoryService(dynamo, tableName, settings).ReadAsync(cancellationToken).ConfigureAwait(false);
        var dormantBefore = now - TimeSpan.FromDays(settings.Access?.DormantAfterDays ?? 90);
        var principals = inventory.Principals.Where(p => !p.ServiceLinked).Select(p => new AccessReviewDecision
        {
            CampaignId = obligation.Id,
            PrincipalKey = p.Key,
            Kind = p.Kind,
            Name = p.Name,
            AccountId = p.AccountId,
            AdminVia = p.AdminVia,
            ExternalTrusts = p.ExternalTrusts.Select(t => t.Principal).ToList(),
            Members = p.Members,
            LastSeenAt = p.Activity?.LastSeenAt,
            Dormant = p.Kind != "group" && (p.Activity?.LastSeenAt ?? p.CreatedAt ?? now) < dormantBefore,
            Owner = p.Kind == "user" && Resolver.ResolveName(p.Name).Person is { } person ? person.Email : null,
        }).ToList();
        try
        {
            await dynamo.PutItemAsync(new PutItemRequest
            {
                TableName = tableName,
                Item = new Dictionary<string, AttributeValue>
                {
                    [LedgerSchema.PartitionKey] = S(Prefix + obligation.Id),
                    [LedgerSchema.SortKey] = S(HeaderSort),
                    [LedgerSchema.EntityType] = S("ACCESS_REVIEW"),
                    [LedgerSchema.Gsi1PartitionKey] = S(Prefix + "CAMPAIGNS"),
                    [LedgerSchema.Gsi1SortKey] = S(Timestamps.ToWire(now) + "#" + obligation.Id),
                    ["campaignId"] = S(obligation.Id),
                    ["period"] = S(obligation.Spec.Period),
                    ["dueAt"] = S(Timestamps.ToWire(obligation.DueAt)),
                    ["openedBy"] = S(by),
                    ["openedAt"] = S(Timestamps.ToWire(now)),
                    ["principals"] = new AttributeValue { N = principals.Count.ToString(CultureInfo.InvariantCulture) },
                },
                ConditionExpression = "attribute_not_exists(PK)",
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (ConditionalCheckFailedException)
        {
            return (await GetAsync(obligation.Id, cancellationToken).ConfigureAwait(false))!;
        }
        foreach (var chunk in principals.Chunk(25))
        {
            var requests = chunk.Select(p => new WriteRequest { PutRequest = new PutRequest { Item = ToItem(p) } }).ToList();
            for (var attempt = 0; requests.Count > 0; attempt++)
            {
                var response = await dynamo.BatchWriteItemAsync(new BatchWriteItemRequest { RequestItems = new() { [tableName] = requests } }, cancellationToken).ConfigureAwait(false);
                requests = response.UnprocessedItems?.GetValueOrDefault(tableName) ?? [];
                if (requests.Count > 0)
                {
                    if (attempt >= 10) throw new InvalidOperationException("access review: the store kept throttling the campaign snapshot; open it again to finish");
                    await Task.Delay(TimeSpan.FromMilliseconds(50 << Math.Min(attempt, 6)), cancellationToken).ConfigureAwait(false);
                }
            }
        }
        Log.Info("access-review.opened", ("campaign", obligation.Id), ("period", obligation.Spec.Period), ("principals", principals.Count), ("by", by));
        return (await GetAsync(obligation.Id, cancellationToken).ConfigureAwait(false))!;
    }

    /// <summary>The campaign with every principal (one Query, paged), or null.</summary>
    public async Task<AccessReviewCampaign?> GetAsync(string campaignId, CancellationToken cancellationToken = default)
    {
        if (!Obligation.IsObligationId(campaignId)) return null;
        Dictionary<string, AttributeValue>? header = null;
        var principals = new List<AccessReviewDecision>();
        Dictionary<string, AttributeValue>? start = null;
        do
        {
            var page = await dynamo.QueryAsync(new QueryRequest
            {
                TableName = tableName,
                KeyConditionExpression = "PK = :pk",
                ExpressionAttributeValues = new Dictionary<string, AttributeValue> { [":pk"] = S(Prefix + campaignId) },
                ExclusiveStartKey = start,
                ConsistentRead = true,
            }, cancellationToken).ConfigureAwait(false);
            foreach (var item in page.Items ?? [])
            {
                var sk = Text(item, LedgerSchema.SortKey);
                if (sk == HeaderSort) header = item;
                else if (sk?.StartsWith(PrincipalPrefix, StringComparison.Ordinal) == true && FromItem(item) is { } decision) principals.Add(decision);
            }
            start = page.LastEvaluatedKey is { Count: > 0 } next ? next : null;
        }
        while (start is not null);
        if (header is null) return null;
        return new AccessReviewCampaign
        {
            Id = campaignId,
            Period = Text(header, "period") ?? "",
            DueAt = Timestamps.ParseOrNull(Text(header, "dueAt")) ?? default,
            OpenedBy = Text(header, "openedBy") ?? "",
            OpenedAt = Timestamps.ParseOrNull(Text(header, "openedAt")) ?? default,
            ClosedBy = Text(header, "closedBy"),
            ClosedAt = Timestamps.ParseOrNull(Text(header, "closedAt")),
            Principals = principals.OrderBy(p => p.Kind, StringComparer.Ordinal).ThenBy(p => p.PrincipalKey, StringComparer.Ordinal).ToList(),
        };
    }

    /// <summary>The latest campaigns, most recent first (GSI1).</summary>
    public async Task<IReadOnlyList<string>> ListAsync(int limit = 20, CancellationToken cancellationToken = default)
    {
        var response = await dynamo.QueryItemsAsync(new QueryRequest
        {
            TableName = tableName,
            IndexName = LedgerSchema.Gsi1,
            KeyConditionExpression = "#pk = :pk",
            ExpressionAttributeNames = new Dictionary<string, string> { ["#pk"] = LedgerSchema.Gsi1PartitionKey },
            ExpressionAttributeValues = new Dictionary<string, AttributeValue> { [":pk"] = S(Prefix + "CAMPAIGNS") },
            ScanIndexForward = false,
            Limit = Math.Clamp(limit, 1, 100),
        }, cancellationToken).ConfigureAwait(false);
        return (response.Items ?? []).Select(i => Text(i, "campaignId")).OfType<string>().ToList();
    }

    /// <summary>
    /// Records the decision on one principal (once: decisions are evidence). Refuses an unknown decision, a missing note,
    /// a closed campaign, and the reviewer's own access. A revoke or reduce decision is recorded in the ledger at once as
    /// an <c>access.review-decision</c> finding (or compliant, when the inventory already shows the access gone).
    /// </summary>
    public async Task<AccessReviewDecision> DecideAsync(string campaignId, string principal, string decision, string? note, string by,
        IFindingLedger ledger, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        by = AttestationRules.ValidatePerson(by);
        var text = AttestationRules.ValidateNote(note)
            ?? throw new ObligationException(ObligationError.Invalid, "a decision needs a note: why keep, revoke or reduce (--note)");
        decision = (decision ?? "").Trim().ToLowerInvariant();
        if (!AccessReviewDecision.Choices.Contains(decision))
            throw new ObligationException(ObligationError.Invalid, $"decision must be keep, revoke or reduce, not '{AttestationRules.Shorten(decision)}'");
        var campaign = await GetAsync(campaignId, cancellationToken).ConfigureAwait(false)
            ?? throw new ObligationException(ObligationError.NotFound, $"no access review campaign '{AttestationRules.Shorten(campaignId)}' (open one: ./isms access-review open --by <you>)");
        if (campaign.Closed) throw new ObligationException(ObligationError.AlreadyDone, $"campaign {campaign.Id} was closed by {campaign.ClosedBy}; decisions are final");
        var target = campaign.Principals.FirstOrDefault(p => p.PrincipalKey == principal)
            ?? campaign.Principals.SingleOrDefaultOrNull(p => p.Name == principal)
            ?? throw new ObligationException(ObligationError.NotFound, $"'{AttestationRules.Shorten(principal)}' is not a principal of campaign {campaign.Id} (its ARN, or a name that is unique in it)");
        if (target.Decided) throw new ObligationException(ObligationError.AlreadyDone, $"{target.Name} was already decided ({target.Decision}) by {target.DecidedBy}");
        if (OwnAccess(target, by) is { } why)
            throw new ObligationException(ObligationError.FourEyes, $"four-eyes: {by} cannot review {target.Name}: {why}; ask another reviewer");
        var now = clock.GetUtcNow();
        var decided = target with { Decision = decision, Note = text, DecidedBy = by, DecidedAt = now };
        var item = ToItem(decided);
        try
        {
            await dynamo.PutItemAsync(new PutItemRequest
            {
                TableName = tableName,
                Item = item,
                ConditionExpression = "attribute_exists(PK) AND attribute_not_exists(decision)",
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (ConditionalCheckFailedException)
        {
            throw new ObligationException(ObligationError.Conflict, $"{target.Name} was decided by someone else meanwhile; show the campaign again");
        }
        Log.Info("access-review.decided", ("campaign", campaign.Id), ("principal", target.PrincipalKey), ("decision", decision), ("by", by));
        if (decision != AccessReviewDecision.Keep)
        {
            var inventory = await new AccessInventoryService(dynamo, tableName, settings).ReadAsync(cancellationToken).ConfigureAwait(false);
            await RecordAsync([decided], inventory, ledger, cancellationToken).ConfigureAwait(false);
        }
        return decided;
    }

    /// <summary>
    /// Closes the campaign once every principal is decided: attests the duty's obligation (four-eyes and evidence rules
    /// of <see cref="AttestationService"/>) with the campaign's summary as the note and its page link as evidence, then
    /// marks the campaign closed.
    /// </summary>
    public async Task<AccessReviewCampaign> CloseAsync(string campaignId, string by, IReadOnlyList<string>? evidence, CancellationToken cancellationToken = default)
    {
        by = AttestationRules.ValidatePerson(by);
        var campaign = await GetAsync(campaignId, cancellationToken).ConfigureAwait(false)
            ?? throw new ObligationException(ObligationError.NotFound, $"no access review campaign '{AttestationRules.Shorten(campaignId)}'");
        if (campaign.Closed) throw new ObligationException(ObligationError.AlreadyDone, $"campaign {campaign.Id} was already closed by {campaign.ClosedBy}");
        if (campaign.Undecided > 0)
            throw new ObligationException(ObligationError.Invalid, $"{campaign.Undecided} principal(s) of {campaign.Id} are not decided yet: {string.Join(", ", campaign.Principals.Where(p => !p.Decided).Take(5).Select(p => p.Name))}");
        var link = settings.StatusPageUrl.TrimEnd('/') + "/#access-review/" + campaign.Id;
        var links = new List<string>(evidence ?? []);
        if (link.StartsWith("https://", StringComparison.Ordinal)) links.Insert(0, link);
        var attested = await Attestations.AttestAsync(new AttestRequest(campaign.Id, by, "cli:" + by, links, Summary(campaign)), cancellationToken).ConfigureAwait(false);
        var now = attested.Attestation?.At ?? clock.GetUtcNow();
        await dynamo.UpdateItemAsync(new UpdateItemRequest
        {
            TableName = tableName,
            Key = new Dictionary<string, AttributeValue> { [LedgerSchema.PartitionKey] = S(Prefix + campaign.Id), [LedgerSchema.SortKey] = S(HeaderSort) },
            UpdateExpression = "SET closedBy = :by, closedAt = :at",
            ConditionExpression = "attribute_not_exists(closedAt)",
            ExpressionAttributeValues = new Dictionary<string, AttributeValue> { [":by"] = S(by), [":at"] = S(Timestamps.ToWire(now)) },
        }, cancellationToken).ConfigureAwait(false);
        Log.Info("access-review.closed", ("campaign", campaign.Id), ("by", by), ("principals", campaign.Principals.Count));
        return campaign with { ClosedBy = by, ClosedAt = now };
    }

    /// <summary>The campaign in words, for the attestation note (bounded by <see cref="AttestationRules.MaxNoteLength"/>).</summary>
    public static string Summary(AccessReviewCampaign campaign)
    {
        ArgumentNullException.ThrowIfNull(campaign);
        var counts = AccessReviewDecision.Choices.Select(c => $"{campaign.Principals.Count(p => p.Decision == c)} {c}");
        var lines = new List<string> { $"Access review {campaign.Id} ({campaign.Period}): {campaign.Principals.Count} principal(s), {string.Join(", ", counts)}." };
        foreach (var p in campaign.Principals.OrderBy(p => p.Decision == AccessReviewDecision.Keep).ThenBy(p => p.PrincipalKey, StringComparer.Ordinal))
            lines.Add($"{p.Decision} {p.Kind} {p.Name} by {p.DecidedBy}{(p.AdminVia.Count > 0 ? " [admin]" : "")}{(p.ExternalTrusts.Count > 0 ? " [external]" : "")}: {p.Note}");
        var text = string.Join('\n', lines);
        return text.Length <= AttestationRules.MaxNoteLength ? text : text[..(AttestationRules.MaxNoteLength - 40)] + "\n… (full list on the campaign page)";
    }

    /// <summary>Why <paramref name="by"/> may not decide on <paramref name="target"/> (their own user, or a group they are in), else null.</summary>
    public string? OwnAccess(AccessReviewDecision target, string by)
    {
        ArgumentNullException.ThrowIfNull(target);
        if (target.Kind == "user" && (ObligationPeople.SamePerson(Resolver, by, target.Name) || ObligationPeople.SamePerson(Resolver, by, target.Owner)))
            return "it is their own IAM user";
        if (target.Kind == "group" && target.Members.FirstOrDefault(m => ObligationPeople.SamePerson(Resolver, by, m)) is { } member)
            return $"they are in the group (as {member})";
        return null;
    }

    /// <summary>Revoke/reduce decisions whose access Config still showed at the last look (GSI1, oldest first).</summary>
    public async Task<IReadOnlyList<AccessReviewDecision>> PendingAsync(int limit = 1000, CancellationToken cancellationToken = default)
    {
        var result = new List<AccessReviewDecision>();
        Dictionary<string, AttributeValue>? start = null;
        do
        {
            var page = await dynamo.QueryItemsAsync(new QueryRequest
            {
                TableName = tableName,
                IndexName = LedgerSchema.Gsi1,
                KeyConditionExpression = "#pk = :pk",
                ExpressionAttributeNames = new Dictionary<string, string> { ["#pk"] = LedgerSchema.Gsi1PartitionKey },
                ExpressionAttributeValues = new Dictionary<string, AttributeValue> { [":pk"] = S(PendingPartition) },
                ExclusiveStartKey = start,
                Limit = 200,
            }, cancellationToken).ConfigureAwait(false);
            result.AddRange((page.Items ?? []).Select(FromItem).OfType<AccessReviewDecision>());
            start = page.LastEvaluatedKey is { Count: > 0 } next ? next : null;
        }
        while (start is not null && result.Count < limit);
        return result;
    }

    /// <summary>
    /// Judges revoke/reduce decisions against the inventory and records the outcomes in the ledger; decisions now in
    /// effect leave the pending index. Returns how many took effect.
    /// </summary>
    public async Task<int> RecordAsync(IReadOnlyList<AccessReviewDecision> decisions, AccessInventorySnapshot inventory, IFindingLedger ledger, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        var context = new EvaluationContext(settings, clock);
        var registry = RuleRegistry.CreateDefault();
        var evaluations = new List<Evaluation>();
        var effective = new List<AccessReviewDecision>();
        foreach (var d in decisions)
        {
            var input = new AccessDecisionInput { Decision = d, Current = inventory.Find(d.PrincipalKey), AccountId = d.AccountId, Region = "global", ObservedAt = context.Now };
            var results = input.Dispatch(registry, context).ToList();
            evaluations.AddRange(results);
            if (results.Count > 0 && results.All(r => r.Outcome == Outcome.Compliant)) effective.Add(d);
        }
        if (evaluations.Count > 0) await ledger.RecordAsync(evaluations, context, cancellationToken).ConfigureAwait(false);
        foreach (var d in effective)
        {
            await dynamo.UpdateItemAsync(new UpdateItemRequest
            {
                TableName = tableName,
                Key = new Dictionary<string, AttributeValue> { [LedgerSchema.PartitionKey] = S(Prefix + d.CampaignId), [LedgerSchema.SortKey] = S(PrincipalPrefix + d.PrincipalKey) },
                UpdateExpression = "SET effectiveAt = :at REMOVE #g1, #g1s",
                ExpressionAttributeNames = new Dictionary<string, string> { ["#g1"] = LedgerSchema.Gsi1PartitionKey, ["#g1s"] = LedgerSchema.Gsi1SortKey },
                ExpressionAttributeValues = new Dictionary<string, AttributeValue> { [":at"] = S(Timestamps.ToWire(context.Now)) },
            }, cancellationToken).ConfigureAwait(false);
        }
        return effective.Count;
    }

    private Dictionary<string, AttributeValue> ToItem(AccessReviewDecision p)
    {
        var item = new Dictionary<string, AttributeValue>
        {
            [LedgerSchema.PartitionKey] = S(Prefix + p.CampaignId),
            [LedgerSchema.SortKey] = S(PrincipalPrefix + p.PrincipalKey),
            [LedgerSchema.EntityType] = S("ACCESS_REVIEW_PRINCIPAL"),
            ["campaignId"] = S(p.CampaignId),
            ["principalKey"] = S(p.PrincipalKey),
            ["kind"] = S(p.Kind),
            ["name"] = S(p.Name),
            ["accountId"] = S(p.AccountId),
            ["adminVia"] = L(p.AdminVia),
            ["externalTrusts"] = L(p.ExternalTrusts),
            ["members"] = L(p.Members.Take(200)),
            ["dormant"] = new AttributeValue { BOOL = p.Dormant },
        };
        if (p.LastSeenAt is { } seen) item["lastSeenAt"] = S(Timestamps.ToWire(seen));
        if (p.Owner is { Length: > 0 } owner) item["owner"] = S(owner);
        if (p.Decided)
        {
            item["decision"] = S(p.Decision);
            item["note"] = S(p.Note);
            item["decidedBy"] = S(p.DecidedBy);
            item["decidedAt"] = S(Timestamps.ToWire(p.DecidedAt));
            if (p.Decision != AccessReviewDecision.Keep)
            {
                item[LedgerSchema.Gsi1PartitionKey] = S(PendingPartition);
                item[LedgerSchema.Gsi1SortKey] = S(Timestamps.ToWire(p.DecidedAt) + "#" + p.CampaignId + "#" + p.PrincipalKey);
            }
        }
        return item;
    }

    private static AccessReviewDecision? FromItem(Dictionary<string, AttributeValue> item)
    {
        if (Text(item, "campaignId") is not { } campaign || Text(item, "principalKey") is not { } key) return null;
        return new AccessReviewDecision
        {
            CampaignId = campaign,
            PrincipalKey = key,
            Kind = Text(item, "kind") ?? "user",
            Name = Text(item, "name") ?? key,
            AccountId = Text(item, "accountId") ?? "",
            AdminVia = List(item, "adminVia"),
            ExternalTrusts = List(item, "externalTrusts"),
            Members = List(item, "members"),
            LastSeenAt = Timestamps.ParseOrNull(Text(item, "lastSeenAt")),
            Dormant = item.TryGetValue("dormant", out var d) && d.BOOL == true,
            Owner = Text(item, "owner"),
            Decision = Text(item, "decision") ?? "",
            Note = Text(item, "note") ?? "",
            DecidedBy = Text(item, "decidedBy") ?? "",
            DecidedAt = Timestamps.ParseOrNull(Text(item, "decidedAt")) ?? default,
            EffectiveAt = Timestamps.ParseOrNull(Text(item, "effectiveAt")),
        };
    }

    private static string? Text(Dictionary<string, AttributeValue> item, string name) => item.TryGetValue(name, out var v) ? v.S : null;

    private static List<string> List(Dictionary<string, AttributeValue> item, string name) =>
        item.TryGetValue(name, out var v) && v.L is { } list ? list.Select(x => x.S).OfType<string>().ToList() : [];

    private static AttributeValue S(string value) => new() { S = value };

    private static AttributeValue L(IEnumerable<string> values) => new() { L = values.Select(S).ToList(), IsLSet = true };
}

internal static class AccessReviewEnumerable
{
    /// <summary>The only element matching, or null when none or several do (a name must be unique to be used).</summary>
    public static T? SingleOrDefaultOrNull<T>(this IEnumerable<T> source, Func<T, bool> predicate) where T : class
    {
        T? found = null;
        foreach (var item in source.Where(predicate))
        {
            if (found is not null) return null;
            found = item;
        }
        return found;
    }
}
