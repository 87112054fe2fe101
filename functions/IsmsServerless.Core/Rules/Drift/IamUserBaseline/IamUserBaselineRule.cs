using System.Text.Json;
using IsmsServerless.Drift;
using IsmsServerless.Engine;
using IsmsServerless.Inputs;
using IsmsServerless.Model;

namespace IsmsServerless.Rules.Drift;

/// <summary>
/// IAM users hold no administrator (<c>*:*</c>) policy, attached or inline, and none has a console password without MFA.
/// Config's user item lists attached and inline policies (judged under sub-key <c>admin-policy</c>) but says nothing about
/// passwords or MFA devices, so the console half (sub-key <c>console-mfa</c>) follows CloudTrail: CreateLoginProfile opens
/// it, EnableMFADevice or DeleteLoginProfile resolve it, DeactivateMFADevice reopens it; the managed rule
/// IAM_USER_MFA_ENABLED gives the authoritative periodic answer. IAM is global: every evaluation uses region <c>global</c>,
/// as Config does, so CloudTrail (us-east-1) and Config findings are the same finding.
/// </summary>
public sealed class IamUserBaselineRule : IRule<ConfigItemInput>, IRule<CloudTrailInput>, IKeyedRule<CloudTrailInput>, IKeyedRule<ConfigItemInput>
{
    public const string ResourceTypeName = "AWS::IAM::User";
    public const string AdminSubKey = "admin-policy";
    public const string ConsoleMfaSubKey = "console-mfa";
    private const string GlobalRegion = "global";

    public static Baseline Baseline { get; } = new(ResourceTypeName, "2026.11.1",
    [
        new("iam.no-admin-policy", "configuration.attachedManagedPolicies|userPolicyList", "no AdministratorAccess or Allow *:* policy on a user",
            PolicyClauses.QwestlyLeastPrivilege, [Controls.IsoPrivilegedAccess, Controls.IsoAccessControl, Controls.Soc2LogicalAccess, Controls.Soc2ConfigurationMonitoring], Severity.High),
        new("iam.console-password-requires-mfa", "loginProfile+mfaDevices", "a console password only with an MFA device",
            PolicyClauses.QwestlyMfa, [Controls.IsoSecureAuthentication, Controls.IsoAccessControl, Controls.Soc2LogicalAccess, Controls.Soc2ConfigurationMonitoring], Severity.High),
    ]);

    public RuleMetadata Metadata { get; } = new(
        Id: "drift.iam-user-baseline",
        Title: "IAM user with admin policy or console password without MFA",
        Category: Category.Drift,
        Severity: Severity.High,
        ResourceType: ResourceTypeName,
        PolicyClause: PolicyClauses.QwestlyLeastPrivilege + "; " + PolicyClauses.QwestlyMfa,
        Controls: [Controls.IsoPrivilegedAccess, Controls.IsoSecureAuthentication, Controls.IsoAccessControl, Controls.Soc2LogicalAccess, Controls.Soc2ConfigurationMonitoring],
        Risk: "A user with *:* can disable every control, including this one; a console password without MFA can be phished.",
        Remediation: "Detach AdministratorAccess / delete the *:* inline policy and grant a scoped role instead; enrol an MFA device (aws iam enable-mfa-device) or delete the login profile.")
    {
        Sla = TimeSpan.FromDays(7),
    };

    public IEnumerable<Evaluation> Evaluate(ConfigItemInput input, EvaluationContext context)
    {
        if (input.ResourceType != ResourceTypeName || !input.HasConfiguration) yield break;
        var c = input.Configuration;
        var violations = new List<BaselineViolation>();
        foreach (var policy in Json.Items(Json.Get(c, "attachedManagedPolicies")))
        {
            if (IsAdministratorAccess(Json.Text(policy, "policyArn")))
                violations.Add(new BaselineViolation(Baseline["iam.no-admin-policy"], Json.Text(policy, "policyArn"), "configuration.attachedManagedPolicies[]"));
        }
        foreach (var policy in Json.Items(Json.Get(c, "userPolicyList")))
        {
            if (GrantsEverything(Json.Get(policy, "policyDocument")))
                violations.Add(new BaselineViolation(Baseline["iam.no-admin-policy"], $"inline policy {BaselineVerdict.Clip(Json.Text(policy, "policyName"))} allows *:*", "configuration.userPolicyList[]"));
        }
        yield return BaselineVerdict.Judge(Metadata, Baseline, input.ResourceKey, ResourceTypeName, input.AccountId, GlobalRegion,
            BaselineVerdict.Subject(ResourceTypeName, Json.Text(c, "userName") ?? input.ResourceName ?? input.ResourceId), violations, input.CaptureTime, input.Evidence(), AdminSubKey);
    }

