using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Amazon.DynamoDBv2;
using IsmsServerless.Identity;
using IsmsServerless.Ledger;
using IsmsServerless.Review;
using IsmsServerless.Settings;

namespace IsmsServerless.Cli;

/// <summary>
/// <c>./isms ack &lt;findingId&gt; --actor P --reason R</c> and <c>./isms waive &lt;findingId&gt; --actor P --reason R
/// --expires YYYY-MM-DD [--owner O] [--control C]</c>: the status page's acknowledge and waiver through the same service
/// (<see cref="FindingActions"/>): the actor resolved to a person, four-eyes against the finding's author, waivers
/// time-boxed to a year. Exit 0 with the finding as one JSON line; 1 when refused; 2 for bad settings; 3 when the store fails.
/// </summary>
internal static class FindingActionCommands
{
    public static Command Ack()
    {
        var (finding, actor, reason, at, config, endpoint, table) = Common();
        var command = new Command("ack", "Acknowledge a finding (four-eyes: not by the person whose change produced it).") { finding, actor, reason, at, config, endpoint, table };
        command.SetAction(async (parse, cancellationToken) =>
        {
            if (Settings(parse.GetValue(config), "ack") is not { } settings) return 2;
            var clock = CliOptions.ClockFor(parse.GetValue(at));
            return await StoreCommand.WithStoreAsync("ack", parse.GetValue(endpoint), parse.GetValue(table), store =>
                RunAsync(store.Client, store.TableName, settings, "ack", Console.Out, Console.Error, (actions, who, recorded) =>
                    actions.AcknowledgeAsync(parse.GetValue(finding)!, who, recorded, parse.GetValue(reason)!, clock.GetUtcNow(), cancellationToken),
                    parse.GetValue(actor)!), cancellationToken).ConfigureAwait(false);
        });
        return command;
    }

    public static Command Waive()
    {
        var (finding, actor, reason, at, config, endpoint, table) = Common();
        var expires = new Option<string>("--expires") { Description = "When the risk acceptance ends (YYYY-MM-DD or ISO 8601; within a year).", Required = true };
        var owner = new Option<string?>("--owner") { Description = "Who owns the accepted risk (default: the actor)." };
        var control = new Option<string?>("--control") { Description = "The control waived (one of the finding's; default its first)." };
        var command = new Command("waive", "Accept a finding's risk until a date (time-boxed waiver; four-eyes).") { finding, actor, reason, expires, owner, control, at, config, endpoint, table };
        command.SetAction(async (parse, cancellationToken) =>
        {
            if (Settings(parse.GetValue(config), "waive") is not { } settings) return 2;
            var clock = CliOptions.ClockFor(parse.GetValue(at));
            if (!DateTimeOffset.TryParse(parse.GetValue(expires), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var until))
            {
                await Console.Error.WriteLineAsync("isms waive: --expires must be a date (YYYY-MM-DD) or an ISO 8601 time").ConfigureAwait(false);
                return 1;
            }
            return await StoreCommand.WithStoreAsync("waive", parse.GetValue(endpoint), parse.GetValue(table), store =>
                RunAsync(store.Client, store.TableName, settings, "waive", Console.Out, Console.Error, (actions, who, recorded) =>
                    actions.WaiveAsync(parse.GetValue(finding)!, who, recorded, parse.GetValue(owner), parse.GetValue(reason)!, parse.GetValue(control), until, clock.GetUtcNow(), cancellationToken),
                    parse.GetValue(actor)!), cancellationToken).ConfigureAwait(false);
        });
        return command;
    }

    internal static async Task<int> RunAsync(IAmazonDynamoDB dynamo, string tableName, IsmsSettings settings, string name, TextWriter output, TextWriter errors,
        Func<FindingActions, ResolvedIdentity, string, Task<FindingRecord>> act, string actor)
    {
        var actions = new FindingActions(new DynamoDbFindingLedger(dynamo, tableName, settings), IdentityResolver.For(settings));
        try
        {
            var who = actions.Actor(actor);
            var finding = await act(actions, who, who.Mapped ? who.Display : actor.Trim()).ConfigureAwait(false);
            await output.WriteLineAsync(JsonSerializer.Serialize(new Dictionary<string, string?>
            {
                ["findingId"] = finding.Id,
                ["status"] = finding.Status.ToString().ToLowerInvariant(),
                ["actor"] = who.Mapped ? who.Display : actor.Trim(),
                ["waiverExpiresAt"] = finding.Waiver is { } w ? Model.Timestamps.ToWire(w.ExpiresAt) : null,
            })).ConfigureAwait(false);
            return 0;
        }
        catch (FindingActionException ex)
        {
            await errors.WriteLineAsync($"isms {name}: refused ({ex.Error}): {ex.Message}").ConfigureAwait(false);
            return 1;
        }
        catch (InvalidOperationException ex)
        {
            // The ledger's own refusals (e.g. acknowledging a resolved finding).
            await errors.WriteLineAsync($"isms {name}: refused: {ex.Message}").ConfigureAwait(false);
            return 1;
        }
    }

    private static (Argument<string>, Option<string>, Option<string>, Option<DateTimeOffset?>, Option<FileInfo?>, Option<string?>, Option<string?>) Common() =>
        (new Argument<string>("findingId") { Description = "The finding id (f-…), as './isms findings' lists it." },
         new Option<string>("--actor") { Description = "Who acts (resolved to a person from settings.people).", Required = true },
         new Option<string>("--reason") { Description = "Why (1-2000 characters).", Required = true },
         CliOptions.At(), CliOptions.Config(), CliOptions.DynamoDbEndpoint(), StoreOptions.Table());

    private static IsmsSettings? Settings(FileInfo? path, string name)
    {
        try
        {
            return CliOptions.LoadSettings(path);
        }
        catch (Exception ex) when (ex is InvalidSettingsException or JsonException or IOException)
        {
            Console.Error.WriteLine($"isms {name}: {ex.Message}");
            return null;
        }
    }
}
