using System.Globalization;
using System.Text;

namespace IsmsServerless.Output;

/// <summary>
/// Unicode bidirectional controls (Trojan Source, CVE-2021-42574): embeddings, overrides, isolates and marks. In
/// attacker-influenced text (resource names, session names, reasons) they reorder what a reader sees, e.g. an RLO makes
/// <c>sg-evil‮txt.exe</c> read backwards. Exports and chat replace each with a visible <c>[U+202E]</c>; the page isolates
/// user text (<c>&lt;bdi&gt;</c>, <c>unicode-bidi: isolate</c>) instead, which keeps the characters but contains them.
/// </summary>
public static class BidiControls
{
    /// <summary>True for U+061C, U+200E, U+200F, U+202A–U+202E and U+2066–U+2069.</summary>
    public static bool IsBidiControl(char c) =>
        c is '\u061C' or '\u200E' or '\u200F' or (>= '\u202A' and <= '\u202E') or (>= '\u2066' and <= '\u2069');

    /// <summary>Replaces every bidi control with a visible <c>[U+XXXX]</c>; other text is returned as is.</summary>
    public static string Neutralize(string? text)
    {
        if (string.IsNullOrEmpty(text)) return text ?? "";
        if (!text.Any(IsBidiControl)) return text;
        var builder = new StringBuilder(text.Length + 16);
        foreach (var c in text)
        {
            if (IsBidiControl(c)) builder.Append("[U+").Append(((int)c).ToString("X4", CultureInfo.InvariantCulture)).Append(']');
            else builder.Append(c);
        }
        return builder.ToString();
    }
}
