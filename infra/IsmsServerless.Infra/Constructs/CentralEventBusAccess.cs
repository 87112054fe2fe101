using Amazon.CDK;
using Amazon.CDK.AWS.Events;
using Constructs;

namespace IsmsServerless.Infra.Constructs;

public sealed class CentralEventBusAccessProps
{
    public string? OrganizationId { get; init; }
    public IReadOnlyList<string> MemberAccountIds { get; init; } = [];
}

/// <summary>
/// Lets member accounts' forwarders (<see cref="IsmsForwarderStack"/>) put events on this account's default bus,
/// where the ingestion rules already listen, so one ledger covers an AWS Organization. Only <c>events:PutEvents</c>,
/// only from the organization (aws:PrincipalOrgID) or the listed accounts.
/// </summary>
public sealed class CentralEventBusAccess : Construct
{
    public CentralEventBusAccess(Construct scope, string id, CentralEventBusAccessProps props) : base(scope, id)
    {
        var stack = Stack.Of(this);
        var busArn = $"arn:{stack.Partition}:events:{stack.Region}:{stack.Account}:event-bus/default";
        if (props.OrganizationId is { } org)
        {
            _ = new CfnEventBusPolicy(this, "Organization", new CfnEventBusPolicyProps
            {
                EventBusName = "default",
                StatementId = "IsmsOrganizationPutEvents",
                Statement = new Dictionary<string, object>
                {
                    ["Sid"] = "IsmsOrganizationPutEvents",
                    ["Effect"] = "Allow",
                    // Any principal, but only from inside the organization: the condition is the boundary.
                    ["Principal"] = "*",
                    ["Action"] = "events:PutEvents",
                    ["Resource"] = busArn,
                    ["Condition"] = new Dictionary<string, object>
                    {
                        ["StringEquals"] = new Dictionary<string, object> { ["aws:PrincipalOrgID"] = org },
                    },
                },
            });
        }
        foreach (var account in props.MemberAccountIds)
        {
            _ = new CfnEventBusPolicy(this, "Member" + account, new CfnEventBusPolicyProps
            {
                EventBusName = "default",
                StatementId = "IsmsMember" + account,
                Statement = new Dictionary<string, object>
                {
                    ["Sid"] = "IsmsMember" + account,
                    ["Effect"] = "Allow",
                    ["Principal"] = new Dictionary<string, object> { ["AWS"] = $"arn:{stack.Partition}:iam::{account}:root" },
                    ["Action"] = "events:PutEvents",
                    ["Resource"] = busArn,
                },
            });
        }
    }
}
