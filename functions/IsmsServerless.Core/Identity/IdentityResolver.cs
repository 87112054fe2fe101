using IsmsServerless.Changes;
using IsmsServerless.Events;
using IsmsServerless.Settings;

namespace IsmsServerless.Identity;

/// <summary>
/// Who a principal or a signed-in user is: the <see cref="Person"/> it maps to (by e-mail or one of the person's AWS
/// principals), or, when none, the normalised principal key alone (<see cref="Mapped"/> false).
/// </summary>
/// <param name="Key">The comparison key: normalised, confusable skeleton, emergency prefix stripped.</param>
/// <param name="Name">The name as given (for messages and the record), trimmed.</param>
/// <param name="Person">The person, when the name maps to one.</param>
public sealed record ResolvedIdentity(string Key, string Name, Person? Person)
{
    public bool Mapped => Person is not null;

    /// <summary>What history and reviews record: the person's e-mail, else the name as given.</summary>
    public string Display => Person?.Email ?? Name;
}

/// <summary>
/// Maps AWS principals (CloudTrail <c>userIdentity</c>, principal names, role session names, source identities) and
/// signed-in tokens (subject, e-mail, username) to people from <see cref="IsmsSettings.People"/>, after
/// <see cref="IdentityNormalizer"/> normalisation and stripping of <see cref="IsmsSettings.EmergencySessionNamePrefixes"/>.
/// Four-eyes asks <see cref="SamePerson"/>: it compares people, and falls back to normalised keys only when a side maps
/// to no person.
/// </summary>
public sealed class IdentityResolver
{
    private readonly Dictionary<string, Person> _byKey = new(StringComparer.Ordinal);
    private readonly IReadOnlyList<string> _prefixes;

    public IdentityResolver(IReadOnlyList<Person> people, IEnumerable<string> emergencyPrefixes)
    {
        _prefixes = [.. emergencyPrefixes];
        People = people;
        foreach (var person in people)
        {
            foreach (var key in KeysOf(person)) _byKey.TryAdd(key, person);
        }
    }

    public static IdentityResolver For(IsmsSettings settings) => new(settings.People, settings.EmergencySessionNamePrefixes);

    public IReadOnlyList<Person> People { get; }

    /// <summary>The person behind a CloudTrail identity (source identity, IAM user, role session or federated name).</summary>
    public ResolvedIdentity Resolve(CloudTrailUserIdentity? identity, string accountId) => ResolveName(PrincipalName.Of(identity, accountId));

    /// <summary>The person behind a name: an e-mail, an IAM / SSO user name, a role session name, a source identity or an ARN.</summary>
    public ResolvedIdentity ResolveName(string? name)
    {
        var given = name?.Trim() ?? "";
        var key = KeyOf(given);
        return new ResolvedIdentity(key, given, key.Length > 0 && _byKey.TryGetValue(key, out var person) ? person : null);
    }

    /// <summary>
    /// The person behind a validated token: its verified e-mail (ID token, or an access token a pre-token-generation
    /// trigger enriched) when present, else its username (the local issuer's, or a Cognito username mapped in
    /// <c>people</c>). A Cognito user pool that signs in by e-mail gives an opaque UUID username, which maps to no one
    /// unless the token carries the e-mail.
    /// </summary>
    public ResolvedIdentity ResolveToken(string subject, string? email, string? username)
    {
        if (!string.IsNullOrWhiteSpace(email) && ResolveName(email) is { Mapped: true } byEmail) return byEmail;
        if (!string.IsNullOrWhiteSpace(username) && ResolveName(username) is { Mapped: true } byName) return byName;
        return ResolveName(!string.IsNullOrWhiteSpace(email) ? email : !string.IsNullOrWhiteSpace(username) ? username : subject);
    }

    /// <summary>
    /// True when two identities are one person: the same person when both map; otherwise any key of the mapped side (its
    /// e-mail, e-mail local part, principals) or the unmapped side's key matches, erring on the side of refusing.
    /// </summary>
    public bool SamePerson(ResolvedIdentity a, ResolvedIdentity b)
    {
        if (a.Person is { } pa && b.Person is { } pb) return string.Equals(KeyOf(pa.Email), KeyOf(pb.Email), StringComparison.Ordinal);
        var keysA = a.Person is { } personA ? KeysOf(personA).Append(a.Key).ToList() : [a.Key];
        var keysB = b.Person is { } personB ? KeysOf(personB).Append(b.Key).ToList() : [b.Key];
        return keysA.Any(ka => keysB.Any(kb => PrincipalName.SamePerson(ka, kb)));
    }

    /// <summary>The comparison key of a name: ARN reduced to its principal name, normalised, skeleton, prefix stripped.</summary>
    public string KeyOf(string? name) =>
        string.IsNullOrWhiteSpace(name) ? "" : IdentityNormalizer.StripEmergencyPrefix(PrincipalName.Normalize(name), _prefixes);

    private IEnumerable<string> KeysOf(Person person)
    {
        var email = KeyOf(person.Email);
        if (email.Length > 0) yield return email;
        foreach (var (_, principal) in person.AllPrincipals)
        {
            var key = KeyOf(principal);
            if (key.Length > 0) yield return key;
        }
    }

    /// <summary>Validation of <c>people</c>: e-mails present and unique, known roles, every principal mapped to at most one person.</summary>
    public static IReadOnlyList<string> Validate(IReadOnlyList<Person> people, IEnumerable<string> emergencyPrefixes)
    {
        var errors = new List<string>();
        var resolver = new IdentityResolver([], emergencyPrefixes);
        var owners = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < people.Count; i++)
        {
            var person = people[i];
            var email = person.Email?.Trim() ?? "";
            if (email.Length is 0 or > 254 || email.Count(c => c == '@') != 1 || email.StartsWith('@') || email.EndsWith('@') || email.Any(char.IsWhiteSpace))
            {
                errors.Add($"people[{i}].email must be an e-mail address, not '{email}'");
                continue;
            }
            var emailKey = resolver.KeyOf(email);
            if (!owners.TryAdd(emailKey, email)) errors.Add($"people[{i}].email '{email}' is the same identity as {owners[emailKey]} after normalisation");
            foreach (var role in person.Roles)
            {
                if (!Person.KnownRoles.Contains(role, StringComparer.Ordinal))
                    errors.Add($"people[{i}].roles has unknown role '{role}' (known: {string.Join(", ", Person.KnownRoles)})");
            }
            foreach (var (kind, principal) in person.AllPrincipals)
            {
                var key = resolver.KeyOf(principal);
                if (key.Length == 0) { errors.Add($"people[{i}].principals.{kind} has an empty name"); continue; }
                if (owners.TryGetValue(key, out var owner) && !string.Equals(owner, email, StringComparison.Ordinal))
                    errors.Add($"people[{i}].principals.{kind} '{principal}' already belongs to {owner} after normalisation (one principal, one person)");
                else owners[key] = email;
            }
        }
        return errors;
    }
}
