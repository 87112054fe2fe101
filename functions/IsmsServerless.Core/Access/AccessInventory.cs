using System.Text.Json;
using IsmsServerless.Drift;
using IsmsServerless.Events;
using IsmsServerless.Inputs;

namespace IsmsServerless.Access;

/// <summary>A policy attached to a principal: its name and ARN (managed) or <c>inline</c>.</summary>
public sealed record PolicyAttachment(string Name, string? Arn, bool Inline, IReadOnlyList<string> AdminGrants);

/// <summary>What CloudTrail has shown of a principal: when it last acted, and the credentials IAM calls gave or took.</summary>
/// <param name="PrincipalKey">The principal's ARN (an IAM user's or role's, as Config spells it; a role session counts for its role).</param>
/// <param name="LastSeenAt">The UTC day it was last seen acting, as 00:00Z of that day (day precision: order-free, written once a day).</param>
/// <param name="LastEvent"><c>source:EventName</c> of that call.</param>
/// <param name="LoginProfile">True after <c>CreateLoginProfile</c>, false after <c>DeleteLoginProfile</c>; null: never seen.</param>
/// <param name="AccessKeys">Access key id to its last status seen (<c>Active</c>, <c>Inactive</c>, <c>Deleted</c>).</param>
/// <param name="MfaDevices">MFA device serial to <c>Enabled</c> / <c>Deactivated</c>.</param>
public sealed record PrincipalActivity(
    string PrincipalKey,
    DateTimeOffset? LastSeenAt,
    string? LastEvent,
    bool? LoginProfile,
    IReadOnlyDictionary<string, string> AccessKeys,
    IReadOnlyDictionary<string, string> MfaDevices);

/// <summary>
/// One principal of the access inventory: an IAM user, group or role as the stored Config items and the recorded
/// CloudTrail activity show it, with what the access review needs (effective admin-level rights and their path, trust
/// to principals outside the organisation's accounts, last activity).
/// </summary>
public sealed record AccessPrincipal
{
    /// <summary>The ARN (the key findings, baselines and the drift store share).</summary>
    public required string Key { get; init; }

    /// <summary><c>user</c>, <c>group</c> or <c>role</c>.</summary>
    public required string Kind { get; init; }

    public required string Name { get; init; }
    public required string AccountId { get; init; }
    public string Path { get; init; } = "/";
    public DateTimeOffset? CreatedAt { get; init; }
    public DateTimeOffset? CapturedAt { get; init; }

    /// <summary>Groups a user is in.</summary>
    public IReadOnlyList<string> Groups { get; init; } = [];

    /// <summary>Users in a group (from the users' items).</summary>
    public IReadOnlyList<string> Members { get; init; } = [];

    public IReadOnlyList<PolicyAttachment> Policies { get; init; } = [];

    /// <summary>Why it holds admin-level rights, each with its path (<c>AdministratorAccess (attached)</c>, <c>group Admins: iam:* (inline admin-inline)</c>). Empty: none.</summary>
    public IReadOnlyList<string> AdminVia { get; init; } = [];

    /// <summary>Principals outside the internal accounts a role's trust policy lets in.</summary>
    public IReadOnlyList<ExternalTrust> ExternalTrusts { get; init; } = [];

    /// <summary>Service roles (<c>/aws-service-role/</c>, trusted only by AWS services) are AWS's to manage: shown, not reviewed.</summary>
    public bool ServiceLinked { get; init; }

    /// <summary>Credentials and last activity from CloudTrail; null when never seen acting and no credential call recorded.</summary>
    public PrincipalActivity? Activity { get; init; }

    public bool Admin => AdminVia.Count > 0;
    public bool External => ExternalTrusts.Count > 0;

    /// <summary>Does it hold any permission at all (a policy of its own, or a group)?</summary>
    public bool HoldsPermissions => Policies.Count > 0 || Groups.Count > 0;
}

