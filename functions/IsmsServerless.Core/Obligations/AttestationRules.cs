using System.Text;

namespace IsmsServerless.Obligations;

/// <summary>Validation shared by every way an obligation is opened or attested (CLI, page, other areas).</summary>
public static class AttestationRules
{
    public const int MaxNoteLength = 4000;
    public const int MaxLinkLength = 2048;
    public const int MaxLinks = 10;
    public const int MaxPersonLength = 256;

    /// <summary>Each link must be an absolute https URL with a host, no credentials, no whitespace or control characters.</summary>
    public static IReadOnlyList<string> ValidateEvidence(IEnumerable<string>? links)
    {
        var result = new List<string>();
        foreach (var raw in links ?? [])
        {
            var link = raw?.Trim() ?? "";
            if (link.Length == 0) continue;
            if (link.Length > MaxLinkLength || link.Any(c => char.IsControl(c) || char.IsWhiteSpace(c))
                || !Uri.TryCreate(link, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttps
                || string.IsNullOrEmpty(uri.Host) || !string.IsNullOrEmpty(uri.UserInfo))
                throw new ObligationException(ObligationError.Invalid,
                    $"evidence '{Shorten(link)}' must be an https:// link (no credentials, no spaces, at most {MaxLinkLength} characters)");
            if (!result.Contains(link, StringComparer.Ordinal)) result.Add(link);
        }
        if (result.Count > MaxLinks) throw new ObligationException(ObligationError.Invalid, $"at most {MaxLinks} evidence links");
        return result;
    }

    public static string? ValidateNote(string? note)
    {
        if (string.IsNullOrWhiteSpace(note)) return null;
        var text = note.Trim();
        if (text.Length > MaxNoteLength) throw new ObligationException(ObligationError.Invalid, $"the note is longer than {MaxNoteLength} characters");
        if (text.Any(c => char.IsControl(c) && c is not '\n' and not '\r' and not '\t'))
            throw new ObligationException(ObligationError.Invalid, "the note contains control characters");
        return text;
    }

    public static string ValidatePerson(string? person)
    {
        var text = person?.Trim() ?? "";
        if (text.Length == 0) throw new ObligationException(ObligationError.Invalid, "who attests is required (--by)");
        if (text.Length > MaxPersonLength || text.Any(char.IsControl))
            throw new ObligationException(ObligationError.Invalid, $"the person must be a name or e-mail of at most {MaxPersonLength} printable characters");
        return text;
    }

    internal static string Shorten(string? text) => text is null ? "" : text.Length <= 80 ? text : text[..80] + "…";
}

/// <summary>Checks on what other areas pass to <see cref="IObligationStore.OpenAsync"/>: a bug in a caller is refused, not stored.</summary>
public static class ObligationSpecRules
{
    public const int MaxTextLength = 1000;

    public static void Validate(ObligationSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (string.IsNullOrWhiteSpace(spec.Kind) || spec.Kind.Length > 100 || !spec.Kind.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '.' or '-'))
            throw new ObligationException(ObligationError.Invalid, $"obligation kind '{AttestationRules.Shorten(spec.Kind)}' must be lower-case dotted words (e.g. duty.access-review)");
        if (string.IsNullOrWhiteSpace(spec.Subject) || Encoding.UTF8.GetByteCount(spec.Subject) > 2048 || spec.Subject.Any(char.IsControl))
            throw new ObligationException(ObligationError.Invalid, "an obligation needs a printable subject of at most 2048 bytes");
        if (spec.Period.Length > 64 || spec.Period.Any(char.IsControl))
            throw new ObligationException(ObligationError.Invalid, "an obligation period is at most 64 printable characters");
        if (string.IsNullOrWhiteSpace(spec.Title) || spec.Title.Length > MaxTextLength)
            throw new ObligationException(ObligationError.Invalid, "an obligation needs a title of at most 1000 characters");
        if (spec.DueAt < spec.OpensAt)
            throw new ObligationException(ObligationError.Invalid, "an obligation cannot be due before it opens");
        if (spec.Controls.Count > 20 || spec.Reminders.Count > 10)
            throw new ObligationException(ObligationError.Invalid, "an obligation has at most 20 controls and 10 reminders");
        if (spec.FourEyes && string.IsNullOrWhiteSpace(spec.Author) && spec.Kind.StartsWith("change.", StringComparison.Ordinal))
            throw new ObligationException(ObligationError.Invalid, "a four-eyes change obligation needs its author");
    }
}
