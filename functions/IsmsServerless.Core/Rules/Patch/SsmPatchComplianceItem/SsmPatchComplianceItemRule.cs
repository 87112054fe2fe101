using System.Text.Json;
using IsmsServerless.Engine;
using IsmsServerless.Inputs;
using IsmsServerless.Model;

namespace IsmsServerless.Rules.Patch;

/// <summary>
/// AWS Config <c>AWS::SSM::PatchCompliance</c> configuration items: the instance's patch compliance as Config records it
/// (<c>configuration["AWS:ComplianceItem"].Content.Patch</c>: a <c>ComplianceSummary</c> entry and one entry per patch).
/// The item is one more source of the facts the SSM event and sweep report, so it is judged by the same rules and
/// keyed by the same identities: the summary by <see cref="InstancePatchComplianceRule"/> (one finding per instance),
/// each patch by <see cref="MissingPatchRule"/> (one per instance and patch). A Config item and a sweep that see the same
/// missing patch therefore update one finding, never two.
/// </summary>
/// <remarks>
/// Clock start: the item's <c>ExecutionTime</c> (the scan), else its capture time. Items whose scan is older than
/// <see cref="Settings.IsmsSettings.PatchScanMaxAgeDays"/> never resolve anything (silence proves nothing); their missing
/// patches are still reported. <c>NotApplicable</c> entries are skipped (thousands per instance, none a finding).
/// Evaluations this rule returns carry the metadata of the rule whose finding they are about.
/// </remarks>
public sealed class SsmPatchComplianceItemRule : IRule<ConfigItemInput>, IKeyedRule<ConfigItemInput>
{
    public const string ConfigResourceType = "AWS::SSM::PatchCompliance";

    /// <summary>Patch compliance items only (the first check of <see cref="Evaluate"/>).</summary>
    public IReadOnlyList<string> DispatchKeys { get; } = [ConfigResourceType];

    /// <summary>Patch entries read per item; a real item lists a few thousand at most.</summary>
    public const int MaxEntries = 10_000;

    private static readonly MissingPatchRule PatchRule = new();
    private static readonly InstancePatchComplianceRule InstanceRule = new();

    public RuleMetadata Metadata { get; } = new(
        Id: "patch.ssm-patch-compliance-item",
        Title: "Patch compliance recorded by AWS Config shows missing patches",
        Category: Category.Patch,
        Severity: Severity.Medium,
        ResourceType: ConfigResourceType,
        PolicyClause: PatchPolicy.Clause,
        Controls: PatchPolicy.Controls,
        Risk: "Config's record of the instance lists approved patches that are not installed.",
        Remediation: "Install the missing patches with AWS-RunPatchBaseline (Operation=Install); the per-patch findings name them.");

