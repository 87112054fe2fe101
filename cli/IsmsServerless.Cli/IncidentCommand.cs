using System.CommandLine;
using System.Text.Json;
using Amazon.DynamoDBv2;
using IsmsServerless.Incidents;
using IsmsServerless.Obligations;
using IsmsServerless.Settings;

namespace IsmsServerless.Cli;

/// <summary>
/// <c>./isms incident ack|document|review &lt;incidentId&gt; --by P --note N [--evidence https://...]</c>: closes one of
/// the incident's three clocks (acknowledge with the impact assessment; document with the fix; post-incident review,
/// four-eyes against whoever documented it). Exit 0 with the closed obligation as one JSON line; 1 refused (reason on
/// stderr); 2 bad settings or action; 3 store failure.
/// </summary>
internal static class IncidentCommand
{
    public static Command Create()
    {
        var action = new Argument<string>("action") { Description = "ack (acknowledged, impact assessed, team notified), document (documented with the fix), review (post-incident review)." };
        var incident = new Argument<string>("incidentId") { Description = "The incident id (inc-…) from the incident finding, the Slack alert or the status page." };
        var by = new Option<string>("--by") { Description = "Who (e-mail as in the policy's people).", Required = true };
        var note = new Option<string?>("--note") { Description = "ack: the impact assessment and who was notified; document: the fix; review: what was learned and improved.", Required = true };
        var evidence = new Option<string[]>("--evidence") { Description = "https:// link (repeatable; required for document and review).", AllowMultipleArgumentsPerToken = false };
        var endpoint = CliOptions.DynamoDbEndpoint();
        var table = StoreOptions.Table();
        var at = CliOptions.At();
        var config = CliOptions.Config();
        var command = new Command("incident", "Close an incident's clocks: acknowledge (1 h), document with the fix (24 h), post-incident review (7 days).")
        {
            action, incident, by, note, evidence, endpoint, table, at, config,
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
                await Console.Error.WriteLineAsync($"isms incident: {ex.Message}").ConfigureAwait(false);
                return 2;
            }
            if (!IncidentService.TryParseAction(parse.GetValue(action), out var what))
            {
                await Console.Error.WriteLineAsync("isms incident: the action must be ack, document or review").ConfigureAwait(false);
                return 2;
            }
            var clock = CliOptions.ClockFor(parse.GetValue(at));
            return await StoreCommand.WithStoreAsync("incident", parse.GetValue(endpoint), parse.GetValue(table), store =>
                RunAsync(store.Client, store.TableName, settings, clock, what, parse.GetValue(incident) ?? "", parse.GetValue(by) ?? "",
                    parse.GetValue(note), parse.GetValue(evidence) ?? [], Console.Out, Console.Error, cancellationToken), cancellationToken).ConfigureAwait(false);
        });
        return command;
    }

    internal static async Task<int> RunAsync(IAmazonDynamoDB dynamo, string tableName, IsmsSettings settings, TimeProvider clock, IncidentAction action,
        string incidentId, string by, string? note, IReadOnlyList<string> evidence, TextWriter output, TextWriter errors, CancellationToken cancellationToken = default)
    {
        var service = new IncidentService(new DynamoObligationStore(dynamo, tableName, settings), clock, settings);
        try
        {
            var closed = await service.ActAsync(action, incidentId, by, "", note, evidence, cancellationToken).ConfigureAwait(false);
            await output.WriteLineAsync(DutiesCommand.Json(new DutyLine(closed, ObligationState.Done))).ConfigureAwait(false);
            await output.FlushAsync(cancellationToken).ConfigureAwait(false);
            return 0;
        }
        catch (ObligationException ex)
        {
            await errors.WriteLineAsync($"isms incident: refused ({ex.Error}): {ex.Message}").ConfigureAwait(false);
            return 1;
        }
    }

    /// <summary><c>./isms incidents</c>: one JSON line per incident (newest first) with its three clocks, their due time, state and who closed them.</summary>
    public static Command CreateList()
    {
        var endpoint = CliOptions.DynamoDbEndpoint();
        var table = StoreOptions.Table();
        var at = CliOptions.At();
        var config = CliOptions.Config();
        var command = new Command("incidents", "List incidents with their three clocks (acknowledge 1 h, document 24 h, review 7 d) and their state.") { endpoint, table, at, config };
        command.SetAction(async (parse, cancellationToken) =>
        {
            IsmsSettings settings;
            try
            {
                settings = CliOptions.LoadSettings(parse.GetValue(config));
            }
            catch (Exception ex) when (ex is InvalidSettingsException or JsonException or IOException)
            {
                await Console.Error.WriteLineAsync($"isms incidents: {ex.Message}").ConfigureAwait(false);
                return 2;
            }
            var clock = CliOptions.ClockFor(parse.GetValue(at));
            return await StoreCommand.WithStoreAsync("incidents", parse.GetValue(endpoint), parse.GetValue(table), store =>
                ListAsync(store.Client, store.TableName, settings, clock, Console.Out, cancellationToken), cancellationToken).ConfigureAwait(false);
        });
        return command;
    }

    internal static async Task<int> ListAsync(IAmazonDynamoDB dynamo, string tableName, IsmsSettings settings, TimeProvider clock, TextWriter output, CancellationToken cancellationToken = default)
    {
        var service = new IncidentService(new DynamoObligationStore(dynamo, tableName, settings), clock, settings);
        foreach (var incident in await service.ListAsync(200, cancellationToken).ConfigureAwait(false))
        {
            var line = new System.Text.Json.Nodes.JsonObject
            {
                ["incidentId"] = incident.IncidentId,
                ["startedAt"] = Model.Timestamps.ToWire(incident.StartedAt),
                ["open"] = incident.Open,
                ["clocks"] = new System.Text.Json.Nodes.JsonArray([.. incident.Clocks.Select(c => (System.Text.Json.Nodes.JsonNode)new System.Text.Json.Nodes.JsonObject
                {
                    ["clock"] = c.Clock.Kind[IncidentObligations.Prefix.Length..],
                    ["obligationId"] = c.Clock.Id,
                    ["dueAt"] = Model.Timestamps.ToWire(c.Clock.DueAt),
                    ["state"] = c.State.ToWire(),
                    ["by"] = c.Clock.Attestation?.By,
                    ["at"] = c.Clock.Attestation is { } a ? Model.Timestamps.ToWire(a.At) : null,
                })]),
            };
            await output.WriteLineAsync(line.ToJsonString()).ConfigureAwait(false);
        }
        await output.FlushAsync(cancellationToken).ConfigureAwait(false);
        return 0;
    }
}
