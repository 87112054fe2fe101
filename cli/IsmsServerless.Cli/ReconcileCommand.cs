using System.CommandLine;
using System.Text.Json;
using Amazon.DynamoDBv2;
using IsmsServerless.Changes;
using IsmsServerless.Engine;
using IsmsServerless.Ledger;
using IsmsServerless.Settings;

namespace IsmsServerless.Cli;

/// <summary>
/// <c>./isms reconcile &lt;changeId&gt; --by P (--code-link URL | --reverted | --stack NAME|ARN)</c>: closes a reviewed
/// manual change (Qwestly "update the code accordingly") with the commit or pull request that brought the code in line,
/// its revert, or the CloudFormation stack whose drift check then closes it. Exit 0 with the change as one JSON line;
/// 1 when refused (not reviewed, not required, already closed, bad link); 2 for bad settings; 3 when the store fails.
/// </summary>
internal static class ReconcileCommand
{
    public static Command Create()
    {
        var changeId = new Argument<string>("changeId") { Description = "The change id (chg-…)." };
        var by = new Option<string>("--by") { Description = "Who closes it (resolved to a person from settings.people).", Required = true };
        var codeLink = new Option<string?>("--code-link") { Description = "The commit or pull request (changeManagement.codeLinkUrlPatterns)." };
        var reverted = new Option<bool>("--reverted") { Description = "The change was reverted." };
        var stack = new Option<string?>("--stack") { Description = "The CloudFormation stack (name or ARN): closed when its drift check reports it in sync." };
        var endpoint = CliOptions.DynamoDbEndpoint();
        var table = StoreOptions.Table();
        var at = CliOptions.At();
        var config = CliOptions.Config();
        var command = new Command("reconcile", "Close a reviewed manual change: link the code change, mark it reverted, or name its stack.")
        {
            changeId, by, codeLink, reverted, stack, endpoint, table, at, config,
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
                await Console.Error.WriteLineAsync($"isms reconcile: {ex.Message}").ConfigureAwait(false);
                return 2;
            }
            var request = new ReconcileRequest(parse.GetValue(changeId) ?? "", parse.GetValue(by) ?? "", parse.GetValue(codeLink), parse.GetValue(reverted), parse.GetValue(stack));
            var clock = CliOptions.ClockFor(parse.GetValue(at));
            return await StoreCommand.WithStoreAsync("reconcile", parse.GetValue(endpoint), parse.GetValue(table), store =>
                RunAsync(store.Client, store.TableName, settings, clock, request, Console.Out, Console.Error, cancellationToken), cancellationToken).ConfigureAwait(false);
        });
        return command;
    }

    internal static async Task<int> RunAsync(IAmazonDynamoDB dynamo, string tableName, IsmsSettings settings, TimeProvider clock, ReconcileRequest request,
        TextWriter output, TextWriter errors, CancellationToken cancellationToken = default)
    {
        var register = new DynamoChangeRegister(dynamo, tableName, settings);
        var service = new ChangeReviewService(register, new DynamoDbFindingLedger(dynamo, tableName, settings), RuleRegistry.CreateDefault(), settings, clock);
        try
        {
            var record = await service.ReconcileAsync(request, cancellationToken).ConfigureAwait(false);
            await output.WriteLineAsync(JsonSerializer.Serialize(ChangeView.From(service.Summarize(record)), ChangeViewJsonContext.Default.ChangeView)).ConfigureAwait(false);
            await output.FlushAsync(cancellationToken).ConfigureAwait(false);
            return 0;
        }
        catch (ChangeReviewException ex)
        {
            await errors.WriteLineAsync($"isms reconcile: refused ({ex.Error}): {ex.Message}").ConfigureAwait(false);
            return 1;
        }
    }
}