/// <summary>A managed policy of the inventory and what it grants.</summary>
public sealed record ManagedPolicyView(string Key, string Name, string AccountId, IReadOnlyList<string> AdminGrants, IReadOnlyList<string> AttachedTo);

/// <summary>The access inventory at one moment: every principal and customer managed policy Config shows.</summary>
public sealed record AccessInventorySnapshot(IReadOnlyList<AccessPrincipal> Principals, IReadOnlyList<ManagedPolicyView> Policies)
{
    public AccessPrincipal? Find(string key) => Principals.FirstOrDefault(p => p.Key == key);
}

/// <summary>
/// Builds the access inventory from stored AWS Config items (<c>AWS::IAM::User</c>, <c>Group</c>, <c>Role</c>,
/// <c>Policy</c>, as the drift store keeps the latest of each) and the recorded activity. Pure: no SDK, no clock.
/// Effective admin-level rights follow one level of indirection Config can show: the principal's own attached and inline
/// policies, and for a user its groups' attached and inline policies (a customer managed policy is judged by its
/// default version). Permission boundaries, SCPs and resource policies are not subtracted: conservative, the reviewer
/// sees the grant.
/// </summary>
public static class AccessInventory
{
    public const string UserType = "AWS::IAM::User";
    public const string GroupType = "AWS::IAM::Group";
    public const string RoleType = "AWS::IAM::Role";
    public const string PolicyType = "AWS::IAM::Policy";

    /// <summary>The Config resource types the inventory reads.</summary>
    public static readonly IReadOnlyList<string> ResourceTypes = [UserType, GroupType, RoleType, PolicyType];

    public static bool IsAccessType(string? resourceType) => resourceType is UserType or GroupType or RoleType or PolicyType;

