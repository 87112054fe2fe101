using System.Globalization;
using System.Text;

namespace IsmsServerless.Alerts;

/// <summary>Escaping and truncation for Slack text objects.</summary>
public static class SlackText
{
    /// <summary>Block Kit: a section's or context's text, and a message's fallback <c>text</c>, at most 3,000 characters.</summary>
    public const int MaxText = 3000;

    /// <summary>Block Kit: a header block's plain_text at most 150 characters.</summary>
    public const int MaxHeader = 150;

    /// <summary>Block Kit: a section's field at most 2,000 characters.</summary>
    public const int MaxField = 2000;

    /// <summary>Block Kit: at most 50 blocks in a message.</summary>
    public const int MaxBlocks = 50;

    /// <summary>
    /// Escapes the three characters Slack's mrkdwn treats as control characters (&amp;, &lt;, &gt;), so a resource
    /// name like <c>&lt;!channel&gt;</c> or <c>&lt;https://evil|click&gt;</c> renders as text instead of pinging or linking.
    /// </summary>
    public static string Escape(string? text)
    {
        if (string.IsNullOrEmpty(text)) return "";
        var builder = new StringBuilder(text.Length + 16);
        foreach (var c in text)
        {
            switch (c)
            {
                case '&': builder.Append("&amp;"); break;
                case '<': builder.Append("&lt;"); break;
                case '>': builder.Append("&gt;"); break;
                default: builder.Append(c); break;
            }
        }
        return builder.ToString();
    }

    /// <summary>
    /// Text for inside a code span (<c>`…`</c>) or block (<c>```…```</c>): escaped, bidi controls made visible, and every
    /// backtick replaced by U+02CB (ˋ), because mrkdwn has no escape for a backtick and one would end the span early and
    /// let the rest of a resource name format, link or mention.
    /// </summary>
    public static string Code(string? text, int max) =>
        EscapeAndTruncate(Output.BidiControls.Neutralize(text).Replace('`', '\u02CB'), max);

    /// <summary>
    /// Escapes, then shortens to <paramref name="max"/> characters with an ellipsis, never cutting an escape sequence
    /// (<c>&amp;amp;</c>) or a surrogate pair in half.
    /// </summary>
    public static string EscapeAndTruncate(string? text, int max) => Truncate(Escape(text), max, escaped: true);

    /// <summary>Shortens plain text (no escaping, for plain_text objects) to <paramref name="max"/> characters.</summary>
    public static string Truncate(string? text, int max, bool escaped = false)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(max, 2);
        if (string.IsNullOrEmpty(text)) return "";
        if (text.Length <= max) return text;
        var cut = max - 1;
        if (char.IsLowSurrogate(text[cut]) && cut > 0) cut--;
        if (escaped)
        {
            // Back off if the cut lands inside "&amp;", "&lt;" or "&gt;".
            var amp = text.LastIndexOf('&', cut - 1, Math.Min(cut, 5));
            if (amp >= 0 && text.IndexOf(';', amp) >= cut) cut = amp;
        }
        return string.Concat(text.AsSpan(0, cut), "…");
    }

    /// <summary>Plain text for header blocks: no newlines (Slack rejects none, but a header reads badly with them).</summary>
    public static string Header(string? text) => Truncate((text ?? "").ReplaceLineEndings(" "), MaxHeader);

    /// <summary>A link in mrkdwn, only for http(s) URLs; anything else is shown escaped, not linked.</summary>
    public static string Link(string? url, string label)
    {
        if (Uri.TryCreate(url, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp)
            && !url!.Contains('|', StringComparison.Ordinal) && !url.Contains('>', StringComparison.Ordinal))
            return string.Create(CultureInfo.InvariantCulture, $"<{uri.AbsoluteUri}|{Escape(label)}>");
        return Escape(url);
    }
}
