using System.CommandLine;
using System.Text.Json;
using Amazon.DynamoDBv2;
using IsmsServerless.Changes;
using IsmsServerless.Engine;
using IsmsServerless.Settings;

namespace IsmsServerless.Cli;

/// <summary>
/// <c>./isms changes [--pending]</c>: the change register as JSON Lines (one <see cref="ChangeView"/> a line): pending
/// changes earliest due first, then (without <c>--pending</c>) reviewed ones, most recently reviewed first.
/// Exit 0; 2 for bad settings; 3 when the store cannot be reached.
/// </summary>
internal static class ChangesCommand
{
    public static Command Create()
    {
        var pending = new Option<bool>("--pending") { Description = "Only changes still awaiting review." };
        var id = new Option<string?>("--id") { Description = "One change in full: every API call (name, resources, time, source IP), required and given approvals, risk, ticket." };
        var limit = new Option<int>("--limit") { Description = "At most this many changes per list (1-1000).", DefaultValueFactory = _ => 200 };
        var endpoint = CliOptions.DynamoDbEndpoint();
        var table = StoreOptions.Table();
        var at = CliOptions.At();
        var config = CliOptions.Config();
        var command = new Command("changes", "List registered emergency and manual changes with their review deadlines (JSON Lines).")
        {
            pending, limit, id, endpoint, table, at, config,
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
                await Console.Error.WriteLineAsync($"isms changes: {ex.Message}").ConfigureAwait(false);
                return 2;
            }
            var clock = CliOptions.ClockFor(parse.GetValue(at));
            if (parse.GetValue(id) is { } changeId)
                return await StoreCommand.WithStoreAsync("changes", parse.GetValue(endpoint), parse.GetValue(table), store =>
                    ShowAsync(store.Client, store.TableName, settings, clock, changeId, Console.Out, Console.Error, cancellationToken),
                    cancellationToken).ConfigureAwait(false);
            return await StoreCommand.WithStoreAsync("changes", parse.GetValue(endpoint), parse.GetValue(table), store =>
                RunAsync(store.Client, store.TableName, settings, clock, parse.GetValue(pending), parse.GetValue(limit), Console.Out, cancellationToken),
                cancellationToken).ConfigureAwait(false);
        });
        return command;
    }

    /// <summary>One change in full as one JSON line; exit 1 when there is no such change (the id is echoed JSON-encoded).</summary>
    internal static async Task<int> ShowAsync(IAmazonDynamoDB dynamo, string tableName, IsmsSettings settings, TimeProvider clock, string changeId,
        TextWriter output, TextWriter errors, CancellationToken cancellationToken = default)
    {
        var register = new DynamoChangeRegister(dynamo, tableName, settings);
        var service = new ChangeReviewService(register, null, RuleRegistry.CreateDefault(), settings, clock);
        var detail = await service.GetAsync(changeId, cancellationToken).ConfigureAwait(false);
        if (detail is null)
        {
            await errors.WriteLineAsync($"isms changes: no change {JsonSerializer.Serialize(changeId)} (ids are chg-<24 hex>)").ConfigureAwait(false);
            return 1;
        }
        await output.WriteLineAsync(JsonSerializer.Serialize(ChangeView.From(detail.Summary, detail.Calls), ChangeViewJsonContext.Default.ChangeView)).ConfigureAwait(false);
        await output.FlushAsync(cancellationToken).ConfigureAwait(false);
        return 0;
    }

    internal static async Task<int> RunAsync(IAmazonDynamoDB dynamo, string tableName, IsmsSettings settings, TimeProvider clock, bool pendingOnly, int limit,
        TextWriter output, CancellationToken cancellationToken = default)
    {
        var register = new DynamoChangeRegister(dynamo, tableName, settings);
        var service = new ChangeReviewService(register, null, RuleRegistry.CreateDefault(), settings, clock);
        var max = Math.Clamp(limit, 1, 1000);
        var summaries = (await service.ListPendingAsync(max, cancellationToken).ConfigureAwait(false)).ToList();
        if (!pendingOnly) summaries.AddRange(await service.ListReviewedAsync(max, cancellationToken).ConfigureAwait(false));
        foreach (var summary in summaries)
            await output.WriteLineAsync(JsonSerializer.Serialize(ChangeView.From(summary), ChangeViewJsonContext.Default.ChangeView)).ConfigureAwait(false);
        await output.FlushAsync(cancellationToken).ConfigureAwait(false);
        return 0;
    }
}