    /// <summary>Only calls to iam.amazonaws.com (the first check of the CloudTrail evaluation below).</summary>
    IReadOnlyList<string> IKeyedRule<CloudTrailInput>.DispatchKeys { get; } = ["iam.amazonaws.com"];

    /// <summary>Configuration items of this type only (the first check of <c>Evaluate</c>).</summary>
    IReadOnlyList<string> IKeyedRule<ConfigItemInput>.DispatchKeys { get; } = [ResourceTypeName];

    public IEnumerable<Evaluation> Evaluate(CloudTrailInput input, EvaluationContext context)
    {
        if (input.Failed || input.EventSource != "iam.amazonaws.com") yield break;
        var request = input.Record.RequestParameters;
        var user = Json.Text(request, "userName");
        if (!ResourceKeys.Plausible(user)) yield break;
        var key = ResourceKeys.IamUser(input.AccountId, user);
        var subject = BaselineVerdict.Subject(ResourceTypeName, user);
        var source = $"{input.EventName} by {input.Actor}";
        var evidence = input.Evidence();
        switch (input.EventName)
        {
            case "AttachUserPolicy" when IsAdministratorAccess(Json.Text(request, "policyArn")):
                yield return Judge([new BaselineViolation(Baseline["iam.no-admin-policy"], Json.Text(request, "policyArn"), "configuration.attachedManagedPolicies[]")], AdminSubKey);
                break;
            case "PutUserPolicy" when GrantsEverything(Json.Get(request, "policyDocument")):
                yield return Judge([new BaselineViolation(Baseline["iam.no-admin-policy"], $"inline policy {BaselineVerdict.Clip(Json.Text(request, "policyName"))} allows *:*", "configuration.userPolicyList[]")], AdminSubKey);
                break;
            case "CreateLoginProfile":
                yield return Judge([new BaselineViolation(Baseline["iam.console-password-requires-mfa"], "console password created; no MFA device seen", "loginProfile",
                    $"{user} was given a console password by {input.Actor}; it must have an MFA device (resolves when EnableMFADevice is seen)")], ConsoleMfaSubKey);
                break;
            case "DeactivateMFADevice" or "DeleteVirtualMFADevice":
                yield return Judge([new BaselineViolation(Baseline["iam.console-password-requires-mfa"], "MFA device removed", "mfaDevices",
                    $"an MFA device of {user} was removed by {input.Actor}; if {user} has a console password it now signs in without MFA")], ConsoleMfaSubKey);
                break;
            case "EnableMFADevice" or "DeleteLoginProfile":
                yield return Judge([], ConsoleMfaSubKey);
                break;
        }

        Evaluation Judge(List<BaselineViolation> violations, string subKey) =>
            BaselineVerdict.Judge(Metadata, Baseline, key, ResourceTypeName, input.AccountId, GlobalRegion, subject, violations, input.ObservedAt, evidence, subKey, source);
    }

    internal static bool IsAdministratorAccess(string? policyArn) =>
        policyArn is not null && policyArn.StartsWith("arn:", StringComparison.Ordinal) && policyArn.EndsWith(":policy/AdministratorAccess", StringComparison.Ordinal);

    /// <summary>
    /// True when a policy document has an Allow statement with Action <c>*</c> (or <c>*:*</c>) on Resource <c>*</c>.
    /// Config delivers documents as objects, lists, JSON strings or URL-encoded JSON strings; all are read.
    /// </summary>
    internal static bool GrantsEverything(JsonElement document)
    {
        if (document.ValueKind == JsonValueKind.String)
        {
            var text = document.GetString() ?? "";
            if (text.Length > 131_072) return false;
            if (text.StartsWith('%')) text = Uri.UnescapeDataString(text);
            try
            {
                using var parsed = JsonDocument.Parse(text, new JsonDocumentOptions { MaxDepth = 32 });
                return GrantsEverything(parsed.RootElement.Clone());
            }
            catch (JsonException)
            {
                return false;
            }
        }
        if (document.ValueKind == JsonValueKind.Array) return document.EnumerateArray().Any(GrantsEverything);
        var statements = Json.Get(document, "Statement");
        var list = statements.ValueKind == JsonValueKind.Array ? statements.EnumerateArray().ToList() : statements.ValueKind == JsonValueKind.Object ? [statements] : [];
        return list.Any(s =>
            string.Equals(Json.Text(s, "Effect"), "Allow", StringComparison.OrdinalIgnoreCase)
            && Values(Json.Get(s, "Action")).Any(a => a is "*" or "*:*")
            && Values(Json.Get(s, "Resource")).Any(r => r == "*"));
    }

    private static IEnumerable<string> Values(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.String => [element.GetString() ?? ""],
        JsonValueKind.Array => element.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.String).Select(e => e.GetString() ?? ""),
        _ => [],
    };
}
