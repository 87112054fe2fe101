using System.Globalization;
using System.Text.Json;
using IsmsServerless.Drift;
using IsmsServerless.Engine;
using IsmsServerless.Inputs;
using IsmsServerless.Model;

namespace IsmsServerless.Rules.Backup;

/// <summary>
/// An AWS Backup plan, as Config records it (<c>AWS::Backup::BackupPlan</c>: <c>configuration.BackupPlan.BackupPlanRule[]</c>,
/// the CloudFormation shape; the Backup API's <c>Rules[]</c> spelling is read too), must do what the Backup and Recovery
/// clause asks: at least one rule backs up daily or more often (or continuously), every daily rule keeps its recovery
/// points and their copies at least <c>backup.minRetentionDays</c>, and (when <c>backup.copyRegionRequired</c>) a
/// daily rule copies into a vault in another region. The item alone decides, so the verdict is the same on every
/// delivery path; an item whose plan has no rule list is rejected with the reason, never judged as empty.
/// </summary>
public sealed class PlanBaselineRule : IRule<ConfigItemInput>
{
    public const string ResourceTypeName = "AWS::Backup::BackupPlan";

    /// <summary>AWS Backup's schedule when a rule names none (the Backup developer guide: daily at 05:00 UTC).</summary>
    public const string DefaultSchedule = "cron(0 5 ? * * *)";

    public static Baseline Baseline { get; } = new(ResourceTypeName, "2026.11.2",
    [
        new("backup-plan.daily-schedule", "configuration.BackupPlan.BackupPlanRule[].ScheduleExpression", "a rule running at least daily (or continuous backup)",
            BackupPolicy.DailyBackups, BackupPolicy.Controls, Severity.High),
        new("backup-plan.retention", "configuration.BackupPlan.BackupPlanRule[].Lifecycle.DeleteAfterDays", "at least backup.minRetentionDays days (or never deleted)",
            BackupPolicy.DailyBackups, BackupPolicy.Controls, Severity.Medium),
        new("backup-plan.cross-region-copy", "configuration.BackupPlan.BackupPlanRule[].CopyActions[].DestinationBackupVaultArn", "a vault in another AWS region",
            BackupPolicy.OtherRegion, BackupPolicy.Controls, Severity.High),
    ]);

    public RuleMetadata Metadata { get; } = new(
        Id: "backup.plan-baseline",
        Title: "Backup plan not daily, short retention or no copy in another region",
        Category: Category.Backup,
        Severity: Severity.High,
        ResourceType: ResourceTypeName,
        PolicyClause: BackupPolicy.DailyBackups + "; " + BackupPolicy.OtherRegion,
        Controls: BackupPolicy.Controls,
        Risk: "A plan that runs less than daily, expires recovery points early or keeps them in one region cannot give back yesterday's data after a regional outage or a late-noticed corruption.",
        Remediation: "In the plan's rule: ScheduleExpression cron(0 5 ? * * *) (daily) or EnableContinuousBackup; Lifecycle.DeleteAfterDays at least backup.minRetentionDays; CopyActions[].DestinationBackupVaultArn a vault in another region (with the same lifecycle). `aws backup update-backup-plan`, or the plan's CDK/CloudFormation.")
    {
        Sla = TimeSpan.FromDays(7),
    };

