using System.CommandLine;
using System.Text.Json;
using Amazon.Runtime;
using IsmsServerless.Changes;
using IsmsServerless.Engine;
using IsmsServerless.Settings;

namespace IsmsServerless.Cli;

/// <summary>
/// <c>./isms changes [--pending]</c>: the change register as JSON Lines (one <see cref="ChangeView"/> a line), pending
/// changes earliest due first, then (without <c>--pending</c>) reviewed ones, most recent first.
/// </summary>
internal static class ChangesCommand
{
    public static Command Create()
    {
        var pending = new Option<bool>("--pending") { Description = "Only changes still awaiting review." };
        var limit = new Option<int>("--limit") { Description = "At most this many changes per list (1-1000).", DefaultValueFactory = _ => 200 };
        var endpoint = CliOptions.DynamoDbEndpoint();
        endpoint.Description = "DynamoDB endpoint URL, e.g. http://127.0.0.1:8000 (DynamoDB Local). Default: AWS, default credentials.";
        var table = ChangeStore.Table();
        var at = CliOptions.At();
        var config = CliOptions.Config();
        var command = new Command("changes", "List registered emergency and manual changes with their review deadlines (JSON Lines).")
        {
            pending, limit, endpoint, table, at, config,
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
            try
            {
                var tableName = parse.GetValue(table)!;
                using var dynamo = await ChangeStore.ConnectAsync(parse.GetValue(endpoint), tableName, cancellationToken).ConfigureAwait(false);
                var register = new DynamoChangeRegister(dynamo, tableName, settings);
                var service = new ChangeReviewService(register, null, RuleRegistry.CreateDefault(), settings, CliOptions.ClockFor(parse.GetValue(at)));
                var max = Math.Clamp(parse.GetValue(limit), 1, 1000);
                var summaries = (await service.ListPendingAsync(max, cancellationToken).ConfigureAwait(false)).ToList();
                if (!parse.GetValue(pending)) summaries.AddRange(await service.ListReviewedAsync(max, cancellationToken).ConfigureAwait(false));
                foreach (var summary in summaries)
                    Console.Out.WriteLine(JsonSerializer.Serialize(ChangeView.From(summary), ChangeViewJsonContext.Default.ChangeView));
                await Console.Out.FlushAsync(cancellationToken).ConfigureAwait(false);
                return 0;
            }
            catch (Exception ex) when (ex is AmazonServiceException or AmazonClientException or HttpRequestException or ArgumentException)
            {
                await Console.Error.WriteLineAsync($"isms changes: cannot read the change register: {ex.Message}").ConfigureAwait(false);
                return 1;
            }
        });
        return command;
    }
}
