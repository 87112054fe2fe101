using Amazon.CDK;
using Amazon.CDK.AWS.IAM;
using Constructs;

namespace IsmsServerless.Infra.Constructs;

/// <summary>
/// The role GitHub Actions assumes with its OIDC token (context <c>githubOidc</c>; see .github/workflows/deploy.yml),
/// so the pipeline holds no long-lived keys. Trusted only for one repository's protected environment and branch.
/// It can do one thing: assume the CDK bootstrap roles (deploy, publish, lookup), which is what <c>cdk deploy</c> needs.
/// </summary>
public sealed class GitHubOidcDeployRole : Construct
{
    public const string Issuer = "token.actions.githubusercontent.com";

    public Role Role { get; }

    public GitHubOidcDeployRole(Construct scope, string id, GitHubOidcOptions options) : base(scope, id)
    {
        var stack = Stack.Of(this);
        string providerArn;
        if (options.CreateProvider)
        {
            // The L1 resource, not the L2 OpenIdConnectProvider: that one is a custom resource with its own Lambda.
            var provider = new CfnOIDCProvider(this, "Provider", new CfnOIDCProviderProps
            {
                Url = "https://" + Issuer,
                ClientIdList = ["sts.amazonaws.com"],
                // IAM no longer checks thumbprints for this issuer (it trusts its CA), but the API still requires one.
                ThumbprintList = ["6938fd4d98bab03faadb97b34396831e3780aea1", "1c58a3a8518e8759bf075b76b750d4f2df264fcd"],
            });
            providerArn = provider.AttrArn;
        }
        else
        {
            providerArn = $"arn:{stack.Partition}:iam::{stack.Account}:oidc-provider/{Issuer}";
        }

        Role = new Role(this, "Role", new RoleProps
        {
            RoleName = options.RoleName,
            Description = $"GitHub Actions deploys of {options.Repository} ({options.Environment} environment, {options.Branch} branch)",
            MaxSessionDuration = Duration.Hours(1),
            AssumedBy = new WebIdentityPrincipal(providerArn, new Dictionary<string, object>
            {
                ["StringEquals"] = new Dictionary<string, object>
                {
                    [$"{Issuer}:aud"] = "sts.amazonaws.com",
                    // A job that names an environment gets sub repo:<repo>:environment:<env>; otherwise ref:refs/heads/<branch>.
                    [$"{Issuer}:sub"] = new[]
                    {
                        $"repo:{options.Repository}:environment:{options.Environment}",
                        $"repo:{options.Repository}:ref:refs/heads/{options.Branch}",
                    },
                },
            }),
        });
        Role.AddToPrincipalPolicy(new PolicyStatement(new PolicyStatementProps
        {
            Sid = "AssumeCdkBootstrapRoles",
            Actions = ["sts:AssumeRole", "sts:TagSession"],
            Resources = [$"arn:{stack.Partition}:iam::{stack.Account}:role/cdk-{options.BootstrapQualifier}-*"],
        }));
        Security.CdkNag.SuppressOnPolicyOf(Role, "AwsSolutions-IAM5",
            "The pipeline deploys with the CDK bootstrap roles (deploy, file-publishing, image-publishing, lookup) of this account, named "
            + $"cdk-{options.BootstrapQualifier}-<purpose>-<account>-<region> for each bootstrapped region; the wildcard stays inside this "
            + "account and this bootstrap qualifier, and only sts:AssumeRole/TagSession are allowed on it.",
            $"Resource::arn:{stack.Partition}:iam::{stack.Account}:role/cdk-{options.BootstrapQualifier}-*");
    }
}
