using System.Text.Json;
using IsmsServerless.Settings;

namespace IsmsServerless.Infra.Tests;

/// <summary><c>cdk synth</c> validates the policy file (every error with its line) and deploys its settings and version.</summary>
public sealed class PolicyFileSynthTests
{
    private static string RepoPolicy()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "policy", "isms.yaml"))) dir = dir.Parent;
        return Path.Combine(dir?.FullName ?? throw new InvalidOperationException("policy/isms.yaml not found above the test folder"), "policy", "isms.yaml");
    }

    private static (string Version, IsmsSettings Settings) FunctionEnvironment(Amazon.CDK.Assertions.Template template)
    {
        var json = JsonSerializer.Serialize(template.FindResources("AWS::Lambda::Function"));
        var variables = JsonDocument.Parse(json).RootElement.EnumerateObject().First().Value
            .GetProperty("Properties").GetProperty("Environment").GetProperty("Variables");
        return (variables.GetProperty("ISMS_POLICY_VERSION").GetString()!, IsmsSettings.Parse(variables.GetProperty("ISMS_SETTINGS").GetString()!));
    }

    [Fact]
    public void The_policy_file_settings_and_version_reach_every_function()
    {
        var (_, template) = StackTemplate.Synthesize(new Dictionary<string, object> { ["policyFile"] = RepoPolicy() });
        var (version, settings) = FunctionEnvironment(template);
        Assert.Matches("^\\d{4}\\.", version);
        Assert.Equal("https://isms.example.com", settings.StatusPageUrl);
    }

    [Fact]
    public void An_invalid_policy_file_fails_synth_with_every_error_and_its_line()
    {
        var bad = Path.Combine(Path.GetTempPath(), $"isms-policy-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(bad, File.ReadAllText(RepoPolicy())
            .Replace("changeReviewHours: 24", "changeReviewHours: 0", StringComparison.Ordinal)
            .Replace("rules: [change.out-of-pipeline-change]", "rules: [change.no-such-rule]", StringComparison.Ordinal));
        try
        {
            var ex = Assert.Throws<ArgumentException>(() => StackTemplate.Synthesize(new Dictionary<string, object> { ["policyFile"] = bad }));
            Assert.Matches(@"isms-policy-[0-9a-f]+\.yaml:\d+: /changeReviewHours: ", ex.Message);
            Assert.Contains("unknown rule 'change.no-such-rule'", ex.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(bad);
        }
    }

    [Fact]
    public void The_deprecated_cdk_json_block_is_still_read_over_the_file()
    {
        var (_, template) = StackTemplate.Synthesize(new Dictionary<string, object>
        {
            ["policyFile"] = RepoPolicy(),
            ["isms"] = new Dictionary<string, object> { ["changeReviewHours"] = 12 },
        });
        var (_, settings) = FunctionEnvironment(template);
        Assert.Equal(12, settings.ChangeReviewHours);
        Assert.Equal("https://isms.example.com", settings.StatusPageUrl); // the rest still from the file
    }
}
