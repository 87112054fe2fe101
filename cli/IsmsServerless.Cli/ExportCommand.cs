using System.CommandLine;
using System.Globalization;
using System.Text;
using Amazon.DynamoDBv2;
using IsmsServerless.Changes;
using IsmsServerless.Compliance;
using IsmsServerless.Engine;
using IsmsServerless.Evidence;
using IsmsServerless.Ledger;
using IsmsServerless.Policy;
using IsmsServerless.Settings;
using IsmsServerless.StatusPage;

namespace IsmsServerless.Cli;

/// <summary>
/// <c>./isms export --from T --to T --format csv|json|ocsf [--output FILE]</c>: the audit package for a period (the
/// status page's export): each control's status over the period, the passing-evidence summary, findings with their
/// history, change reviews, waivers, baseline approvals, attestations and the policy versions in force.
/// </summary>
internal static class ExportCommand
{
    public static Command Create()
    {
        var from = new Option<DateTimeOffset>("--from") { Description = "Start of the period (ISO-8601, inclusive)", Required = true };
        var to = new Option<DateTimeOffset>("--to") { Description = "End of the period (ISO-8601, exclusive)", Required = true };
        var format = new Option<string>("--format") { Description = "csv, json or ocsf (OCSF 1.8.0 JSON Lines)", DefaultValueFactory = _ => "json" };
        format.AcceptOnlyFromAmong("csv", "json", "ocsf");
        var output = new Option<FileInfo?>("--output") { Description = "Write to this file instead of standard output" };
        var at = CliOptions.At();
        var endpoint = CliOptions.DynamoDbEndpoint();
        var table = StoreOptions.Table();
        var command = new Command("export", "Export the audit package for a period as CSV, JSON or OCSF.") { from, to, format, output, at, endpoint, table };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var start = parse.GetValue(from);
            var end = parse.GetValue(to);
            if (end <= start)
            {
                await Console.Error.WriteLineAsync("isms export: --to must be after --from").ConfigureAwait(false);
                return 2;
            }
            var now = CliOptions.ClockFor(parse.GetValue(at)).GetUtcNow();
            return await StoreCommand.WithStoreAsync("export", parse.GetValue(endpoint), parse.GetValue(table), async store =>
            {
                var text = await RunAsync(store.Client, store.TableName, start, end, parse.GetValue(format) ?? "json", now, cancellationToken).ConfigureAwait(false);
                if (parse.GetValue(output) is { } file) await File.WriteAllTextAsync(file.FullName, text, cancellationToken).ConfigureAwait(false);
                else await Console.Out.WriteAsync(text).ConfigureAwait(false);
                return 0;
            }, cancellationToken).ConfigureAwait(false);
        });
        return command;
    }

    internal static async Task<string> RunAsync(IAmazonDynamoDB dynamo, string tableName, DateTimeOffset from, DateTimeOffset to, string format, DateTimeOffset now,
        CancellationToken cancellationToken = default)
    {
        var settings = IsmsSettings.Default;
        var ledger = new DynamoDbFindingLedger(dynamo, tableName, settings);
        var evidence = new DynamoDbEvidenceStore(dynamo, tableName, PolicyDocument.Embedded.Version);
        var registry = RuleRegistry.CreateDefault();
        var dutySources = new Obligations.ObligationControlSources(new Obligations.DynamoObligationStore(dynamo, tableName, settings), settings.Duties);
        var controls = new ControlsService(evidence, ledger, dutySources, registry);
        var changes = new ChangeServiceReviewQueue(new ChangeReviewService(new DynamoChangeRegister(dynamo, tableName, settings), ledger, registry, settings, TimeProvider.System), ledger);
        var incidents = new Incidents.IncidentService(new Obligations.DynamoObligationStore(dynamo, tableName, settings), TimeProvider.System, settings);
        var package = await new AuditPackageBuilder(ledger, evidence, controls, changes, dutySources) { Incidents = incidents, AccessReviews = new Access.AccessReviewService(dynamo, tableName, settings, TimeProvider.System) }.BuildAsync(from, to, now, cancellationToken).ConfigureAwait(false);
        return format switch
        {
            "csv" => AuditPackageWriter.Csv(package),
            "ocsf" => AuditPackageWriter.Ocsf(package),
            _ => Encoding.UTF8.GetString(AuditPackageWriter.Json(package)) + "\n",
        };
    }
}
