using Amazon.CDK;
using Amazon.CDK.Assertions;

namespace IsmsServerless.Infra.Tests;

/// <summary>
/// Synthesizes the real stack once per test class (jsii + Node, as `cdk synth` does), from cdk.json's context. The function asset is a stand-in folder: these tests check the template, not the package.
/// </summary>
public sealed class StackTemplate
{
    private static readonly Lazy<string> AssetFolder = new(() =>
    {
        var dir = Directory.CreateTempSubdirectory("isms-asset-").FullName;
        File.WriteAllText(Path.Combine(dir, "IsmsServerless.Functions.dll"), "stand-in");
        return dir;
    });

    public StackTemplate()
    {
        (Stack, Template) = Synthesize(new Dictionary<string, object>());
    }

    public IsmsStack Stack { get; }

    public Template Template { get; }

    /// <summary>Synthesizes a stack with extra context on top of the defaults (for configuration tests).</summary>
    public static (IsmsStack Stack, Template Template) Synthesize(IDictionary<string, object> extraContext)
    {
        // cdk.json's context (its feature flags change the template: restrictSqsDescryption made the key<->topic cycle).
        var context = Preflight.PreflightTemplates.CdkJsonContext();
        context["functionsAssetPath"] = AssetFolder.Value;
        foreach (var (key, value) in extraContext) context[key] = value;
        var app = new App(new AppProps { Context = context });
        var config = StackConfiguration.FromContext(app.Node);
        var stack = new IsmsStack(app, "Test", new IsmsStackProps
        {
            Configuration = config,
            Env = new Amazon.CDK.Environment { Account = "111122223333", Region = "eu-west-1" },
        });
        return (stack, Template.FromStack(stack));
    }
}
