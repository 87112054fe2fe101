using System.Globalization;
using System.Text.Json;
using IsmsServerless.Engine;
using IsmsServerless.Inputs;
using IsmsServerless.Model;

namespace IsmsServerless.Rules.Backup;

/// <summary>
/// An RPO under a day cannot be met by daily snapshots: critical data in scope needs continuous backup. A DynamoDB table
/// in scope needs point-in-time recovery enabled (Config's <c>ContinuousBackupsDescription</c>); an RDS instance needs
/// automated backups (retention of at least one day gives PITR to the last five minutes); an Aurora/RDS cluster always
/// has it. Resources out of scope, and other types, are not judged. Off when <c>backup.rpoHours</c> is 24 or more.
/// </summary>
public sealed class ContinuousBackupRule : IRule<ConfigItemInput>, IKeyedRule<ConfigItemInput>
{
    public RuleMetadata Metadata { get; } = new(
        Id: "backup.continuous-backup",
        Title: "Critical data without point-in-time recovery (RPO 1 h)",
        Category: Category.Backup,
        Severity: Severity.High,
        ResourceType: "AWS::DynamoDB::Table",
        PolicyClause: BackupPolicy.Rpo,
        Controls: BackupPolicy.Controls,
        Risk: "Without continuous backup the last recovery point can be up to a day old: far more than one hour of transactions lost.",
        Remediation: "DynamoDB: `aws dynamodb update-continuous-backups --table-name <t> --point-in-time-recovery-specification PointInTimeRecoveryEnabled=true`. RDS: set BackupRetentionPeriod to 1 or more (`aws rds modify-db-instance --backup-retention-period 7`). Or include the resource in an AWS Backup plan with continuous backup enabled.")
    {
        Sla = TimeSpan.FromDays(7),
    };

    /// <summary>Only these types reach a verdict (every other type falls to the switch's default): the registry skips the rest (<c>KeyedRuleTests</c>).</summary>
    public IReadOnlyList<string> DispatchKeys { get; } = ["AWS::DynamoDB::Table", "AWS::RDS::DBInstance"];

    public IEnumerable<Evaluation> Evaluate(ConfigItemInput input, EvaluationContext context)
    {
        var settings = context.Settings.Backup;
        if (settings.RpoHours >= 24 || !input.HasConfiguration && input.SupplementaryConfiguration.ValueKind != JsonValueKind.Object) yield break;
        if (!settings.InScope(input.ResourceType, input.Tags)) yield break;
        bool? continuous;
        string detail;
        switch (input.ResourceType)
        {
            case "AWS::DynamoDB::Table":
            {
                var status = Text(Path(input.SupplementaryConfiguration, "ContinuousBackupsDescription", "pointInTimeRecoveryDescription", "pointInTimeRecoveryStatus"));
                continuous = status is null ? null : status.Equals("ENABLED", StringComparison.OrdinalIgnoreCase);
                detail = $"pointInTimeRecoveryStatus {status ?? "not reported"}";
                break;
            }
            case "AWS::RDS::DBInstance":
            {
                var retention = Path(input.Configuration, "backupRetentionPeriod");
                int? days = retention.ValueKind == JsonValueKind.Number && retention.TryGetInt32(out var n) ? n
                    : retention.ValueKind == JsonValueKind.String && int.TryParse(retention.GetString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var m) ? m : null;
                continuous = days is null ? null : days >= 1;
                detail = $"backupRetentionPeriod {days?.ToString(CultureInfo.InvariantCulture) ?? "not reported"}";
                break;
            }
            default:
                yield break;
        }
        if (continuous is null) yield break;
        var evidence = input.Evidence();
        evidence["rpo"] = $"{settings.RpoHours} h";
        evidence["continuousBackup"] = detail;
        yield return new Evaluation
        {
            Rule = Metadata,
            Outcome = continuous.Value ? Outcome.Compliant : Outcome.Finding,
            ResourceId = input.ResourceKey,
            ResourceType = input.ResourceType,
            AccountId = input.AccountId,
            Region = input.Region,
            Message = continuous.Value
                ? $"{input.ResourceType} {input.ResourceId} has continuous backup ({detail})"
                : $"{input.ResourceType} {input.ResourceId} is critical data without point-in-time recovery ({detail}); the RPO is {settings.RpoHours} h",
            ClockStart = continuous.Value ? null : input.CaptureTime ?? input.ObservedAt,
            ObservedAt = input.CaptureTime ?? input.ObservedAt,
            Evidence = evidence,
        };
    }

    private static JsonElement Path(JsonElement element, params string[] names)
    {
        foreach (var name in names)
        {
            if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty(name, out element)) return default;
        }
        return element;
    }

    private static string? Text(JsonElement element) => element.ValueKind == JsonValueKind.String ? Present.OrNull(element.GetString()) : null;
}
