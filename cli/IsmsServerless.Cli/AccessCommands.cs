using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Amazon.DynamoDBv2;
using IsmsServerless.Access;
using IsmsServerless.Identity;
using IsmsServerless.Ledger;
using IsmsServerless.Obligations;
using IsmsServerless.Settings;

namespace IsmsServerless.Cli;

/// <summary>
/// Access control from the CLI (issue 18):
/// <list type="bullet">
/// <item><c>./isms access [--admin] [--external]</c>: the access inventory, one JSON line per principal.</item>
/// <item><c>./isms access-review open|show|decide|close</c>: the quarterly access review campaign of the <c>access-review</c> duty.</item>
/// <item><c>./isms people [leave &lt;email&gt; --at DATE --by P]</c>: people with the file's <c>leftAt</c> and the runtime leave mark beside it.</item>
/// </list>
/// Exit codes: 0 done; 1 refused (the reason on stderr: four-eyes, not found, undecided principals, bad input); 2 bad
/// settings or options; 3 store failure.
/// </summary>
internal static class AccessCommands
{
    private delegate Task<int> StoreAction(ParseResult parse, IAmazonDynamoDB dynamo, string table, IsmsSettings settings, TimeProvider clock, CancellationToken cancellationToken);

    /// <summary>Loads settings, opens the store, runs <paramref name="action"/>; refusals become exit 1 with the reason.</summary>
    private static Command WithStore(Command command, string name, StoreAction action)
    {
        var endpoint = CliOptions.DynamoDbEndpoint();
        var table = StoreOptions.Table();
        var at = CliOptions.At();
        var config = CliOptions.Config();
        command.Add(endpoint);
        command.Add(table);
        command.Add(at);
        command.Add(config);
        command.SetAction(async (parse, cancellationToken) =>
        {
            IsmsSettings settings;
            try
            {
                settings = CliOptions.LoadSettings(parse.GetValue(config));
            }
            catch (Exception ex) when (ex is InvalidSettingsException or JsonException or IOException)
            {
                await Console.Error.WriteLineAsync($"isms {name}: {ex.Message}").ConfigureAwait(false);
                return 2;
            }
            var clock = CliOptions.ClockFor(parse.GetValue(at));
            return await StoreCommand.WithStoreAsync(name, parse.GetValue(endpoint), parse.GetValue(table), async store =>
            {
                try
                {
                    return await action(parse, store.Client, store.TableName, settings, clock, cancellationToken).ConfigureAwait(false);
                }
                catch (ObligationException ex)
                {
                    await Console.Error.WriteLineAsync($"isms {name}: refused ({ex.Error}): {ex.Message}").ConfigureAwait(false);
                    return 1;
                }
            }, cancellationToken).ConfigureAwait(false);
        });
        return command;
    }

    public static Command Inventory()
    {
        var admin = new Option<bool>("--admin") { Description = "Only principals with admin-level rights." };
        var external = new Option<bool>("--external") { Description = "Only roles trusted from outside the internal accounts." };
        var command = new Command("access", "The access inventory: IAM users, groups and roles with admin-level rights, external trust and last activity (JSON lines).") { admin, external };
        return WithStore(command, "access", async (parse, dynamo, table, settings, clock, ct) =>
        {
            var inventory = await new AccessInventoryService(dynamo, table, settings).ReadAsync(ct).ConfigureAwait(false);
            return await InventoryAsync(inventory, parse.GetValue(admin), parse.GetValue(external), Console.Out).ConfigureAwait(false);
        });
    }

    internal static async Task<int> InventoryAsync(AccessInventorySnapshot inventory, bool adminOnly, bool externalOnly, TextWriter output)
    {
        foreach (var p in inventory.Principals.Where(p => (!adminOnly || p.Admin) && (!externalOnly || p.External)))
            await output.WriteLineAsync(AccessJson.Principal(p)).ConfigureAwait(false);
        await Console.Error.WriteLineAsync($"isms access: {inventory.Principals.Count} principal(s), {inventory.Principals.Count(p => p.Admin)} admin-level, {inventory.Principals.Count(p => p.External)} trusted from outside; {inventory.Policies.Count} customer managed polic(ies)").ConfigureAwait(false);
        return 0;
    }

