using System.Text.Json;
using Amazon.CDK.Assertions;

namespace IsmsServerless.Infra.Tests;

/// <summary>The CloudTrail rules deliver what change detection and security monitoring need, and only from AWS.</summary>
public sealed class ChangeMonitoringIngestionTests(StackTemplate stack) : IClassFixture<StackTemplate>
{
    private readonly Template _template = stack.Template;

    private List<JsonElement> Patterns()
    {
        var json = JsonSerializer.Serialize(_template.FindResources("AWS::Events::Rule"));
        return JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(json)!.Values
            .Select(r => r.GetProperty("Properties"))
            .Where(p => p.TryGetProperty("EventPattern", out _))
            .Select(p => p.GetProperty("EventPattern"))
            .ToList();
    }

    [Fact]
    public void Api_calls_are_accepted_only_from_aws_sources_so_they_cannot_be_forged_with_put_events()
    {
        _template.HasResourceProperties("AWS::Events::Rule", new Dictionary<string, object>
        {
            ["EventPattern"] = new Dictionary<string, object>
            {
                ["source"] = new object[] { new Dictionary<string, object> { ["prefix"] = "aws." } },
                ["detail-type"] = new[] { "AWS API Call via CloudTrail" },
            },
        });
    }

    [Fact]
    public void Console_sign_ins_come_from_aws_signin_in_both_spellings_of_the_detail_type()
    {
        _template.HasResourceProperties("AWS::Events::Rule", new Dictionary<string, object>
        {
            ["EventPattern"] = new Dictionary<string, object>
            {
                ["source"] = new[] { "aws.signin" },
                ["detail-type"] = new[] { "AWS Console Sign In via CloudTrail", "AWS Console Signin via CloudTrail" },
            },
        });
    }

    [Fact]
    public void No_cloudtrail_rule_filters_out_failed_or_console_calls_the_rules_need()
    {
        // Failed sign-ins feed the burst rule, failed calls are dropped in code (with a reason), and console calls are
        // manual changes: a detail filter on errorCode, readOnly or userAgent would silently blind them.
        // The one exception is ChangeSignals' read-only role-assumption rule: it only ADDS the read-only AssumeRole* records
        // default-state rules never receive (ChangeSignalsTests proves nothing is lost or doubled).
        foreach (var pattern in Patterns().Where(p => p.TryGetProperty("detail-type", out var t) && t.ToString().Contains("CloudTrail", StringComparison.Ordinal)
            && !(p.TryGetProperty("detail", out var d) && d.TryGetProperty("readOnly", out _))))
            Assert.False(pattern.TryGetProperty("detail", out _), pattern.ToString());
    }
}
