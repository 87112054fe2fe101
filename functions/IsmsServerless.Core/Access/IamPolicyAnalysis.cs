using System.Text.Json;
using IsmsServerless.Drift;

namespace IsmsServerless.Access;

/// <summary>One external principal a role trusts: who, and what kind (another AWS account, a vendor's identity provider, anyone).</summary>
/// <param name="Principal">The principal as the trust policy names it (clipped).</param>
/// <param name="Kind"><c>account</c> (another AWS account), <c>federated</c> (a SAML/OIDC provider: a vendor or IdP), <c>public</c> (<c>*</c>).</param>
/// <param name="AccountId">The trusted account, when the principal names one.</param>
public sealed record ExternalTrust(string Principal, string Kind, string? AccountId);

/// <summary>
/// Pure reading of IAM policy documents as AWS Config and CloudTrail deliver them: an object, a list of documents, a JSON
/// string, or a URL-encoded JSON string (Config's <c>AWS::IAM::Role</c> <c>assumeRolePolicyDocument</c> and
/// <c>AWS::IAM::Policy</c> <c>policyVersionList[].document</c> are URL-encoded: <c>%7B%22Version%22...</c>). No SDK, no clock.
/// </summary>
public static class IamPolicyAnalysis
{
    /// <summary>Largest document text read (IAM's own limit for a managed policy is 6,144 characters; inline 10,240; generous margin).</summary>
    public const int MaxDocumentChars = 131_072;

    /// <summary>AWS managed policies that are admin-level by themselves.</summary>
    public static readonly IReadOnlySet<string> AdminManagedPolicyNames = new HashSet<string>(StringComparer.Ordinal)
    {
        "AdministratorAccess", "IAMFullAccess", "AWSOrganizationsFullAccess",
    };

