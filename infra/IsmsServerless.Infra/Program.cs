using Amazon.CDK;
using IsmsServerless.Infra;

var app = new App();
var config = StackConfiguration.FromContext(app.Node);
_ = IsmsApp.Build(app, config,
    System.Environment.GetEnvironmentVariable("CDK_DEFAULT_ACCOUNT"),
    System.Environment.GetEnvironmentVariable("CDK_DEFAULT_REGION"));
app.Synth();
