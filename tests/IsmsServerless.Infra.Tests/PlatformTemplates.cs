using Amazon.CDK;
using Amazon.CDK.Assertions;

namespace IsmsServerless.Infra.Tests;

/// <summary>
/// The stack with every optional part switched on (Config recorder, CloudTrail, organization and member accounts,
/// GitHub OIDC role, alert emails), and the member-account forwarder, each synthesized once per test class.
/// </summary>
public sealed class PlatformTemplates
{
    public const string CentralAccount = "111122223333";
    public const string MemberAccount = "444455556666";
    public const string OrganizationId = "o-abcd123456";

    public static Dictionary<string, object> FullContext() => new()
    {
        ["createConfigRecorder"] = true,
        ["createCloudTrail"] = true,
        ["organizationId"] = OrganizationId,
        ["memberAccountIds"] = new[] { MemberAccount },
        ["centralAccountId"] = CentralAccount,
        ["alertEmails"] = new[] { "secops@example.com" },
        ["slackWebhookParameter"] = "/isms/slack/webhook-url",
        ["githubOidc"] = new Dictionary<string, object> { ["repository"] = "example-org/isms-serverless", ["branch"] = "main", ["environment"] = "production" },
    };

    public PlatformTemplates()
    {
        (Full, FullTemplate) = StackTemplate.Synthesize(FullContext());
        var app = new App();
        Forwarder = new IsmsForwarderStack(app, "Forwarder", new IsmsForwarderStackProps { CentralAccountId = CentralAccount });
        ForwarderTemplate = Template.FromStack(Forwarder);
    }

    public IsmsStack Full { get; }
    public Template FullTemplate { get; }
    public IsmsForwarderStack Forwarder { get; }
    public Template ForwarderTemplate { get; }
}
