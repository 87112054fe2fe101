using Amazon.CDK;
using Amazon.CDK.AWS.Config;
using Amazon.CDK.AWS.Events;
using Amazon.CDK.AWS.Events.Targets;
using Amazon.CDK.AWS.IAM;
using Amazon.CDK.AWS.KMS;
using Constructs;
using IsmsServerless.Settings;

namespace IsmsServerless.Infra.Constructs;

public sealed class ChangeSignalsProps
{
    public required EventIngestion Ingestion { get; init; }

    /// <summary>The policy's change management settings (stack drift rule name, Jira).</summary>
    public required ChangeManagementSettings Settings { get; init; }
}

/// <summary>
/// Issue 19's signals and grants:
/// <list type="bullet">
/// <item>the managed Config rule <c>CLOUDFORMATION_STACK_DRIFT_DETECTION_CHECK</c> (its COMPLIANT verdict on a stack closes
/// the manual changes whose reviewer named it), with the role Config uses to call DetectStackDrift;</item>
/// <item>a narrow rule for read-only STS role assumptions (<c>AssumeRole</c>, <c>AssumeRoleWithSAML</c>,
/// <c>AssumeRoleWithWebIdentity</c> with <c>readOnly: true</c>), in the state that lets EventBridge deliver read-only
/// management events: default-state rules never receive them, so an emergency-role assumption CloudTrail marks read-only
/// would otherwise never reach <c>change.unauthorized-emergency-access</c>. It matches only read-only records, so an
/// assumption the main rule already receives is not delivered twice;</item>
/// <item>when <c>changeManagement.jira.enabled</c>: the sweep may read the one SSM SecureString holding the Jira token
/// (<c>ssm:GetParameter</c> on that parameter, <c>kms:Decrypt</c> only through SSM in this account and region).</item>
/// </list>
/// </summary>
public sealed class ChangeSignals : Construct
{
    public const string ReadOnlyManagementEventsState = "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS";

    public ManagedRule StackDriftRule { get; }

    private static readonly string[] AssumeRoleEvents = ["AssumeRole", "AssumeRoleWithSAML", "AssumeRoleWithWebIdentity"];
    private static readonly object[] ReadOnlyTrue = [true];

