using System.Globalization;
using System.Text;
using ICU4N.Text;

namespace IsmsServerless.Identity;

/// <summary>
/// Normalises identity text before people are compared: Unicode NFKC, removal of format characters (category Cf:
/// zero-width spaces and joiners, bidi controls, soft hyphens), invariant case fold, then a confusable skeleton so
/// look-alikes from other scripts (Cyrillic <c>а</c>, Greek <c>ο</c>) compare equal to the Latin letters they imitate.
/// </summary>
/// <remarks>
/// NFKC comes from ICU4N (the managed ICU port): the functions run with <c>InvariantGlobalization</c> (no native ICU in
/// the Lambda), where <see cref="string.Normalize()"/> leaves non-ASCII text as it is.
/// No maintained confusables data package is served on NuGet or npm here (checked the registries' package lists), so
/// the skeleton uses <see cref="ConfusableSkeleton"/>, a table built from Unicode's confusables.txt (UTS #39) for the
/// Cyrillic and Greek letters whose prototype is a single Latin letter or digit, plus fullwidth forms, which NFKC
/// already folds. Skeletons are for comparison only: nothing stores or shows them.
/// </remarks>
public static class IdentityNormalizer
{
    private static readonly Normalizer2 Nfkc = Normalizer2.NFKCInstance;

    // NFKC_Casefold: NFKC plus full Unicode case folding plus removal of default-ignorable code points (UTS #46).
    private static readonly Normalizer2 NfkcCaseFold = Normalizer2.NFKCCaseFoldInstance;

    /// <summary>NFKC, no format characters, case folded, trimmed: what identities are compared and recorded as.</summary>
    public static string Normalize(string? text) =>
        string.IsNullOrEmpty(text) ? "" : NfkcCaseFold.Normalize(WithoutFormatCharacters(Nfkc.Normalize(text))).Trim();

    /// <summary>
    /// The comparison key: NFKC and no format characters, then the confusable skeleton (case kept, so a Cyrillic capital
    /// maps to the Latin capital), then the case fold, then the skeleton again (a capital that folds to a look-alike).
    /// </summary>
    public static string Skeleton(string? text)
    {
        if (string.IsNullOrEmpty(text)) return "";
        var mapped = ConfusableSkeleton.Of(WithoutFormatCharacters(Nfkc.Normalize(text)));
        return ConfusableSkeleton.Of(Normalize(mapped));
    }

    /// <summary>Removes Unicode category Cf (zero-width space/joiners, bidi controls, soft hyphen, BOM, tag characters).</summary>
    public static string WithoutFormatCharacters(string text)
    {
        var builder = new StringBuilder(text.Length);
        foreach (var rune in text.EnumerateRunes())
        {
            if (Rune.GetUnicodeCategory(rune) != UnicodeCategory.Format) builder.Append(rune.ToString());
        }
        return builder.ToString();
    }

    /// <summary>
    /// The comparison key (<see cref="Skeleton"/>) of a principal name without one configured emergency / break-glass
    /// prefix (<c>breakglass-alice</c> → <c>alice</c>) and the separators
    /// after it (<c>-</c>, <c>_</c>, <c>.</c>, <c>=</c>, <c>,</c>, <c>@</c>, the characters a role session name allows),
    /// comparing on skeletons so a look-alike prefix is stripped too. The whole skeleton when no prefix matches or nothing
    /// would remain.
    /// </summary>
    public static string StripEmergencyPrefix(string text, IEnumerable<string> prefixes)
    {
        var skeleton = Skeleton(text);
        foreach (var prefix in prefixes.Select(Skeleton).Where(p => p.Length > 0).OrderByDescending(p => p.Length))
        {
            if (!skeleton.StartsWith(prefix, StringComparison.Ordinal)) continue;
            var rest = skeleton[prefix.Length..].TrimStart('-', '_', '.', '=', ',', '@', ' ');
            if (rest.Length > 0 && rest.Length < skeleton.Length) return rest;
        }
        return skeleton;
    }
}
