using System.CommandLine;
using System.Text.Json;
using Amazon.DynamoDBv2;
using IsmsServerless.Changes;
using IsmsServerless.Engine;
using IsmsServerless.Ledger;
using IsmsServerless.Settings;

namespace IsmsServerless.Cli;

/// <summary>
/// <c>./isms review &lt;changeId&gt; --reviewer R --verdict V [--ticket URL] [--note N]</c>: records a review and resolves the
/// change's overdue finding in the ledger. Exit 0 with the reviewed change as one JSON line; 1 with the reason on stderr
/// when refused (four-eyes, already reviewed, not found, invalid input); 2 for bad settings; 3 when the store fails.
/// </summary>
internal static class ReviewCommand
{
    public static Command Create()
    {
        var changeId = new Argument<string>("changeId") { Description = "The change id (chg-…), as './isms changes' lists it." };
        var reviewer = new Option<string>("--reviewer") { Description = "Who reviews: IAM user name, SSO user name / e-mail, or ARN. Must not be who made the change.", Required = true };
        var verdict = new Option<string>("--verdict") { Description = "approved, rejected or needs-follow-up.", Required = true };
        var ticket = new Option<string?>("--ticket") { Description = "https:// link to the ticket documenting the change (required unless approved)." };
        var note = new Option<string?>("--note") { Description = "Free text for the audit record." };
        var codeLink = new Option<string?>("--code-link") { Description = "Manual change: the commit or pull request that brought the infrastructure code in line (closes it)." };
        var reverted = new Option<bool>("--reverted") { Description = "Manual change: it was reverted (closes it)." };
        var stack = new Option<string?>("--stack") { Description = "Manual change: the CloudFormation stack (name or ARN) whose drift check closes it once in sync." };
        var endpoint = CliOptions.DynamoDbEndpoint();
        var table = StoreOptions.Table();
        var at = CliOptions.At();
        var config = CliOptions.Config();
        var command = new Command("review", "Review a registered change (four-eyes: not by the person who made it).")
        {
            changeId, reviewer, verdict, ticket, note, codeLink, reverted, stack, endpoint, table, at, config,
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
                await Console.Error.WriteLineAsync($"isms review: {ex.Message}").ConfigureAwait(false);
                return 2;
            }
            var request = new ReviewRequest(parse.GetValue(changeId) ?? "", parse.GetValue(reviewer) ?? "", parse.GetValue(verdict) ?? "",
                parse.GetValue(ticket), parse.GetValue(note), CodeLink: parse.GetValue(codeLink), Reverted: parse.GetValue(reverted), Stack: parse.GetValue(stack));
            var clock = CliOptions.ClockFor(parse.GetValue(at));
            return await StoreCommand.WithStoreAsync("review", parse.GetValue(endpoint), parse.GetValue(table), store =>
                RunAsync(store.Client, store.TableName, settings, clock, request, Console.Out, Console.Error, cancellationToken), cancellationToken).ConfigureAwait(false);
        });
        return command;
    }

    internal static async Task<int> RunAsync(IAmazonDynamoDB dynamo, string tableName, IsmsSettings settings, TimeProvider clock, ReviewRequest request,
        TextWriter output, TextWriter errors, CancellationToken cancellationToken = default)
    {
        var register = new DynamoChangeRegister(dynamo, tableName, settings);
        var ledger = new DynamoDbFindingLedger(dynamo, tableName, settings);
        var evidence = new Evidence.DynamoDbEvidenceStore(dynamo, tableName, Policy.PolicyDocument.Embedded.Version);
        var service = new ChangeReviewService(register, ledger, RuleRegistry.CreateDefault(), settings, clock, evidence);
        try
        {
            var reviewed = await service.ReviewAsync(request, cancellationToken).ConfigureAwait(false);
            await output.WriteLineAsync(JsonSerializer.Serialize(ChangeView.From(service.Summarize(reviewed)), ChangeViewJsonContext.Default.ChangeView)).ConfigureAwait(false);
            await output.FlushAsync(cancellationToken).ConfigureAwait(false);
            return 0;
        }
        catch (ChangeReviewException ex)
        {
            await errors.WriteLineAsync($"isms review: refused ({ex.Error}): {ex.Message}").ConfigureAwait(false);
            return 1;
        }
    }
}
