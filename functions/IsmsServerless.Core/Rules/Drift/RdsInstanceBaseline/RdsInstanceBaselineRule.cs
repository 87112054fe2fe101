using System.Globalization;
using IsmsServerless.Drift;
using IsmsServerless.Engine;
using IsmsServerless.Inputs;
using IsmsServerless.Model;

namespace IsmsServerless.Rules.Drift;

/// <summary>
/// RDS instances are encrypted, not publicly accessible, and keep automated backups. Config's item is judged whole;
/// CreateDBInstance (its response is authoritative) and ModifyDBInstance (publiclyAccessible, backupRetentionPeriod 0)
/// raise the finding early.
/// </summary>
public sealed class RdsInstanceBaselineRule : IRule<ConfigItemInput>, IRule<CloudTrailInput>, IKeyedRule<CloudTrailInput>, IKeyedRule<ConfigItemInput>
{
    public const string ResourceTypeName = "AWS::RDS::DBInstance";

    public static Baseline Baseline { get; } = new(ResourceTypeName, "2026.11.1",
    [
        new("rds.storage-encrypted", "configuration.storageEncrypted", "true",
            PolicyClauses.QwestlyEncryptAtRest, [Controls.IsoCryptography, Controls.IsoConfiguration, Controls.Soc2LogicalAccess, Controls.Soc2ConfigurationMonitoring], Severity.High),
        new("rds.not-publicly-accessible", "configuration.publiclyAccessible", "false",
            PolicyClauses.QwestlyEncryptData + "; " + PolicyClauses.Proc002Baseline, [Controls.IsoNetworkSecurity, Controls.IsoConfiguration, Controls.Soc2BoundaryProtection, Controls.Soc2ConfigurationMonitoring], Severity.Critical),
        new("rds.automated-backups", "configuration.backupRetentionPeriod", "at least 1 day",
            PolicyClauses.QwestlyBackups, [Controls.IsoBackup, Controls.IsoConfiguration, Controls.Soc2Availability, Controls.Soc2ConfigurationMonitoring], Severity.High),
    ]);

    public RuleMetadata Metadata { get; } = new(
        Id: "drift.rds-instance-baseline",
        Title: "RDS instance unencrypted, public or without backups",
        Category: Category.Drift,
        Severity: Severity.High,
        ResourceType: ResourceTypeName,
        PolicyClause: PolicyClauses.QwestlyEncryptAtRest + "; " + PolicyClauses.QwestlyBackups,
        Controls: [Controls.IsoCryptography, Controls.IsoBackup, Controls.IsoNetworkSecurity, Controls.IsoConfiguration, Controls.Soc2LogicalAccess, Controls.Soc2BoundaryProtection, Controls.Soc2Availability, Controls.Soc2ConfigurationMonitoring],
        Risk: "A public or unencrypted database exposes customer data; an instance without automated backups cannot be restored to a point in time.",
        Remediation: "aws rds modify-db-instance --no-publicly-accessible --backup-retention-period 7 --apply-immediately; encryption cannot be switched on in place: restore an encrypted copy from a snapshot and cut over.")
    {
        Sla = TimeSpan.FromDays(7),
    };

    public IEnumerable<Evaluation> Evaluate(ConfigItemInput input, EvaluationContext context)
    {
        if (input.ResourceType != ResourceTypeName || !input.HasConfiguration) yield break;
        var c = input.Configuration;
        var violations = Check(Json.Get(c, "storageEncrypted"), Json.Get(c, "publiclyAccessible"), Json.Get(c, "backupRetentionPeriod"), judgeAbsent: true);
        yield return BaselineVerdict.Judge(Metadata, Baseline, input.ResourceKey, ResourceTypeName, input.AccountId, input.Region,
            BaselineVerdict.Subject(ResourceTypeName, input.ResourceName ?? Json.Text(c, "dBInstanceIdentifier") ?? input.ResourceId), violations, input.CaptureTime, input.Evidence());
    }

    /// <summary>Only calls to rds.amazonaws.com (the first check of the CloudTrail evaluation below).</summary>
    IReadOnlyList<string> IKeyedRule<CloudTrailInput>.DispatchKeys { get; } = ["rds.amazonaws.com"];

    /// <summary>Configuration items of this type only (the first check of <c>Evaluate</c>).</summary>
    IReadOnlyList<string> IKeyedRule<ConfigItemInput>.DispatchKeys { get; } = [ResourceTypeName];

    public IEnumerable<Evaluation> Evaluate(CloudTrailInput input, EvaluationContext context)
    {
        if (input.Failed || input.EventSource != "rds.amazonaws.com") yield break;
        var request = input.Record.RequestParameters;
        var response = input.Record.ResponseElements;
        List<BaselineViolation> violations;
        switch (input.EventName)
        {
            case "CreateDBInstance":
                // The response states what RDS actually created (defaults included); the request only what was asked.
                violations = Check(
                    Prefer(response, request, "storageEncrypted"), Prefer(response, request, "publiclyAccessible"), Prefer(response, request, "backupRetentionPeriod"),
                    judgeAbsent: false);
                break;
            case "ModifyDBInstance":
                violations = Check(default, Json.Get(request, "publiclyAccessible"), Json.Get(request, "backupRetentionPeriod"), judgeAbsent: false);
                break;
            default:
                yield break;
        }
        if (violations.Count == 0) yield break;
        var identifier = Json.Text(response, "dBInstanceIdentifier") ?? Json.Text(request, "dBInstanceIdentifier");
        if (!ResourceKeys.Plausible(identifier)) yield break;
        var key = Json.Text(response, "dBInstanceArn") is { Length: > 0 and <= ResourceKeys.MaxLength } arn ? arn : ResourceKeys.DbInstance(input.Region, input.AccountId, identifier);
        yield return BaselineVerdict.Judge(Metadata, Baseline, key, ResourceTypeName, input.AccountId, input.Region,
            BaselineVerdict.Subject(ResourceTypeName, identifier), violations, input.ObservedAt, input.Evidence(), source: $"{input.EventName} by {input.Actor}");
    }

    private static System.Text.Json.JsonElement Prefer(System.Text.Json.JsonElement response, System.Text.Json.JsonElement request, string name) =>
        Json.Get(response, name) is { ValueKind: not System.Text.Json.JsonValueKind.Undefined and not System.Text.Json.JsonValueKind.Null } value ? value : Json.Get(request, name);

    /// <summary><paramref name="judgeAbsent"/>: a Config item states every field, so absent is a violation; an API request omits what it does not change.</summary>
    private static List<BaselineViolation> Check(System.Text.Json.JsonElement encrypted, System.Text.Json.JsonElement publiclyAccessible, System.Text.Json.JsonElement retention, bool judgeAbsent)
    {
        var violations = new List<BaselineViolation>();
        if (Json.Bool(encrypted) is { } isEncrypted ? !isEncrypted : judgeAbsent)
            violations.Add(new BaselineViolation(Baseline["rds.storage-encrypted"], Json.Text(encrypted) ?? "not set"));
        if (Json.Bool(publiclyAccessible) == true)
            violations.Add(new BaselineViolation(Baseline["rds.not-publicly-accessible"], "true"));
        if (Json.WholeNumber(retention) is { } days ? days < 1 : judgeAbsent && retention.ValueKind is System.Text.Json.JsonValueKind.Undefined or System.Text.Json.JsonValueKind.Null)
            violations.Add(new BaselineViolation(Baseline["rds.automated-backups"], Json.WholeNumber(retention)?.ToString(CultureInfo.InvariantCulture) ?? "not set"));
        return violations;
    }
}
