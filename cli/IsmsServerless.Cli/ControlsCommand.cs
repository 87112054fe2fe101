using System.CommandLine;
using System.Text.Json;
using Amazon.DynamoDBv2;
using IsmsServerless.Compliance;
using IsmsServerless.Engine;
using IsmsServerless.Evidence;
using IsmsServerless.Ledger;
using IsmsServerless.Policy;
using IsmsServerless.Settings;

namespace IsmsServerless.Cli;

/// <summary>
/// <c>./isms controls [--format table|json]</c>: each ISO 27001:2022 and SOC 2 control of the policy's catalog with its
/// status (pass | fail | stale | due | overdue | manual | not-applicable) from the stored passing evidence, its rules
/// and duties. JSON Lines fields: id, framework, title, clauses, status, rules, evaluated, passing, failing,
/// lastEvaluatedAt, duties (plus evidence, reason, activeFindings, policyVersion).
/// </summary>
internal static class ControlsCommand
{
    public static Command Create()
    {
        var format = new Option<string>("--format") { Description = "table (default) or json (JSON Lines)", DefaultValueFactory = _ => "table" };
        format.AcceptOnlyFromAmong("table", "json");
        var at = CliOptions.At();
        var endpoint = CliOptions.DynamoDbEndpoint();
        var table = StoreOptions.Table();
        var command = new Command("controls", "Each control of the policy's catalog with its status from the stored evidence, rules and duties.") { format, at, endpoint, table };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var now = CliOptions.ClockFor(parse.GetValue(at)).GetUtcNow();
            return await StoreCommand.WithStoreAsync("controls", parse.GetValue(endpoint), parse.GetValue(table), async store =>
            {
                var views = await ReadAsync(store.Client, store.TableName, now, cancellationToken).ConfigureAwait(false);
                Write(views, parse.GetValue(format) ?? "table", Console.Out);
                return 0;
            }, cancellationToken).ConfigureAwait(false);
        });
        return command;
    }

    internal static Task<IReadOnlyList<ControlView>> ReadAsync(IAmazonDynamoDB dynamo, string tableName, DateTimeOffset now, CancellationToken cancellationToken = default) =>
        new ControlsService(new DynamoDbEvidenceStore(dynamo, tableName, PolicyDocument.Embedded.Version),
                new DynamoDbFindingLedger(dynamo, tableName, IsmsSettings.Default), NoDutyStates.Instance, RuleRegistry.CreateDefault())
            .GetAsync(now, cancellationToken);

    internal static void Write(IReadOnlyList<ControlView> views, string format, TextWriter output)
    {
        if (format == "json")
        {
            foreach (var v in views) output.WriteLine(Line(v));
            return;
        }
        output.WriteLine($"policy {PolicyDocument.Embedded.Version}: {views.Count} controls; " +
            string.Join(", ", views.GroupBy(v => v.Status).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Count()} {g.Key}")));
        output.WriteLine();
        foreach (var v in views)
        {
            output.WriteLine($"{v.Status,-15} {v.Control.Framework,-14} {v.Control.Id,-7} {v.Control.Title}");
            if (v.Rules.Count > 0) output.WriteLine($"{"",38}rules: {v.Rules.Count}, evaluated {v.Evaluated}, passing {v.Passing}, failing {v.Failing}");
            if (v.Control.Duties.Count > 0) output.WriteLine($"{"",38}duties: {string.Join(", ", v.Control.Duties)}");
        }
    }

    internal static string Line(ControlView v)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("id", v.Control.Id);
            json.WriteString("framework", v.Control.Framework);
            json.WriteString("title", v.Control.Title);
            json.WriteStartArray("clauses");
            foreach (var c in v.Control.Clauses)
            {
                json.WriteStartObject();
                json.WriteString("document", c.Document);
                json.WriteString("section", c.Section);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteString("status", v.Status);
            json.WriteStartArray("rules");
            foreach (var r in v.Rules) json.WriteStringValue(r);
            json.WriteEndArray();
            json.WriteNumber("evaluated", v.Evaluated);
            json.WriteNumber("passing", v.Passing);
            json.WriteNumber("failing", v.Failing);
            if (v.LastEvaluatedAt is { } last) json.WriteString("lastEvaluatedAt", Model.Timestamps.ToWire(last));
            else json.WriteNull("lastEvaluatedAt");
            json.WriteStartArray("duties");
            foreach (var d in v.Control.Duties) json.WriteStringValue(d);
            json.WriteEndArray();
            json.WriteString("evidence", v.Control.Evidence);
            json.WriteString("reason", v.Reason);
            json.WriteNumber("activeFindings", v.ActiveFindings);
            json.WriteString("policyVersion", PolicyDocument.Embedded.Version);
            json.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }
}
