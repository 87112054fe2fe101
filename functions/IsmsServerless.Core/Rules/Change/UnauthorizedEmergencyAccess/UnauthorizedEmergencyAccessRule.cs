using System.Runtime.CompilerServices;
using System.Text.Json;
using IsmsServerless.Changes;
using IsmsServerless.Engine;
using IsmsServerless.Identity;
using IsmsServerless.Inputs;
using IsmsServerless.Model;
using IsmsServerless.Settings;

namespace IsmsServerless.Rules.Change;

/// <summary>
/// Someone the policy does not authorise (<see cref="ChangeManagementSettings.EmergencyAuthorizedRoles"/>, the CTO by
/// default, and <see cref="ChangeManagementSettings.EmergencyAuthorizedPeople"/>) entered an emergency role:
/// <list type="bullet">
/// <item>STS <c>AssumeRole</c> into a role of <see cref="IsmsSettings.EmergencyRoleNames"/> (or with a break-glass session name);</item>
/// <item>console <c>SwitchRole</c> (signin.amazonaws.com) into such a role, the person being <c>additionalEventData.SwitchFrom</c>;</item>
/// <item>IAM Identity Center (SSO) into a break-glass permission set: <c>AssumeRoleWithSAML</c> into
/// <c>AWSReservedSSO_&lt;permission set&gt;_…</c> for a set in <see cref="ChangeManagementSettings.EmergencyPermissionSets"/>.</item>
/// </list>
/// CRITICAL at once. The finding's resource is the change id the session's calls will carry, so it sits next to the
/// change record. An authorised person's session raises nothing here: its calls are an emergency change, reviewed
/// within 24 hours by someone else (<see cref="EmergencyRoleChangeRule"/>).
/// </summary>
public sealed class UnauthorizedEmergencyAccessRule : IRule<CloudTrailInput>
{
    // Building a resolver normalises every configured principal (ICU4N); once per settings object, not per event.
    private static readonly ConditionalWeakTable<IsmsSettings, IdentityResolver> Resolvers = [];

    public RuleMetadata Metadata { get; } = new(
        Id: "change.unauthorized-emergency-access",
        Title: "Emergency role used by someone the policy does not authorise",
        Category: Category.Change,
        Severity: Severity.Critical,
        ResourceType: "AWS::IAM::Role",
        PolicyClause: "Qwestly Operations Security Policy, Emergency Changes: \"CTO (Dominick) can authorize emergency deployments\"",
        Controls: [Controls.IsoPrivilegedAccess, Controls.IsoChangeManagement, Controls.Soc2ChangeManagement],
        Risk: "Break-glass roles bypass the pipeline and its review; anyone but the authorised people using one is either a policy breach or an intruder with stolen credentials.",
        Remediation: "Confirm with the person at once. If not expected, revoke the role's sessions (IAM: Revoke active sessions), rotate the caller's credentials and open an incident. Review every call of the session's change record.")
    {
        Sla = TimeSpan.FromDays(1),
    };

    public IEnumerable<Evaluation> Evaluate(CloudTrailInput input, EvaluationContext context) =>
        // Asked for every CloudTrail record: the common answers (a failed call, no entry into an emergency role, as for
        // every AssumeRole into another role) are returned without allocating an iterator.
        !input.Failed && EntryOf(input, context.Settings) is { } entry ? Judge(input, context, entry) : [];

    private IEnumerable<Evaluation> Judge(CloudTrailInput input, EvaluationContext context, (string Role, string? SessionArn, string Person, string How) entry)
    {
        var settings = context.Settings;
        var (roleName, sessionArn, personName, how) = entry;
        var resolver = Resolvers.GetValue(settings, IdentityResolver.For);
        var who = resolver.ResolveName(personName);
        if (!who.Mapped && StringParameter(input.Record.RequestParameters, "sourceIdentity"u8) is { Length: > 0 } asserted)
            who = resolver.ResolveName(asserted) is { Mapped: true } bySource ? bySource : who;
        var cm = settings.ChangeManagement;
        var authorised = who.Person is { } person
            && (person.Roles.Any(r => cm.EmergencyAuthorizedRoles.Contains(r, StringComparer.Ordinal))
                || cm.EmergencyAuthorizedPeople.Any(p => resolver.SamePerson(resolver.ResolveName(p), who)));
        var eventTime = input.ObservedAt ?? DateTimeOffset.UnixEpoch;
        var roleAccount = AccountOf(sessionArn) ?? input.AccountId;
        // The session's calls carry creationDate = the AssumeRole time, so their change id is this one.
        var changeId = sessionArn is null ? null : ChangeCall.ChangeIdOf(roleAccount, $"session|{sessionArn}|{Timestamps.ToWire(eventTime)}");
        var evidence = input.Evidence();
        evidence["emergencyRole"] = roleName;
        evidence["entry"] = how;
        evidence["principal"] = who.Display;
        evidence["personMapped"] = who.Mapped ? "true" : "false";
        if (sessionArn is not null) evidence["sessionArn"] = sessionArn;
        if (changeId is not null) evidence["changeId"] = changeId;
        evidence["authorisedRoles"] = string.Join(", ", cm.EmergencyAuthorizedRoles);
        yield return new Evaluation
        {
            Rule = Metadata,
            Outcome = authorised ? Outcome.Compliant : Outcome.Finding,
            ResourceId = changeId ?? $"arn:aws:iam::{roleAccount}:role/{roleName}",
            ResourceType = Metadata.ResourceType,
            AccountId = roleAccount,
            Region = input.Region,
            Message = authorised
                ? $"{who.Display} ({how}) entered emergency role {roleName}: authorised; the session's calls are an emergency change to review within {settings.ChangeReviewHours}h"
                : $"{who.Display}{(who.Mapped ? "" : " (maps to no person)")} entered emergency role {roleName} by {how}, but only {string.Join(", ", cm.EmergencyAuthorizedRoles.Concat(cm.EmergencyAuthorizedPeople))} may",
            ClockStart = eventTime,
            ObservedAt = eventTime,
            Evidence = evidence,
        };
    }

