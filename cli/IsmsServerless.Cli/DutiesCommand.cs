using System.CommandLine;
using System.Text;
using System.Text.Json;
using Amazon.DynamoDBv2;
using IsmsServerless.Model;
using IsmsServerless.Obligations;
using IsmsServerless.Settings;

namespace IsmsServerless.Cli;

/// <summary>
/// <c>./isms duties [--format text|json]</c>: every open obligation (recurring duties' periods, change reviews, and
/// whatever other areas opened), earliest due first, then the most recently attested. One line each: <c>id</c>,
/// <c>control</c>, <c>owner</c>, <c>dueAt</c>, <c>state</c> (open | due | overdue | done), plus kind, subject, title.
/// Opens the current duty periods first (as the sweep does), so a fresh store lists them. Exit 0; 2 bad settings; 3 store.
/// </summary>
internal static class DutiesCommand
{
    public static Command Create()
    {
        var format = new Option<string>("--format") { Description = "text (default) or json (one JSON object per line).", DefaultValueFactory = _ => "text" };
        format.AcceptOnlyFromAmong("text", "json");
        var endpoint = CliOptions.DynamoDbEndpoint();
        var table = StoreOptions.Table();
        var at = CliOptions.At();
        var config = CliOptions.Config();
        var command = new Command("duties", "List duties and other obligations with owner, control, due date and state.") { format, endpoint, table, at, config };
        command.SetAction(async (parse, cancellationToken) =>
        {
            IsmsSettings settings;
            try
            {
                settings = CliOptions.LoadSettings(parse.GetValue(config));
            }
            catch (Exception ex) when (ex is InvalidSettingsException or JsonException or IOException)
            {
                await Console.Error.WriteLineAsync($"isms duties: {ex.Message}").ConfigureAwait(false);
                return 2;
            }
            var clock = CliOptions.ClockFor(parse.GetValue(at));
            return await StoreCommand.WithStoreAsync("duties", parse.GetValue(endpoint), parse.GetValue(table), store =>
                RunAsync(store.Client, store.TableName, settings, clock, parse.GetValue(format) == "json", Console.Out, cancellationToken), cancellationToken).ConfigureAwait(false);
        });
        return command;
    }

    internal static async Task<int> RunAsync(IAmazonDynamoDB dynamo, string tableName, IsmsSettings settings, TimeProvider clock, bool json, TextWriter output,
        CancellationToken cancellationToken = default)
    {
        var service = new AttestationService(new DynamoObligationStore(dynamo, tableName, settings), settings, clock, HomeAccount(), HomeRegion(),
            new Changes.ChangeReviewListing(new Changes.DynamoChangeRegister(dynamo, tableName, settings)));
        await service.Scheduler.EnsureOpenAsync(clock.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        var lines = await service.ListAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        if (!json)
            await output.WriteLineAsync($"{"id",-28}  {"state",-8}  {"dueAt",-24}  {"control",-22}  {"owner",-14}  title").ConfigureAwait(false);
        foreach (var line in lines)
            await output.WriteLineAsync(json ? Json(line) : Text(line)).ConfigureAwait(false);
        await output.FlushAsync(cancellationToken).ConfigureAwait(false);
        return 0;
    }

    internal static string HomeAccount() => Environment.GetEnvironmentVariable("ISMS_ACCOUNT_ID") is { Length: > 0 } a ? a : "unknown";

    internal static string HomeRegion() => Environment.GetEnvironmentVariable("AWS_REGION") is { Length: > 0 } r ? r : "unknown";

    private static string Text(DutyLine line) =>
        $"{line.Id,-28}  {line.State.ToWire(),-8}  {Timestamps.ToWire(line.Obligation.DueAt),-24}  {line.Control,-22}  {line.Owner,-14}  {Clean(line.Obligation.Spec.Title)}" +
        (line.Obligation.Spec.Period.Length > 0 ? $" ({line.Obligation.Spec.Period})" : "");

    // Titles come from settings and change principals: no terminal control sequences.
    private static string Clean(string text) => new([.. text.Where(c => !char.IsControl(c))]);

    internal static string Json(DutyLine line)
    {
        var o = line.Obligation;
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("id", o.Id);
            w.WriteString("control", line.Control);
            w.WriteString("owner", line.Owner);
            w.WriteString("dueAt", Timestamps.ToWire(o.DueAt));
            w.WriteString("state", line.State.ToWire());
            w.WriteString("kind", o.Kind);
            w.WriteString("subject", o.Subject);
            w.WriteString("period", o.Spec.Period);
            w.WriteString("title", o.Spec.Title);
            w.WriteStartArray("controls");
            foreach (var c in o.Spec.Controls) w.WriteStringValue(c);
            w.WriteEndArray();
            w.WriteString("ownerRole", o.Spec.OwnerRole);
            w.WriteString("opensAt", Timestamps.ToWire(o.Spec.OpensAt));
            w.WriteBoolean("fourEyes", o.Spec.FourEyes);
            w.WriteString("evidenceExpected", o.Spec.EvidenceExpected);
            w.WriteString("policyVersion", o.Spec.PolicyVersion);
            if (o.Attestation is { } a)
            {
                w.WriteStartObject("attestation");
                w.WriteString("by", a.By);
                w.WriteString("subject", a.Subject);
                w.WriteString("at", Timestamps.ToWire(a.At));
                w.WriteString("note", a.Note);
                w.WriteStartArray("evidence");
                foreach (var e in a.Evidence) w.WriteStringValue(e);
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}
