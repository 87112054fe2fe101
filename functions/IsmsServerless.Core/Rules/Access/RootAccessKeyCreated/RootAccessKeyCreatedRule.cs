using IsmsServerless.Drift;
using IsmsServerless.Engine;
using IsmsServerless.Inputs;
using IsmsServerless.Model;

namespace IsmsServerless.Rules.Access;

/// <summary>
/// The root user created an access key for itself (CloudTrail <c>CreateAccessKey</c> by <c>Root</c> with no
/// <c>userName</c> in the request; console or CLI alike): CRITICAL at once, 24-hour window. Root creating a key for an
/// IAM user names the user and is not a root key. Root deleting its own key (<c>DeleteAccessKey</c> without
/// <c>userName</c>) resolves the finding; AWS Config's iam-root-access-key-check confirms daily
/// (<see cref="ManagedAccessRuleComplianceRule"/>).
/// </summary>
public sealed class RootAccessKeyCreatedRule : IRule<CloudTrailInput>, IKeyedRule<CloudTrailInput>
{
    public RuleMetadata Metadata { get; } = new(
        Id: "access.root-access-key-created",
        Title: "Root access key created",
        Category: Category.Access,
        Severity: Severity.Critical,
        ResourceType: "AWS::::Account",
        PolicyClause: PolicyClauses.QwestlyLeastPrivilege + "; " + PolicyClauses.QwestlyAccessLeastPrivilege,
        Controls: [Controls.IsoPrivilegedAccess, Controls.IsoSecureAuthentication, Controls.IsoAccessControl, Controls.Soc2LogicalAccess, Controls.Soc2AnomalyMonitoring],
        Risk: "A root access key has every permission in the account, cannot be limited by any policy, and does not expire: one leak is a full takeover.",
        Remediation: "Confirm with the account owner who created it and why. Delete it (IAM console > Security credentials as root > Access keys > Delete), review CloudTrail for every call made with its id, and rotate the root password and MFA if the creation was not authorised.")
    {
        Sla = TimeSpan.FromDays(1),
    };

    /// <summary>The key every root finding of an account uses: the account's root principal ARN.</summary>
    public static string RootKey(string accountId) => $"arn:aws:iam::{accountId}:root";

    /// <summary>Only calls to iam.amazonaws.com (the first check of the CloudTrail evaluation below).</summary>
    IReadOnlyList<string> IKeyedRule<CloudTrailInput>.DispatchKeys { get; } = ["iam.amazonaws.com"];

    public IEnumerable<Evaluation> Evaluate(CloudTrailInput input, EvaluationContext context)
    {
        if (input.Failed || input.EventSource != "iam.amazonaws.com" || input.IdentityType != "Root") yield break;
        if (input.EventName is not ("CreateAccessKey" or "DeleteAccessKey")) yield break;
        // A userName in the request means root acted on an IAM user's key, not its own.
        if (!string.IsNullOrEmpty(Json.Text(input.Record.RequestParameters, "userName"))) yield break;
        if (!ResourceKeys.Plausible(input.AccountId)) yield break;
        var created = input.EventName == "CreateAccessKey";
        var keyId = created
            ? Json.Text(Json.Get(input.Record.ResponseElements, "accessKey"), "accessKeyId")
            : Json.Text(input.Record.RequestParameters, "accessKeyId");
        var evidence = input.Evidence();
        if (keyId is not null) evidence["accessKeyId"] = BaselineVerdict.Clip(keyId, 128)!;
        yield return new Evaluation
        {
            Rule = Metadata,
            Outcome = created ? Outcome.Finding : Outcome.Compliant,
            ResourceId = RootKey(input.AccountId),
            ResourceType = Metadata.ResourceType,
            AccountId = input.AccountId,
            Region = input.Region,
            Message = created
                ? $"Root user created an access key{(keyId is null ? "" : " " + BaselineVerdict.Clip(keyId, 128))} from {BaselineVerdict.Clip(input.Record.SourceIpAddress) ?? "unknown IP"} ({BaselineVerdict.Clip(input.Record.UserAgent) ?? "unknown agent"})"
                : $"Root user deleted its access key{(keyId is null ? "" : " " + BaselineVerdict.Clip(keyId, 128))}",
            ClockStart = input.ObservedAt,
            ObservedAt = input.ObservedAt,
            Evidence = evidence,
        };
    }
}
