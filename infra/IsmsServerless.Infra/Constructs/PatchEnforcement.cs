using Amazon.CDK;
using Amazon.CDK.AWS.Events;
using Amazon.CDK.AWS.Events.Targets;
using Amazon.CDK.AWS.IAM;
using Amazon.CDK.AWS.Lambda;
using Constructs;

namespace IsmsServerless.Infra.Constructs;

public sealed class PatchEnforcementProps
{
    /// <summary>The ingestion construct whose function evaluates the events (and whose dead-letter queue keeps failures).</summary>
    public required EventIngestion Ingestion { get; init; }

    /// <summary>The function that runs the scheduled sweep (and so the SSM patch sweep step).</summary>
    public required Function SweepFunction { get; init; }
}

/// <summary>
/// Patch SLA enforcement's triggers and permissions: EventBridge rules for Inspector findings, SSM patch-compliance
/// changes and EC2 terminations, delivered to the ingest function with the same retries and dead-letter queue as the
/// other sources; and read-only SSM access for the function that runs the patch sweep.
/// </summary>
public sealed class PatchEnforcement : Construct
{
    /// <summary>The SSM read calls the patch sweep makes (<c>SsmPatchInventorySource</c>), and nothing else.</summary>
    public static IReadOnlyList<string> SweepActions { get; } =
        ["ssm:DescribeInstanceInformation", "ssm:DescribeInstancePatchStates", "ssm:DescribeInstancePatches"];

    private static readonly string[] PatchComplianceType = ["Patch"];
    private static readonly string[] TerminatedState = ["terminated"];

    public PatchEnforcement(Construct scope, string id, PatchEnforcementProps props) : base(scope, id)
    {
        var target = new LambdaFunction(props.Ingestion.IngestFunction, new LambdaFunctionProps
        {
            DeadLetterQueue = props.Ingestion.DeadLetterQueue,
            RetryAttempts = 4,
            MaxEventAge = Duration.Hours(6),
        });
        Rule("InspectorFindings", "Amazon Inspector findings (package vulnerabilities: patch SLA)", new EventPattern
        {
            Source = ["aws.inspector2"],
            DetailType = ["Inspector2 Finding"],
        }, target);
        Rule("SsmPatchCompliance", "Systems Manager patch compliance state changes", new EventPattern
        {
            Source = ["aws.ssm"],
            DetailType = ["Configuration Compliance State Change"],
            // Association and custom compliance types are not patch compliance: filtered here, not paid for.
            Detail = new Dictionary<string, object> { ["compliance-type"] = PatchComplianceType },
        }, target);
        Rule("Ec2Terminations", "EC2 instances terminated: their patch findings close", new EventPattern
        {
            Source = ["aws.ec2"],
            DetailType = ["EC2 Instance State-change Notification"],
            Detail = new Dictionary<string, object> { ["state"] = TerminatedState },
        }, target);

        GrantPatchInventoryRead(props.SweepFunction);
        props.SweepFunction.AddEnvironment(Sweep.Patch.SsmPatchSweepStep.EnabledVariable, "1");
        // SSM responses do not name the account; the sweep keys findings by ISMS_ACCOUNT_ID, which IsmsStack sets once
        // on the sweep function for both the heartbeat and the patch steps.
    }

    /// <summary>Read-only access to the fleet's patch inventory, for the function that runs the SSM patch sweep.</summary>
    // DescribeInstanceInformation and DescribeInstancePatchStates support no resource ARNs; DescribeInstancePatches
    // is called for every managed node the sweep lists (EC2 and hybrid mi- nodes alike), so all nodes is its
    // narrowest correct scope (SecurityAllowlist "ssm-describe"). Read-only patch inventory; no write or document action.
    public static void GrantPatchInventoryRead(IGrantable grantee) =>
        Security.CdkNag.AllowOnAnyResource(grantee, Security.SecurityAllowlist.WildcardResources.Single(w => w.Name == "ssm-describe"), [.. SweepActions]);

    private void Rule(string id, string description, EventPattern pattern, IRuleTarget target) =>
        _ = new Rule(this, id, new RuleProps { Description = description, EventPattern = pattern, Targets = [target] });
}
