using IsmsServerless.Drift;
using IsmsServerless.Engine;
using IsmsServerless.Inputs;
using IsmsServerless.Model;

namespace IsmsServerless.Rules.Drift;

/// <summary>
/// CloudTrail trails are multi-region, validate their log files and log. Config's trail item states the first two; the
/// logging status is judged only when the item carries it (<c>isLogging</c>), otherwise the managed rule
/// CLOUD_TRAIL_ENABLED and the monitoring rules on StopLogging/DeleteTrail (owned by the change-monitoring area) cover it.
/// CreateTrail and UpdateTrail that switch either setting off raise the finding early.
/// </summary>
public sealed class TrailBaselineRule : IRule<ConfigItemInput>, IRule<CloudTrailInput>, IKeyedRule<CloudTrailInput>, IKeyedRule<ConfigItemInput>
{
    public const string ResourceTypeName = "AWS::CloudTrail::Trail";

    private static readonly string[] LoggingControls = [Controls.IsoLogging, Controls.IsoConfiguration, Controls.Soc2AnomalyMonitoring, Controls.Soc2ConfigurationMonitoring];

    public static Baseline Baseline { get; } = new(ResourceTypeName, "2026.11.1",
    [
        new("trail.multi-region", "configuration.isMultiRegionTrail", "true", PolicyClauses.QwestlyCloudTrail, LoggingControls, Severity.High),
        new("trail.log-file-validation", "configuration.logFileValidationEnabled", "true", PolicyClauses.QwestlyCloudTrail, LoggingControls, Severity.Medium),
        new("trail.logging", "configuration.isLogging", "true", PolicyClauses.QwestlyCloudTrail, LoggingControls, Severity.Critical),
    ]);

    public RuleMetadata Metadata { get; } = new(
        Id: "drift.trail-baseline",
        Title: "CloudTrail trail not multi-region, unvalidated or not logging",
        Category: Category.Drift,
        Severity: Severity.High,
        ResourceType: ResourceTypeName,
        PolicyClause: PolicyClauses.QwestlyCloudTrail,
        Controls: LoggingControls,
        Risk: "A single-region trail misses activity in other regions; without log file validation, tampered logs cannot be detected.",
        Remediation: "aws cloudtrail update-trail --name <trail> --is-multi-region-trail --enable-log-file-validation; aws cloudtrail start-logging --name <trail>.")
    {
        Sla = TimeSpan.FromDays(2),
    };

    public IEnumerable<Evaluation> Evaluate(ConfigItemInput input, EvaluationContext context)
    {
        if (input.ResourceType != ResourceTypeName || !input.HasConfiguration) yield break;
        var c = input.Configuration;
        var violations = new List<BaselineViolation>();
        if (Json.Bool(Json.Get(c, "isMultiRegionTrail")) != true)
            violations.Add(new BaselineViolation(Baseline["trail.multi-region"], Json.Text(c, "isMultiRegionTrail") ?? "not set"));
        if (Json.Bool(Json.Get(c, "logFileValidationEnabled")) != true)
            violations.Add(new BaselineViolation(Baseline["trail.log-file-validation"], Json.Text(c, "logFileValidationEnabled") ?? "not set"));
        if (Json.Bool(Json.Get(c, "isLogging", "logging")) == false)
            violations.Add(new BaselineViolation(Baseline["trail.logging"], "false"));
        yield return BaselineVerdict.Judge(Metadata, Baseline, input.ResourceKey, ResourceTypeName, input.AccountId, input.Region,
            BaselineVerdict.Subject(ResourceTypeName, Json.Text(c, "name") ?? input.ResourceName ?? input.ResourceId), violations, input.CaptureTime, input.Evidence());
    }

    /// <summary>Only calls to cloudtrail.amazonaws.com (the first check of the CloudTrail evaluation below).</summary>
    IReadOnlyList<string> IKeyedRule<CloudTrailInput>.DispatchKeys { get; } = ["cloudtrail.amazonaws.com"];

    /// <summary>Configuration items of this type only (the first check of <c>Evaluate</c>).</summary>
    IReadOnlyList<string> IKeyedRule<ConfigItemInput>.DispatchKeys { get; } = [ResourceTypeName];

    public IEnumerable<Evaluation> Evaluate(CloudTrailInput input, EvaluationContext context)
    {
        if (input.Failed || input.EventSource != "cloudtrail.amazonaws.com" || input.EventName is not ("CreateTrail" or "UpdateTrail")) yield break;
        var request = input.Record.RequestParameters;
        var name = Json.Text(request, "name");
        if (!ResourceKeys.Plausible(name)) yield break;
        // CreateTrail defaults both settings to false when omitted; UpdateTrail leaves omitted settings unchanged.
        var creating = input.EventName == "CreateTrail";
        var violations = new List<BaselineViolation>();
        var multiRegion = Json.Bool(Json.Get(request, "isMultiRegionTrail"));
        if (multiRegion == false || (creating && multiRegion is null))
            violations.Add(new BaselineViolation(Baseline["trail.multi-region"], multiRegion is null ? "false (omitted)" : "false"));
        var validation = Json.Bool(Json.Get(request, "enableLogFileValidation"));
        if (validation == false || (creating && validation is null))
            violations.Add(new BaselineViolation(Baseline["trail.log-file-validation"], validation is null ? "false (omitted)" : "false"));
        if (violations.Count == 0) yield break;
        var key = Json.Text(input.Record.ResponseElements, "trailARN") is { Length: > 0 and <= ResourceKeys.MaxLength } arn ? arn : ResourceKeys.Trail(input.Region, input.AccountId, name);
        yield return BaselineVerdict.Judge(Metadata, Baseline, key, ResourceTypeName, input.AccountId, input.Region,
            BaselineVerdict.Subject(ResourceTypeName, name), violations, input.ObservedAt, input.Evidence(), source: $"{input.EventName} by {input.Actor}");
    }
}
