using System.CommandLine;
using System.Text;
using System.Text.Json;
using Amazon.DynamoDBv2;
using IsmsServerless.Ledger;
using IsmsServerless.Model;

namespace IsmsServerless.Cli;

/// <summary>
/// <c>./isms findings</c>: prints stored findings as JSON Lines (status views: merged rule-partition queries, never a Scan), active statuses
/// first, each most severe then earliest due. Fields: id, ruleId, resourceId, status, severity, dueAt, state,
/// historyLength, and the rest of the record.
/// </summary>
internal static class FindingsCommand
{
    private static readonly FindingStatus[] AllStatuses = [FindingStatus.Open, FindingStatus.Acknowledged, FindingStatus.Suppressed, FindingStatus.Resolved];

    public static Command Create()
    {
        var status = new Option<string?>("--status") { Description = "open | acknowledged | suppressed | resolved (default: all)." };
        var format = new Option<string>("--format") { Description = "Output format: json (JSON Lines).", DefaultValueFactory = _ => "json" };
        format.AcceptOnlyFromAmong("json");
        var endpoint = CliOptions.DynamoDbEndpoint();
        var table = StoreOptions.Table();
        var command = new Command("findings", "Print the findings stored in the ledger as JSON Lines.") { status, format, endpoint, table };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var statusText = parse.GetValue(status);
            FindingStatus? filter = null;
            if (statusText is not null)
            {
                if (!FindingStatusNames.TryParse(statusText, out var parsed))
                {
                    await Console.Error.WriteLineAsync($"isms findings: --status '{statusText}' is not one of open, acknowledged, suppressed, resolved").ConfigureAwait(false);
                    return 2;
                }
                filter = parsed;
            }
            return await StoreCommand.WithStoreAsync("findings", parse.GetValue(endpoint), parse.GetValue(table), store =>
                RunAsync(store.Client, store.TableName, filter, Console.Out, Console.Error, cancellationToken), cancellationToken).ConfigureAwait(false);
        });
        return command;
    }

    internal static async Task<int> RunAsync(IAmazonDynamoDB dynamo, string tableName, FindingStatus? status, TextWriter output, TextWriter summary,
        CancellationToken cancellationToken = default)
    {
        var ledger = new DynamoDbFindingLedger(dynamo, tableName, Settings.IsmsSettings.Default);
        var count = 0;
        foreach (var s in status is { } one ? [one] : AllStatuses)
        {
            string? cursor = null;
            do
            {
                var page = await ledger.QueryByStatusAsync(s, 200, cursor, cancellationToken).ConfigureAwait(false);
                foreach (var finding in page.Items)
                {
                    await output.WriteLineAsync(Line(finding)).ConfigureAwait(false);
                    count++;
                }
                cursor = page.NextCursor;
            }
            while (cursor is not null);
        }
        await summary.WriteLineAsync($"isms findings: {count} finding(s) in {tableName}").ConfigureAwait(false);
        await output.FlushAsync(cancellationToken).ConfigureAwait(false);
        return 0;
    }

    internal static string Line(FindingRecord f)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("id", f.Id);
            json.WriteString("ruleId", f.RuleId);
            json.WriteString("resourceId", f.ResourceId);
            json.WriteString("status", f.Status.ToWire());
            json.WriteString("severity", f.Severity.ToWire());
            WriteTime(json, "dueAt", f.DueAt);
            if (f.SlaState is { } state) json.WriteString("state", state.ToWire()); else json.WriteNull("state");
            json.WriteNumber("historyLength", f.HistoryLength);
            json.WriteString("title", f.Title);
            json.WriteString("category", f.Category.ToWire());
            json.WriteString("resourceType", f.ResourceType);
            json.WriteString("accountId", f.AccountId);
            json.WriteString("region", f.Region);
            json.WriteStartArray("controls");
            foreach (var c in f.Controls) json.WriteStringValue(c);
            json.WriteEndArray();
            WriteTime(json, "firstSeenAt", f.FirstSeenAt);
            WriteTime(json, "lastSeenAt", f.LastSeenAt);
            WriteTime(json, "resolvedAt", f.ResolvedAt);
            if (f.Waiver is { } w)
            {
                json.WriteStartObject("waiver");
                json.WriteString("owner", w.Owner);
                json.WriteString("reason", w.Reason);
                json.WriteString("control", w.Control);
                WriteTime(json, "expiresAt", w.ExpiresAt);
                json.WriteEndObject();
            }
            json.WriteString("message", f.Message);
            json.WriteNumber("version", f.Version);
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static void WriteTime(Utf8JsonWriter json, string name, DateTimeOffset? value)
    {
        if (value is { } v) json.WriteString(name, Timestamps.ToWire(v));
        else json.WriteNull(name);
    }
}
