using System.Text.Json;
using Amazon.CDK;

namespace IsmsServerless.Infra.Tests.Preflight;

/// <summary>
/// Every template a deploy sends to CloudFormation, synthesized the way <c>cdk synth</c> does (IsmsApp.Build, the
/// repository's cdk.json context including its feature flags), and written to test-artifacts/preflight for the
/// Node preflight (scripts/preflight/preflight.js) to read:
/// <list type="bullet">
/// <item><c>default</c>: cdk.json as committed.</item>
/// <item><c>organization</c>: <c>-c organizationId=... -c centralAccountId=...</c>, which adds the member forwarder
/// stack; and the Essentials Cognito plan, the other value of <c>statusPageFeaturePlan</c>.</item>
/// <item><c>full</c>: every option switched on (Config recorder, CloudTrail, member accounts, GitHub OIDC, email).</item>
/// </list>
/// </summary>
public sealed class PreflightTemplates
{
    public const string Account = "111122223333";
    public const string Region = "eu-west-1";

    public static string RepositoryRoot { get; } = FindRoot();

    public string Folder { get; }

    /// <summary>Template file paths by "set/stack".</summary>
    public IReadOnlyDictionary<string, string> Files { get; }

    public PreflightTemplates()
    {
        Folder = Path.Combine(RepositoryRoot, "test-artifacts", "preflight", "templates");
        if (Directory.Exists(Folder)) Directory.Delete(Folder, recursive: true);
        Directory.CreateDirectory(Folder);
        var files = new Dictionary<string, string>(StringComparer.Ordinal);
        var sets = new Dictionary<string, Dictionary<string, object>>(StringComparer.Ordinal)
        {
            ["default"] = [],
            ["organization"] = new()
            {
                ["organizationId"] = PlatformTemplates.OrganizationId,
                ["centralAccountId"] = PlatformTemplates.CentralAccount,
                ["statusPageFeaturePlan"] = "essentials",
            },
            ["full"] = PlatformTemplates.FullContext(),
        };
        foreach (var (set, extra) in sets)
        {
            foreach (var (stack, json) in Synthesize(extra))
            {
                var path = Path.Combine(Folder, $"{set}.{stack}.template.json");
                File.WriteAllText(path, json);
                files[$"{set}/{stack}"] = path;
            }
        }
        Files = files;
    }

    /// <summary>Synthesizes the app with cdk.json's context plus <paramref name="extraContext"/>; returns each stack's template JSON.</summary>
    public static IReadOnlyList<(string Stack, string Json)> Synthesize(IDictionary<string, object> extraContext)
    {
        var context = CdkJsonContext();
        context["functionsAssetPath"] = StandInAsset.Value;
        foreach (var (key, value) in extraContext) context[key] = value;
        var app = new App(new AppProps { Context = context });
        var config = StackConfiguration.FromContext(app.Node);
        var stacks = IsmsApp.Build(app, config, Account, Region);
        var assembly = app.Synth();
        return stacks.Select(s => (s.StackName, File.ReadAllText(assembly.GetStackByName(s.StackName).TemplateFullPath))).ToList();
    }

    /// <summary>The "context" object of the repository's cdk.json (feature flags included), as jsii-friendly values.</summary>
    public static Dictionary<string, object> CdkJsonContext()
    {
        using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(RepositoryRoot, "cdk.json")));
        var context = document.RootElement.GetProperty("context").EnumerateObject().ToDictionary(p => p.Name, p => ToValue(p.Value)!, StringComparer.Ordinal);
        // cdk.json's paths are relative to the repository root, where cdk runs; the tests run in bin/.
        if (context.TryGetValue("policyFile", out var policy) && policy is string relative && !Path.IsPathRooted(relative))
            context["policyFile"] = Path.Combine(RepositoryRoot, relative);
        return context;
    }

    private static object? ToValue(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.String => e.GetString(),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        JsonValueKind.Number => e.TryGetInt32(out var i) ? i : e.GetDouble(),
        JsonValueKind.Array => e.EnumerateArray().Select(ToValue).ToArray(),
        JsonValueKind.Object => e.EnumerateObject().ToDictionary(p => p.Name, p => ToValue(p.Value)!, StringComparer.Ordinal),
        _ => null,
    };

    private static readonly Lazy<string> StandInAsset = new(() =>
    {
        var dir = Directory.CreateTempSubdirectory("isms-asset-").FullName;
        File.WriteAllText(Path.Combine(dir, "IsmsServerless.Functions.dll"), "stand-in");
        return dir;
    });

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "cdk.json")) && File.Exists(Path.Combine(dir.FullName, "package.json"))) return dir.FullName;
        throw new InvalidOperationException("repository root (cdk.json) not found above " + AppContext.BaseDirectory);
    }
}
