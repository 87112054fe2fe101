using System.CommandLine;
using System.Text.Json;
using Amazon.DynamoDBv2;
using IsmsServerless.Cli.Local;
using IsmsServerless.Engine;
using IsmsServerless.Ledger;
using IsmsServerless.Model;
using IsmsServerless.Settings;
using IsmsServerless.StatusPage;
using IsmsServerless.Sweep;

namespace IsmsServerless.Cli;

/// <summary>
/// <c>./isms demo</c>: the whole system on this machine, in one command. It starts a fresh in-memory DynamoDB Local,
/// creates the ledger table, replays the bundled real AWS events (<c>samples/events</c>) through the same pipeline the
/// ingest Lambda runs, runs the scheduled sweep the sweep Lambda runs, prints the alerts that would go to Slack (or
/// delivers them when <c>SLACK_WEBHOOK_URL</c> is set) and serves the status page on 127.0.0.1 until Ctrl+C.
/// Nothing here is demo-only logic: every step is the code the other commands and the Lambdas run.
/// </summary>
internal static class DemoCommand
{
    public const string TableName = "isms-demo";

    public static Command Create()
    {
        var port = new Option<int>("--port") { Description = "Status page port on 127.0.0.1 (default 8080; 0 picks a free one).", DefaultValueFactory = _ => 8080 };
        var noServe = new Option<bool>("--no-serve") { Description = "Stop after the sweep instead of serving the status page." };
        var at = CliOptions.At();
        var config = CliOptions.Config();
        var samples = new Option<DirectoryInfo?>("--samples") { Description = "Folder of event files to replay (default: samples/events)." };
        var command = new Command("demo", "Run the whole system locally: DynamoDB Local, replay sample events, sweep, Slack alerts, status page.")
        {
            port, noServe, at, config, samples,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            IsmsSettings settings;
            try
            {
                settings = CliOptions.LoadSettings(parse.GetValue(config));
            }
            catch (Exception ex) when (ex is InvalidSettingsException or JsonException or IOException)
            {
                await Console.Error.WriteLineAsync($"isms demo: {ex.Message}").ConfigureAwait(false);
                return 2;
            }
            var chosenPort = parse.GetValue(port);
            if (chosenPort is < 0 or > 65535)
            {
                await Console.Error.WriteLineAsync("isms demo: --port must be 0-65535").ConfigureAwait(false);
                return 2;
            }
            var folder = parse.GetValue(samples)?.FullName ?? Path.Combine(RepositoryRoot.Find(), "samples", "events");
            if (!Directory.Exists(folder))
            {
                await Console.Error.WriteLineAsync($"isms demo: no sample folder at {folder}").ConfigureAwait(false);
                return 1;
            }
            var clock = CliOptions.ClockFor(parse.GetValue(at));
            return await RunAsync(new EvaluationContext(settings, clock), folder, parse.GetValue(noServe) ? null : chosenPort, Console.Out, cancellationToken)
                .ConfigureAwait(false);
        });
        return command;
    }

    /// <summary>Runs the demo. <paramref name="servePort"/> null stops after the sweep (used by the tests and CI).</summary>
    internal static async Task<int> RunAsync(EvaluationContext context, string samplesFolder, int? servePort, TextWriter output, CancellationToken cancellationToken)
    {
        // The per-transition INFO logs are for CloudWatch; here they would bury the five steps. Warnings still show.
        var previousLevel = Observability.Log.MinimumLevel;
        Observability.Log.MinimumLevel = Observability.LogLevel.Warn;
        try
        {
            return await RunStepsAsync(context, samplesFolder, servePort, output, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Observability.Log.MinimumLevel = previousLevel;
        }
    }

    private static async Task<int> RunStepsAsync(EvaluationContext context, string samplesFolder, int? servePort, TextWriter output, CancellationToken cancellationToken)
    {
        await output.WriteLineAsync("1/5  Starting DynamoDB Local (in memory, on a free loopback port)").ConfigureAwait(false);
        await using var local = await DynamoDbLocal.StartAsync(dataDirectory: null, cancellationToken).ConfigureAwait(false);
        using var dynamo = local.CreateClient();
        await LedgerTable.CreateIfMissingAsync(dynamo, TableName, cancellationToken).ConfigureAwait(false);
        await output.WriteLineAsync($"     {local.Endpoint}, table {TableName} created with the stack's schema").ConfigureAwait(false);

        await output.WriteLineAsync($"2/5  Replaying the bundled real AWS events in {samplesFolder} through the ingest pipeline").ConfigureAwait(false);
        var replayLines = new StringWriter();
        var replay = await ReplayCommand.RunAsync([samplesFolder], context, dynamo, TableName, replayLines, output, cancellationToken).ConfigureAwait(false);

        await output.WriteLineAsync("3/5  Running the scheduled sweep (SLA escalation, waivers, review deadlines, drift re-check, heartbeats, digest)").ConfigureAwait(false);
        var sweepLines = new StringWriter();
        var sweep = await SweepCommand.RunAsync(context, dynamo, TableName, SweepSteps.DefaultSteps(), sweepLines, output, cancellationToken).ConfigureAwait(false);

        await output.WriteLineAsync("4/5  Findings in the ledger").ConfigureAwait(false);
        IFindingLedger ledger = new DynamoDbFindingLedger(dynamo, TableName, context.Settings);
        await WriteSummaryAsync(ledger, output, cancellationToken).ConfigureAwait(false);
        if (replay != 0 || sweep != 0)
            await output.WriteLineAsync($"     (replay exit {replay}, sweep exit {sweep}: see the messages above)").ConfigureAwait(false);

        if (servePort is not { } port)
        {
            await output.WriteLineAsync("5/5  Status page skipped (--no-serve)").ConfigureAwait(false);
            return replay != 0 ? replay : sweep;
        }
        var services = StatusPageComposition.Create(dynamo, TableName, context.Settings, TimeProvider.System);
        await services.Ledger.WriteTrendSnapshotAsync(TimeProvider.System.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        await using var server = await StatusServer.StartAsync(services, port, TimeProvider.System, cancellationToken).ConfigureAwait(false);
        await output.WriteLineAsync($"5/5  Status page at {server.Url} : sign in with any name (tick 'reviewers' to act). Ctrl+C stops everything.")
            .ConfigureAwait(false);
        await server.WaitForShutdownAsync(cancellationToken).ConfigureAwait(false);
        return 0;
    }

    private static async Task WriteSummaryAsync(IFindingLedger ledger, TextWriter output, CancellationToken cancellationToken)
    {
        var rows = new List<FindingRecord>();
        foreach (var status in new[] { FindingStatus.Open, FindingStatus.Acknowledged, FindingStatus.Suppressed })
        {
            string? cursor = null;
            do
            {
                var page = await ledger.QueryByStatusAsync(status, 100, cursor, cancellationToken).ConfigureAwait(false);
                rows.AddRange(page.Items);
                cursor = page.NextCursor;
            }
            while (cursor is not null);
        }
        foreach (var group in rows.GroupBy(r => r.Category).OrderBy(g => g.Key))
        {
            var states = string.Join(", ", group.GroupBy(r => r.SlaState?.ToWire() ?? "no SLA").OrderBy(g => g.Key).Select(g => $"{g.Count()} {g.Key}"));
            await output.WriteLineAsync($"     {group.Key.ToWire(),-10} {group.Count(),3} open  ({states})").ConfigureAwait(false);
        }
        foreach (var finding in rows.Take(12))
        {
            await output.WriteLineAsync(
                    $"       {finding.Severity.ToWire(),-13} {finding.RuleId,-40} {Alerts.LocalSlack.Printable(Shorten(finding.ResourceId, 60))}")
                .ConfigureAwait(false);
        }
        if (rows.Count > 12) await output.WriteLineAsync($"       ... and {rows.Count - 12} more (./isms findings, or the status page)").ConfigureAwait(false);
    }

    private static string Shorten(string text, int max) => text.Length <= max ? text : text[..(max - 1)] + "…";
}
