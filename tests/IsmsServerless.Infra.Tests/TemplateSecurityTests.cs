namespace IsmsServerless.Infra.Tests;

/// <summary>
/// The project's own security checks on the synthesized templates (what cdk-nag lacks; cdk-nag itself runs in the
/// deploy preflight): default stack, every option switched on, and the member forwarder. A failure lists every violation.
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
        // A deliberately bad template: Scan, public principal, unencrypted queue and bucket, log group without
        // retention, function without tracing or alarms, an IAM user.
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
        Assert.Contains("Policy: Allow with dynamodb:Scan (grant Get/Query only)", violations);
        Assert.Contains("BusPolicy: Allow to Principal '*' without a condition", violations);
        Assert.Contains("Queue: queue not encrypted with the stack key", violations);
        Assert.Contains("Bucket: bucket not encrypted with the stack key", violations);
        Assert.Contains("Logs: log group without retention", violations);
        Assert.Contains("Fn: function without active tracing", violations);
        Assert.Contains("Fn: function without an Errors alarm", violations);
        Assert.Contains(violations, v => v.StartsWith("User:", StringComparison.Ordinal));
    }

    [Fact]
    public void Every_allowlist_entry_carries_a_justification_and_is_used_by_a_suppression()
    {
        // The entries are the reasons of the cdk-nag IAM5 suppressions on Resource "*" (CdkNag.AllowOnAnyResource);
        // an entry no suppression uses is dead and goes.
        var json = System.Text.Json.JsonSerializer.Serialize(platform.FullTemplate.ToJSON());
        foreach (var entry in Security.SecurityAllowlist.WildcardResources)
        {
            Assert.True(entry.Justification.Length > 40, $"{entry.Name} needs a real justification");
            Assert.DoesNotContain(entry.Actions, a => a == "*" || a.EndsWith(":*", StringComparison.Ordinal));
            Assert.True(json.Contains($"[{entry.Name}]", StringComparison.Ordinal), $"allowlist entry {entry.Name} matches no statement of the full template");
        }
    }
}
