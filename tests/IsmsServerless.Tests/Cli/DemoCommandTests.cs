using IsmsServerless.Cli;
using IsmsServerless.Cli.Local;
using IsmsServerless.Engine;
using IsmsServerless.Settings;
using IsmsServerless.Tests.Support;

namespace IsmsServerless.Tests.Cli;

/// <summary>The README's main command, end to end (without the blocking status page): real samples, real DynamoDB Local.</summary>
/// <remarks>
/// In the DynamoDB Local collection so it never runs beside the Slack delivery tests: those point the CLI's process-wide
/// webhook override at their stand-in server, and the demo's replay would then post its alerts there.
/// </remarks>
[Collection(DynamoDbCollection.Name)]
public sealed class DemoCommandTests
{
    [Fact]
    public async Task Demo_replays_the_bundled_samples_sweeps_and_reports_findings_in_every_area()
    {
        var samples = Path.Combine(RepositoryRoot.Find(), "samples", "events");
        var output = new StringWriter();
        var context = new EvaluationContext(IsmsSettings.Default, TestContexts.ClockAt("2026-11-23T12:00:00Z"));

        var exit = await DemoCommand.RunAsync(context, samples, servePort: null, output, CancellationToken.None);

        var text = output.ToString();
        Assert.Equal(0, exit);
        Assert.Contains("1/5", text, StringComparison.Ordinal);
        Assert.Contains("5/5  Status page skipped", text, StringComparison.Ordinal);
        Assert.Contains("alert(s) that would go to Slack", text, StringComparison.Ordinal);
        foreach (var area in new[] { "drift", "patch", "change", "monitoring" })
            Assert.Matches($@"\n\s+{area}\s+[1-9]\d* open", text);
        Assert.Contains(" evaluation(s), 0 rejected;", text, StringComparison.Ordinal); // every bundled sample is understood
    }
}
