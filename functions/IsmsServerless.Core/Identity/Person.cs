using System.Text.Json.Serialization;

namespace IsmsServerless.Identity;

/// <summary>
/// One person the ISMS knows. <see cref="Email"/> is the person's one identity: reviews, waivers, acknowledgements and
/// history record it. <see cref="Principals"/> ties the person's AWS principals to them, so a change made as an IAM
/// user, an SSO user, a role session or a source identity is attributed to the person, and four-eyes compares people.
/// </summary>
public sealed record Person
{
    /// <summary>The person's e-mail: their one identity (also how they sign in to the status page).</summary>
    public string Email { get; set; } = "";

    /// <summary>Display name.</summary>
    public string Name { get; set; } = "";

    /// <summary>Roles under the policy: <c>it-director</c>, <c>cto</c>, <c>ceo</c>, <c>it-team</c>, <c>engineer</c>.</summary>
    public IReadOnlyList<string> Roles { get; set; } = [];

    /// <summary>The AWS principals that are this person.</summary>
    public PersonPrincipals Principals { get; set; } = new();

    /// <summary>The day the person left; their principals still map to them (history stays attributable).</summary>
    public DateOnly? LeftAt { get; set; }

    /// <summary>The roles a person may hold.</summary>
    public static readonly IReadOnlyList<string> KnownRoles = ["it-director", "cto", "ceo", "it-team", "engineer"];

    /// <summary>Every principal name of the person, with the kind it was declared as.</summary>
    [JsonIgnore]
    public IEnumerable<(string Kind, string Name)> AllPrincipals =>
        Principals.IamUsers.Select(n => ("iamUsers", n))
            .Concat(Principals.SsoUsers.Select(n => ("ssoUsers", n)))
            .Concat(Principals.RoleSessionNames.Select(n => ("roleSessionNames", n)))
            .Concat(Principals.SourceIdentities.Select(n => ("sourceIdentities", n)));
}

/// <summary>The AWS principal names of one person, as CloudTrail shows them.</summary>
public sealed record PersonPrincipals
{
    /// <summary>IAM user names (<c>userIdentity.userName</c> of an <c>IAMUser</c>).</summary>
    public IReadOnlyList<string> IamUsers { get; set; } = [];

    /// <summary>IAM Identity Center user names (the role session name of an SSO session, often the e-mail).</summary>
    public IReadOnlyList<string> SsoUsers { get; set; } = [];

    /// <summary>Role session names the person uses when assuming roles (<c>assumed-role/ROLE/SESSION</c>).</summary>
    public IReadOnlyList<string> RoleSessionNames { get; set; } = [];

    /// <summary>Source identities set on the person's sessions (<c>sessionContext.sourceIdentity</c>).</summary>
    public IReadOnlyList<string> SourceIdentities { get; set; } = [];
}

/// <summary>What happens to a change review when the change's author maps to no person in <c>people</c>.</summary>
public static class UnmappedAuthorReview
{
    /// <summary>The review is recorded, flagged: it says the author is unknown and four-eyes was not checked against a person.</summary>
    public const string AllowFlagged = "allow-flagged";

    /// <summary>The review is refused until the author's principal is mapped to a person.</summary>
    public const string Refuse = "refuse";
}
