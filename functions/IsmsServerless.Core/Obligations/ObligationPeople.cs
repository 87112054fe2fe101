using System.Globalization;
using System.Text;
using IsmsServerless.Changes;

namespace IsmsServerless.Obligations;

/// <summary>
/// The one seam where obligations compare people (four-eyes). Until the identity model (<c>IsmsSettings.People</c> and
/// <c>IdentityResolver</c>, issue 15) is in main, two names are the same person when their normalised forms match (NFKC,
/// no format characters, case-folded, trimmed) or when the change register's principal normalisation says so (an e-mail
/// and its IAM user name, an ARN and its user). Switch this class to the resolver; nothing else compares people.
/// </summary>
public static class ObligationPeople
{
    public static string Normalize(string? person)
    {
        var text = (person ?? "").Normalize(NormalizationForm.FormKC);
        var builder = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            if (CharUnicodeInfo.GetUnicodeCategory(c) is UnicodeCategory.Format or UnicodeCategory.Control) continue;
            // The process runs with invariant globalization, where Normalize leaves non-ASCII as is: fold the fullwidth
            // ASCII block (the common look-alike) by hand. The identity resolver (issue 15) does the full confusables map.
            builder.Append(c is >= '\uFF01' and <= '\uFF5E' ? (char)(c - 0xFEE0) : c);
        }
        return builder.ToString().Trim().ToLowerInvariant();
    }

    public static bool SamePerson(string? a, string? b)
    {
        var left = Normalize(a);
        var right = Normalize(b);
        if (left.Length == 0 || right.Length == 0) return false;
        return left == right || PrincipalName.SamePerson(PrincipalName.Normalize(left), PrincipalName.Normalize(right));
    }
}
