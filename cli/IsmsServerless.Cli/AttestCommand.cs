using System.CommandLine;
using System.Text.Json;
using Amazon.DynamoDBv2;
using IsmsServerless.Obligations;
using IsmsServerless.Settings;

namespace IsmsServerless.Cli;

/// <summary>
/// <c>./isms attest &lt;dutyId|obligationId&gt; --by P --evidence https://... [--evidence ...] [--note N]</c>: closes a
/// duty's open period (or one obligation) with who, when, note and evidence links. Exit 0 with the attested obligation
/// as one JSON line; 1 with the reason on stderr when refused (four-eyes, already attested, not found, bad evidence);
/// 2 bad settings; 3 store failure.
/// </summary>
internal static class AttestCommand
{
    public static Command Create()
    {
        var target = new Argument<string>("target") { Description = "A duty id (e.g. access-review: its earliest open period) or an obligation id (obl-…) from './isms duties'." };
        var by = new Option<string>("--by") { Description = "Who attests (e-mail as in the policy's people). Must not be the author of what is reviewed when four-eyes applies.", Required = true };
        var evidence = new Option<string[]>("--evidence") { Description = "https:// link to the evidence (repeatable; at least one).", AllowMultipleArgumentsPerToken = false };
        var note = new Option<string?>("--note") { Description = "What was done, for the audit record." };
        var endpoint = CliOptions.DynamoDbEndpoint();
        var table = StoreOptions.Table();
        var at = CliOptions.At();
        var config = CliOptions.Config();
        var command = new Command("attest", "Attest a duty or obligation as done, with evidence links (four-eyes where the policy implies it).")
        {
            target, by, evidence, note, endpoint, table, at, config,
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
                await Console.Error.WriteLineAsync($"isms attest: {ex.Message}").ConfigureAwait(false);
                return 2;
            }
            var request = new AttestRequest(parse.GetValue(target) ?? "", parse.GetValue(by) ?? "", "", parse.GetValue(evidence) ?? [], parse.GetValue(note));
            var clock = CliOptions.ClockFor(parse.GetValue(at));
            return await StoreCommand.WithStoreAsync("attest", parse.GetValue(endpoint), parse.GetValue(table), store =>
                RunAsync(store.Client, store.TableName, settings, clock, request, Console.Out, Console.Error, cancellationToken), cancellationToken).ConfigureAwait(false);
        });
        return command;
    }

    internal static async Task<int> RunAsync(IAmazonDynamoDB dynamo, string tableName, IsmsSettings settings, TimeProvider clock, AttestRequest request,
        TextWriter output, TextWriter errors, CancellationToken cancellationToken = default)
    {
        var service = new AttestationService(new DynamoObligationStore(dynamo, tableName, settings), settings, clock, DutiesCommand.HomeAccount(), DutiesCommand.HomeRegion());
        try
        {
            var attested = await service.AttestAsync(request, cancellationToken).ConfigureAwait(false);
            await output.WriteLineAsync(DutiesCommand.Json(new DutyLine(attested, ObligationState.Done))).ConfigureAwait(false);
            await output.FlushAsync(cancellationToken).ConfigureAwait(false);
            return 0;
        }
        catch (ObligationException ex)
        {
            await errors.WriteLineAsync($"isms attest: refused ({ex.Error}): {ex.Message}").ConfigureAwait(false);
            return 1;
        }
    }
}
