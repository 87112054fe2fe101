using Amazon.CDK;

namespace IsmsServerless.Infra;

/// <summary>
/// The stacks of the CDK app, built the one way <c>cdk synth</c> (Program.cs) and the deploy preflight tests build
/// them, so the preflight checks exactly the templates a deploy would send to CloudFormation.
/// </summary>
public static class IsmsApp
{
    public const string Description = "IsmsServerless: continuous enforcement of the ISMS operations-security policy (ISO 27001 Annex A, SOC 2).";

    /// <summary>Adds the central stack and, when an organization or member accounts are configured, the member forwarder.</summary>
    public static IReadOnlyList<Stack> Build(App app, StackConfiguration config, string? account, string? region)
    {
        ArgumentNullException.ThrowIfNull(config);
        var stacks = new List<Stack>
        {
            new IsmsStack(app, config.StackName, new IsmsStackProps
            {
                Configuration = config,
                Env = new Amazon.CDK.Environment { Account = account, Region = region },
                Description = Description,
            }),
        };
        if (config.MultiAccount)
        {
            // Environment-agnostic: one template for every member account (StackSets or per-account cdk deploy).
            stacks.Add(new IsmsForwarderStack(app, config.StackName + "-Forwarder", new IsmsForwarderStackProps
            {
                CentralAccountId = config.CentralAccountId!,
                CentralRegion = config.CentralRegion,
                // No bootstrap needed in member accounts: the template has no assets and no BootstrapVersion check, so
                // StackSets can deploy it into accounts that were never `cdk bootstrap`ped.
                Synthesizer = new CliCredentialsStackSynthesizer(),
                Description = "IsmsServerless forwarder: sends this member account's security events to the central IsmsServerless account.",
            }));
        }
        return stacks;
    }
}