    public IEnumerable<Evaluation> Evaluate(ConfigItemInput input, EvaluationContext context)
    {
        if (!string.Equals(input.ResourceType, ConfigResourceType, StringComparison.Ordinal) || !input.HasConfiguration) return [];
        var instanceId = InstanceIdOf(input);
        var patches = Property(Property(Property(input.Configuration, "AWS:ComplianceItem"), "Content"), "Patch");
        if (instanceId is null || patches.ValueKind != JsonValueKind.Object)
        {
            return
            [
                new Evaluation
                {
                    Rule = Metadata,
                    Outcome = Outcome.Ignored,
                    ResourceId = input.ResourceKey,
                    ResourceType = ConfigResourceType,
                    AccountId = input.AccountId,
                    Region = input.Region,
                    Message = instanceId is null
                        ? "AWS::SSM::PatchCompliance item names no managed instance id"
                        : "AWS::SSM::PatchCompliance item has no AWS:ComplianceItem.Content.Patch object",
                    ObservedAt = input.ObservedAt,
                    Evidence = input.Evidence(),
                },
            ];
        }

        var summary = Property(patches, "ComplianceSummary");
        var scannedAt = Time(summary, "ExecutionTime") ?? input.CaptureTime;
        var fresh = scannedAt is { } s && context.Now - s <= TimeSpan.FromDays(context.Settings.PatchScanMaxAgeDays);
        var evaluations = new List<Evaluation>();

        if (summary.ValueKind == JsonValueKind.Object && Text(summary, "Status") is { } status)
        {
            var compliant = string.Equals(status, "COMPLIANT", StringComparison.OrdinalIgnoreCase);
            if (!compliant || fresh)
            {
                evaluations.AddRange(InstanceRule.Evaluate(new InstancePatchComplianceInput
                {
                    AccountId = input.AccountId,
                    Region = input.Region,
                    ObservedAt = input.ObservedAt,
                    SourceEventId = input.SourceEventId,
                    InstanceId = instanceId,
                    Compliant = compliant,
                    SeverityText = Text(summary, "OverallSeverity"),
                    BaselineId = Text(summary, "PatchBaselineId"),
                    Origin = "config",
                    NonCompliantSince = compliant ? null : scannedAt,
                }, context));
            }
        }

        var read = 0;
        foreach (var entry in patches.EnumerateObject())
        {
            if (entry.NameEquals("ComplianceSummary") || entry.Value.ValueKind != JsonValueKind.Object) continue;
            if (++read > MaxEntries) break;
            var item = entry.Value;
            var state = Text(item, "PatchState") ?? (Text(item, "Status") is { } st
                ? string.Equals(st, "NON_COMPLIANT", StringComparison.OrdinalIgnoreCase) ? "Missing" : "Installed"
                : null);
            if (state is null || string.Equals(state, "NotApplicable", StringComparison.OrdinalIgnoreCase)) continue;
            var missing = state.ToUpperInvariant() is "MISSING" or "FAILED" or "INSTALLEDPENDINGREBOOT" or "INSTALLEDREJECTED";
            if (!missing && !fresh) continue;
            var patchId = Text(item, "Id") ?? entry.Name;
            if (patchId.Length == 0 || patchId.Length > 256) continue;
            evaluations.AddRange(PatchRule.Evaluate(new MissingPatchInput
            {
                AccountId = input.AccountId,
                Region = input.Region,
                ObservedAt = input.ObservedAt,
                SourceEventId = input.SourceEventId,
                InstanceId = instanceId,
                PatchId = patchId,
                Title = Text(item, "Title") ?? "",
                Classification = Text(item, "Classification") ?? "",
                SeverityText = Text(item, "PatchSeverity") ?? Text(item, "Severity") ?? "",
                State = state,
                CveIds = Text(item, "CVEIds") is { } cves ? [.. cves.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Take(50)] : [],
                ObservedMissingAt = Time(item, "ExecutionTime") ?? scannedAt,
                Origin = "config",
            }, context));
        }
        return evaluations;
    }

    /// <summary>The managed instance the item is about: the last segment of its resource id, else of its ARN.</summary>
    internal static string? InstanceIdOf(ConfigItemInput input)
    {
        foreach (var candidate in new[] { input.ResourceId, input.Arn, input.ResourceName })
        {
            if (string.IsNullOrEmpty(candidate)) continue;
            var last = candidate[(candidate.LastIndexOfAny(['/', ':']) + 1)..];
            if (Ingestion.DetailReader.IsManagedInstanceId(last)) return last;
        }
        return null;
    }

    private static JsonElement Property(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) ? value : default;

    private static string? Text(JsonElement element, string name) => Property(element, name) switch
    {
        { ValueKind: JsonValueKind.String } s when Present.OrNull(s.GetString()) is { } text => text.Trim(),
        { ValueKind: JsonValueKind.Number } n => n.GetRawText(),
        _ => null,
    };

    private static DateTimeOffset? Time(JsonElement element, string name) =>
        Timestamps.TryParse(Property(element, name), out var value) ? value : null;
}
