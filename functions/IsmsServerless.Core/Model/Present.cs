namespace IsmsServerless.Model;

/// <summary>
/// The one test for "is this text really there?" applied wherever an adapter or a rule reads an identifier, ARN,
/// account, region or name from a payload. A value that is null, empty, or made only of whitespace, control or
/// format characters (zero-width space, BOM) names nothing: reading it as present gives findings keyed on nothing
/// (<c>arn:aws:iam::123456789012:user/ </c>) or an empty resource id. Such a value is absent, so the caller's fallback
/// (another field, the envelope, the account root) or its rejection applies.
/// </summary>
public static class Present
{
    /// <summary>True when <paramref name="value"/> holds no visible character.</summary>
    public static bool IsBlank([System.Diagnostics.CodeAnalysis.NotNullWhen(false)] string? value)
    {
        if (string.IsNullOrEmpty(value)) return true;
        foreach (var c in value)
        {
            if (!char.IsWhiteSpace(c) && !char.IsControl(c) && char.GetUnicodeCategory(c) != System.Globalization.UnicodeCategory.Format) return false;
        }
        return true;
    }

    /// <summary><paramref name="value"/> itself, or null when it is blank (<see cref="IsBlank"/>).</summary>
    public static string? OrNull(string? value) => IsBlank(value) ? null : value;

    /// <summary>The first value that is not blank, or null.</summary>
    public static string? First(params ReadOnlySpan<string?> values)
    {
        foreach (var value in values)
        {
            if (!IsBlank(value)) return value;
        }
        return null;
    }
}