    public static Command Review()
    {
        var review = new Command("access-review", "The quarterly access review campaign of the access-review duty: open, show, decide keep/revoke/reduce, close.");
        var by = () => new Option<string>("--by") { Description = "Who (e-mail as in the policy's people).", Required = true };

        var openBy = by();
        review.Add(WithStore(new Command("open", "Open the campaign of the access-review duty's current period: snapshot every principal's admin rights, external trust and last activity.") { openBy },
            "access-review open", async (parse, dynamo, table, settings, clock, ct) =>
            {
                var campaign = await Service(dynamo, table, settings, clock).OpenAsync(parse.GetValue(openBy) ?? "", ct).ConfigureAwait(false);
                await Console.Out.WriteLineAsync(AccessJson.Campaign(campaign)).ConfigureAwait(false);
                return 0;
            }));

        var showId = new Argument<string?>("campaign") { Description = "Campaign id (obl-…); the latest when omitted.", Arity = ArgumentArity.ZeroOrOne };
        review.Add(WithStore(new Command("show", "Show a campaign with every principal and decision (JSON).") { showId },
            "access-review show", async (parse, dynamo, table, settings, clock, ct) =>
            {
                var service = Service(dynamo, table, settings, clock);
                var latest = parse.GetValue(showId) is null ? await service.ListAsync(1, ct).ConfigureAwait(false) : [];
                var id = parse.GetValue(showId) ?? (latest.Count > 0 ? latest[0] : null);
                var campaign = id is null ? null : await service.GetAsync(id, ct).ConfigureAwait(false);
                if (campaign is null) throw new ObligationException(ObligationError.NotFound, id is null ? "no access review campaign yet (./isms access-review open --by <you>)" : $"no campaign '{id}'");
                await Console.Out.WriteLineAsync(AccessJson.Campaign(campaign)).ConfigureAwait(false);
                return 0;
            }));

        var decideId = new Argument<string>("campaign") { Description = "Campaign id (obl-…)." };
        var principal = new Argument<string>("principal") { Description = "The principal's ARN, or its name when unique in the campaign." };
        var decision = new Option<string>("--decision") { Description = "keep, revoke or reduce.", Required = true };
        var note = new Option<string>("--note") { Description = "Why (required).", Required = true };
        var decideBy = by();
        review.Add(WithStore(new Command("decide", "Decide keep, revoke or reduce for one principal, with a note (nobody decides on their own access).") { decideId, principal, decision, note, decideBy },
            "access-review decide", async (parse, dynamo, table, settings, clock, ct) =>
            {
                var decided = await Service(dynamo, table, settings, clock).DecideAsync(parse.GetValue(decideId) ?? "", parse.GetValue(principal) ?? "",
                    parse.GetValue(decision) ?? "", parse.GetValue(note), parse.GetValue(decideBy) ?? "", new DynamoDbFindingLedger(dynamo, table, settings), ct).ConfigureAwait(false);
                await Console.Out.WriteLineAsync(AccessJson.Decision(decided)).ConfigureAwait(false);
                return 0;
            }));

        var closeId = new Argument<string>("campaign") { Description = "Campaign id (obl-…)." };
        var closeBy = by();
        var evidence = new Option<string[]>("--evidence") { Description = "Further https:// evidence links (the campaign's page link is added when the status page is https)." };
        review.Add(WithStore(new Command("close", "Close the campaign once every principal is decided: attests the access-review duty with the campaign as evidence.") { closeId, closeBy, evidence },
            "access-review close", async (parse, dynamo, table, settings, clock, ct) =>
            {
                var closed = await Service(dynamo, table, settings, clock).CloseAsync(parse.GetValue(closeId) ?? "", parse.GetValue(closeBy) ?? "", parse.GetValue(evidence) ?? [], ct).ConfigureAwait(false);
                await Console.Out.WriteLineAsync(AccessJson.Campaign(closed, withPrincipals: false)).ConfigureAwait(false);
                return 0;
            }));
        return review;
    }

