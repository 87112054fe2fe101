using System.CommandLine;
using System.Text.Json;
using IsmsServerless.Compliance;
using IsmsServerless.Engine;

namespace IsmsServerless.Cli;

/// <summary>
/// <c>./isms controls [--format table|json]</c>: the audit view of the control map — each ISO 27001:2022 and SOC 2
/// control, the rules that give automated evidence for it, and the controls whose evidence is still manual.
/// </summary>
internal static class ControlsCommand
{
    public static Command Create()
    {
        var format = new Option<string>("--format") { Description = "table (default) or json (JSON Lines)", DefaultValueFactory = _ => "table" };
        format.AcceptOnlyFromAmong("table", "json");
        var command = new Command("controls", "List controls with the rules that evaluate them (automated) or none (manual).") { format };
        command.SetAction(parse =>
        {
            Write(ControlCatalog.Coverage(RuleRegistry.CreateDefault()), parse.GetValue(format) ?? "table", Console.Out);
            return 0;
        });
        return command;
    }

    internal static void Write(IReadOnlyList<ControlCoverage> coverage, string format, TextWriter output)
    {
        if (format == "json")
        {
            foreach (var c in coverage)
            {
                using var buffer = new MemoryStream();
                using (var json = new Utf8JsonWriter(buffer))
                {
                    json.WriteStartObject();
                    json.WriteString("control", c.Control.Id);
                    json.WriteString("framework", c.Control.Framework);
                    json.WriteString("name", c.Control.Name);
                    json.WriteString("policy", c.Control.Policy);
                    json.WriteString("evidence", c.Automated ? "automated" : "manual");
                    json.WriteStartArray("rules");
                    foreach (var rule in c.RuleIds) json.WriteStringValue(rule);
                    json.WriteEndArray();
                    json.WriteEndObject();
                }
                output.WriteLine(System.Text.Encoding.UTF8.GetString(buffer.ToArray()));
            }
            return;
        }
        var automated = coverage.Count(c => c.Automated);
        output.WriteLine($"{automated} of {coverage.Count} controls have automated evidence; the rest are manual.");
        output.WriteLine();
        foreach (var c in coverage)
        {
            output.WriteLine($"{(c.Automated ? "automated" : "manual   ")}  {c.Control.Id,-22} {c.Control.Name}");
            foreach (var rule in c.RuleIds) output.WriteLine($"{"",33}{rule}");
        }
    }
}