    public static AccessInventorySnapshot Build(IEnumerable<StoredConfiguration> items, IReadOnlyDictionary<string, PrincipalActivity> activity, IReadOnlySet<string> internalAccounts)
    {
        ArgumentNullException.ThrowIfNull(items);
        // One item per principal: a user's item stored under its ARN with the path (before keys dropped it) and under the
        // path-less key is the same user; the latest capture wins.
        var all = items.Where(i => IsAccessType(i.ResourceType) && i.Configuration.ValueKind == JsonValueKind.Object)
            .GroupBy(i => (i.ResourceType, Key: i.ResourceType == UserType ? ResourceKeys.Principal(i.ResourceKey) : i.ResourceKey))
            .Select(g => g.OrderByDescending(i => i.CaptureTime ?? DateTimeOffset.MinValue).First())
            .ToList();

        // Customer managed policies by ARN: their default version's admin grants.
        var policies = new Dictionary<string, (StoredConfiguration Item, IReadOnlyList<string> Grants)>(StringComparer.Ordinal);
        foreach (var item in all.Where(i => i.ResourceType == PolicyType))
        {
            var arn = Json.Text(item.Configuration, "arn") ?? item.Arn ?? item.ResourceKey;
            policies[arn] = (item, DefaultVersionGrants(item.Configuration));
        }

        PolicyAttachment Attached(JsonElement attached)
        {
            var name = Json.Text(attached, "policyName") ?? "?";
            var arn = Json.Text(attached, "policyArn");
            IReadOnlyList<string> grants = IamPolicyAnalysis.IsAdminManagedPolicy(arn) ? [name]
                : arn is not null && policies.TryGetValue(arn, out var p) ? p.Grants : [];
            return new PolicyAttachment(Clip(name), arn is null ? null : Clip(arn), false, grants);
        }

        IReadOnlyList<PolicyAttachment> PoliciesOf(JsonElement c, string inlineListName)
        {
            var list = new List<PolicyAttachment>();
            foreach (var a in Json.Items(Json.Get(c, "attachedManagedPolicies"))) list.Add(Attached(a));
            foreach (var inline in Json.Items(Json.Get(c, inlineListName)))
                list.Add(new PolicyAttachment(Clip(Json.Text(inline, "policyName") ?? "?"), null, true, IamPolicyAnalysis.AdminGrants(Json.Get(inline, "policyDocument"))));
            return list;
        }

        static IEnumerable<string> Via(IEnumerable<PolicyAttachment> attachments, string prefix) =>
            attachments.Where(a => a.AdminGrants.Count > 0).Select(a =>
                $"{prefix}{(a.AdminGrants.Count == 1 && a.AdminGrants[0] == a.Name ? a.Name : string.Join(", ", a.AdminGrants))} ({(a.Inline ? "inline " : "attached ")}{a.Name})");

        var groups = new Dictionary<string, (StoredConfiguration Item, IReadOnlyList<PolicyAttachment> Policies)>(StringComparer.Ordinal);
        foreach (var item in all.Where(i => i.ResourceType == GroupType))
        {
            var name = Json.Text(item.Configuration, "groupName") ?? item.ResourceName ?? item.ResourceId;
            groups[item.AccountId + "/" + name] = (item, PoliciesOf(item.Configuration, "groupPolicyList"));
        }

        var principals = new List<AccessPrincipal>();
        var membersByGroup = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var item in all.Where(i => i.ResourceType == UserType))
        {
            var c = item.Configuration;
            var name = Json.Text(c, "userName") ?? item.ResourceName ?? item.ResourceId;
            var own = PoliciesOf(c, "userPolicyList");
            var groupNames = Json.Items(Json.Get(c, "groupList")).Select(g => Json.Text(g)).OfType<string>().Select(Clip).ToList();
            var via = Via(own, "").ToList();
            foreach (var g in groupNames)
            {
                (membersByGroup.TryGetValue(item.AccountId + "/" + g, out var m) ? m : membersByGroup[item.AccountId + "/" + g] = []).Add(name);
                if (groups.TryGetValue(item.AccountId + "/" + g, out var group)) via.AddRange(Via(group.Policies, $"group {g}: "));
            }
            principals.Add(new AccessPrincipal
            {
                Key = ResourceKeys.Principal(item.ResourceKey),
                Kind = "user",
                Name = Clip(name),
                AccountId = item.AccountId,
                Path = Json.Text(c, "path") ?? "/",
                CreatedAt = Date(Json.Text(c, "createDate")),
                CapturedAt = item.CaptureTime,
                Groups = groupNames,
                Policies = own,
                AdminVia = via.Distinct(StringComparer.Ordinal).ToList(),
                Activity = ActivityOf(activity, item.ResourceKey, ResourceKeys.IamUser(item.AccountId, name)),
            });
        }
        foreach (var (key, group) in groups)
        {
            var c = group.Item.Configuration;
            principals.Add(new AccessPrincipal
            {
                Key = group.Item.ResourceKey,
                Kind = "group",
                Name = Clip(key[(key.IndexOf('/') + 1)..]),
                AccountId = group.Item.AccountId,
                Path = Json.Text(c, "path") ?? "/",
                CreatedAt = Date(Json.Text(c, "createDate")),
                CapturedAt = group.Item.CaptureTime,
                Members = membersByGroup.TryGetValue(key, out var members) ? members : [],
                Policies = group.Policies,
                AdminVia = Via(group.Policies, "").ToList(),
            });
        }
        foreach (var item in all.Where(i => i.ResourceType == RoleType))
        {
            var c = item.Configuration;
            var name = Json.Text(c, "roleName") ?? item.ResourceName ?? item.ResourceId;
            var own = PoliciesOf(c, "rolePolicyList");
            var path = Json.Text(c, "path") ?? "/";
            var internalSet = internalAccounts.Count > 0 ? internalAccounts : new HashSet<string>(StringComparer.Ordinal) { item.AccountId };
            if (!internalSet.Contains(item.AccountId)) internalSet = new HashSet<string>(internalSet.Append(item.AccountId), StringComparer.Ordinal);
            principals.Add(new AccessPrincipal
            {
                Key = item.ResourceKey,
                Kind = "role",
                Name = Clip(name),
                AccountId = item.AccountId,
                Path = path,
                CreatedAt = Date(Json.Text(c, "createDate")),
                CapturedAt = item.CaptureTime,
                Policies = own,
                AdminVia = Via(own, "").ToList(),
                ExternalTrusts = IamPolicyAnalysis.ExternalTrusts(Json.Get(c, "assumeRolePolicyDocument"), internalSet),
                ServiceLinked = path.StartsWith("/aws-service-role/", StringComparison.Ordinal),
                Activity = ActivityOf(activity, item.ResourceKey, null),
            });
        }

