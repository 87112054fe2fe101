using System.CommandLine;
using System.Text.Json;
using Amazon.Runtime;
using IsmsServerless.Changes;
using IsmsServerless.Engine;
using IsmsServerless.Settings;

namespace IsmsServerless.Cli;

/// <summary>
/// <c>./isms review &lt;changeId&gt; --reviewer R --verdict V [--ticket URL] [--note N]</c>: records a review. Exit 0 and
/// the reviewed change as one JSON line; exit 1 with the reason on stderr when refused (four-eyes, already reviewed,
/// not found, invalid ticket link); exit 2 for bad settings.
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
        var endpoint = CliOptions.DynamoDbEndpoint();
        endpoint.Description = "DynamoDB endpoint URL, e.g. http://127.0.0.1:8000 (DynamoDB Local). Default: AWS, default credentials.";
        var table = ChangeStore.Table();
        var at = CliOptions.At();
        var config = CliOptions.Config();
        var command = new Command("review", "Review a registered change (four-eyes: not by the person who made it).")
        {
            changeId, reviewer, verdict, ticket, note, endpoint, table, at, config,
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
            try
            {
                var tableName = parse.GetValue(table)!;
                using var dynamo = await ChangeStore.ConnectAsync(parse.GetValue(endpoint), tableName, cancellationToken).ConfigureAwait(false);
                var register = new DynamoChangeRegister(dynamo, tableName, settings);
                var clock = CliOptions.ClockFor(parse.GetValue(at));
                var ledger = CliLedger.Create(dynamo, tableName, settings, clock);
                var service = new ChangeReviewService(register, ledger, RuleRegistry.CreateDefault(), settings, clock);
                var reviewed = await service.ReviewAsync(new ReviewRequest(
                    parse.GetValue(changeId) ?? "", parse.GetValue(reviewer) ?? "", parse.GetValue(verdict) ?? "",
                    parse.GetValue(ticket), parse.GetValue(note)), cancellationToken).ConfigureAwait(false);
                Console.Out.WriteLine(JsonSerializer.Serialize(ChangeView.From(service.Summarize(reviewed)), ChangeViewJsonContext.Default.ChangeView));
                await Console.Out.FlushAsync(cancellationToken).ConfigureAwait(false);
                return 0;
            }
            catch (ChangeReviewException ex)
            {
                await Console.Error.WriteLineAsync($"isms review: refused ({ex.Error}): {ex.Message}").ConfigureAwait(false);
                return 1;
            }
            catch (Exception ex) when (ex is AmazonServiceException or AmazonClientException or HttpRequestException or ArgumentException)
            {
                await Console.Error.WriteLineAsync($"isms review: cannot reach the change register: {ex.Message}").ConfigureAwait(false);
                return 1;
            }
        });
        return command;
    }
}
