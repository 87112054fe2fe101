using System.Globalization;
using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace IsmsServerless.Policy;

/// <summary>
/// Reads YAML into a <see cref="JsonNode"/> (YAML 1.2 core schema: plain <c>true</c>/<c>false</c>, <c>null</c>/<c>~</c>,
/// integers and floats are typed; everything quoted or otherwise is a string) and remembers the line of every node by
/// its JSON Pointer, so a schema error at <c>/controls/3/rules/0</c> is reported at the YAML line that holds it.
/// </summary>
public static partial class YamlJson
{
    /// <summary>Parses <paramref name="yaml"/>; throws <see cref="PolicyException"/> with the line on a syntax error.</summary>
    public static (JsonNode? Root, IReadOnlyDictionary<string, int> Lines) Parse(string yaml)
    {
        var lines = new Dictionary<string, int>(StringComparer.Ordinal);
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException ex)
        {
            throw new PolicyException([new PolicyError((int)ex.Start.Line, "", "YAML syntax: " + ex.Message)]);
        }
        if (stream.Documents.Count == 0) return (null, lines);
        if (stream.Documents.Count > 1)
            throw new PolicyException([new PolicyError((int)stream.Documents[1].RootNode.Start.Line, "", "the policy file must hold one YAML document")]);
        var root = Convert(stream.Documents[0].RootNode, "", lines);
        return (root, lines);
    }

    private static JsonNode? Convert(YamlNode node, string pointer, Dictionary<string, int> lines)
    {
        lines[pointer] = (int)node.Start.Line;
        switch (node)
        {
            case YamlMappingNode map:
                var obj = new JsonObject();
                foreach (var (keyNode, valueNode) in map.Children)
                {
                    var key = keyNode is YamlScalarNode k ? k.Value ?? "" : keyNode.ToString();
                    if (obj.ContainsKey(key))
                        throw new PolicyException([new PolicyError((int)keyNode.Start.Line, pointer + "/" + Escape(key), $"duplicate key '{key}'")]);
                    obj[key] = Convert(valueNode, pointer + "/" + Escape(key), lines);
                }
                return obj;
            case YamlSequenceNode seq:
                var array = new JsonArray();
                var i = 0;
                foreach (var child in seq.Children) array.Add(Convert(child, pointer + "/" + (i++).ToString(CultureInfo.InvariantCulture), lines));
                return array;
            case YamlScalarNode scalar:
                return Scalar(scalar);
            default:
                throw new PolicyException([new PolicyError((int)node.Start.Line, pointer, "YAML aliases and tags are not supported in the policy file")]);
        }
    }

    private static JsonValue? Scalar(YamlScalarNode scalar)
    {
        var text = scalar.Value ?? "";
        if (scalar.Style != ScalarStyle.Plain) return JsonValue.Create(text);
        switch (text)
        {
            case "" or "~" or "null" or "Null" or "NULL": return null;
            case "true" or "True" or "TRUE": return JsonValue.Create(true);
            case "false" or "False" or "FALSE": return JsonValue.Create(false);
        }
        if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var whole)) return JsonValue.Create(whole);
        if (YamlFloat().IsMatch(text) && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var real) && double.IsFinite(real))
            return JsonValue.Create(real);
        return JsonValue.Create(text);
    }

    /// <summary>JSON Pointer escaping (RFC 6901).</summary>
    public static string Escape(string key) => key.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal);

    [System.Text.RegularExpressions.GeneratedRegex(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")]
    private static partial System.Text.RegularExpressions.Regex YamlFloat();
}
