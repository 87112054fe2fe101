namespace IsmsServerless.Infra.Tests;

/// <summary>
/// The security gate CI runs on the synthesized templates (cdk-nag's role): default stack, every option switched on,
/// and the member forwarder. A failure lists every violation; fix it, or add a justified entry to SecurityAllowlist.
/// </summary>
public sealed class TemplateSecurityTests(StackTemplate stack, PlatformTemplates platform) : IClassFixture<StackTemplate>, IClassFixture<PlatformTemplates>
{
    private static void AssertClean(IReadOnlyList<string> violations) =>
        Assert.True(violations.Count == 0, "Template security violations:\n  " + string.Join("\n  ", violations));

    [Fact]
    public void Default_stack_passes_every_check() =>
        AssertClean(new TemplateSecurityChecks(stack.Template.ToJSON()).All());

    [Fact]
    public void Stack_with_every_option_passes_every_check() =>
        AssertClean(new TemplateSecurityChecks(platform.FullTemplate.ToJSON()).All());

    [Fact]
    public void Member_forwarder_passes_every_check_except_the_central_key_and_topic() =>
        AssertClean(new TemplateSecurityChecks(platform.ForwarderTemplate.ToJSON()) { RequireCustomerManagedKey = false, RequireAlarmActions = false }.All());

    [Fact]
    public void The_checks_catch_what_they_claim_to()
    {
        // A deliberately bad template: wildcard action, unlisted Resource "*", public principal, unencrypted queue,
        // bucket without public access block, log group without retention, function without tracing or alarms.
        var bad = new Dictionary<string, object>
        {
            ["Resources"] = new Dictionary<string, object>
            {
                ["Policy"] = new Dictionary<string, object>
                {
                    ["Type"] = "AWS::IAM::Policy",
                    ["Properties"] = new Dictionary<string, object>
                    {
                        ["PolicyDocument"] = new Dictionary<string, object>
                        {
                            ["Statement"] = new object[]
                            {
                                new Dictionary<string, object> { ["Effect"] = "Allow", ["Action"] = "dynamodb:*", ["Resource"] = "arn:aws:dynamodb:eu-west-1:111122223333:table/t" },
                                new Dictionary<string, object> { ["Effect"] = "Allow", ["Action"] = new[] { "dynamodb:Scan" }, ["Resource"] = "*" },
                            },
                        },
                    },
                },
                ["BusPolicy"] = new Dictionary<string, object>
                {
                    ["Type"] = "AWS::Events::EventBusPolicy",
                    ["Properties"] = new Dictionary<string, object>
                    {
                        ["StatementId"] = "open",
                        ["Statement"] = new Dictionary<string, object> { ["Effect"] = "Allow", ["Principal"] = "*", ["Action"] = "events:PutEvents", ["Resource"] = "x" },
                    },
                },
                ["Queue"] = new Dictionary<string, object> { ["Type"] = "AWS::SQS::Queue", ["Properties"] = new Dictionary<string, object>() },
                ["Bucket"] = new Dictionary<string, object> { ["Type"] = "AWS::S3::Bucket", ["Properties"] = new Dictionary<string, object>() },
                ["Logs"] = new Dictionary<string, object> { ["Type"] = "AWS::Logs::LogGroup", ["Properties"] = new Dictionary<string, object>() },
                ["Fn"] = new Dictionary<string, object> { ["Type"] = "AWS::Lambda::Function", ["Properties"] = new Dictionary<string, object> { ["Handler"] = "x" } },
                ["User"] = new Dictionary<string, object> { ["Type"] = "AWS::IAM::User", ["Properties"] = new Dictionary<string, object>() },
            },
        };
        var violations = new TemplateSecurityChecks(bad).All();
        Assert.Contains(violations, v => v.StartsWith("Policy: Allow with wildcard action 'dynamodb:*'", StringComparison.Ordinal));
        Assert.Contains(violations, v => v.StartsWith("Policy: Resource '*' for [dynamodb:Scan]", StringComparison.Ordinal));
        Assert.Contains("Policy: Allow with dynamodb:Scan (grant Get/Query only)", violations);
        Assert.Contains("BusPolicy: Allow to Principal '*' without a condition", violations);
        Assert.Contains("Queue: queue not encrypted with the stack key", violations);
        Assert.Contains(violations, v => v.StartsWith("Queue: AWS::SQS::Queue without an SSL-only", StringComparison.Ordinal));
        Assert.Contains("Bucket: bucket without BlockPublicAcls", violations);
        Assert.Contains("Logs: log group without retention", violations);
        Assert.Contains("Fn: function without active tracing", violations);
        Assert.Contains("Fn: function without an Errors alarm", violations);
        Assert.Contains(violations, v => v.StartsWith("User:", StringComparison.Ordinal));
    }

    [Fact]
    public void Every_allowlist_entry_carries_a_justification()
    {
        foreach (var entry in Security.SecurityAllowlist.WildcardResources)
        {
            Assert.True(entry.Justification.Length > 40, $"{entry.Name} needs a real justification");
            Assert.DoesNotContain(entry.Actions, a => a == "*" || a.EndsWith(":*", StringComparison.Ordinal));
        }
    }
}
