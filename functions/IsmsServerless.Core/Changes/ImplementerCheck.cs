using IsmsServerless.Identity;
using IsmsServerless.Settings;

namespace IsmsServerless.Changes;

/// <summary>
/// PROC-002 "Changes are implemented by IT Team members": whether a change's author (resolved to a person through
/// <see cref="IdentityResolver"/>) holds a role of <see cref="ChangeManagementSettings.ImplementerRoles"/>. Pure: the rule
/// <c>change.implementer-not-authorised</c> and the change detail both judge through here, so they never disagree.
/// </summary>
public static class ImplementerCheck
{
    /// <summary><c>people</c> is empty: roles are unknown, nothing is judged.</summary>
    public const string NotChecked = "not-checked";

    /// <summary>The author holds an implementer role (or, for an emergency change, an emergency-authorised role or name).</summary>
    public const string Authorised = "authorised";

    /// <summary>The author is a known person without an implementer role.</summary>
    public const string NotAuthorised = "not-authorised";

    /// <summary>The author's principal maps to no person: the implementer cannot be verified.</summary>
    public const string AuthorUnmapped = "author-unmapped";

    /// <summary>The roles that authorise an implementer of a change of this kind.</summary>
    public static IReadOnlyList<string> AllowedRoles(ChangeKind kind, ChangeManagementSettings cm) =>
        kind == ChangeKind.Emergency ? cm.ImplementerRoles.Concat(cm.EmergencyAuthorizedRoles).Distinct(StringComparer.Ordinal).ToList() : cm.ImplementerRoles;

    /// <summary>The verdict on one change's author.</summary>
    public static ImplementerVerdict Judge(ChangeKind kind, ResolvedIdentity author, IdentityResolver resolver, IsmsSettings settings)
    {
        ArgumentNullException.ThrowIfNull(author);
        ArgumentNullException.ThrowIfNull(resolver);
        ArgumentNullException.ThrowIfNull(settings);
        var cm = settings.ChangeManagement;
        var allowed = AllowedRoles(kind, cm);
        if (settings.People.Count == 0) return new ImplementerVerdict(NotChecked, author.Display, [], allowed);
        if (author.Person is not { } person) return new ImplementerVerdict(AuthorUnmapped, author.Display, [], allowed);
        var ok = person.Roles.Any(r => allowed.Contains(r, StringComparer.Ordinal))
            || (kind == ChangeKind.Emergency && cm.EmergencyAuthorizedPeople.Any(p => resolver.SamePerson(resolver.ResolveName(p), author)));
        return new ImplementerVerdict(ok ? Authorised : NotAuthorised, person.Email, person.Roles, allowed);
    }
}

/// <summary>What <see cref="ImplementerCheck.Judge"/> found: the state, the author (e-mail when mapped), their roles and the roles allowed.</summary>
public sealed record ImplementerVerdict(string State, string Author, IReadOnlyList<string> AuthorRoles, IReadOnlyList<string> AllowedRoles);