    public static Command People()
    {
        var people = new Command("people", "People of the policy file with their leave date (file) and runtime leave mark (store); 'leave' marks a leaver.");
        WithStore(people, "people", async (parse, dynamo, table, settings, clock, ct) =>
        {
            var marks = await new LeaveMarkStore(dynamo, table).ListAsync(ct).ConfigureAwait(false);
            foreach (var line in PeopleLines(settings, marks)) await Console.Out.WriteLineAsync(line).ConfigureAwait(false);
            return 0;
        });

        var email = new Argument<string>("email") { Description = "The person who left (as in the policy's people)." };
        var at = new Option<string>("--on") { Description = "The leave day (YYYY-MM-DD): access must be gone by its end.", Required = true };
        var by = new Option<string>("--by") { Description = "Who marks it (it-director, cto, ceo or it-team).", Required = true };
        people.Add(WithStore(new Command("leave", "Mark a person as left: the leaver rules then watch their principals (CRITICAL, 24 h).") { email, at, by },
            "people leave", async (parse, dynamo, table, settings, clock, ct) =>
            {
                if (!DateOnly.TryParseExact(parse.GetValue(at), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
                    throw new ObligationException(ObligationError.Invalid, $"--on must be a date YYYY-MM-DD, not '{(parse.GetValue(at) is { Length: > 40 } long_ ? long_[..40] : parse.GetValue(at))}'");
                var mark = await new LeaveMarkStore(dynamo, table).MarkAsync(settings, parse.GetValue(email) ?? "", day, parse.GetValue(by) ?? "", clock.GetUtcNow(), ct).ConfigureAwait(false);
                await Console.Out.WriteLineAsync(AccessJson.Leave(mark)).ConfigureAwait(false);
                await Console.Error.WriteLineAsync($"isms people leave: {mark.Email} marked as left on {mark.LeftAt:yyyy-MM-dd} by {mark.MarkedBy}; the next event or sweep judges their principals. Copy leftAt into policy/isms.yaml at the next policy review.").ConfigureAwait(false);
                return 0;
            }));
        return people;
    }

    /// <summary>One JSON line per person: e-mail, roles, the file's <c>leftAt</c>, the stored mark, and the date in force.</summary>
    internal static IEnumerable<string> PeopleLines(IsmsSettings settings, IReadOnlyList<LeaveMark> marks)
    {
        var applied = LeaveMarkStore.Apply(settings, marks);
        for (var i = 0; i < settings.People.Count; i++)
        {
            var file = settings.People[i];
            var mark = marks.FirstOrDefault(m => string.Equals(m.Email, file.Email, StringComparison.OrdinalIgnoreCase));
            using var buffer = new MemoryStream();
            using (var w = new Utf8JsonWriter(buffer))
            {
                w.WriteStartObject();
                w.WriteString("email", file.Email);
                w.WriteString("name", file.Name);
                w.WriteStartArray("roles");
                foreach (var r in file.Roles) w.WriteStringValue(r);
                w.WriteEndArray();
                w.WriteString("fileLeftAt", file.LeftAt?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
                if (mark is null) w.WriteNull("mark");
                else
                {
                    w.WritePropertyName("mark");
                    AccessJson.WriteLeave(w, mark);
                }
                w.WriteString("leftAt", applied.People[i].LeftAt?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
                w.WriteEndObject();
            }
            yield return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
        }
    }

    private static AccessReviewService Service(IAmazonDynamoDB dynamo, string table, IsmsSettings settings, TimeProvider clock) =>
        new(dynamo, table, settings, clock, DutiesCommand.HomeAccount(), DutiesCommand.HomeRegion());
}