    /// <summary>
    /// Actions that let a principal grant itself more (privilege escalation paths as Rhino Security Labs catalogued them):
    /// holding any of them on <c>*</c> is admin-level in effect.
    /// </summary>
    public static readonly IReadOnlySet<string> EscalationActions = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        "iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion", "iam:AttachUserPolicy", "iam:AttachGroupPolicy",
        "iam:AttachRolePolicy", "iam:PutUserPolicy", "iam:PutGroupPolicy", "iam:PutRolePolicy", "iam:CreateAccessKey",
        "iam:CreateLoginProfile", "iam:UpdateLoginProfile", "iam:UpdateAssumeRolePolicy", "iam:AddUserToGroup",
        "iam:PassRole",
    };

    /// <summary>The document as a JSON element: decodes JSON strings and URL-encoded JSON strings; undefined when unreadable.</summary>
    public static JsonElement Decode(JsonElement document)
    {
        if (document.ValueKind != JsonValueKind.String) return document;
        var text = document.GetString() ?? "";
        if (text.Length == 0 || text.Length > MaxDocumentChars) return default;
        if (text.StartsWith('%')) text = Uri.UnescapeDataString(text);
        try
        {
            using var parsed = JsonDocument.Parse(text, new JsonDocumentOptions { MaxDepth = 32 });
            return parsed.RootElement.Clone();
        }
        catch (JsonException)
        {
            return default;
        }
    }

    /// <summary>True when <paramref name="policyArn"/> is an AWS managed admin-level policy (<see cref="AdminManagedPolicyNames"/>).</summary>
    public static bool IsAdminManagedPolicy(string? policyArn)
    {
        if (policyArn is null || !policyArn.StartsWith("arn:", StringComparison.Ordinal) || !policyArn.Contains(":iam::aws:policy/", StringComparison.Ordinal)) return false;
        var name = policyArn[(policyArn.LastIndexOf('/') + 1)..];
        return AdminManagedPolicyNames.Contains(name);
    }

    /// <summary>
    /// Why a policy document grants admin-level rights: Allow <c>*</c>/<c>*:*</c>, <c>iam:*</c>, or an escalation action,
    /// on Resource <c>*</c> (or NotResource). Empty when it grants none. Deny statements are not subtracted (conservative:
    /// the reviewer sees the grant).
    /// </summary>
    public static IReadOnlyList<string> AdminGrants(JsonElement document)
    {
        var doc = Decode(document);
        var reasons = new List<string>();
        if (doc.ValueKind == JsonValueKind.Array)
        {
            foreach (var inner in doc.EnumerateArray()) reasons.AddRange(AdminGrants(inner));
            return reasons.Distinct(StringComparer.Ordinal).ToList();
        }
        foreach (var statement in Statements(doc))
        {
            if (!string.Equals(Json.Text(statement, "Effect"), "Allow", StringComparison.OrdinalIgnoreCase)) continue;
            var onEverything = Values(Json.Get(statement, "Resource")).Any(r => r == "*") || Json.Get(statement, "NotResource").ValueKind != JsonValueKind.Undefined;
            if (!onEverything) continue;
            if (Json.Get(statement, "NotAction").ValueKind != JsonValueKind.Undefined) reasons.Add("NotAction on *");
            foreach (var action in Values(Json.Get(statement, "Action")))
            {
                if (action is "*" or "*:*") reasons.Add("*:*");
                else if (string.Equals(action, "iam:*", StringComparison.OrdinalIgnoreCase)) reasons.Add("iam:*");
                else if (EscalationActions.Contains(action)) reasons.Add(action);
            }
        }
        return reasons.Distinct(StringComparer.Ordinal).ToList();
    }

    /// <summary>
    /// The principals a trust policy lets in from outside <paramref name="internalAccounts"/>: other accounts' roots, users
    /// and roles; federated providers that are not AWS's own (SAML/OIDC vendors); and <c>*</c>. AWS services are not external.
    /// </summary>
    public static IReadOnlyList<ExternalTrust> ExternalTrusts(JsonElement trustPolicy, IReadOnlySet<string> internalAccounts)
    {
        var doc = Decode(trustPolicy);
        var trusts = new List<ExternalTrust>();
        foreach (var statement in Statements(doc))
        {
            if (!string.Equals(Json.Text(statement, "Effect"), "Allow", StringComparison.OrdinalIgnoreCase)) continue;
            var principal = Json.Get(statement, "Principal");
            if (principal.ValueKind == JsonValueKind.String && principal.GetString() == "*")
            {
                trusts.Add(new ExternalTrust("*", "public", null));
                continue;
            }
            foreach (var aws in Values(Json.Get(principal, "AWS")))
            {
                if (aws == "*")
                {
                    trusts.Add(new ExternalTrust("*", "public", null));
                    continue;
                }
                var account = AccountOf(aws);
                if (account is null || !internalAccounts.Contains(account)) trusts.Add(new ExternalTrust(Clip(aws), "account", account));
            }
            foreach (var federated in Values(Json.Get(principal, "Federated")))
            {
                // AWS's own identity pools are not a vendor; a SAML/OIDC provider ARN in another account is; one in an
                // internal account names a vendor's IdP (GitHub, GitLab, Okta), which the reviewer should see.
                if (federated.EndsWith(".amazonaws.com", StringComparison.OrdinalIgnoreCase) && !federated.StartsWith("arn:", StringComparison.Ordinal)) continue;
                trusts.Add(new ExternalTrust(Clip(federated), "federated", AccountOf(federated)));
            }
        }
        return trusts.DistinctBy(t => t.Principal).ToList();
    }

    /// <summary>The 12-digit account an ARN or bare account id names, else null.</summary>
    public static string? AccountOf(string principal)
    {
        if (principal.Length == 12 && principal.All(char.IsAsciiDigit)) return principal;
        if (!principal.StartsWith("arn:", StringComparison.Ordinal)) return null;
        var parts = principal.Split(':');
        return parts.Length > 4 && parts[4].Length == 12 && parts[4].All(char.IsAsciiDigit) ? parts[4] : null;
    }

    private static IEnumerable<JsonElement> Statements(JsonElement document)
    {
        var statements = Json.Get(document, "Statement");
        return statements.ValueKind switch
        {
            JsonValueKind.Array => statements.EnumerateArray().Where(s => s.ValueKind == JsonValueKind.Object),
            JsonValueKind.Object => [statements],
            _ => [],
        };
    }

    private static IEnumerable<string> Values(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.String => [element.GetString() ?? ""],
        JsonValueKind.Array => element.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.String).Select(e => e.GetString() ?? ""),
        _ => [],
    };

    private static string Clip(string text) => text.Length <= 256 ? text : text[..256];
}
