using System.CommandLine;
using System.Text;
using System.Text.Json;
using Amazon.DynamoDBv2;
using Amazon.Runtime;
using IsmsServerless.Cli.Local;
using IsmsServerless.Engine;
using IsmsServerless.Ledger;
using IsmsServerless.Pipeline;
using IsmsServerless.Settings;

namespace IsmsServerless.Cli;

/// <summary>
/// <c>./isms replay</c>: pushes event files through the store-backed pipeline the ingest Lambda runs (adapt →
/// enrich → evaluate → ledger). Prints one JSON line per file to stdout and a summary to stderr. Replaying the same
/// files again changes nothing and raises no alert: the ledger ignores what it has already recorded.
/// </summary>
internal static class ReplayCommand
{
    public static Command Create()
    {
        var at = CliOptions.At();
        var config = CliOptions.Config();
        var endpoint = CliOptions.DynamoDbEndpoint();
        var table = StoreOptions.Table();
        var paths = new Argument<string[]>("paths") { Description = "Event files, or directories of *.json event files.", Arity = ArgumentArity.OneOrMore };
        var command = new Command("replay", "Replay events through the full store-backed pipeline into the ledger (DynamoDB).") { at, config, endpoint, table, paths };
        command.SetAction(async (parse, cancellationToken) =>
        {
            IsmsSettings settings;
            try
            {
                settings = CliOptions.LoadSettings(parse.GetValue(config));
            }
            catch (Exception ex) when (ex is InvalidSettingsException or JsonException or IOException)
            {
                await Console.Error.WriteLineAsync($"isms replay: {ex.Message}").ConfigureAwait(false);
                return 2;
            }
            var context = new EvaluationContext(settings, CliOptions.ClockFor(parse.GetValue(at)));
            return await StoreCommand.WithStoreAsync("replay", parse.GetValue(endpoint), parse.GetValue(table), store =>
                RunAsync(parse.GetValue(paths) ?? [], context, store.Client, store.TableName, Console.Out, Console.Error, cancellationToken), cancellationToken).ConfigureAwait(false);
        });
        return command;
    }

    internal static async Task<int> RunAsync(IReadOnlyList<string> paths, EvaluationContext context, IAmazonDynamoDB dynamo, string tableName,
        TextWriter output, TextWriter summary, CancellationToken cancellationToken = default)
    {
        // Runtime leave marks (./isms people leave) join the policy file's leftAt, as in the ingest Lambda.
        context = new EvaluationContext(await new Access.LeaveMarkStore(dynamo, tableName).OverlayAsync(context.Settings, context.Now, cancellationToken).ConfigureAwait(false), context.Clock);
        var ledger = new DynamoDbFindingLedger(dynamo, tableName, context.Settings);
        var pipeline = new IngestPipeline(RuleEngine.CreateDefault(), InputEnrichers.Default(dynamo, tableName), ledger,
            new Evidence.DynamoDbEvidenceStore(dynamo, tableName, Policy.PolicyDocument.Embedded.Version),
            RecordedHooks.Default(dynamo, tableName, context.Settings));
        var (files, unreadablePaths) = InputFiles.Expand(paths);
        var unreadable = unreadablePaths.ToList();
        // One id per outbox record, in the order first raised: two calls may name one alert (LedgerWriteResult.AlertIds).
        var alertIds = new List<string>();
        var seenAlerts = new HashSet<string>(StringComparer.Ordinal);
        int evaluations = 0, rejected = 0, created = 0, updated = 0, resolved = 0, reopened = 0, unchanged = 0, closed = 0;
        foreach (var file in files)
        {
            byte[] bytes;
            try
            {
                bytes = await File.ReadAllBytesAsync(file, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                unreadable.Add($"{file}: {ex.Message}");
                continue;
            }
            var result = await pipeline.ProcessAsync(bytes, context, cancellationToken).ConfigureAwait(false);
            var l = result.Ledger;
            evaluations += result.Engine.Evaluations.Count;
            rejected += result.Engine.Rejected ? 1 : 0;
            created += l.Created;
            updated += l.Updated;
            resolved += l.Resolved;
            reopened += l.Reopened;
            unchanged += l.Unchanged;
            alertIds.AddRange(l.AlertIds.Where(seenAlerts.Add));
            closed += result.FindingsClosed;
            await output.WriteLineAsync(Line(file, result)).ConfigureAwait(false);
        }
        foreach (var problem in unreadable) await summary.WriteLineAsync($"isms replay: {problem}").ConfigureAwait(false);
        await summary.WriteLineAsync(
            $"isms replay: {files.Count} file(s), {evaluations} evaluation(s), {rejected} rejected; findings: {created} new, {updated} updated, " +
            $"{resolved + closed} resolved, {reopened} reopened, {unchanged} unchanged; {alertIds.Count} new alert(s); table {tableName}").ConfigureAwait(false);
        await output.FlushAsync(cancellationToken).ConfigureAwait(false);
        // Alerts: deliver what this replay raised to SLACK_WEBHOOK_URL (or list it) before exiting.
        var slack = await Alerts.LocalSlack.DeliverRaisedAlertsAsync("replay", alertIds, dynamo, tableName, summary, cancellationToken).ConfigureAwait(false);
        return unreadable.Count > 0 ? 1 : slack;
    }

    private static string Line(string file, IngestResult result)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("file", file);
            json.WriteString("outcome", result.Engine.Rejected ? "rejected" : result.Engine.Evaluations.Count == 0 && result.ResourcesGone == 0 ? "ignored" : "recorded");
            if (result.Engine.Error is { } error) json.WriteString("error", error);
            json.WriteNumber("evaluations", result.Engine.Evaluations.Count);
            json.WriteNumber("created", result.Ledger.Created);
            json.WriteNumber("updated", result.Ledger.Updated);
            json.WriteNumber("resolved", result.Ledger.Resolved + result.FindingsClosed);
            json.WriteNumber("reopened", result.Ledger.Reopened);
            json.WriteNumber("unchanged", result.Ledger.Unchanged);
            json.WriteStartArray("alerts");
            foreach (var id in result.Ledger.AlertIds) json.WriteStringValue(id);
            json.WriteEndArray();
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}

/// <summary>Opens the store for a command and turns store failures into one clear error line and exit code 3.</summary>
internal static class StoreCommand
{
    public static async Task<int> WithStoreAsync(string name, string? endpoint, string? table, Func<LedgerStore, Task<int>> run, CancellationToken cancellationToken)
    {
        LedgerStore store;
        try
        {
            store = await LedgerStore.OpenAsync(endpoint, table, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or TimeoutException or AmazonServiceException or AmazonClientException or HttpRequestException or IOException)
        {
            await Console.Error.WriteLineAsync($"isms {name}: cannot open the ledger store: {ex.Message}").ConfigureAwait(false);
            return 3;
        }
        await using (store.ConfigureAwait(false))
        {
            try
            {
                return await run(store).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is AmazonServiceException or AmazonClientException or HttpRequestException or LedgerConflictException)
            {
                await Console.Error.WriteLineAsync($"isms {name}: store error: {ex.Message}").ConfigureAwait(false);
                return 3;
            }
        }
    }
}
