using System.Text.Json;
using Amazon.CDK.Assertions;
using IsmsServerless.Infra.Constructs;

namespace IsmsServerless.Infra.Tests;

public sealed class BackupAndIncidentSignalsTests(StackTemplate stack) : IClassFixture<StackTemplate>
{
    private readonly Template _template = stack.Template;

    private Dictionary<string, JsonElement> Resources(string type) =>
        JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(JsonSerializer.Serialize(_template.FindResources(type)))!;

    public static TheoryData<string, string> Sources() => new()
    {
        { "aws.backup", "Backup Job State Change" },
        { "aws.backup", "Copy Job State Change" },
        { "aws.backup", "Restore Job State Change" },
        { "aws.backup", "Recovery Point State Change" },
        { "aws.guardduty", "GuardDuty Finding" },
        { "aws.guardduty", "GuardDuty Runtime Protection Unhealthy" },
        { "aws.guardduty", "GuardDuty Runtime Protection Healthy" },
        { "aws.guardduty", "GuardDuty Malware Protection Object Scan Result" },
        { "aws.guardduty", "GuardDuty Malware Protection Resource Status Warning" },
        { "aws.guardduty", "GuardDuty Malware Protection Resource Status Error" },
        { "aws.securityhub", "Security Hub Findings - Imported" },
        { "aws.securityhub", "Findings Imported V2" },
    };

    [Theory]
    [MemberData(nameof(Sources))]
    public void Each_source_reaches_the_ingest_function_with_retries_and_a_dead_letter_queue(string source, string detailType)
    {
        var ingest = Resources("AWS::Lambda::Function").Single(f => f.Key.StartsWith("IngestionIngestFunction", StringComparison.Ordinal)).Key;
        var matches = Resources("AWS::Events::Rule").Values.Where(rule =>
        {
            var props = rule.GetProperty("Properties");
            return props.TryGetProperty("EventPattern", out var pattern)
                && pattern.TryGetProperty("source", out var s) && Strings(s).Contains(source)
                && pattern.TryGetProperty("detail-type", out var d) && Strings(d).Contains(detailType);
        }).ToList();
        var rule = Assert.Single(matches).GetProperty("Properties");
        Assert.Equal("ENABLED", rule.GetProperty("State").GetString());
        var target = Assert.Single(rule.GetProperty("Targets").EnumerateArray());
        Assert.Equal(ingest, target.GetProperty("Arn").GetProperty("Fn::GetAtt")[0].GetString());
        Assert.True(target.TryGetProperty("DeadLetterConfig", out _));
        Assert.Equal(4, target.GetProperty("RetryPolicy").GetProperty("MaximumRetryAttempts").GetInt32());
        Assert.Equal(21600, target.GetProperty("RetryPolicy").GetProperty("MaximumEventAgeInSeconds").GetInt32());
    }

    [Fact]
    public void The_member_account_forwarder_forwards_the_same_sources()
    {
        foreach (var (source, _, _) in BackupAndIncidentSignals.Rules.Values)
            Assert.Contains(IsmsForwarderStack.Patterns.Values, p => p.Source is { } s && s.Contains(source));
    }

    [Fact]
    public void The_member_account_forwarder_forwards_every_detail_type_the_central_rules_match()
    {
        foreach (var (source, detailTypes, _) in BackupAndIncidentSignals.Rules.Values)
        {
            foreach (var detailType in detailTypes)
                Assert.Contains(IsmsForwarderStack.Patterns.Values, p => p.Source is { } s && s.Contains(source) && (p.DetailType is null || p.DetailType.Contains(detailType)));
        }
    }

    private static List<string> Strings(JsonElement element) =>
        element.ValueKind == JsonValueKind.Array
            ? [.. element.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.String).Select(e => e.GetString()!)]
            : [];
}
