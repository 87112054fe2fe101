using System.Collections.Frozen;
using System.Text.Json;
using IsmsServerless.Engine;
using IsmsServerless.Inputs;
using IsmsServerless.Model;

namespace IsmsServerless.Rules.Monitoring;

/// <summary>
/// IAM administrative actions on production: attaching or putting policies, creating users, access keys or console
/// passwords, changing trust policies. Made by the deployment pipeline (its role, or CloudFormation on its behalf) they
/// are expected and skipped; made by anyone else they are tracked as the policy requires. Failed calls changed nothing.
/// Staging is not judged (<see cref="Settings.IsmsSettings.Environment"/>).
/// </summary>
public sealed class IamAdminActionRule : IRule<CloudTrailInput>, IKeyedRule<CloudTrailInput>
{
    private static readonly FrozenSet<string> AdminActions = FrozenSet.ToFrozenSet(
    [
        "AttachUserPolicy", "AttachRolePolicy", "AttachGroupPolicy", "PutUserPolicy", "PutRolePolicy", "PutGroupPolicy",
        "CreateUser", "CreateAccessKey", "CreateLoginProfile", "UpdateLoginProfile", "UpdateAssumeRolePolicy",
        "AddUserToGroup", "CreatePolicyVersion", "SetDefaultPolicyVersion", "PutUserPermissionsBoundary",
        "DeleteUserPermissionsBoundary", "PutRolePermissionsBoundary", "DeleteRolePermissionsBoundary",
        "DeactivateMFADevice", "DeleteVirtualMFADevice", "UpdateAccessKey", "CreateRole",
    ], StringComparer.Ordinal);

    public RuleMetadata Metadata { get; } = new(
        Id: "monitoring.iam-admin-action",
        Title: "IAM administrative action on production",
        Category: Category.Monitoring,
        Severity: Severity.Medium,
        ResourceType: "AWS::IAM::User",
        PolicyClause: "Qwestly Operations Security Policy, Security Monitoring: \"Track administrative actions\"; AWS Security Basics: \"Use least-privilege IAM policies - only grant necessary permissions\"",
        Controls: [Controls.IsoPrivilegedAccess, Controls.IsoAccessControl, Controls.IsoMonitoring, Controls.Soc2UserRegistration, Controls.Soc2LogicalAccess],
        Risk: "New users, keys and policy grants outside code review are how privilege creeps and how an intruder persists.",
        Remediation: "Confirm the action was authorized; if not, remove the grant, user or key. Manage IAM through the pipeline.")
    {
        Sla = TimeSpan.FromDays(7),
    };

    /// <summary>Only calls to iam.amazonaws.com (the first check of the CloudTrail evaluation below).</summary>
    IReadOnlyList<string> IKeyedRule<CloudTrailInput>.DispatchKeys { get; } = ["iam.amazonaws.com"];

    public IEnumerable<Evaluation> Evaluate(CloudTrailInput input, EvaluationContext context)
    {
        if (input.EventSource != "iam.amazonaws.com" || !AdminActions.Contains(input.EventName) || input.Failed) yield break;
        if (context.Settings.Environment != "prod" || input.IsAwsService) yield break;
        if (input.RoleName is { } role && context.Settings.PipelineRoleNames.Contains(role, StringComparer.Ordinal)) yield break;
        var (resource, resourceType) = Target(input);
        var policyArn = StringParameter(input, "policyArn");
        var grantsAdmin = policyArn?.EndsWith("/AdministratorAccess", StringComparison.Ordinal) == true
            || (input.EventName is "PutUserPolicy" or "PutRolePolicy" or "PutGroupPolicy" && (StringParameter(input, "policyDocument")?.Contains("\"*\"", StringComparison.Ordinal) ?? false));
        var severity = grantsAdmin || input.IdentityType == "Root" || input.EventName is "DeactivateMFADevice" or "DeleteVirtualMFADevice" ? Severity.High : Severity.Medium;
        var evidence = input.Evidence();
        if (policyArn is not null) evidence["policyArn"] = policyArn;
        yield return new Evaluation
        {
            Rule = Metadata,
            Outcome = Outcome.Finding,
            SeverityOverride = severity,
            ResourceId = resource,
            ResourceType = resourceType,
            AccountId = input.AccountId,
            Region = input.Region,
            // Each action is its own evidence; several grants to one user are several findings.
            SubKey = input.CallId,
            Message = $"{input.Actor} called iam:{input.EventName} on {resource}" + (policyArn is null ? "" : $" ({policyArn})") + (grantsAdmin ? " granting administrator access" : ""),
            ClockStart = input.ObservedAt,
            ObservedAt = input.ObservedAt,
            Evidence = evidence,
        };
    }

    private static (string Resource, string Type) Target(CloudTrailInput input)
    {
        var account = input.AccountId;
        if (StringParameter(input, "userName") is { } user) return ($"arn:aws:iam::{account}:user/{Cap(user)}", "AWS::IAM::User");
        if (StringParameter(input, "roleName") is { } role) return ($"arn:aws:iam::{account}:role/{Cap(role)}", "AWS::IAM::Role");
        if (StringParameter(input, "groupName") is { } group) return ($"arn:aws:iam::{account}:group/{Cap(group)}", "AWS::IAM::Group");
        if (StringParameter(input, "policyArn") is { } policy) return (Cap(policy), "AWS::IAM::ManagedPolicy");
        // CreateAccessKey/CreateLoginProfile without userName act on the caller itself.
        // A blank caller ARN (a malformed record; read as absent) is no resource: fall back to the account root.
        return (input.Record.UserIdentity?.Arn ?? $"arn:aws:iam::{account}:root", "AWS::IAM::User");
    }

    private static string? StringParameter(CloudTrailInput input, string name)
    {
        var parameters = input.Record.RequestParameters;
        return parameters.ValueKind == JsonValueKind.Object && parameters.TryGetProperty(name, out var value)
            && value.ValueKind == JsonValueKind.String ? Present.OrNull(value.GetString()) : null;
    }

    private static string Cap(string text) => text.Length <= 256 ? text : text[..256];
}
