using System.CommandLine;
using System.Text.Json;
using IsmsServerless.Engine;
using IsmsServerless.Output;
using IsmsServerless.Settings;

namespace IsmsServerless.Cli;

/// <summary>
/// <c>./isms evaluate</c>: runs the Lambdas' detection code over event files, with no store and no network,
/// and prints one JSON line per outcome. Exit 0 when every path was read (findings and rejections included).
/// </summary>
internal static class EvaluateCommand
{
    public static Command Create()
    {
        var at = CliOptions.At();
        var config = CliOptions.Config();
        var paths = new Argument<string[]>("paths") { Description = "Event files, or directories of *.json event files.", Arity = ArgumentArity.OneOrMore };
        var command = new Command("evaluate", "Evaluate events exactly as the Lambdas would, without a store; prints JSON Lines.") { at, config, paths };
        command.SetAction(parse =>
        {
            IsmsSettings settings;
            try
            {
                settings = CliOptions.LoadSettings(parse.GetValue(config));
            }
            catch (Exception ex) when (ex is InvalidSettingsException or JsonException or IOException)
            {
                Console.Error.WriteLine($"isms evaluate: {ex.Message}");
                return 2;
            }
            var context = new EvaluationContext(settings, CliOptions.ClockFor(parse.GetValue(at)));
            return Run(parse.GetValue(paths) ?? [], context, RuleEngine.CreateDefault(), Console.Out);
        });
        return command;
    }

    internal static int Run(IReadOnlyList<string> paths, EvaluationContext context, RuleEngine engine, TextWriter output)
    {
        var (files, unreadablePaths) = InputFiles.Expand(paths);
        var unreadable = unreadablePaths.ToList();
        var changes = new ChangeRegisterPass(context, engine.Registry);
        foreach (var file in files)
        {
            byte[] bytes;
            try
            {
                bytes = File.ReadAllBytes(file);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                unreadable.Add($"{file}: {ex.Message}");
                continue;
            }
            // Per-call change evaluations are grouped into one line per session after all files are read.
            if (changes.Absorb(file, engine.Evaluate(bytes, context)) is not { } result) continue;
            foreach (var line in OutcomeLine.From(file, result, context))
                output.WriteLine(JsonSerializer.Serialize(line, OutputJsonContext.Default.OutcomeLine));
        }
        foreach (var line in changes.Lines())
            output.WriteLine(JsonSerializer.Serialize(line, OutputJsonContext.Default.OutcomeLine));
        foreach (var problem in unreadable) Console.Error.WriteLine($"isms evaluate: {problem}");
        output.Flush();
        return unreadable.Count > 0 ? 1 : 0;
    }
}
