using System.Collections.Frozen;
using System.Text;

namespace IsmsServerless.Identity;

/// <summary>
/// Confusable skeleton for identity comparison (UTS #39, section 4, restricted to the scripts covered): each Cyrillic
/// or Greek letter whose confusables.txt prototype is a Latin letter is replaced by that letter, so
/// <c>аlice</c> (Cyrillic а) and <c>alice</c> have one skeleton.
/// </summary>
/// <remarks>
/// Source: Unicode confusables.txt (https://www.unicode.org/Public/security/latest/confusables.txt, Unicode licence),
/// the MA entries "source ; target" whose source is in the Cyrillic (U+0400–U+052F) or Greek (U+0370–U+03FF) blocks and
/// whose target is one Latin letter. Case is kept (upper maps to upper, lower to lower) because identities are case
/// folded after the skeleton; where confusables.txt maps a capital to lower-case <c>l</c> (Greek Ι, Cyrillic Ӏ) the
/// table uses <c>I</c>, which folds to the same key as a Latin capital I. Latin-internal confusables (<c>I</c>/<c>l</c>,
/// <c>0</c>/<c>O</c>) are out of scope: they would merge distinct ASCII names.
/// </remarks>
public static class ConfusableSkeleton
{
    private static readonly FrozenDictionary<int, char> Map = new Dictionary<int, char>
    {
        // Cyrillic capitals (confusables.txt: 0410 ; 0041 # А → A, …)
        [0x0410] = 'A', [0x0412] = 'B', [0x0415] = 'E', [0x041A] = 'K', [0x041C] = 'M', [0x041D] = 'H', [0x041E] = 'O',
        [0x0420] = 'P', [0x0421] = 'C', [0x0422] = 'T', [0x0425] = 'X', [0x0405] = 'S', [0x0406] = 'I', [0x0408] = 'J',
        [0x04AE] = 'Y', [0x051A] = 'Q', [0x051C] = 'W', [0x04C0] = 'I', [0x0417] = '3',
        // Cyrillic small letters (0430 ; 0061 # а → a, …)
        [0x0430] = 'a', [0x0435] = 'e', [0x043E] = 'o', [0x0440] = 'p', [0x0441] = 'c', [0x0443] = 'y', [0x0445] = 'x',
        [0x0455] = 's', [0x0456] = 'i', [0x0458] = 'j', [0x04BB] = 'h', [0x0501] = 'd', [0x051B] = 'q', [0x051D] = 'w',
        [0x04CF] = 'l', [0x0431] = '6', [0x044C] = 'b', [0x0475] = 'v',
        // Greek capitals (0391 ; 0041 # Α → A, …)
        [0x0391] = 'A', [0x0392] = 'B', [0x0395] = 'E', [0x0396] = 'Z', [0x0397] = 'H', [0x0399] = 'I', [0x039A] = 'K',
        [0x039C] = 'M', [0x039D] = 'N', [0x039F] = 'O', [0x03A1] = 'P', [0x03A4] = 'T', [0x03A5] = 'Y', [0x03A7] = 'X',
        [0x03F9] = 'C', [0x037F] = 'J',
        // Greek small letters (03BF ; 006F # ο → o, …)
        [0x03B1] = 'a', [0x03BF] = 'o', [0x03C1] = 'p', [0x03BD] = 'v', [0x03B9] = 'i', [0x03C5] = 'u', [0x03F2] = 'c',
        [0x03F3] = 'j', [0x03B3] = 'y', [0x03BA] = 'k', [0x03C7] = 'x',
        // Latin letters outside ASCII whose prototype is an ASCII letter (0251 ; 0061 # ɑ → a, 0131 ; 0069 # ı → i)
        [0x0251] = 'a', [0x0131] = 'i', [0x0269] = 'i', [0x0261] = 'g',
    }.ToFrozenDictionary();

    /// <summary>The number of mapped code points (documented in the README's security section).</summary>
    public static int Count => Map.Count;

    /// <summary>Replaces every covered look-alike by its Latin prototype; other characters are kept.</summary>
    public static string Of(string text)
    {
        if (string.IsNullOrEmpty(text)) return "";
        var builder = new StringBuilder(text.Length);
        foreach (var rune in text.EnumerateRunes())
        {
            if (Map.TryGetValue(rune.Value, out var latin)) builder.Append(latin);
            else builder.Append(rune.ToString());
        }
        return builder.ToString();
    }
}
