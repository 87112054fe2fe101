using System.Text.Json;
using IsmsServerless.Drift;
using IsmsServerless.Engine;
using IsmsServerless.Inputs;
using IsmsServerless.Model;

namespace IsmsServerless.Rules.Backup;

/// <summary>
/// An AWS Backup selection (<c>AWS::Backup::BackupSelection</c>: <c>configuration.BackupSelection</c> with
/// <c>Resources</c>, <c>NotResources</c>, <c>ListOfTags</c>, <c>Conditions</c>, and the plan's <c>BackupPlanId</c>) is
/// what a plan protects. A selection that selects nothing (no resource ARN, no tag condition) leaves its plan protecting
/// nothing: a finding. Otherwise compliant, with the critical-data types of <c>backup.scope</c> it names by ARN
/// pattern as evidence. Whether each critical resource is in some plan is judged per resource by the managed
/// <c>*-resources-protected-by-backup-plan</c> rules (tag-based selections resolve only inside AWS Backup).
/// </summary>
public sealed class SelectionScopeRule : IRule<ConfigItemInput>, IKeyedRule<ConfigItemInput>
{
    public const string ResourceTypeName = "AWS::Backup::BackupSelection";

    public static Baseline Baseline { get; } = new(ResourceTypeName, "2026.11.2",
    [
        new("backup-selection.selects-resources", "configuration.BackupSelection.Resources / ListOfTags", "at least one resource ARN (or pattern) or tag condition",
            BackupPolicy.DailyBackups, BackupPolicy.Controls, Severity.High),
    ]);

    /// <summary>The service segment of an ARN (pattern) for each Config type a backup scope can name.</summary>
    private static readonly (string Type, string ArnPrefix)[] ArnPatterns =
    [
        ("AWS::RDS::DBInstance", "arn:aws:rds:"), ("AWS::RDS::DBCluster", "arn:aws:rds:"), ("AWS::DynamoDB::Table", "arn:aws:dynamodb:"),
        ("AWS::EFS::FileSystem", "arn:aws:elasticfilesystem:"), ("AWS::EC2::Volume", "arn:aws:ec2:"), ("AWS::S3::Bucket", "arn:aws:s3:"),
    ];

    public RuleMetadata Metadata { get; } = new(
        Id: "backup.selection-scope",
        Title: "Backup selection selects no resources",
        Category: Category.Backup,
        Severity: Severity.High,
        ResourceType: ResourceTypeName,
        PolicyClause: BackupPolicy.DailyBackups,
        Controls: BackupPolicy.Controls,
        Risk: "A plan whose only selection selects nothing backs up nothing while looking configured.",
        Remediation: "Give the selection the resources to protect: `Resources` ARNs (e.g. arn:aws:dynamodb:*:*:table/*) or `ListOfTags` conditions matching the critical-data tags of backup.scope (`aws backup create-backup-selection`).")
    {
        Sla = TimeSpan.FromDays(3),
    };

    /// <summary>The first check is the type: the registry skips items of any other type (<c>KeyedRuleTests</c>).</summary>
    public IReadOnlyList<string> DispatchKeys { get; } = [ResourceTypeName];

    public IEnumerable<Evaluation> Evaluate(ConfigItemInput input, EvaluationContext context)
    {
        if (input.ResourceType != ResourceTypeName || !input.HasConfiguration) yield break;
        var selection = Json.Get(input.Configuration, "BackupSelection");
        if (selection.ValueKind != JsonValueKind.Object)
        {
            yield return input.Rejected(Metadata, ResourceTypeName, "configuration has no BackupSelection object");
            yield break;
        }
        var resources = Json.Items(Json.Get(selection, "Resources")).Select(Json.Text).OfType<string>().ToList();
        var tags = Json.Items(Json.Get(selection, "ListOfTags")).Count(t => Json.Text(t, "ConditionKey") is not null);
        var conditions = Json.Get(selection, "Conditions");
        var conditionCount = conditions.ValueKind == JsonValueKind.Object
            ? conditions.EnumerateObject().Sum(c => Json.Items(c.Value).Count())
            : 0;
        var evidence = input.Evidence();
        evidence["selectionName"] = BaselineVerdict.Clip(Json.Text(selection, "SelectionName"), 128) ?? input.ResourceName ?? input.ResourceId;
        if (Json.Text(input.Configuration, "BackupPlanId") is { } planId) evidence["backupPlanId"] = BaselineVerdict.Clip(planId, 128)!;
        evidence["resources"] = resources.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
        evidence["tagConditions"] = (tags + conditionCount).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var covered = context.Settings.Backup.Scope
            .Where(s => resources.Any(r => r == "*" || ArnPatterns.Any(p => p.Type == s.ResourceType && r.StartsWith(p.ArnPrefix, StringComparison.Ordinal))))
            .Select(s => s.ResourceType).Distinct(StringComparer.Ordinal).ToList();
        if (covered.Count > 0) evidence["coversScopeTypes"] = string.Join(",", covered);
        var violations = resources.Count == 0 && tags == 0
            ? new List<BaselineViolation> { new(Baseline["backup-selection.selects-resources"], conditionCount > 0 ? "only Conditions (they narrow, they select nothing)" : "empty") }
            : [];
        yield return BaselineVerdict.Judge(Metadata, Baseline, input.ResourceKey, ResourceTypeName, input.AccountId, input.Region,
            BaselineVerdict.Subject(ResourceTypeName, evidence["selectionName"]), violations, input.CaptureTime, evidence);
    }
}
