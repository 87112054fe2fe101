using System.Text.Json;
using Amazon.CDK.Assertions;
using IsmsServerless.Infra.Constructs;

namespace IsmsServerless.Infra.Tests;

public sealed class PatchEnforcementTests(StackTemplate stack) : IClassFixture<StackTemplate>
{
    private readonly Template _template = stack.Template;

    private Dictionary<string, JsonElement> Resources(string type) =>
        JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(JsonSerializer.Serialize(_template.FindResources(type)))!;

    private string SweepFunctionId() =>
        Resources("AWS::Lambda::Function").Single(f => f.Key.StartsWith("IngestionSweepFunction", StringComparison.Ordinal)).Key;

    private string IngestFunctionId() =>
        Resources("AWS::Lambda::Function").Single(f => f.Key.StartsWith("IngestionIngestFunction", StringComparison.Ordinal)).Key;

    public static TheoryData<string, string, string?, string?> PatchRules() => new()
    {
        { "aws.inspector2", "Inspector2 Finding", null, null },
        { "aws.ssm", "Configuration Compliance State Change", "compliance-type", "Patch" },
        { "aws.ec2", "EC2 Instance State-change Notification", "state", "terminated" },
    };

    [Theory]
    [MemberData(nameof(PatchRules))]
    public void Each_patch_source_has_a_rule_targeting_the_ingest_function_with_retries_and_a_dead_letter_queue(string source, string detailType, string? detailKey, string? detailValue)
    {
        var ingest = IngestFunctionId();
        var matches = Resources("AWS::Events::Rule").Values.Where(rule =>
        {
            var props = rule.GetProperty("Properties");
            if (!props.TryGetProperty("EventPattern", out var pattern)) return false;
            // Other areas' rules use content filters (e.g. {"prefix": "aws."}) in source and detail-type, so match on the
            // plain string values only: the patch rules name their source and detail type exactly.
            return pattern.TryGetProperty("source", out var s) && ExactValues(s).Contains(source)
                && pattern.TryGetProperty("detail-type", out var d) && ExactValues(d).Contains(detailType);
        }).ToList();
        var rule = Assert.Single(matches).GetProperty("Properties");
        var pattern = rule.GetProperty("EventPattern");
        if (detailKey is null) Assert.False(pattern.TryGetProperty("detail", out _));
        else Assert.Equal(detailValue, pattern.GetProperty("detail").GetProperty(detailKey)[0].GetString());
        var target = Assert.Single(rule.GetProperty("Targets").EnumerateArray());
        Assert.Equal(ingest, target.GetProperty("Arn").GetProperty("Fn::GetAtt")[0].GetString());
        Assert.True(target.TryGetProperty("DeadLetterConfig", out _));
        Assert.Equal(4, target.GetProperty("RetryPolicy").GetProperty("MaximumRetryAttempts").GetInt32());
    }

    [Fact]
    public void The_sweep_function_may_read_patch_inventory_and_nothing_more_of_ssm()
    {
        var statements = Resources("AWS::IAM::Policy").Values
            .SelectMany(p => p.GetProperty("Properties").GetProperty("PolicyDocument").GetProperty("Statement").EnumerateArray()
                .Select(s => (Policy: p, Statement: s)))
            .ToList();
        var ssm = statements.Where(s => Actions(s.Statement).Any(a => a.StartsWith("ssm:", StringComparison.Ordinal))).ToList();
        // The patch inventory read is granted once, as one statement.
        var grant = Assert.Single(ssm, s => Actions(s.Statement).Intersect(PatchEnforcement.SweepActions).Any());
        Assert.Equal(PatchEnforcement.SweepActions.Order(), Actions(grant.Statement).Order());
        Assert.Equal("*", grant.Statement.GetProperty("Resource").GetString());
        Assert.Equal("Allow", grant.Statement.GetProperty("Effect").GetString());
        // Attached to the role of the function that runs the sweep, and to no other.
        var roles = grant.Policy.GetProperty("Properties").GetProperty("Roles").EnumerateArray().Select(r => r.GetProperty("Ref").GetString()).ToList();
        var sweepRole = Resources("AWS::Lambda::Function")[SweepFunctionId()].GetProperty("Properties").GetProperty("Role").GetProperty("Fn::GetAtt")[0].GetString();
        Assert.Equal([sweepRole], roles);
        // Every other ssm grant (the Slack webhook for the notifier and the digest) reads one named parameter: no other
        // ssm action, and never on "*".
        Assert.All(ssm.Where(s => !s.Statement.Equals(grant.Statement)), s =>
        {
            Assert.Equal(["ssm:GetParameter"], Actions(s.Statement));
            var resource = s.Statement.GetProperty("Resource");
            Assert.False(resource.ValueKind == JsonValueKind.String && resource.GetString()!.Contains('*', StringComparison.Ordinal), $"ssm:GetParameter on {resource}");
            Assert.Contains(":parameter/", resource.GetRawText(), StringComparison.Ordinal);
        });
        // No statement anywhere grants a wildcard action.
        Assert.All(statements, s => Assert.All(Actions(s.Statement), a => Assert.False(a == "*" || a.EndsWith(":*", StringComparison.Ordinal), $"wildcard action {a}")));
    }

    [Fact]
    public void The_sweep_function_knows_its_account_for_finding_identities()
    {
        var env = Resources("AWS::Lambda::Function")[SweepFunctionId()].GetProperty("Properties").GetProperty("Environment").GetProperty("Variables");
        Assert.Equal("1", env.GetProperty("ISMS_SSM_PATCH_SWEEP").GetString()); // the SSM patch step runs only where it has the grant
        var account = env.GetProperty("ISMS_ACCOUNT_ID");
        // With an explicit stack environment CDK writes the account literally; without one, as a Ref to the pseudo parameter.
        if (account.ValueKind == JsonValueKind.String) Assert.Equal(stack.Stack.Account, account.GetString());
        else Assert.Equal("AWS::AccountId", account.GetProperty("Ref").GetString());
    }

    private static IEnumerable<string> ExactValues(JsonElement matcher) =>
        matcher.ValueKind == JsonValueKind.Array
            ? matcher.EnumerateArray().Where(v => v.ValueKind == JsonValueKind.String).Select(v => v.GetString()!)
            : [];

    private static IEnumerable<string> Actions(JsonElement statement)
    {
        var action = statement.GetProperty("Action");
        return action.ValueKind == JsonValueKind.Array ? action.EnumerateArray().Select(a => a.GetString()!) : [action.GetString()!];
    }
}
