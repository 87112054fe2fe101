using System.CommandLine;
using IsmsServerless.Policy;

namespace IsmsServerless.Cli;

/// <summary>
/// <c>./isms policy validate [FILE]</c>: checks the policy file (default <c>policy/isms.yaml</c> in the repository) the
/// way <c>cdk synth</c> does: YAML, JSON Schema, settings, catalog cross-checks. Prints every error as
/// <c>FILE:LINE: PATH: message</c> and exits 1 on any error, 0 when valid (warnings are printed, not fatal).
/// </summary>
internal static class PolicyCommand
{
    public static Command Create()
    {
        var file = new Argument<string?>("file") { Description = "Policy file (default: policy/isms.yaml)", Arity = ArgumentArity.ZeroOrOne };
        var validate = new Command("validate", "Validate the policy file; lists every error with its line and path; exit 1 on any error.") { file };
        validate.SetAction(parse => Validate(parse.GetValue(file) ?? DefaultPath(), Console.Out, Console.Error));
        return new Command("policy", "The policy file (policy/isms.yaml): settings and control catalog.") { validate };
    }

    internal static string DefaultPath() =>
        Path.Combine(Environment.GetEnvironmentVariable("ISMS_REPO_ROOT") ?? Directory.GetCurrentDirectory(), "policy", "isms.yaml");

    internal static int Validate(string path, TextWriter output, TextWriter errors)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            errors.WriteLine($"isms policy validate: cannot read {path}: {ex.Message}");
            return 2;
        }
        var result = PolicyValidator.Validate(text);
        foreach (var e in result.Errors) errors.WriteLine($"{path}:{e.Line}: error: {(e.Path.Length == 0 ? "/" : e.Path)}: {e.Message}");
        foreach (var w in result.Warnings) errors.WriteLine($"{path}:{w.Line}: warning: {w.Path}: {w.Message}");
        if (!result.Valid)
        {
            errors.WriteLine($"isms policy validate: {result.Errors.Count} error(s) in {path}");
            return 1;
        }
        output.WriteLine($"{path}: valid (version {result.Policy!.Version}, {result.Policy.Controls.Count} controls, {result.Warnings.Count} warning(s))");
        return 0;
    }
}