    /// <summary>The emergency role entered, the session ARN, the person's name and how, or null when the event is no entry into one.</summary>
    internal static (string Role, string? SessionArn, string Person, string How)? EntryOf(CloudTrailInput input, IsmsSettings settings)
    {
        var record = input.Record;
        switch (input.EventSource, input.EventName)
        {
            case ("sts.amazonaws.com", "AssumeRole" or "AssumeRoleWithSAML" or "AssumeRoleWithWebIdentity"):
            {
                var roleArn = StringParameter(record.RequestParameters, "roleArn"u8);
                // What follows the last '/' (the whole ARN without one): Split('/')[^1] without the split.
                var role = roleArn?[(roleArn.LastIndexOf('/') + 1)..];
                if (string.IsNullOrEmpty(role)) return null;
                var session = StringParameter(record.RequestParameters, "roleSessionName"u8) ?? "";
                var emergency = IsEmergencyRole(role, settings) || StartsWithAny(session, settings.EmergencySessionNamePrefixes);
                if (!emergency) return null;
                var sessionArn = record.ResponseElements.ValueKind == JsonValueKind.Object
                    && record.ResponseElements.TryGetProperty("assumedRoleUser"u8, out var user) ? StringParameter(user, "arn"u8) : null;
                var how = input.EventName == "AssumeRole" ? "AssumeRole" : role.StartsWith("AWSReservedSSO_", StringComparison.Ordinal) ? "SSO permission set" : input.EventName;
                // AssumeRoleWithSAML / WebIdentity: the caller is the federated subject; the session name is the person.
                var person = input.EventName == "AssumeRole" && input.IdentityType is not ("AWSAccount" or "AWSService" or "")
                    ? PrincipalName.Of(record.UserIdentity, input.AccountId)
                    : session;
                return (role, sessionArn, person, how);
            }
            case ("signin.amazonaws.com", "SwitchRole"):
            {
                var role = input.RoleName ?? RoleFromSessionArn(record.UserIdentity?.Arn);
                if (role is null || !IsEmergencyRole(role, settings)) return null;
                var from = StringParameter(record.AdditionalEventData, "SwitchFrom"u8);
                return (role, record.UserIdentity?.Arn, from ?? PrincipalName.Of(record.UserIdentity, input.AccountId), "console SwitchRole");
            }
            default:
                return null;
        }
    }

    private static bool IsEmergencyRole(string role, IsmsSettings settings)
    {
        if (ContainsIgnoreCase(settings.EmergencyRoleNames, role)) return true;
        // IAM Identity Center roles: AWSReservedSSO_<PermissionSetName>_<16 hex>.
        if (role.StartsWith("AWSReservedSSO_", StringComparison.Ordinal) && role.LastIndexOf('_') is var last and > 15)
        {
            var permissionSet = role[15..last];
            return settings.ChangeManagement.EmergencyPermissionSets.Contains(permissionSet, StringComparer.OrdinalIgnoreCase);
        }
        return false;
    }

    private static string? RoleFromSessionArn(string? arn) =>
        arn?.Split(':') is { Length: 6 } parts && parts[5].Split('/') is { Length: >= 3 } path && path[0] == "assumed-role" ? path[1] : null;

    private static string? AccountOf(string? arn) =>
        arn?.Split(':') is { Length: 6 } parts && parts[4].Length == 12 ? parts[4] : null;

    private static string? StringParameter(JsonElement element, ReadOnlySpan<byte> name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? Present.OrNull(value.GetString())
            : null;

    /// <summary><c>names.Contains(value, StringComparer.OrdinalIgnoreCase)</c> as a loop (no enumerator per event).</summary>
    internal static bool ContainsIgnoreCase(IReadOnlyList<string> names, string value)
    {
        for (var i = 0; i < names.Count; i++)
        {
            if (string.Equals(names[i], value, StringComparison.OrdinalIgnoreCase)) return true;
        }
        return false;
    }

    /// <summary><c>prefixes.Any(p => text.StartsWith(p, OrdinalIgnoreCase))</c> as a loop (no closure or enumerator per event).</summary>
    private static bool StartsWithAny(string text, IReadOnlyList<string> prefixes)
    {
        for (var i = 0; i < prefixes.Count; i++)
        {
            if (text.StartsWith(prefixes[i], StringComparison.OrdinalIgnoreCase)) return true;
        }
        return false;
    }
}
