namespace IsmsServerless.Infra.Security;

/// <summary>
/// The identity-policy statements allowed on <c>Resource: "*"</c>, each with the reason it is safe. Each entry becomes
/// the reason of a cdk-nag <c>AwsSolutions-IAM5</c> suppression where the statement is added
/// (<see cref="CdkNag.AllowOnAnyResource"/>), so it must say why; a test fails on an entry no statement uses.
/// </summary>
public static class SecurityAllowlist
{
    /// <summary>An identity-policy statement that may use <c>Resource: "*"</c> because its service has no resource-level permissions.</summary>
    public sealed record WildcardResource(string Name, IReadOnlySet<string> Actions, string Justification)
    {
        public bool Covers(IEnumerable<string> actions) => actions.All(Actions.Contains);
    }

    public static IReadOnlyList<WildcardResource> WildcardResources { get; } =
    [
        new("xray-tracing", new HashSet<string>(StringComparer.Ordinal) { "xray:PutTraceSegments", "xray:PutTelemetryRecords" },
            "X-Ray trace submission has no resource-level permissions (Service Authorization Reference: resource types column empty); added by Tracing.ACTIVE."),
        new("ssm-describe", new HashSet<string>(StringComparer.Ordinal) { "ssm:DescribeInstancePatchStates", "ssm:DescribeInstanceInformation", "ssm:DescribeInstancePatches" },
            "Read-only patch inventory for the sweep. DescribeInstanceInformation and DescribeInstancePatchStates do not support resource ARNs; "
            + "DescribeInstancePatches is called for every managed node the sweep discovers (EC2 instances and hybrid mi- nodes, whichever the fleet has), "
            + "so every node in the account is its narrowest correct scope. No write, command or document action is included."),
        new("dynamodb-list-streams", new HashSet<string>(StringComparer.Ordinal) { "dynamodb:ListStreams" },
            "ListStreams is an account-level call with no resource-level permission (CDK's Table.grantStreamRead grants it on \"*\" too); "
            + "it only lists stream ARNs. Reading records stays scoped to the ledger's stream ARN (DescribeStream/GetRecords/GetShardIterator)."),
    ];
}
