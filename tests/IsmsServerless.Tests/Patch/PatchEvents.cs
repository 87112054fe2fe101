using System.Text;
using System.Text.Json.Nodes;
using IsmsServerless.Tests.Support;

namespace IsmsServerless.Tests.Patch;

/// <summary>The shared patch fixtures, and variants of them edited in memory (each test says what it changed).</summary>
internal static class PatchEvents
{
    public const string Ec2Vuln = "patch/eb-inspector2-finding-ec2-package-vuln.json";
    public const string EcrVuln = "patch/eb-inspector2-finding-ecr-package-vuln.json";
    public const string Reachability = "patch/eb-inspector2-finding-ec2-network-reachability.json";
    public const string SsmNonCompliant = "patch/eb-ssm-compliance-patch-noncompliant.json";
    public const string SsmCompliantTypo = "patch/eb-ssm-compliance-patch-compliant-doc-typo-source.json";

    public static JsonNode Load(string shared) => JsonNode.Parse(Fixtures.Shared(shared))!;

    public static byte[] Bytes(JsonNode node) => Encoding.UTF8.GetBytes(node.ToJsonString());

    /// <summary>The shared fixture with edits applied to its <c>detail</c>.</summary>
    public static byte[] Edited(string shared, Action<JsonObject> editDetail)
    {
        var node = Load(shared);
        editDetail(node["detail"]!.AsObject());
        return Bytes(node);
    }

    /// <summary>Writes a payload to a temp file for the CLI and returns its path.</summary>
    public static string TempFile(byte[] payload, DirectoryInfo dir, string name)
    {
        var path = Path.Combine(dir.FullName, name);
        File.WriteAllBytes(path, payload);
        return path;
    }
}
