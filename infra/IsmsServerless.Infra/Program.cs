using Amazon.CDK;
using IsmsServerless.Infra;

var app = new App();
var config = StackConfiguration.FromContext(app.Node);
_ = new IsmsStack(app, config.StackName, new IsmsStackProps
{
    Configuration = config,
    Env = new Amazon.CDK.Environment
    {
        Account = System.Environment.GetEnvironmentVariable("CDK_DEFAULT_ACCOUNT"),
        Region = System.Environment.GetEnvironmentVariable("CDK_DEFAULT_REGION"),
    },
    Description = "IsmsServerless: continuous enforcement of the ISMS operations-security policy (ISO 27001 Annex A, SOC 2).",
});
if (config.MultiAccount)
{
    // Environment-agnostic: one template for every member account (StackSets or per-account cdk deploy).
    _ = new IsmsForwarderStack(app, config.StackName + "-Forwarder", new IsmsForwarderStackProps
    {
        CentralAccountId = config.CentralAccountId!,
        CentralRegion = config.CentralRegion,
        // No bootstrap needed in member accounts: the template has no assets and no BootstrapVersion check, so
        // StackSets can deploy it into accounts that were never `cdk bootstrap`ped.
        Synthesizer = new CliCredentialsStackSynthesizer(),
        Description = "IsmsServerless forwarder: sends this member account's security events to the central IsmsServerless account.",
    });
}
app.Synth();
