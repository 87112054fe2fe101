using IsmsServerless.Settings;

namespace IsmsServerless.Changes;

/// <summary>Risk class of a change (Qwestly "Risk categories"): the highest of its calls.</summary>
public enum ChangeRisk
{
    Low,
    Medium,
    High,
}

public static class ChangeRiskNames
{
    public static string ToWire(this ChangeRisk risk) => risk switch
    {
        ChangeRisk.High => "high",
        ChangeRisk.Medium => "medium",
        _ => "low",
    };
}

/// <summary>One approval of a change: the person, the role slot they filled, when, and the ticket they cited.</summary>
/// <param name="Approver">The approver's e-mail (their person identity).</param>
/// <param name="Role">The required role this approval fills, or <c>team-member</c> for the count of distinct approvers.</param>
public sealed record ChangeApproval(string Approver, string Role, DateTimeOffset ApprovedAt, string? TicketUrl);

/// <summary>What a change needs before its review is complete.</summary>
/// <param name="Risk">The change's risk class.</param>
/// <param name="ChangeType">The first matching change type's name, or <c>default</c>.</param>
/// <param name="Roles">Roles that must each approve (each by a different person).</param>
/// <param name="MinApprovers">Distinct approvers needed in all.</param>
public sealed record ApprovalRequirement(ChangeRisk Risk, string ChangeType, IReadOnlyList<string> Roles, int MinApprovers)
{
    /// <summary>The required roles no approval fills yet.</summary>
    public IReadOnlyList<string> MissingRoles(IReadOnlyList<ChangeApproval> approvals) =>
        [.. Roles.Where(role => !approvals.Any(a => a.Role == role))];

    /// <summary>How many more distinct approvers are needed beyond the role slots.</summary>
    public int MissingCount(IReadOnlyList<ChangeApproval> approvals) =>
        Math.Max(MissingRoles(approvals).Count, MinApprovers - approvals.Select(a => a.Approver).Distinct(StringComparer.Ordinal).Count());

    public bool IsComplete(IReadOnlyList<ChangeApproval> approvals) => MissingCount(approvals) == 0;
}

/// <summary>
/// The approval matrix (PROC-002 "Approval of changes by type") and the risk classification (Qwestly "Risk categories")
/// from <see cref="ChangeManagementSettings"/>. Pure: a record and settings in, a requirement out.
/// </summary>
public static class ApprovalMatrix
{
    /// <summary>The role an approval fills when the approver holds none of the missing roles but approvers are still short.</summary>
    public const string TeamMember = "team-member";

    /// <summary>Risk of one call, given as <c>service:EventName</c> (the record's <see cref="ChangeRecord.ApiNames"/>).</summary>
    public static ChangeRisk RiskOf(string apiName, ChangeManagementSettings settings)
    {
        var (service, eventName) = Split(apiName);
        foreach (var entry in settings.HighRiskCalls)
        {
            if (entry.Contains(':', StringComparison.Ordinal)
                ? apiName.StartsWith(entry, StringComparison.OrdinalIgnoreCase)
                : string.Equals(service, entry, StringComparison.OrdinalIgnoreCase)) return ChangeRisk.High;
        }
        foreach (var prefix in settings.MediumRiskEventPrefixes)
        {
            if (eventName.StartsWith(prefix, StringComparison.Ordinal)) return ChangeRisk.Medium;
        }
        return ChangeRisk.Low;
    }

    /// <summary>The change's risk: the highest of its calls.</summary>
    public static ChangeRisk RiskOf(ChangeRecord record, ChangeManagementSettings settings) =>
        record.ApiNames.Count == 0 ? ChangeRisk.Low : record.ApiNames.Max(api => RiskOf(api, settings));

    /// <summary>
    /// What the change needs: the first matching type's approver roles (for a high-risk change, every matching type's,
    /// "high risk needs all the approvers the policy names"), and at least <c>minApproversByRisk</c> distinct approvers.
    /// </summary>
    public static ApprovalRequirement Required(ChangeRecord record, IsmsSettings settings)
    {
        var cm = settings.ChangeManagement;
        var risk = RiskOf(record, cm);
        var matching = cm.ChangeTypes.Where(t => Matches(t, record, settings.Environment)).ToList();
        IEnumerable<string> roles = matching.Count == 0 ? cm.DefaultApprovers
            : risk == ChangeRisk.High ? matching.SelectMany(t => t.Approvers) : matching[0].Approvers;
        var distinct = roles.Distinct(StringComparer.Ordinal).ToList();
        var min = cm.MinApproversByRisk.TryGetValue(risk.ToWire(), out var n) ? n : 1;
        return new ApprovalRequirement(risk, matching.Count == 0 ? "default" : matching[0].Name, distinct, Math.Max(min, distinct.Count));
    }

    /// <summary>True when every non-empty signal list of the type matches the record.</summary>
    public static bool Matches(ChangeTypeRule type, ChangeRecord record, string environment)
    {
        if (type.Accounts.Count > 0 && !type.Accounts.Contains(record.AccountId, StringComparer.Ordinal)) return false;
        if (type.Environments.Count > 0 && !type.Environments.Contains(environment, StringComparer.Ordinal)) return false;
        // Resource tags are not on the record (CloudTrail carries them only on the calls that set them); a type that
        // needs tags matches only a record whose resources name the tag as key=value.
        if (type.ResourceTags.Count > 0 && !type.ResourceTags.Any(tag => record.Resources.Any(r => r.Contains(tag, StringComparison.Ordinal)))) return false;
        if (type.Services.Count == 0 && type.EventNamePrefixes.Count == 0) return true;
        return record.ApiNames.Any(api =>
            type.Services.Contains(Split(api).Service, StringComparer.OrdinalIgnoreCase)
            || type.EventNamePrefixes.Any(prefix => api.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)));
    }

    /// <summary>
    /// The slot an approver with these roles fills: the first still-missing required role they hold; else
    /// <see cref="TeamMember"/> when every role is filled but approvers are still short; else null (they may not approve).
    /// </summary>
    public static string? SlotFor(IReadOnlyList<string> approverRoles, ApprovalRequirement requirement, IReadOnlyList<ChangeApproval> approvals)
    {
        var missing = requirement.MissingRoles(approvals);
        foreach (var role in missing)
        {
            if (approverRoles.Contains(role, StringComparer.Ordinal)) return role;
        }
        if (missing.Count == 0 && requirement.MissingCount(approvals) > 0 && approverRoles.Count > 0) return TeamMember;
        // Role slots are still open and this person fills none of them: with as many approvers still needed as open
        // role slots, a team member without those roles would take a place a role holder needs.
        if (missing.Count > 0 && requirement.MissingCount(approvals) > missing.Count && approverRoles.Count > 0) return TeamMember;
        return null;
    }

    private static (string Service, string EventName) Split(string apiName)
    {
        var colon = apiName.IndexOf(':', StringComparison.Ordinal);
        return colon < 0 ? (apiName, "") : (apiName[..colon], apiName[(colon + 1)..]);
    }
}