    public ChangeSignals(Construct scope, string id, ChangeSignalsProps props) : base(scope, id)
    {
        ArgumentNullException.ThrowIfNull(props);
        var role = new Role(this, "StackDriftDetectionRole", new RoleProps
        {
            AssumedBy = new ServicePrincipal("config.amazonaws.com"),
            Description = "AWS Config: detects CloudFormation stack drift for the ISMS change register (cloudformation-stack-drift-detection-check)",
            // AWS's rule documentation: the role needs config.amazonaws.com trust and ReadOnlyAccess (drift detection
            // reads every resource type a stack may hold), plus the drift detection calls themselves.
            ManagedPolicies = [ManagedPolicy.FromAwsManagedPolicyName("ReadOnlyAccess")],
        });
        role.AddToPolicy(new PolicyStatement(new PolicyStatementProps
        {
            Sid = "DetectStackDrift",
            Actions = ["cloudformation:DetectStackDrift", "cloudformation:DetectStackResourceDrift", "cloudformation:BatchDescribeTypeConfigurations"],
            Resources = [Stack.Of(this).FormatArn(new ArnComponents { Service = "cloudformation", Resource = "stack", ResourceName = "*", ArnFormat = ArnFormat.SLASH_RESOURCE_NAME })],
        }));
        Security.CdkNag.Suppress(role, "AwsSolutions-IAM4",
            "AWS documents ReadOnlyAccess as the permission set for the role of the managed rule CLOUDFORMATION_STACK_DRIFT_DETECTION_CHECK: drift detection reads every resource type a stack can contain, which no hand-written list keeps up with.",
            "Policy::arn:<AWS::Partition>:iam::aws:policy/ReadOnlyAccess");
        Security.CdkNag.Suppress(role.Node.FindChild("DefaultPolicy"), "AwsSolutions-IAM5",
            "Drift detection runs on every stack of the account and region (the rule's scope is AWS::CloudFormation::Stack); the ARN is limited to cloudformation stacks of this account and region.",
            $"Resource::arn:{Stack.Of(this).Partition}:cloudformation:{Stack.Of(this).Region}:{Stack.Of(this).Account}:stack/*");

        StackDriftRule = new ManagedRule(this, "StackDriftDetectionCheck", new ManagedRuleProps
        {
            Identifier = "CLOUDFORMATION_STACK_DRIFT_DETECTION_CHECK",
            ConfigRuleName = props.Settings.StackDriftConfigRuleName,
            Description = "IsmsServerless changes: CloudFormation stack drifted from its template (closes manual changes once IN_SYNC)",
            RuleScope = RuleScope.FromResources([ResourceType.CLOUDFORMATION_STACK]),
            MaximumExecutionFrequency = MaximumExecutionFrequency.TWENTY_FOUR_HOURS,
            InputParameters = new Dictionary<string, object> { ["cloudformationRoleArn"] = role.RoleArn },
        });

        var readOnlyAssumptions = new Amazon.CDK.AWS.Events.Rule(this, "ReadOnlyRoleAssumptions", new Amazon.CDK.AWS.Events.RuleProps
        {
            Description = "Read-only STS role assumptions (emergency access): delivered only to rules in the all-management-events state",
            EventPattern = new EventPattern
            {
                Source = ["aws.sts"],
                DetailType = ["AWS API Call via CloudTrail"],
                Detail = new Dictionary<string, object>
                {
                    ["eventName"] = AssumeRoleEvents,
                    ["readOnly"] = ReadOnlyTrue,
                },
            },
            Targets =
            [
                new LambdaFunction(props.Ingestion.IngestFunction, new LambdaFunctionProps
                {
                    DeadLetterQueue = props.Ingestion.DeadLetterQueue,
                    RetryAttempts = 4,
                    MaxEventAge = Duration.Hours(6),
                }),
            ],
        });
        ((Amazon.CDK.AWS.Events.CfnRule)readOnlyAssumptions.Node.DefaultChild!).State = ReadOnlyManagementEventsState;

        if (props.Settings.Jira is { Enabled: true } jira) GrantJiraToken(props.Ingestion.SweepFunction, jira);
    }

    /// <summary>The sweep reads the Jira API token: one parameter, decrypted only through SSM.</summary>
    private void GrantJiraToken(IGrantable sweep, JiraSettings jira)
    {
        var stack = Stack.Of(this);
        sweep.GrantPrincipal.AddToPrincipalPolicy(new PolicyStatement(new PolicyStatementProps
        {
            Sid = "ReadJiraToken",
            Actions = ["ssm:GetParameter"],
            Resources = [stack.FormatArn(new ArnComponents { Service = "ssm", Resource = "parameter", ResourceName = jira.TokenParameterName.TrimStart('/'), ArnFormat = ArnFormat.SLASH_RESOURCE_NAME })],
        }));
        sweep.GrantPrincipal.AddToPrincipalPolicy(new PolicyStatement(new PolicyStatementProps
        {
            Sid = "DecryptJiraTokenThroughSsm",
            Actions = ["kms:Decrypt"],
            Resources = [stack.FormatArn(new ArnComponents { Service = "kms", Resource = "key", ResourceName = "*", ArnFormat = ArnFormat.SLASH_RESOURCE_NAME })],
            Conditions = new Dictionary<string, object>
            {
                ["StringEquals"] = new Dictionary<string, object> { ["kms:ViaService"] = $"ssm.{stack.Region}.amazonaws.com" },
                ["StringLike"] = new Dictionary<string, object>
                {
                    ["kms:EncryptionContext:PARAMETER_ARN"] = stack.FormatArn(new ArnComponents { Service = "ssm", Resource = "parameter", ResourceName = jira.TokenParameterName.TrimStart('/'), ArnFormat = ArnFormat.SLASH_RESOURCE_NAME }),
                },
            },
        }));
        Security.CdkNag.SuppressOnPolicyOf(sweep, "AwsSolutions-IAM5",
            "The Jira token's SecureString may be encrypted with the account's aws/ssm key or a customer key the policy file does not name; Decrypt is limited to calls through SSM in this region for exactly that parameter (kms:ViaService and the PARAMETER_ARN encryption context).",
            $"Resource::arn:{stack.Partition}:kms:{stack.Region}:{stack.Account}:key/*");
    }
}
