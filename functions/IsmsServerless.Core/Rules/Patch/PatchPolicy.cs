using IsmsServerless.Model;

namespace IsmsServerless.Rules.Patch;

/// <summary>What every patch rule shares: the clause it enforces, its controls, and how vendor severities map to ours.</summary>
internal static class PatchPolicy
{
    public const string Clause =
        "Qwestly Operations Security Policy, Vulnerability Management: \"Apply critical security patches within 7 days\"; "
        + "PROC-002: \"The IT Director and the Chief Technology Officer are responsible for monitoring all vulnerabilities of applications and other systems\"";

    public static IReadOnlyList<string> Controls { get; } = [Model.Controls.IsoVulnerabilities, Model.Controls.Soc2ConfigurationMonitoring];

    /// <summary>
    /// A vendor's severity word as ours: Inspector (<c>CRITICAL</c>…<c>UNTRIAGED</c>), SSM compliance (<c>critical</c>,
    /// <c>UNSPECIFIED</c>), MSRC (<c>Critical</c>, <c>Important</c>, <c>Moderate</c>, <c>Low</c>) and Linux advisories
    /// (<c>Medium</c>). Null when the vendor did not say (<c>Unspecified</c>, empty, unknown words): the caller picks
    /// its documented default rather than guess low.
    /// </summary>
    public static Severity? FromVendor(string? text)
    {
        // The words compared as text.Trim().ToUpperInvariant() would be, character by character: SSM sends lower case
        // ("critical"), and upper-casing built a string on every patch event.
        if (text is null) return null;
        var word = text.AsSpan().Trim();
        return Is(word, "CRITICAL") ? Severity.Critical
            : Is(word, "HIGH") || Is(word, "IMPORTANT") ? Severity.High
            : Is(word, "MEDIUM") || Is(word, "MODERATE") ? Severity.Medium
            : Is(word, "LOW") ? Severity.Low
            : Is(word, "INFORMATIONAL") || Is(word, "INFO") || Is(word, "NONE") || Is(word, "UNTRIAGED") ? Severity.Informational
            : null;

        static bool Is(ReadOnlySpan<char> word, string upper)
        {
            if (word.Length != upper.Length) return false;
            for (var i = 0; i < word.Length; i++)
            {
                if (char.ToUpperInvariant(word[i]) != upper[i]) return false;
            }
            return true;
        }
    }

    /// <summary>The CloudFormation type of a managed node: EC2 instances <c>i-…</c>, hybrid nodes <c>mi-…</c>.</summary>
    public static string ManagedNodeType(string instanceId) =>
        instanceId.StartsWith("mi-", StringComparison.Ordinal) ? "AWS::SSM::ManagedInstanceInventory" : "AWS::EC2::Instance";
}
