using System.Text.Json.Nodes;
using IsmsServerless.Changes;
using IsmsServerless.Engine;
using IsmsServerless.Inputs;
using IsmsServerless.Model;
using IsmsServerless.Settings;
using IsmsServerless.Tests.Support;

namespace IsmsServerless.Tests.Correctness;

/// <summary>
/// Classes of wrong answers found by running public detection-rule test data and attack-simulation logs through the
/// engine (issue 14, corpus part). Each payload is saved under Fixtures/ with its source and licence (SOURCES.md); each
/// test failed before its fix.
/// </summary>
public sealed class CorpusClassTests
{
    private static readonly RuleEngine Engine = RuleEngine.CreateDefault();
    private static readonly EvaluationContext Context = TestContexts.At("2026-01-15T12:00:00Z");

    private static JsonObject Record(string path) => JsonNode.Parse(Fixtures.Local(path))!.AsObject();

    private static CloudTrailInput Input(JsonObject record) =>
        Assert.IsType<CloudTrailInput>(Assert.Single(Engine.Adapt(EventBridgeEnvelope.Wrap(record.ToJsonString()), Context).Inputs));

    private static IReadOnlyList<Evaluation> Evaluate(JsonObject record) =>
        Engine.Evaluate(EventBridgeEnvelope.Wrap(record.ToJsonString()), Context).Evaluations;

    // ---- class: a service's own console host in userAgent (console.ec2.amazonaws.com) is a person in the console ----

    [Fact]
    public void A_service_console_user_agent_is_a_manual_console_change()
    {
        // Panther's "AWS Console - Ingress SG Authorization": userAgent console.ec2.amazonaws.com, role TestAdmin/alan.
        var record = Record("drift/raw-ec2-authorize-sg-ingress-not-world-console-panther.json");
        Assert.Equal(ChangeKind.ManualConsole, ChangeClassifier.Classify(Input(record), IsmsSettings.Default));
        var change = Assert.Single(Evaluate(record), e => e.Outcome == Outcome.Change);
        Assert.Equal("change.manual-console-change", change.Rule.Id);
    }

    [Theory]
    [InlineData("console.ec2.amazonaws.com", true)]
    [InlineData("console.amazonaws.com", true)]
    [InlineData(" console.rds.amazonaws.com ", true)]
    [InlineData("console.aws.amazon.com", true)]
    [InlineData("ec2.amazonaws.com", false)]
    [InlineData("aws-cli/2.0 console.ec2.amazonaws.com", false)]
    [InlineData("console", false)]
    public void Console_hosts(string value, bool console) => Assert.Equal(console, CloudTrailInput.IsConsoleHost(value));

    [Fact]
    public void A_service_console_in_invoked_by_is_a_person_not_a_service()
    {
        var record = Record("drift/raw-ec2-authorize-sg-ingress-not-world-console-panther.json");
        record["userIdentity"]!["invokedBy"] = "console.ec2.amazonaws.com";
        var input = Input(record);
        Assert.False(input.IsAwsService);
        Assert.True(input.InvokedByConsole);
    }
}