    public IEnumerable<Evaluation> Evaluate(ConfigItemInput input, EvaluationContext context)
    {
        if (input.ResourceType != ResourceTypeName || !input.HasConfiguration) yield break;
        var settings = context.Settings.Backup;
        var plan = Json.Get(input.Configuration, "BackupPlan");
        var rules = Json.Get(plan, "BackupPlanRule", "Rules");
        if (rules.ValueKind != JsonValueKind.Array)
        {
            yield return Rejected(input, plan.ValueKind == JsonValueKind.Object
                ? "configuration.BackupPlan has no BackupPlanRule list"
                : "configuration has no BackupPlan object");
            yield break;
        }
        var region = input.Region;
        var violations = new List<BaselineViolation>();
        var daily = new List<(string Name, JsonElement Rule)>();
        var schedules = new List<string>();
        var index = 0;
        foreach (var rule in rules.EnumerateArray())
        {
            var name = Json.Text(rule, "RuleName") ?? $"rule {index}";
            index++;
            if (rule.ValueKind != JsonValueKind.Object) continue;
            var schedule = Json.Text(rule, "ScheduleExpression") ?? DefaultSchedule;
            var continuous = Json.Bool(Json.Get(rule, "EnableContinuousBackup")) == true;
            schedules.Add($"{BaselineVerdict.Clip(name, 64)}: {BaselineVerdict.Clip(schedule, 64)}{(continuous ? " + continuous" : "")}");
            if (continuous || AtLeastDaily(schedule)) daily.Add((name, rule));
        }
        if (daily.Count == 0)
            violations.Add(new BaselineViolation(Baseline["backup-plan.daily-schedule"], schedules.Count == 0 ? "no rules" : string.Join(", ", schedules)));
        var copied = new List<string>();
        foreach (var (name, rule) in daily)
        {
            if (Days(Json.Path(rule, "Lifecycle.DeleteAfterDays")) is { } keep && keep < settings.MinRetentionDays)
                violations.Add(new BaselineViolation(Baseline["backup-plan.retention"], keep.ToString(CultureInfo.InvariantCulture),
                    Detail: $"rule {BaselineVerdict.Clip(name, 64)} deletes recovery points after {keep.ToString(CultureInfo.InvariantCulture)} days, expected at least {settings.MinRetentionDays}"));
            foreach (var copy in Json.Items(Json.Get(rule, "CopyActions")))
            {
                var destination = Json.Text(copy, "DestinationBackupVaultArn");
                if (Days(Json.Path(copy, "Lifecycle.DeleteAfterDays")) is { } copyKeep && copyKeep < settings.MinRetentionDays)
                    violations.Add(new BaselineViolation(Baseline["backup-plan.retention"], copyKeep.ToString(CultureInfo.InvariantCulture),
                        Detail: $"rule {BaselineVerdict.Clip(name, 64)} deletes its copy in {BaselineVerdict.Clip(destination, 128) ?? "an unnamed vault"} after {copyKeep.ToString(CultureInfo.InvariantCulture)} days, expected at least {settings.MinRetentionDays}"));
                if (BackupJobInput.RegionOf(destination) is { } destinationRegion && !string.Equals(destinationRegion, region, StringComparison.Ordinal))
                    copied.Add(destinationRegion);
            }
        }
        if (settings.CopyRegionRequired && copied.Count == 0)
            violations.Add(new BaselineViolation(Baseline["backup-plan.cross-region-copy"], daily.Count == 0 ? "no daily rule" : $"no copy outside {region}"));
        var evidence = input.Evidence();
        evidence["planName"] = BaselineVerdict.Clip(Json.Text(plan, "BackupPlanName"), 128) ?? input.ResourceName ?? input.ResourceId;
        evidence["schedules"] = BaselineVerdict.Clip(string.Join("; ", schedules), 512) ?? "";
        evidence["minRetentionDays"] = settings.MinRetentionDays.ToString(CultureInfo.InvariantCulture);
        if (copied.Count > 0) evidence["copyRegions"] = string.Join(",", copied.Distinct(StringComparer.Ordinal));
        yield return BaselineVerdict.Judge(Metadata, Baseline, input.ResourceKey, ResourceTypeName, input.AccountId, input.Region,
            BaselineVerdict.Subject(ResourceTypeName, evidence["planName"]), violations, input.CaptureTime, evidence);
    }

    /// <summary>
    /// True when an AWS Backup schedule runs at least once a day: <c>rate(n minutes|hours)</c> up to 24 h, <c>rate(1 day)</c>,
    /// or a six-field <c>cron(min hour day-of-month month day-of-week year)</c> that names every day (both day fields
    /// wildcards and every month). Anything unparseable is not daily (the finding shows the expression).
    /// </summary>
    public static bool AtLeastDaily(string schedule)
    {
        var s = schedule.Trim();
        if (Inner(s, "rate(") is { } rate)
        {
            var parts = rate.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length != 2 || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n < 1) return false;
            return parts[1].TrimEnd('s').ToLowerInvariant() switch
            {
                "minute" => n <= 24 * 60,
                "hour" => n <= 24,
                "day" => n == 1,
                _ => false,
            };
        }
        if (Inner(s, "cron(") is not { } cron) return false;
        var fields = cron.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length != 6) return false;
        static bool Every(string f) => f is "*" or "?" or "*/1" or "1/1";
        return Every(fields[2]) && Every(fields[3]) && (Every(fields[4]) || fields[4].ToUpperInvariant() is "1-7" or "SUN-SAT" or "MON-SUN");
    }

    private static string? Inner(string text, string prefix) =>
        text.StartsWith(prefix, StringComparison.OrdinalIgnoreCase) && text.EndsWith(')') ? text[prefix.Length..^1].Trim() : null;

    /// <summary>Config records the lifecycle days as numbers ("float" in its resource schema): 35 and 35.0 both read 35.</summary>
    private static long? Days(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Number when element.TryGetDouble(out var d) && d >= 0 && d < 1e7 => (long)Math.Floor(d),
        JsonValueKind.String when double.TryParse(element.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && d >= 0 && d < 1e7 => (long)Math.Floor(d),
        _ => null,
    };

    private Evaluation Rejected(ConfigItemInput input, string reason) => input.Rejected(Metadata, ResourceTypeName,
        $"{reason} (the CloudFormation shape BackupPlan.BackupPlanRule[] or the API shape BackupPlan.Rules[] is expected)");
}
