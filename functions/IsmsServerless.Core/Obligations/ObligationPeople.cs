using IsmsServerless.Identity;

namespace IsmsServerless.Obligations;

/// <summary>
/// The one seam where obligations compare people (four-eyes): through the identity model (<c>IsmsSettings.People</c>,
/// <see cref="IdentityResolver"/>). Two names are one person when they map to the same person (an e-mail and one of
/// that person's IAM users, SSO users, role session names or source identities), or, when a side maps to no one, when
/// their normalised keys match (NFKC, case fold, no format characters, confusables, break-glass prefix stripped).
/// </summary>
public static class ObligationPeople
{
    public static bool SamePerson(IdentityResolver resolver, string? a, string? b)
    {
        ArgumentNullException.ThrowIfNull(resolver);
        if (string.IsNullOrWhiteSpace(a) || string.IsNullOrWhiteSpace(b)) return false;
        var left = resolver.ResolveName(a);
        var right = resolver.ResolveName(b);
        if (left.Key.Length == 0 || right.Key.Length == 0) return false;
        return resolver.SamePerson(left, right);
    }
}
