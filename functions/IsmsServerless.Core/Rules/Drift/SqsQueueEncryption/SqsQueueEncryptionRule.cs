using IsmsServerless.Drift;
using IsmsServerless.Inputs;
using IsmsServerless.Model;

namespace IsmsServerless.Rules.Drift;

/// <summary>SQS queues encrypt at rest: SSE-KMS (KmsMasterKeyId) or SSE-SQS (SqsManagedSseEnabled, a string in Config items).</summary>
public sealed class SqsQueueEncryptionRule : ConfigItemBaselineRule
{
    private static readonly Baseline Definition = new("AWS::SQS::Queue", "2026.11.1",
    [
        new("sqs.encrypted", "configuration.KmsMasterKeyId | configuration.SqsManagedSseEnabled", "a KMS key, or SqsManagedSseEnabled true", PolicyClauses.QwestlyEncryptAtRest, With(Controls.IsoCryptography, Controls.Soc2LogicalAccess), Severity.Medium),
    ]);

    public override RuleMetadata Metadata { get; } = new(
        Id: "drift.sqs-queue-encryption",
        Title: "SQS queue not encrypted at rest",
        Category: Category.Drift,
        Severity: Severity.Medium,
        ResourceType: "AWS::SQS::Queue",
        PolicyClause: PolicyClauses.QwestlyEncryptAtRest,
        Controls: With(Controls.IsoCryptography, Controls.Soc2LogicalAccess),
        Risk: "Queued messages (events, findings, customer data in transit between services) are stored unencrypted.",
        Remediation: "aws sqs set-queue-attributes --queue-url <url> --attributes SqsManagedSseEnabled=true (or KmsMasterKeyId=<key>); set the same in code.")
    {
        Sla = TimeSpan.FromDays(30),
    };

    public override Baseline Baseline => Definition;

    public override IReadOnlyList<string> ResourceTypes { get; } = ["AWS::SQS::Queue"];

    protected override IEnumerable<BaselineViolation> Check(ConfigItemInput input)
    {
        var key = Json.Text(input.Configuration, "KmsMasterKeyId", "kmsMasterKeyId");
        var managed = Json.Get(input.Configuration, "SqsManagedSseEnabled", "sqsManagedSseEnabled");
        var ok = !string.IsNullOrWhiteSpace(key) || Json.Bool(managed) == true;
        return Require(ok, Definition["sqs.encrypted"], $"KmsMasterKeyId {(string.IsNullOrWhiteSpace(key) ? "not set" : key)}, SqsManagedSseEnabled {Json.Text(managed) ?? "not set"}");
    }
}
