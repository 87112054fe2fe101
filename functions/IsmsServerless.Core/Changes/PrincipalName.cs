using IsmsServerless.Events;

namespace IsmsServerless.Changes;

/// <summary>
/// The person behind a principal, normalized so the four-eyes check compares people, not credentials:
/// an IAM user's name, an assumed-role session's source identity or session name (Identity Center puts the user's
/// sign-in name there), a federated user's name, or "root". Lower case, trimmed.
/// </summary>
public static class PrincipalName
{
    public static string Of(CloudTrailUserIdentity? identity, string accountId)
    {
        if (identity is null) return "unknown";
        var type = identity.Type ?? "";
        var sourceIdentity = identity.SessionContext?.SourceIdentity;
        if (!string.IsNullOrWhiteSpace(sourceIdentity)) return Normalize(sourceIdentity);
        switch (type)
        {
            case "Root":
                return "root";
            case "IAMUser" when !string.IsNullOrWhiteSpace(identity.UserName):
                return Normalize(identity.UserName);
            case "AssumedRole" or "FederatedUser" or "IdentityCenterUser":
                if (FromArn(identity.Arn) is { } fromArn) return fromArn;
                // principalId of a role session is "AROA...:sessionName".
                if (identity.PrincipalId?.IndexOf(':', StringComparison.Ordinal) is int colon and >= 0 && colon < identity.PrincipalId.Length - 1)
                    return Normalize(identity.PrincipalId[(colon + 1)..]);
                break;
        }
        return FromArn(identity.Arn) ?? Normalize($"{type}:{identity.PrincipalId ?? accountId}");
    }

    /// <summary>
    /// Normalizes what a reviewer typed (a name, an e-mail, or an ARN) the same way, so "arn:aws:iam::1:user/Alice",
    /// "alice" and "Alice " are one person.
    /// </summary>
    public static string Normalize(string text)
    {
        var trimmed = text.Trim();
        return (trimmed.StartsWith("arn:", StringComparison.OrdinalIgnoreCase) ? FromArn(trimmed) : null) ?? trimmed.ToLowerInvariant();
    }

    /// <summary>
    /// True when two normalized principals are the same person. E-mail-style names also match on their local part
    /// ("alice@corp.example" and "alice"), erring on the side of refusing a self-review.
    /// </summary>
    public static bool SamePerson(string a, string b)
    {
        if (string.Equals(a, b, StringComparison.Ordinal)) return true;
        var localA = LocalPart(a);
        var localB = LocalPart(b);
        return localA.Length > 0 && string.Equals(localA, localB, StringComparison.Ordinal) && (a.Contains('@', StringComparison.Ordinal) || b.Contains('@', StringComparison.Ordinal));
    }

    private static string LocalPart(string name)
    {
        var at = name.IndexOf('@', StringComparison.Ordinal);
        return at >= 0 ? name[..at] : name;
    }

    /// <summary>user/NAME → name; assumed-role/ROLE/SESSION → session; federated-user/NAME → name; :root → root.</summary>
    /// <remarks>Read in place: the resource is what follows the ARN's fifth ':', its kind what precedes its first '/', the name
    /// what follows its last '/' (no split arrays or segment strings).</remarks>
    private static string? FromArn(string? arn)
    {
        if (string.IsNullOrWhiteSpace(arn)) return null;
        var resource = arn.AsSpan();
        for (var colons = 0; colons < 5; colons++)
        {
            var colon = resource.IndexOf(':');
            if (colon < 0) return null;
            resource = resource[(colon + 1)..];
        }
        if (resource.SequenceEqual("root")) return "root";
        var first = resource.IndexOf('/');
        if (first < 0) return null;
        var kind = resource[..first];
        var slashes = resource.Count('/');
        var enough = kind switch
        {
            "user" or "federated-user" => slashes >= 1,
            "assumed-role" => slashes >= 2,
            _ => false,
        };
        return enough ? LowerTrimmed(resource[(resource.LastIndexOf('/') + 1)..]) : null;
    }

    private static string LowerTrimmed(ReadOnlySpan<char> name)
    {
        var trimmed = name.Trim();
        return string.Create(trimmed.Length, trimmed, static (text, source) => source.ToLowerInvariant(text));
    }
}
