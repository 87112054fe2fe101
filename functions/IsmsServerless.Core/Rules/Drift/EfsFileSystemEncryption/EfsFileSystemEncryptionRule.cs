using IsmsServerless.Drift;
using IsmsServerless.Inputs;
using IsmsServerless.Model;

namespace IsmsServerless.Rules.Drift;

/// <summary>EFS file systems are encrypted at rest (set at creation only: an unencrypted file system must be replaced).</summary>
public sealed class EfsFileSystemEncryptionRule : ConfigItemBaselineRule
{
    private static readonly Baseline Definition = new("AWS::EFS::FileSystem", "2026.11.1",
    [
        new("efs.encrypted", "configuration.Encrypted", "true", PolicyClauses.QwestlyEncryptAtRest, With(Controls.IsoCryptography, Controls.Soc2LogicalAccess), Severity.High),
    ]);

    public override RuleMetadata Metadata { get; } = new(
        Id: "drift.efs-file-system-encryption",
        Title: "EFS file system not encrypted at rest",
        Category: Category.Drift,
        Severity: Severity.High,
        ResourceType: "AWS::EFS::FileSystem",
        PolicyClause: PolicyClauses.QwestlyEncryptAtRest,
        Controls: With(Controls.IsoCryptography, Controls.Soc2LogicalAccess),
        Risk: "Files on an unencrypted file system are readable from any copy or backup of its storage.",
        Remediation: "Create an encrypted file system (Encrypted: true, KmsKeyId), copy the data with AWS DataSync, switch mount targets, delete the old one.")
    {
        Sla = TimeSpan.FromDays(14),
    };

    public override Baseline Baseline => Definition;

    public override IReadOnlyList<string> ResourceTypes { get; } = ["AWS::EFS::FileSystem"];

    protected override IEnumerable<BaselineViolation> Check(ConfigItemInput input)
    {
        var encrypted = Json.Get(input.Configuration, "Encrypted", "encrypted");
        return Require(Json.Bool(encrypted) == true, Definition["efs.encrypted"], Json.Text(encrypted));
    }
}
