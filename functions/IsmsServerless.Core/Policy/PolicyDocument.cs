using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using IsmsServerless.Settings;

namespace IsmsServerless.Policy;

/// <summary>Metadata of the reviewed policy document (the <c>document</c> block).</summary>
public sealed record PolicyMetadata
{
    public string Id { get; set; } = "";
    public string Title { get; set; } = "";
    public string Owner { get; set; } = "";
    public string ApprovedBy { get; set; } = "";
    public string ApprovedDate { get; set; } = "";
    public string NextReview { get; set; } = "";
    public IReadOnlyList<string> Sources { get; set; } = [];
}

/// <summary>A seed policy clause a control implements.</summary>
public sealed record PolicyClause(string Document, string Section);

/// <summary>How a control is evidenced.</summary>
public static class EvidenceKinds
{
    public const string Automated = "automated";
    public const string Duty = "duty";
    public const string Manual = "manual";
    public const string NotApplicable = "not-applicable";
}

/// <summary>One control of the catalog, as written in the policy file.</summary>
public sealed record PolicyControl
{
    /// <summary>The framework's own id, e.g. <c>A.8.8</c> or <c>CC8.1</c>.</summary>
    public string Id { get; set; } = "";

    /// <summary><c>ISO27001:2022</c> or <c>SOC2</c>.</summary>
    public string Framework { get; set; } = "";

    public string Title { get; set; } = "";
    public IReadOnlyList<PolicyClause> Clauses { get; set; } = [];

    /// <summary><see cref="EvidenceKinds"/>.</summary>
    public string Evidence { get; set; } = "";

    public IReadOnlyList<string> Rules { get; set; } = [];
    public IReadOnlyList<string> Duties { get; set; } = [];

    /// <summary>Days within which automated evidence must be fresh; older evidence makes the control stale.</summary>
    public int FreshnessDays { get; set; } = 30;

    public string? Note { get; set; }
    public string? Justification { get; set; }

    /// <summary>The key rule metadata uses, e.g. <c>ISO27001:2022 A.8.8</c>, <c>SOC2 CC8.1</c>.</summary>
    [JsonIgnore]
    public string Key => Framework + " " + Id;
}

/// <summary>
/// The policy file (<c>policy/isms.yaml</c>): version, document metadata, the enforcement settings (every other
/// top-level key, mapped 1:1 onto <see cref="IsmsSettings"/> through its own parser) and the control catalog.
/// The file is embedded in the core assembly, so it ships inside the function package the stack deploys and the CLI
/// runs; <c>cdk synth</c> and <c>./isms policy validate</c> check the same file.
/// </summary>
public sealed record PolicyDocument
{
    /// <summary>Top-level keys that are not settings.</summary>
    public static readonly IReadOnlySet<string> NonSettingKeys = new HashSet<string>(StringComparer.Ordinal) { "version", "document", "controls", "$schema" };

    public const string ResourceName = "IsmsServerless.Policy.isms.yaml";

    private static readonly Lazy<PolicyDocument> EmbeddedDocument = new(() => Parse(ReadEmbedded(), "policy/isms.yaml (embedded)"));

    public required string Version { get; init; }
    public required PolicyMetadata Document { get; init; }
    public required IsmsSettings Settings { get; init; }
    public required IReadOnlyList<PolicyControl> Controls { get; init; }

    /// <summary>The settings part as JSON (the <c>ISMS_SETTINGS</c> shape).</summary>
    public required string SettingsJson { get; init; }

    /// <summary>Line of each JSON Pointer in the YAML text.</summary>
    public required IReadOnlyDictionary<string, int> Lines { get; init; }

    /// <summary>The YAML line of <paramref name="path"/> (a JSON Pointer), or of its nearest ancestor present in the file (0 when none).</summary>
    public int LineOf(string path)
    {
        var p = path;
        while (true)
        {
            if (Lines.TryGetValue(p, out var line)) return line;
            if (p.Length == 0) return 0;
            p = p[..p.LastIndexOf('/')];
        }
    }

    /// <summary>The policy bundled with this build (the repository's <c>policy/isms.yaml</c> at build time).</summary>
    public static PolicyDocument Embedded => EmbeddedDocument.Value;

