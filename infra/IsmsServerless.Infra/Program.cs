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
app.Synth();
