using System.Runtime.CompilerServices;
using Amazon.CDK;
using Amazon.CDK.AWS.IAM;
using Constructs;

namespace IsmsServerless.Infra.Security;

/// <summary>
/// cdk-nag suppressions written where the resource is made, in the format cdk-nag itself reads and writes:
/// <c>Metadata: { cdk_nag: { rules_to_suppress: [ { id, reason, applies_to? } ] } }</c> on the CloudFormation resource.
/// The C# cdk-nag package is not served here; the deploy preflight (scripts/preflight/nag.js) runs npm cdk-nag over the
/// synthesized template, and anyone running cdk-nag on the template sees the same verdicts. Every suppression needs a
/// reason a reviewer would accept: why the finding does not apply, or why the narrower option does not exist.
/// </summary>
public static class CdkNag
{
    private sealed record Entry(string Id, string Reason, string[] AppliesTo);

    private static readonly ConditionalWeakTable<CfnResource, List<Entry>> Suppressions = new();

    /// <summary>Suppresses <paramref name="ruleId"/> on the construct's CloudFormation resource (the construct itself or its default child).</summary>
    /// <param name="appliesTo">For rules with findings (IAM4, IAM5): the exact findings, e.g. <c>Resource::*</c>; empty suppresses the whole rule.</param>
    public static void Suppress(IConstruct construct, string ruleId, string reason, params string[] appliesTo)
    {
        ArgumentNullException.ThrowIfNull(construct);
        if (reason.Length < 40) throw new ArgumentException($"cdk-nag suppression of {ruleId} needs a real reason, not '{reason}'", nameof(reason));
        var resource = construct as CfnResource ?? construct.Node.DefaultChild as CfnResource
            ?? throw new ArgumentException($"{construct.Node.Path} has no CloudFormation resource to suppress {ruleId} on", nameof(construct));
        var entries = Suppressions.GetOrCreateValue(resource);
        var same = entries.FindIndex(e => e.Id == ruleId && e.AppliesTo.SequenceEqual(appliesTo));
        if (same >= 0)
        {
            // One finding, several sources (e.g. two Resource "*" statements in one policy): one entry, both reasons.
            if (!entries[same].Reason.Contains(reason, StringComparison.Ordinal)) entries[same] = entries[same] with { Reason = entries[same].Reason + " " + reason };
        }
        else entries.Add(new Entry(ruleId, reason, appliesTo));
        resource.AddMetadata("cdk_nag", new Dictionary<string, object>
        {
            ["rules_to_suppress"] = entries.Select(e =>
            {
                var rule = new Dictionary<string, object> { ["id"] = e.Id, ["reason"] = e.Reason };
                if (e.AppliesTo.Length > 0) rule["applies_to"] = e.AppliesTo;
                return (object)rule;
            }).ToArray(),
        });
    }

    /// <summary>Suppresses a finding on the policy a grantee's statements land in (its role's DefaultPolicy).</summary>
    public static void SuppressOnPolicyOf(IGrantable grantee, string ruleId, string reason, params string[] appliesTo)
    {
        ArgumentNullException.ThrowIfNull(grantee);
        var role = grantee.GrantPrincipal as Role ?? throw new ArgumentException("the grantee's principal is not a role of this stack", nameof(grantee));
        var policy = role.Node.TryFindChild("DefaultPolicy") as Amazon.CDK.AWS.IAM.Policy
            ?? throw new InvalidOperationException($"{role.Node.Path} has no DefaultPolicy yet: suppress after adding the statement");
        Suppress(policy, ruleId, reason, appliesTo);
    }

    /// <summary>Adds an identity-policy statement on <c>Resource: "*"</c> from <see cref="SecurityAllowlist.WildcardResources"/> and suppresses IAM5 with its justification.</summary>
    /// <remarks>The statement gets a Sid, so <c>@aws-cdk/aws-iam:minimizePolicies</c> keeps it apart from other <c>Resource: "*"</c> statements.</remarks>
    public static void AllowOnAnyResource(IGrantable grantee, SecurityAllowlist.WildcardResource entry, params string[] actions)
    {
        ArgumentNullException.ThrowIfNull(grantee);
        ArgumentNullException.ThrowIfNull(entry);
        if (!entry.Covers(actions)) throw new ArgumentException($"{string.Join(", ", actions)} are not all covered by allowlist entry {entry.Name}", nameof(actions));
        grantee.GrantPrincipal.AddToPrincipalPolicy(new PolicyStatement(new PolicyStatementProps
        {
            Sid = "AnyResource" + string.Concat(entry.Name.Split('-').Select(w => char.ToUpperInvariant(w[0]) + w[1..])),
            Actions = actions,
            Resources = ["*"],
        }));
        SuppressOnPolicyOf(grantee, "AwsSolutions-IAM5", $"[{entry.Name}] {entry.Justification}", "Resource::*");
    }

    /// <summary>The logical id CloudFormation will see for a construct's resource, as cdk-nag writes it in findings (<c>&lt;Id.Arn&gt;</c>).</summary>
    public static string LogicalId(IConstruct construct)
    {
        ArgumentNullException.ThrowIfNull(construct);
        var element = construct as CfnElement ?? (CfnElement)construct.Node.DefaultChild!;
        return Stack.Of(construct).GetLogicalId(element);
    }
}