    /// <summary>The raw text of the embedded file.</summary>
    public static string ReadEmbedded()
    {
        using var stream = typeof(PolicyDocument).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException("policy/isms.yaml is not embedded in the core assembly");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    public static PolicyDocument Load(string path) => Parse(File.ReadAllText(path), path);

    /// <summary>Parses and checks the structure and the settings; throws <see cref="PolicyException"/> listing every problem.</summary>
    public static PolicyDocument Parse(string yaml, string source = "policy")
    {
        var (document, errors) = Build(yaml, source);
        if (errors.Count > 0) throw new PolicyException(errors);
        return document!;
    }

    /// <summary>
    /// Parses as far as it can: the document (with default settings when the settings are invalid, null when the
    /// structure itself is) and every problem found, so a validator can add the catalog's checks to the list.
    /// </summary>
    public static (PolicyDocument? Document, IReadOnlyList<PolicyError> Errors) Build(string yaml, string source = "policy")
    {
        JsonNode? root;
        IReadOnlyDictionary<string, int> lines;
        try
        {
            (root, lines) = YamlJson.Parse(yaml);
        }
        catch (PolicyException ex)
        {
            return (null, ex.Errors);
        }
        if (root is not JsonObject top) return (null, [new PolicyError(1, "", $"{source}: the policy file must be a YAML mapping")]);
        var errors = new List<PolicyError>();
        int LineOf(string pointer) => lines.TryGetValue(pointer, out var l) ? l : 0;

        var version = top["version"] is JsonValue v && v.TryGetValue<string>(out var text) && text.Length > 0 ? text : null;
        if (version is null) errors.Add(new PolicyError(LineOf("/version"), "/version", "a version string is required (quote it: \"2026.11.1\")"));

        PolicyMetadata? metadata = null;
        List<PolicyControl>? controls = null;
        try
        {
            metadata = top["document"]?.Deserialize(PolicyJsonContext.Default.PolicyMetadata);
        }
        catch (JsonException ex)
        {
            errors.Add(new PolicyError(LineOf("/document"), "/document", ex.Message));
        }
        if (metadata is null && errors.Count == 0) errors.Add(new PolicyError(1, "/document", "the document block (owner, approvedDate, nextReview) is required"));
        try
        {
            controls = top["controls"]?.Deserialize(PolicyJsonContext.Default.ListPolicyControl);
        }
        catch (JsonException ex)
        {
            var path = "/controls" + JsonPathToPointer(ex.Path);
            errors.Add(new PolicyError(LineOf(path) is > 0 and var l ? l : LineOf("/controls"), path, ex.Message));
        }

        var settingsNode = new JsonObject();
        foreach (var (key, value) in top)
        {
            if (!NonSettingKeys.Contains(key)) settingsNode[key] = value?.DeepClone();
        }
        var settingsJson = settingsNode.ToJsonString();
        IsmsSettings? settings = null;
        try
        {
            settings = IsmsSettings.Parse(settingsJson);
        }
        catch (InvalidSettingsException ex)
        {
            errors.AddRange(ex.Errors.Select(e => SettingError(e, LineOf)));
        }
        catch (JsonException ex)
        {
            var path = JsonPathToPointer(ex.Path);
            errors.Add(new PolicyError(LineOf(path), path, ex.Message));
        }
        var structural = version is null || metadata is null || controls is null && top.ContainsKey("controls");
        if (structural) return (null, errors);
        return (new PolicyDocument
        {
            Version = version!,
            Document = metadata ?? new PolicyMetadata(),
            Settings = settings ?? IsmsSettings.Default,
            Controls = controls ?? [],
            SettingsJson = settingsJson,
            Lines = lines,
        }, errors);
    }

    /// <summary>A settings error names its key first (<c>"changeReviewHours must be…"</c>): point at that key's line.</summary>
    private static PolicyError SettingError(string message, Func<string, int> lineOf)
    {
        var key = new string(message.TakeWhile(c => char.IsAsciiLetterOrDigit(c)).ToArray());
        var path = key.Length > 0 ? "/" + key : "";
        return new PolicyError(lineOf(path), path, message);
    }

    /// <summary>System.Text.Json's <c>$.controls[3].rules</c> / <c>$[3].rules</c> → <c>/3/rules</c>.</summary>
    public static string JsonPathToPointer(string? path)
    {
        if (string.IsNullOrEmpty(path) || path == "$") return "";
        var pointer = new System.Text.StringBuilder();
        var i = path.StartsWith('$') ? 1 : 0;
        while (i < path.Length)
        {
            if (path[i] == '.')
            {
                var end = i + 1;
                while (end < path.Length && path[end] is not ('.' or '[')) end++;
                pointer.Append('/').Append(YamlJson.Escape(path[(i + 1)..end]));
                i = end;
            }
            else if (path[i] == '[')
            {
                var end = path.IndexOf(']', i);
                if (end < 0) break;
                pointer.Append('/').Append(path[(i + 1)..end].Trim('\''));
                i = end + 1;
            }
            else i++;
        }
        return pointer.ToString();
    }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow)]
[JsonSerializable(typeof(PolicyMetadata))]
[JsonSerializable(typeof(List<PolicyControl>))]
internal sealed partial class PolicyJsonContext : JsonSerializerContext;
