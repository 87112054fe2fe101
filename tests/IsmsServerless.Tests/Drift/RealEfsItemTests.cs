using System.Text;
using System.Text.Json.Nodes;
using IsmsServerless.Engine;
using IsmsServerless.Model;
using IsmsServerless.Tests.Support;

namespace IsmsServerless.Tests.Drift;

/// <summary>
/// The EFS baseline on a real Config item (issue 18 section 4): the AWS Config Developer Guide's "Config Configuration
/// Item Change" EventBridge example for <c>AWS::EFS::FileSystem</c> (Fixtures/baselines, source in SOURCES.md), PascalCase
/// configuration, numeric <c>configurationStateId</c>, <c>availabilityZone</c> "Regional". As published it is encrypted
/// (compliant, category drift); the same item with <c>Encrypted: false</c> and no key is a finding.
/// </summary>
public sealed class RealEfsItemTests
{
    private const string Fixture = "baselines/eb-config-item-change-efs-awsdocs.json";
    private readonly RuleEngine _engine = RuleEngine.CreateDefault();

    private Evaluation Efs(string json)
    {
        var result = _engine.Evaluate(Encoding.UTF8.GetBytes(json), TestContexts.At("2022-03-16T02:00:00Z"));
        Assert.False(result.Rejected, result.Error);
        return Assert.Single(result.Evaluations, e => e.Rule.Id == "drift.efs-file-system-encryption");
    }

    [Fact]
    public void The_published_encrypted_file_system_is_compliant_drift()
    {
        var e = Efs(Encoding.UTF8.GetString(Fixtures.Local(Fixture)));
        Assert.Equal(Outcome.Compliant, e.Outcome);
        Assert.Equal(Category.Drift, e.Rule.Category);
        Assert.Equal("arn:aws:elasticfilesystem:us-east-1:123456789012:file-system/fs-01f0d526165b57f95", e.ResourceId);
    }

    [Fact]
    public void The_same_item_unencrypted_is_a_finding()
    {
        var node = JsonNode.Parse(Fixtures.Local(Fixture))!;
        var configuration = node["detail"]!["configurationItem"]!["configuration"]!.AsObject();
        configuration["Encrypted"] = false;
        configuration.Remove("KmsKeyId");
        var e = Efs(node.ToJsonString());
        Assert.Equal(Outcome.Finding, e.Outcome);
        Assert.Equal(Category.Drift, e.Rule.Category);
    }
}
