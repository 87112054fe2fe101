using System.CommandLine;
using System.Text;
using System.Text.Json;
using Amazon.DynamoDBv2;
using IsmsServerless.Engine;
using IsmsServerless.Ledger;
using IsmsServerless.Settings;
using IsmsServerless.Sweep;

namespace IsmsServerless.Cli;

/// <summary>
/// <c>./isms sweep</c>: runs the scheduled sweep (the same steps as the sweep Lambda) against the ledger, at
/// <c>--at</c> or the real clock. One JSON line per step on stdout, a summary on stderr; exit 4 if a step failed.
/// </summary>
internal static class SweepCommand
{
    public static Command Create()
    {
        var at = CliOptions.At();
        var config = CliOptions.Config();
        var endpoint = CliOptions.DynamoDbEndpoint();
        var table = StoreOptions.Table();
        var command = new Command("sweep", "Run the scheduled sweep: SLA escalation, waiver expiry and the other periodic steps.") { at, config, endpoint, table };
        command.SetAction(async (parse, cancellationToken) =>
        {
            IsmsSettings settings;
            try
            {
                settings = CliOptions.LoadSettings(parse.GetValue(config));
            }
            catch (Exception ex) when (ex is InvalidSettingsException or JsonException or IOException)
            {
                await Console.Error.WriteLineAsync($"isms sweep: {ex.Message}").ConfigureAwait(false);
                return 2;
            }
            var context = new EvaluationContext(settings, CliOptions.ClockFor(parse.GetValue(at)));
            return await StoreCommand.WithStoreAsync("sweep", parse.GetValue(endpoint), parse.GetValue(table), store =>
                RunAsync(context, store.Client, store.TableName, SweepSteps.DefaultSteps(), Console.Out, Console.Error, cancellationToken), cancellationToken).ConfigureAwait(false);
        });
        return command;
    }

    internal static async Task<int> RunAsync(EvaluationContext context, IAmazonDynamoDB dynamo, string tableName, IReadOnlyList<ISweepStep> steps,
        TextWriter output, TextWriter summary, CancellationToken cancellationToken = default)
    {
        // Runtime leave marks (./isms people leave) join the policy file's leftAt, as in the sweep Lambda.
        context = new EvaluationContext(await new Access.LeaveMarkStore(dynamo, tableName).OverlayAsync(context.Settings, context.Now, cancellationToken).ConfigureAwait(false), context.Clock);
        var ledger = new DynamoDbFindingLedger(dynamo, tableName, context.Settings);
        Alerts.LocalSlack.RegisterDigestChannel(dynamo, tableName, summary);
        var report = await new SweepRunner(steps).RunAsync(new SweepContext(dynamo, tableName, ledger, context)
        {
            Evidence = new Evidence.DynamoDbEvidenceStore(dynamo, tableName, Policy.PolicyDocument.Embedded.Version),
        }, cancellationToken).ConfigureAwait(false);
        foreach (var step in report.Steps)
        {
            using var buffer = new MemoryStream();
            using (var json = new Utf8JsonWriter(buffer))
            {
                json.WriteStartObject();
                json.WriteString("step", step.Step);
                json.WriteNumber("examined", step.Examined);
                json.WriteNumber("findings", step.Findings);
                json.WriteNumber("resolved", step.Resolved);
                json.WriteStartArray("notes");
                foreach (var note in step.Notes) json.WriteStringValue(note);
                json.WriteEndArray();
                json.WriteEndObject();
            }
            await output.WriteLineAsync(Encoding.UTF8.GetString(buffer.ToArray())).ConfigureAwait(false);
        }
        await summary.WriteLineAsync($"isms sweep at {Model.Timestamps.ToWire(context.Now)}: {report.Steps.Count} step(s) ran" +
            (report.Succeeded ? "" : $", failed: {string.Join(", ", report.Failed)}") +
            "; " + string.Join("; ", report.Steps.Where(s => s.Notes.Count > 0).Select(s => $"{s.Step}: {string.Join(", ", s.Notes)}"))).ConfigureAwait(false);
        await output.FlushAsync(cancellationToken).ConfigureAwait(false);
        // Alerts: deliver the escalations this sweep raised to SLACK_WEBHOOK_URL (or list them) before exiting.
        var slack = await Alerts.LocalSlack.DeliverRaisedAlertsAsync("sweep", report.Steps.SelectMany(s => s.AlertIds).ToList(), dynamo, tableName, summary,
            cancellationToken).ConfigureAwait(false);
        return report.Succeeded ? slack : 4;
    }
}
