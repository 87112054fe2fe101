using System.Diagnostics;
using IsmsServerless.Tests.Support;
using Xunit.Abstractions;

namespace IsmsServerless.Tests.Robustness;

/// <summary>
/// <c>./isms replay</c> killed (SIGKILL, no chance to clean up) in the middle of a batch, then run again over the same
/// files, must leave the ledger exactly as one uninterrupted run does: every transition is one transaction and a
/// re-processed event changes nothing, so no finding, history line or alert is lost or duplicated.
/// </summary>
[Collection(DynamoDbCollection.Name)]
public sealed class KillMidBatchTests(DynamoDbLocalFixture dynamo, ITestOutputHelper output) : IDisposable
{
    private const string At = "2026-01-15T12:00:00Z";

    private readonly string _events = Directory.CreateTempSubdirectory("isms-kill-test-").FullName;

    public void Dispose() => Directory.Delete(_events, recursive: true);

    [Fact]
    public async Task Replay_killed_mid_batch_and_rerun_equals_one_clean_run()
    {
        var events = RobustnessEvents.Load(variants: 3);
        for (var i = 0; i < events.Count; i++)
            await File.WriteAllBytesAsync(Path.Combine(_events, $"{i:D4}.json"), events[i].Bytes);

        var cleanTable = await dynamo.NewTableAsync("kill-clean");
        var (cleanExit, cleanLines) = await RunReplayAsync(cleanTable, killAfterLines: null);
        Assert.Equal(0, cleanExit);
        Assert.Equal(events.Count, cleanLines);

        var killedTable = await dynamo.NewTableAsync("kill-rerun");
        var killAfter = events.Count / 3;
        var (_, linesBeforeKill) = await RunReplayAsync(killedTable, killAfterLines: killAfter);
        Assert.True(linesBeforeKill < events.Count, "the replay finished before it could be killed");
        var partial = await TableSnapshot.TakeAsync(dynamo.Client, killedTable);
        var (rerunExit, rerunLines) = await RunReplayAsync(killedTable, killAfterLines: null);
        Assert.Equal(0, rerunExit);
        Assert.Equal(events.Count, rerunLines);

        var clean = await TableSnapshot.TakeAsync(dynamo.Client, cleanTable);
        var rerun = await TableSnapshot.TakeAsync(dynamo.Client, killedTable);
        output.WriteLine($"{events.Count} events; killed after {linesBeforeKill} lines with {partial.Count} items stored; clean run {clean.Count} items, rerun {rerun.Count}");
        Assert.True(partial.Count < clean.Count, "the kill left a complete ledger; it did not interrupt anything");
        Assert.Contains(clean, item => item.Contains("entityType=S:ALERT;", StringComparison.Ordinal));
        Assert.True(clean.SetEquals(rerun), TableSnapshot.Difference(clean, rerun));
    }

    /// <summary>Runs the built CLI (isms.dll beside the tests) and, when asked, SIGKILLs it after that many output lines.</summary>
    private async Task<(int ExitCode, int Lines)> RunReplayAsync(string table, int? killAfterLines)
    {
        var cli = Path.Combine(AppContext.BaseDirectory, "isms.dll");
        Assert.True(File.Exists(cli), $"{cli} is missing: the test project references the CLI project");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { cli, "replay", "--at", At, "--dynamodb-endpoint", dynamo.Endpoint, "--table", table, _events })
            start.ArgumentList.Add(argument);
        start.Environment.Remove("SLACK_WEBHOOK_URL");
        start.Environment["ISMS_REPO_ROOT"] = RepositoryRoot();
        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start the CLI");
        var stderr = process.StandardError.ReadToEndAsync();
        var lines = 0;
        while (await process.StandardOutput.ReadLineAsync() is not null)
        {
            lines++;
            if (killAfterLines is { } limit && lines >= limit)
            {
                // SIGKILL: the process dies between two DynamoDB calls or in the middle of one, with no cleanup.
                process.Kill(entireProcessTree: true);
                break;
            }
        }
        await process.WaitForExitAsync();
        var errors = await stderr;
        if (killAfterLines is null && process.ExitCode != 0) output.WriteLine(errors);
        return (process.ExitCode, lines);
    }

    private static string RepositoryRoot() => IsmsServerless.Cli.Local.RepositoryRoot.Find();
}
