using System.Globalization;
using System.Text.Json;
using IsmsServerless.Cli;
using IsmsServerless.Engine;
using IsmsServerless.Functions;
using IsmsServerless.Ledger;
using IsmsServerless.Settings;
using IsmsServerless.Sweep;
using IsmsServerless.Tests.Support;

namespace IsmsServerless.Tests.Pipeline;

/// <summary>
/// Issue 2's "done when": a real CloudTrail event travels through <c>./isms evaluate</c>'s code and through the
/// ingest Lambda's handler into a finding in DynamoDB Local; and the store-backed CLI commands.
/// </summary>
[Collection(DynamoDbCollection.Name)]
public sealed class IngestEndToEndTests(DynamoDbLocalFixture dynamo)
{
    private const string RootSignIn = "cloudtrail/eb-console-signin-root-success-nomfa.json";

    [Fact]
    public async Task Real_cloudtrail_event_through_evaluate_and_the_lambda_handler_becomes_findings_in_dynamodb()
    {
        var table = await dynamo.NewTableAsync();
        var at = "2026-01-01T00:00:00Z";

        var evaluateOutput = new StringWriter();
        Assert.Equal(0, EvaluateCommand.Run([Fixtures.SharedPath(RootSignIn)], TestContexts.At(at), RuleEngine.CreateDefault(), evaluateOutput));
        var evaluated = evaluateOutput.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();
        Assert.Equal(2, evaluated.Count);

        Environment.SetEnvironmentVariable(FunctionHost.TableNameVariable, table);
        Environment.SetEnvironmentVariable(FunctionHost.DynamoDbEndpointVariable, dynamo.Endpoint);
        try
        {
            FunctionHost.ResetForTests();
            FunctionHost.Clock = TestContexts.ClockAt(at);
            using var input = File.OpenRead(Fixtures.SharedPath(RootSignIn));
            var response = await new EventIngestFunction().HandleAsync(input);
            using var summary = JsonDocument.Parse(response);
            Assert.Equal(2, summary.RootElement.GetProperty("created").GetInt32());
            Assert.Equal(2, summary.RootElement.GetProperty("alerts").GetInt32());

            // The same delivery again (EventBridge retry): nothing new.
            using var again = File.OpenRead(Fixtures.SharedPath(RootSignIn));
            using var secondSummary = JsonDocument.Parse(await new EventIngestFunction().HandleAsync(again));
            Assert.Equal(0, secondSummary.RootElement.GetProperty("alerts").GetInt32());

            // The sweep Lambda runs on the same table.
            using var sweepInput = new MemoryStream("{\"detail-type\":\"Scheduled Event\",\"source\":\"aws.events\",\"detail\":{}}"u8.ToArray());
            using var sweepSummary = JsonDocument.Parse(await new SweepFunction().HandleAsync(sweepInput));
            Assert.Equal(SweepSteps.DefaultSteps().Count, sweepSummary.RootElement.GetProperty("steps").GetInt32());
        }
        finally
        {
            Environment.SetEnvironmentVariable(FunctionHost.TableNameVariable, null);
            Environment.SetEnvironmentVariable(FunctionHost.DynamoDbEndpointVariable, null);
            FunctionHost.Clock = TimeProvider.System;
            FunctionHost.ResetForTests();
        }

        var ledger = new DynamoDbFindingLedger(dynamo.Client, table, IsmsSettings.Default);
        var stored = (await ledger.QueryByStatusAsync(FindingStatus.Open, 10)).Items;
        Assert.Equal(
            evaluated.Select(e => (e.GetProperty("findingId").GetString(), e.GetProperty("ruleId").GetString(), e.GetProperty("dueAt").GetString())).Order(),
            stored.Select(f => ((string?)f.Id, (string?)f.RuleId, (string?)Timestamps(f.DueAt))).Order());
        Assert.All(stored, f => Assert.Equal("arn:aws:iam::123456789012:root", f.ResourceId));
    }

    [Fact]
    public async Task Replaying_the_same_inputs_twice_leaves_the_same_findings_and_raises_no_new_alerts()
    {
        var table = await dynamo.NewTableAsync();
        var context = TestContexts.At("2026-01-01T00:00:00Z");
        var dir = Fixtures.SharedPath("cloudtrail");

        var firstOut = new StringWriter();
        var firstSummary = new StringWriter();
        Assert.Equal(0, await ReplayCommand.RunAsync([dir], context, dynamo.Client, table, firstOut, firstSummary));
        var firstFindings = await FindingsAsync(table);

        var secondOut = new StringWriter();
        var secondSummary = new StringWriter();
        Assert.Equal(0, await ReplayCommand.RunAsync([dir], context, dynamo.Client, table, secondOut, secondSummary));
        var secondFindings = await FindingsAsync(table);

        Assert.NotEmpty(firstFindings);
        // "(?<!\d)": "10 new alert(s)" contains "0 new alert(s)" as text, so match the count as a whole number.
        Assert.Matches(@"(?<!\d)0 new alert\(s\)", secondSummary.ToString());
        Assert.DoesNotMatch(@"(?<!\d)0 new alert\(s\)", firstSummary.ToString());
        Assert.All(secondOut.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries),
            line => Assert.Equal(0, JsonDocument.Parse(line).RootElement.GetProperty("alerts").GetArrayLength()));
        Assert.Equal(firstFindings, secondFindings);

        var lines = firstFindings.Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.All(lines, l =>
        {
            foreach (var field in new[] { "id", "ruleId", "resourceId", "status", "severity", "dueAt", "state", "historyLength" })
                Assert.True(l.TryGetProperty(field, out _), field);
        });
    }

    [Fact]
    public async Task Sweep_command_escalates_and_reports_each_step()
    {
        var table = await dynamo.NewTableAsync();
        await ReplayCommand.RunAsync([Fixtures.SharedPath(RootSignIn)], TestContexts.At("2016-01-05T19:00:00Z"), dynamo.Client, table, new StringWriter(), new StringWriter());
        var output = new StringWriter();
        var exit = await SweepCommand.RunAsync(TestContexts.At("2016-03-01T00:00:00Z"), dynamo.Client, table, SweepSteps.DefaultSteps(), output, new StringWriter());
        Assert.Equal(0, exit);
        var steps = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal("ledger-timers", steps[0].GetProperty("step").GetString());
        Assert.Equal(2, steps[0].GetProperty("findings").GetInt32());
        var open = new StringWriter();
        await FindingsCommand.RunAsync(dynamo.Client, table, FindingStatus.Open, open, new StringWriter());
        Assert.All(open.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries),
            l => Assert.Equal("breached", JsonDocument.Parse(l).RootElement.GetProperty("state").GetString()));
    }

    private async Task<List<string>> FindingsAsync(string table)
    {
        var output = new StringWriter();
        Assert.Equal(0, await FindingsCommand.RunAsync(dynamo.Client, table, null, output, new StringWriter()));
        return output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList();
    }

    private static string? Timestamps(DateTimeOffset? at) => at is { } v ? IsmsServerless.Model.Timestamps.ToWire(v) : null;
}
