using Amazon.CDK.AWS.IAM;
using Amazon.CDK.AWS.SNS;

namespace IsmsServerless.Infra.Constructs;

/// <summary>
/// TLS-only access for SNS topics. CDK 2.160 accepts <c>TopicProps.EnforceSSL</c> but synthesizes no policy for it
/// (the template security test caught this), so the deny statement is added explicitly.
/// </summary>
public static class SecureTransport
{
    public static void Enforce(ITopic topic) =>
        topic.AddToResourcePolicy(new PolicyStatement(new PolicyStatementProps
        {
            Sid = "AllowPublishThroughSSLOnly",
            Effect = Effect.DENY,
            Principals = [new AnyPrincipal()],
            Actions = ["sns:Publish"],
            Resources = [topic.TopicArn],
            Conditions = new Dictionary<string, object>
            {
                ["Bool"] = new Dictionary<string, object> { ["aws:SecureTransport"] = "false" },
            },
        }));
}
