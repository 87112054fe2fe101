namespace IsmsServerless.Infra.Security;

/// <summary>
/// Every exception to the template security checks (tests/IsmsServerless.Infra.Tests/TemplateSecurityTests.cs),
/// each with the reason it is safe. The checks play cdk-nag's role (the .NET cdk-nag package is not available here);
/// an entry here is a suppression, so each one must say why. Add entries only with a justification a reviewer accepts.
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
        new("cloudwatch-put-metric", new HashSet<string>(StringComparer.Ordinal) { "cloudwatch:PutMetricData" },
            "PutMetricData supports no resource ARN; callers are limited by the cloudwatch:namespace condition where they use it."),
        new("inspector2-read", new HashSet<string>(StringComparer.Ordinal) { "inspector2:ListFindings", "inspector2:ListCoverage", "inspector2:BatchGetAccountStatus" },
            "Inspector2 list and account-status actions have no resource-level permissions."),
        new("ssm-describe", new HashSet<string>(StringComparer.Ordinal) { "ssm:DescribeInstancePatchStates", "ssm:DescribeInstanceInformation", "ssm:ListComplianceItems", "ssm:DescribeInstancePatches" },
            "Read-only patch inventory for the sweep. DescribeInstanceInformation, DescribeInstancePatchStates and ListComplianceItems do not support resource ARNs; "
            + "DescribeInstancePatches is called for every managed node the sweep discovers (EC2 instances and hybrid mi- nodes, whichever the fleet has), "
            + "so every node in the account is its narrowest correct scope. No write, command or document action is included."),
        new("dynamodb-list-streams", new HashSet<string>(StringComparer.Ordinal) { "dynamodb:ListStreams" },
            "ListStreams is an account-level call with no resource-level permission (CDK's Table.grantStreamRead grants it on \"*\" too); "
            + "it only lists stream ARNs. Reading records stays scoped to the ledger's stream ARN (DescribeStream/GetRecords/GetShardIterator)."),
    ];

    /// <summary>Key policies: <c>Resource: "*"</c> in a key policy means the key itself.</summary>
    public const string KeyPolicyResourceJustification =
        "In a KMS key policy, Resource \"*\" refers to the key the policy is attached to, never to other keys.";

    /// <summary>The key administrator statement CDK writes into every key policy (account root, <c>kms:*</c>).</summary>
    public const string KeyAdministratorJustification =
        "The account-root kms:* statement is the default key policy: it delegates key access to IAM in this account, without which the key becomes unmanageable. IAM grants per function stay least-privilege.";

    /// <summary>
    /// S3 bucket-policy Deny statements use <c>s3:*</c> with <c>aws:SecureTransport=false</c> to refuse plain HTTP:
    /// a wildcard in a Deny narrows access, it never grants.
    /// </summary>
    public const string DenyWildcardJustification = "Deny statements with wildcards only take access away (SSL enforcement).";
}
