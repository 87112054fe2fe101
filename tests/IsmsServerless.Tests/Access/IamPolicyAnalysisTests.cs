using System.Text.Json;
using System.Text.Json.Nodes;
using IsmsServerless.Access;
using IsmsServerless.Tests.Drift;

namespace IsmsServerless.Tests.Access;

/// <summary>Admin-level rights and external trust, computed by pure code from real Config items (aws-config-rdk samples).</summary>
public sealed class IamPolicyAnalysisTests
{
    private static JsonElement Element(JsonNode? node) => JsonDocument.Parse(node!.ToJsonString()).RootElement.Clone();

    [Fact]
    public void A_service_role_trusted_by_config_has_no_external_trust_as_an_object_or_url_encoded()
    {
        var role = DriftPayloads.Item("ci-iam-role-rdk.json");
        var trust = role["configuration"]!["assumeRolePolicyDocument"]!;
        var own = new HashSet<string>(StringComparer.Ordinal) { "264683526309" };
        Assert.Empty(IamPolicyAnalysis.ExternalTrusts(Element(trust), own));
        // Live Config items deliver the document URL-encoded (%7B%22Version...): the same document, encoded, reads the same.
        var encoded = JsonValue.Create(Uri.EscapeDataString(trust.ToJsonString()));
        Assert.StartsWith("%7B", encoded!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Empty(IamPolicyAnalysis.ExternalTrusts(Element(encoded), own));
        Assert.Equal("config.amazonaws.com", IamPolicyAnalysis.Decode(Element(encoded)).GetProperty("Statement")[0].GetProperty("Principal").GetProperty("Service").GetString());
    }

    [Fact]
    public void Another_account_a_vendor_idp_and_anyone_are_external_and_the_own_account_is_not()
    {
        var role = DriftPayloads.Item("ci-iam-role-rdk.json");
        var statement = role["configuration"]!["assumeRolePolicyDocument"]!["Statement"]![0]!.AsObject();
        statement["Principal"] = new JsonObject
        {
            ["AWS"] = new JsonArray("arn:aws:iam::264683526309:root", "arn:aws:iam::999988887777:role/vendor-audit", "111122223333"),
            ["Federated"] = new JsonArray("arn:aws:iam::264683526309:oidc-provider/token.actions.githubusercontent.com", "cognito-identity.amazonaws.com"),
        };
        var encoded = JsonValue.Create(Uri.EscapeDataString(role["configuration"]!["assumeRolePolicyDocument"]!.ToJsonString()));
        var trusts = IamPolicyAnalysis.ExternalTrusts(Element(encoded), new HashSet<string>(StringComparer.Ordinal) { "264683526309" });
        Assert.Equal(
            ["account arn:aws:iam::999988887777:role/vendor-audit 999988887777", "account 111122223333 111122223333", "federated arn:aws:iam::264683526309:oidc-provider/token.actions.githubusercontent.com 264683526309"],
            trusts.Select(t => $"{t.Kind} {t.Principal} {t.AccountId}"));

        statement["Principal"] = "*";
        Assert.Equal("public", Assert.Single(IamPolicyAnalysis.ExternalTrusts(Element(role["configuration"]!["assumeRolePolicyDocument"]), new HashSet<string>())).Kind);
    }

    [Fact]
    public void Read_only_managed_policy_and_scoped_inline_policy_grant_no_admin_rights()
    {
        var policy = DriftPayloads.Item("ci-iam-policy-rdk.json");
        Assert.Empty(IamPolicyAnalysis.AdminGrants(Element(policy["configuration"]!["policyVersionList"]![0]!["document"])));
        var user = DriftPayloads.Item("ci-iam-user-rdk.json");
        // codedeploy:* on * is broad but not admin-level: it cannot grant itself more.
        Assert.Empty(IamPolicyAnalysis.AdminGrants(Element(user["configuration"]!["userPolicyList"]![0]!["policyDocument"])));
        Assert.Contains(user["configuration"]!["attachedManagedPolicies"]!.AsArray(), p => IamPolicyAnalysis.IsAdminManagedPolicy(p!["policyArn"]!.GetValue<string>()));
        Assert.False(IamPolicyAnalysis.IsAdminManagedPolicy("arn:aws:iam::264683526309:policy/AdministratorAccess")); // a customer policy named like it is judged by its document
    }

    [Theory]
    [InlineData("*", "*", "*:*")]
    [InlineData("iam:*", "*", "iam:*")]
    [InlineData("iam:PassRole", "*", "iam:PassRole")]
    [InlineData("iam:CreatePolicyVersion", "*", "iam:CreatePolicyVersion")]
    [InlineData("iam:PassRole", "arn:aws:iam::264683526309:role/app", "")]
    [InlineData("s3:*", "*", "")]
    public void Admin_level_grants_are_star_iam_star_and_escalation_actions_on_everything(string action, string resource, string expected)
    {
        var policy = DriftPayloads.Item("ci-iam-policy-rdk.json");
        var statement = policy["configuration"]!["policyVersionList"]![0]!["document"]![0]!["Statement"]![0]!.AsObject();
        statement["Action"] = new JsonArray(action);
        statement["Resource"] = new JsonArray(resource);
        var grants = IamPolicyAnalysis.AdminGrants(Element(policy["configuration"]!["policyVersionList"]![0]!["document"]));
        string[] want = expected.Length == 0 ? [] : [expected];
        Assert.Equal(want, grants);
        // Deny statements grant nothing.
        statement["Effect"] = "Deny";
        Assert.Empty(IamPolicyAnalysis.AdminGrants(Element(policy["configuration"]!["policyVersionList"]![0]!["document"])));
    }

    [Theory]
    [InlineData("%7B%22Statement%22")] // truncated URL-encoded JSON
    [InlineData("not json")]
    [InlineData("")]
    public void Unreadable_documents_grant_nothing_and_trust_no_one_without_throwing(string text)
    {
        var element = Element(JsonValue.Create(text));
        Assert.Empty(IamPolicyAnalysis.AdminGrants(element));
        Assert.Empty(IamPolicyAnalysis.ExternalTrusts(element, new HashSet<string>()));
    }
}
