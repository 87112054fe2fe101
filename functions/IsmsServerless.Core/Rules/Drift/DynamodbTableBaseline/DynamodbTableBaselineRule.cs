using System.Text.Json;
using IsmsServerless.Drift;
using IsmsServerless.Engine;
using IsmsServerless.Inputs;
using IsmsServerless.Model;

namespace IsmsServerless.Rules.Drift;

/// <summary>
/// DynamoDB tables keep encryption at rest working and point-in-time recovery on. Every table is encrypted (an AWS owned
/// key when <c>sseDescription</c> is absent); what breaks it is a KMS key that became inaccessible. PITR is reported in
/// <c>supplementaryConfiguration.ContinuousBackupsDescription</c> when Config has it; when absent it is not judged.
/// </summary>
public sealed class DynamodbTableBaselineRule : IRule<ConfigItemInput>, IRule<CloudTrailInput>, IKeyedRule<CloudTrailInput>, IKeyedRule<ConfigItemInput>
{
    public const string ResourceTypeName = "AWS::DynamoDB::Table";

    public static Baseline Baseline { get; } = new(ResourceTypeName, "2026.11.1",
    [
        new("dynamodb.encryption-at-rest", "configuration.sseDescription.status", "ENABLED (or absent: AWS owned key)",
            PolicyClauses.QwestlyEncryptAtRest, [Controls.IsoCryptography, Controls.IsoConfiguration, Controls.Soc2LogicalAccess, Controls.Soc2ConfigurationMonitoring], Severity.High),
        new("dynamodb.point-in-time-recovery", "supplementaryConfiguration.ContinuousBackupsDescription.pointInTimeRecoveryDescription.pointInTimeRecoveryStatus", "ENABLED",
            PolicyClauses.QwestlyBackups, [Controls.IsoBackup, Controls.IsoConfiguration, Controls.Soc2Availability, Controls.Soc2ConfigurationMonitoring], Severity.Medium),
    ]);

    public RuleMetadata Metadata { get; } = new(
        Id: "drift.dynamodb-table-baseline",
        Title: "DynamoDB table without working encryption or PITR",
        Category: Category.Drift,
        Severity: Severity.Medium,
        ResourceType: ResourceTypeName,
        PolicyClause: PolicyClauses.QwestlyEncryptAtRest + "; " + PolicyClauses.QwestlyBackups,
        Controls: [Controls.IsoCryptography, Controls.IsoBackup, Controls.IsoConfiguration, Controls.Soc2LogicalAccess, Controls.Soc2Availability, Controls.Soc2ConfigurationMonitoring],
        Risk: "Without point-in-time recovery a bad write or delete cannot be undone; a table whose KMS key is inaccessible is unreadable.",
        Remediation: "aws dynamodb update-continuous-backups --table-name <t> --point-in-time-recovery-specification PointInTimeRecoveryEnabled=true; restore access to the table's KMS key.")
    {
        Sla = TimeSpan.FromDays(14),
    };

    private static readonly HashSet<string> HealthyEncryption = new(StringComparer.OrdinalIgnoreCase) { "ENABLED", "ENABLING", "UPDATING" };

    public IEnumerable<Evaluation> Evaluate(ConfigItemInput input, EvaluationContext context)
    {
        if (input.ResourceType != ResourceTypeName || !input.HasConfiguration) yield break;
        var violations = new List<BaselineViolation>();
        var sse = Json.Get(input.Configuration, "sseDescription");
        if (sse.ValueKind == JsonValueKind.Object && Json.Text(sse, "status") is { } status && !HealthyEncryption.Contains(status))
            violations.Add(new BaselineViolation(Baseline["dynamodb.encryption-at-rest"], status));
        var backups = Json.Get(input.SupplementaryConfiguration, "ContinuousBackupsDescription");
        var evidence = input.Evidence();
        if (backups.ValueKind == JsonValueKind.Object)
        {
            var pitr = Json.Text(Json.Path(backups, "pointInTimeRecoveryDescription.pointInTimeRecoveryStatus"));
            if (!string.Equals(pitr, "ENABLED", StringComparison.OrdinalIgnoreCase))
                violations.Add(new BaselineViolation(Baseline["dynamodb.point-in-time-recovery"], pitr ?? "not set"));
        }
        else
        {
            evidence["pointInTimeRecovery"] = "not reported by AWS Config (ContinuousBackupsDescription absent); not judged";
        }
        yield return BaselineVerdict.Judge(Metadata, Baseline, input.ResourceKey, ResourceTypeName, input.AccountId, input.Region,
            BaselineVerdict.Subject(input), violations, input.CaptureTime, evidence);
    }

    /// <summary>Only calls to dynamodb.amazonaws.com (the first check of the CloudTrail evaluation below).</summary>
    IReadOnlyList<string> IKeyedRule<CloudTrailInput>.DispatchKeys { get; } = ["dynamodb.amazonaws.com"];

    /// <summary>Configuration items of this type only (the first check of <c>Evaluate</c>).</summary>
    IReadOnlyList<string> IKeyedRule<ConfigItemInput>.DispatchKeys { get; } = [ResourceTypeName];

    public IEnumerable<Evaluation> Evaluate(CloudTrailInput input, EvaluationContext context)
    {
        if (input.Failed || input.EventSource != "dynamodb.amazonaws.com" || input.EventName != "UpdateContinuousBackups") yield break;
        var request = input.Record.RequestParameters;
        var enabled = Json.Path(request, "pointInTimeRecoverySpecification.pointInTimeRecoveryEnabled");
        var table = Json.Text(request, "tableName");
        if (Json.Bool(enabled) != false || !ResourceKeys.Plausible(table)) yield break;
        var key = table.StartsWith("arn:", StringComparison.Ordinal) ? table : $"arn:aws:dynamodb:{input.Region}:{input.AccountId}:table/{table}";
        yield return BaselineVerdict.Judge(Metadata, Baseline, key, ResourceTypeName, input.AccountId, input.Region,
            BaselineVerdict.Subject(ResourceTypeName, table), [new BaselineViolation(Baseline["dynamodb.point-in-time-recovery"], "DISABLED")],
            input.ObservedAt, input.Evidence(), source: $"UpdateContinuousBackups by {input.Actor}");
    }
}