        var views = policies.Select(p => new ManagedPolicyView(
                p.Key,
                Clip(Json.Text(p.Value.Item.Configuration, "policyName") ?? p.Value.Item.ResourceName ?? p.Value.Item.ResourceId),
                p.Value.Item.AccountId,
                p.Value.Grants,
                principals.Where(x => x.Policies.Any(a => a.Arn == p.Key)).Select(x => x.Key).ToList()))
            .OrderBy(v => v.Key, StringComparer.Ordinal).ToList();
        return new AccessInventorySnapshot(principals.OrderBy(p => p.Kind, StringComparer.Ordinal).ThenBy(p => p.Key, StringComparer.Ordinal).ToList(), views);
    }

    /// <summary>The admin grants of a customer managed policy's default version (any version when none is marked default).</summary>
    public static IReadOnlyList<string> DefaultVersionGrants(JsonElement policyConfiguration)
    {
        var versions = Json.Items(Json.Get(policyConfiguration, "policyVersionList")).ToList();
        var chosen = versions.Where(v => Json.Bool(Json.Get(v, "isDefaultVersion")) == true).ToList();
        if (chosen.Count == 0) chosen = versions;
        return chosen.SelectMany(v => IamPolicyAnalysis.AdminGrants(Json.Get(v, "document"))).Distinct(StringComparer.Ordinal).ToList();
    }

    /// <summary>
    /// The principal a CloudTrail call is activity of: an IAM user's ARN, or the role a session was issued by (an
    /// assumed-role or SSO session counts for its role); root as <c>arn:aws:iam::ACCOUNT:root</c>. Null for AWS services
    /// and identities CloudTrail does not name.
    /// </summary>
    public static string? ActingPrincipal(CloudTrailInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.IsAwsService) return null;
        var identity = input.Record.UserIdentity;
        var key = identity?.Type switch
        {
            "IAMUser" => identity.Arn,
            "AssumedRole" or "FederatedUser" => identity.SessionContext?.SessionIssuer?.Arn,
            "Root" => ResourceKeys.Plausible(identity.AccountId ?? input.AccountId) ? $"arn:aws:iam::{identity.AccountId ?? input.AccountId}:root" : null,
            _ => null,
        };
        return key is { Length: > 20 and <= ResourceKeys.MaxLength } && key.StartsWith("arn:", StringComparison.Ordinal) && !key.Any(char.IsControl)
            ? ResourceKeys.Principal(key) : null;
    }

    /// <summary>The activity of a principal under its one key (<see cref="ResourceKeys.Principal"/>), whichever spelling the item used.</summary>
    private static PrincipalActivity? ActivityOf(IReadOnlyDictionary<string, PrincipalActivity> activity, string key, string? alternate)
    {
        var canonical = ResourceKeys.Principal(key);
        if (activity.TryGetValue(canonical, out var found)) return found;
        if (activity.TryGetValue(key, out found)) return found;
        return alternate is not null && activity.TryGetValue(ResourceKeys.Principal(alternate), out var other) ? other : null;
    }

    private static DateTimeOffset? Date(string? text) =>
        DateTimeOffset.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var at) ? at : null;

    private static string Clip(string text) => text.Length <= 256 ? text : text[..256];
}
