using System.Text.Json;
using IsmsServerless.Engine;
using IsmsServerless.Inputs;
using IsmsServerless.Model;

namespace IsmsServerless.Rules.Monitoring;

/// <summary>
/// A successful console sign-in without MFA. The Qwestly policy requires MFA "for all AWS console access".
/// Federated (SAML/Identity Center) sign-ins report MFAUsed "No" because MFA happened at the identity provider,
/// so only IAM users and root are judged.
/// </summary>
public sealed class ConsoleLoginWithoutMfaRule : IRule<CloudTrailInput>
{
    public RuleMetadata Metadata { get; } = new(
        Id: "monitoring.console-login-without-mfa",
        Title: "Console sign-in without MFA",
        Category: Category.Monitoring,
        Severity: Severity.High,
        ResourceType: "AWS::IAM::User",
        PolicyClause: "Qwestly Operations Security Policy, AWS Security Basics: \"Multi-factor authentication required for all AWS console access\"",
        Controls: [Controls.IsoSecureAuthentication, Controls.IsoAccessControl, Controls.Soc2LogicalAccess],
        Risk: "A console password alone can be phished or guessed; MFA is the policy's control against account takeover.",
        Remediation: "Enable a virtual or hardware MFA device for the user and attach a policy that denies actions without aws:MultiFactorAuthPresent.")
    {
        Sla = TimeSpan.FromDays(7),
    };

    public IEnumerable<Evaluation> Evaluate(CloudTrailInput input, EvaluationContext context) =>
        // Asked for every CloudTrail record: the common answer (nothing) is returned without allocating an iterator.
        (input.EventName != "ConsoleLogin" || input.IdentityType is not ("IAMUser" or "Root")) ? [] : Judge(input, context);

    // An array of at most one evaluation, not an iterator: the judgement and its answer are the same, without the state
    // machine and its enumeration on every sign-in.
    private Evaluation[] Judge(CloudTrailInput input, EvaluationContext context)
    {
        if (input.EventName != "ConsoleLogin" || input.IdentityType is not ("IAMUser" or "Root")) return [];
        var response = input.Record.ResponseElements;
        // The outcome compared where it is (ValueEquals unescapes as GetString does), without decoding it into a string.
        if (response.ValueKind != JsonValueKind.Object || !response.TryGetProperty("ConsoleLogin"u8, out var login)
            || login.ValueKind != JsonValueKind.String || !login.ValueEquals("Success"u8))
            return [];

        var extra = input.Record.AdditionalEventData;
        var mfaUsed = extra.ValueKind == JsonValueKind.Object && extra.TryGetProperty("MFAUsed"u8, out var mfa)
            && mfa.ValueKind == JsonValueKind.String ? mfa.GetString() : null;
        var user = input.Record.UserIdentity?.UserName ?? (input.IdentityType == "Root" ? "root" : "unknown");
        // An empty arn ("arn": "", seen in failed sign-ins and hostile input) must not become an empty resource id.
        var arn = input.Record.UserIdentity?.Arn;
        var resource = string.IsNullOrWhiteSpace(arn) ? $"arn:aws:iam::{input.AccountId}:user/{user}" : arn;
        return
        [
            new Evaluation
            {
                Rule = Metadata,
                Outcome = mfaUsed == "Yes" ? Outcome.Compliant : Outcome.Finding,
                ResourceId = resource,
                ResourceType = input.IdentityType == "Root" ? "AWS::::Account" : Metadata.ResourceType,
                AccountId = input.AccountId,
                Region = input.Region,
                // Concatenations, not interpolations (no pooled buffer): the same text.
                Message = mfaUsed == "Yes"
                    ? string.Concat(user, " signed in to the console with MFA")
                    : string.Concat([user, " signed in to the console without MFA (MFAUsed=", mfaUsed ?? "absent", ") from ", input.Record.SourceIpAddress ?? "unknown IP"]),
                ClockStart = input.ObservedAt,
                ObservedAt = input.ObservedAt,
                Evidence = input.Evidence(extra: 0),
            },
        ];
    }
}
