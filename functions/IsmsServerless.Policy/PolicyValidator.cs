using System.Text.Json.Nodes;
using IsmsServerless.Compliance;
using IsmsServerless.Engine;
using Json.Schema;

namespace IsmsServerless.Policy;

/// <summary>What <see cref="PolicyValidator.Validate"/> found: every error (with its line and path) and the warnings.</summary>
public sealed record PolicyValidation(PolicyDocument? Policy, IReadOnlyList<PolicyError> Errors, IReadOnlyList<PolicyError> Warnings)
{
    public bool Valid => Errors.Count == 0;
}

/// <summary>
/// Checks a policy file the way <c>custodian validate</c> checks its policies: YAML syntax, the JSON Schema
/// (<c>policy/isms.schema.json</c>, what editors use too), the settings' own <c>Validate()</c>, and the catalog's
/// cross-checks against the rule registry and the duty ids. Every error carries the YAML line and the JSON Pointer.
/// </summary>
public static class PolicyValidator
{
    private static readonly Lazy<JsonSchema> Schema = new(() => JsonSchema.FromText(SchemaText));

    public static string SchemaText
    {
        get
        {
            using var stream = typeof(PolicyValidator).Assembly.GetManifestResourceStream("IsmsServerless.Policy.isms.schema.json")
                ?? throw new InvalidOperationException("isms.schema.json is not embedded");
            using var reader = new StreamReader(stream);
            return reader.ReadToEnd();
        }
    }

    public static PolicyValidation ValidateFile(string path, RuleRegistry? registry = null) => Validate(File.ReadAllText(path), registry);

    public static PolicyValidation Validate(string yaml, RuleRegistry? registry = null)
    {
        JsonNode? root;
        IReadOnlyDictionary<string, int> lines;
        try
        {
            (root, lines) = YamlJson.Parse(yaml);
        }
        catch (PolicyException ex)
        {
            return new PolicyValidation(null, ex.Errors, []);
        }
        var errors = SchemaErrors(root, lines);
        // Then the settings' own rules and the catalog's cross-checks, so one run lists every problem (an error the
        // schema already reported at the same path is not repeated).
        var (policy, parseErrors) = PolicyDocument.Build(yaml);
        var reported = errors.Select(e => e.Path).ToHashSet(StringComparer.Ordinal);
        errors.AddRange(parseErrors.Where(e => !reported.Contains(e.Path)));
        if (policy is null) return new PolicyValidation(null, Sorted(errors), []);
        var (catalogErrors, warnings) = ControlCatalog.Check(policy, registry ?? RuleRegistry.CreateDefault());
        errors.AddRange(catalogErrors);
        return new PolicyValidation(errors.Count == 0 ? policy : null, Sorted(errors), warnings);
    }

    /// <summary>
    /// The JSON Schema errors, one per failing keyword, at the line of the instance they concern. The hierarchical
    /// output is walked through failing nodes only: the failing alternative of an <c>anyOf</c> that another alternative
    /// satisfied, and an <c>if</c> that did not match, are not errors (the flat list reports them all, so one bad duty
    /// cadence printed a failure for every other duty and control).
    /// </summary>
    public static List<PolicyError> SchemaErrors(JsonNode? root, IReadOnlyDictionary<string, int> lines)
    {
        using var document = System.Text.Json.JsonDocument.Parse(root?.ToJsonString() ?? "null");
        var result = Schema.Value.Evaluate(document.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.Hierarchical, RequireFormatValidation = true });
        var errors = new List<PolicyError>();
        if (result.IsValid) return errors;
        Walk(result);
        return errors.DistinctBy(e => (e.Path, e.Message)).ToList();

        void Walk(EvaluationResults node)
        {
            if (node.IsValid) return;
            var keyword = node.EvaluationPath.ToString();
            if (keyword.EndsWith("/if", StringComparison.Ordinal)) return;
            if (node.Errors is { Count: > 0 } messages)
            {
                var pointer = node.InstanceLocation.ToString();
                if (pointer == "#") pointer = "";
                if (pointer.StartsWith('#')) pointer = pointer[1..];
                // "allOf", "anyOf" and "$ref" wrappers repeat what their inner keyword said; keep the leaf messages.
                foreach (var (kind, message) in messages)
                {
                    if (kind is "allOf" or "anyOf" or "$ref") continue;
                    errors.Add(new PolicyError(LineFor(pointer, lines), pointer, $"{message} ({kind} at {keyword})"));
                }
            }
            foreach (var child in node.Details ?? []) Walk(child);
        }
    }

    /// <summary>The line of the node at <paramref name="pointer"/>, or of its nearest ancestor that exists (a missing key).</summary>
    private static int LineFor(string pointer, IReadOnlyDictionary<string, int> lines)
    {
        var p = pointer;
        while (true)
        {
            if (lines.TryGetValue(p, out var line)) return line;
            if (p.Length == 0) return 0;
            p = p[..p.LastIndexOf('/')];
        }
    }

    private static List<PolicyError> Sorted(IEnumerable<PolicyError> errors) =>
        errors.OrderBy(e => e.Line).ThenBy(e => e.Path, StringComparer.Ordinal).ToList();
}
