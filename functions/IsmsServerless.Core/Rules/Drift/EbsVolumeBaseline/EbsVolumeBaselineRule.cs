using System.Text.Json;
using IsmsServerless.Drift;
using IsmsServerless.Engine;
using IsmsServerless.Inputs;
using IsmsServerless.Model;

namespace IsmsServerless.Rules.Drift;

/// <summary>
/// EBS volumes are encrypted. Config's volume item is authoritative. CreateVolume's response says whether the new volume
/// is encrypted (account-level encryption by default included). RunInstances names no volume ids, so an explicitly
/// unencrypted block device mapping is raised on the instance; it resolves when the instance is terminated.
/// </summary>
public sealed class EbsVolumeBaselineRule : IRule<ConfigItemInput>, IRule<CloudTrailInput>, IKeyedRule<CloudTrailInput>, IKeyedRule<ConfigItemInput>
{
    public const string ResourceTypeName = "AWS::EC2::Volume";

    public static Baseline Baseline { get; } = new(ResourceTypeName, "2026.11.1",
    [
        new("ebs.encrypted", "configuration.encrypted", "true",
            PolicyClauses.QwestlyEncryptAtRest, [Controls.IsoCryptography, Controls.IsoConfiguration, Controls.Soc2LogicalAccess, Controls.Soc2ConfigurationMonitoring], Severity.High),
    ]);

    public RuleMetadata Metadata { get; } = new(
        Id: "drift.ebs-volume-baseline",
        Title: "EBS volume not encrypted",
        Category: Category.Drift,
        Severity: Severity.High,
        ResourceType: ResourceTypeName,
        PolicyClause: PolicyClauses.QwestlyEncryptAtRest,
        Controls: [Controls.IsoCryptography, Controls.IsoConfiguration, Controls.Soc2LogicalAccess, Controls.Soc2ConfigurationMonitoring],
        Risk: "Unencrypted volumes and their snapshots expose data to anyone who obtains a copy (shared snapshot, misconfigured backup).",
        Remediation: "Enable EBS encryption by default (aws ec2 enable-ebs-encryption-by-default) and replace the volume with an encrypted copy (snapshot, copy-snapshot --encrypted, create-volume).")
    {
        Sla = TimeSpan.FromDays(14),
    };

    public IEnumerable<Evaluation> Evaluate(ConfigItemInput input, EvaluationContext context)
    {
        if (input.ResourceType != ResourceTypeName || !input.HasConfiguration) yield break;
        var encrypted = Json.Get(input.Configuration, "encrypted");
        List<BaselineViolation> violations = Json.Bool(encrypted) == true ? [] : [new BaselineViolation(Baseline["ebs.encrypted"], Json.Text(encrypted) ?? "not set")];
        yield return BaselineVerdict.Judge(Metadata, Baseline, input.ResourceKey, ResourceTypeName, input.AccountId, input.Region,
            BaselineVerdict.Subject(input), violations, input.CaptureTime, input.Evidence());
    }

    /// <summary>Only calls to ec2.amazonaws.com (the first check of the CloudTrail evaluation below).</summary>
    IReadOnlyList<string> IKeyedRule<CloudTrailInput>.DispatchKeys { get; } = ["ec2.amazonaws.com"];

    /// <summary>Configuration items of this type only (the first check of <c>Evaluate</c>).</summary>
    IReadOnlyList<string> IKeyedRule<ConfigItemInput>.DispatchKeys { get; } = [ResourceTypeName];

    public IEnumerable<Evaluation> Evaluate(CloudTrailInput input, EvaluationContext context)
    {
        if (input.Failed || input.EventSource != "ec2.amazonaws.com") yield break;
        if (input.EventName == "CreateVolume")
        {
            var response = input.Record.ResponseElements;
            var volumeId = Json.Text(response, "volumeId");
            var encrypted = Json.Get(response, "encrypted");
            if (!ResourceKeys.Plausible(volumeId) || Json.Bool(encrypted) != false) yield break;
            // The input's evidence is built for this verdict alone (sized for the verdict's two lines), so it becomes the
            // evaluation's evidence as is (JudgeOwned) instead of being copied: same lines, same order.
            yield return BaselineVerdict.JudgeOwned(Metadata, Baseline, ResourceKeys.Volume(input.Region, input.AccountId, volumeId), ResourceTypeName,
                input.AccountId, input.Region, BaselineVerdict.Subject(ResourceTypeName, volumeId),
                [new BaselineViolation(Baseline["ebs.encrypted"], "false")], input.ObservedAt, input.Evidence(extra: 2), source: $"CreateVolume by {input.Actor}");
        }
        else if (input.EventName == "RunInstances")
        {
            // A loop, not Where/Select/ToList: the same violations, in mapping order.
            List<BaselineViolation>? unencrypted = null;
            // Json.Items' elements through the array's own (struct) enumerator: no iterator object per list read.
            var mappings = ItemArray(Json.Get(input.Record.RequestParameters, "blockDeviceMapping"));
            if (mappings.ValueKind != JsonValueKind.Array) yield break;
            foreach (var m in mappings.EnumerateArray())
            {
                if (Json.Bool(Json.Path(m, "ebs.encrypted")) != false) continue;
                unencrypted ??= [];
                // The device name read once for the path and the sentence (the same text in both).
                var device = BaselineVerdict.Clip(Json.Text(m, "deviceName")) ?? "?";
                unencrypted.Add(new BaselineViolation(Baseline["ebs.encrypted"], "false",
                    $"blockDeviceMapping[{device}].ebs.encrypted",
                    $"volume {device} requested with encrypted=false (encrypted anyway if EBS encryption by default is on; the volume's Config item confirms)"));
            }
            if (unencrypted is null) yield break;
            string? source = null;
            var instances = ItemArray(Json.Get(input.Record.ResponseElements, "instancesSet"));
            if (instances.ValueKind != JsonValueKind.Array) yield break;
            foreach (var instance in instances.EnumerateArray())
            {
                if (Json.Text(instance, "instanceId") is not { } instanceId || !ResourceKeys.Plausible(instanceId)) continue;
                source ??= $"RunInstances by {input.Actor}";
                yield return BaselineVerdict.JudgeOwned(Metadata, Baseline, $"arn:aws:ec2:{input.Region}:{input.AccountId}:instance/{instanceId}", "AWS::EC2::Instance",
                    input.AccountId, input.Region, BaselineVerdict.Subject("AWS::EC2::Instance", instanceId), unencrypted, input.ObservedAt, input.Evidence(extra: 2),
                    source: source);
            }
        }
    }

    /// <summary>The array <see cref="Json.Items"/> enumerates (bare, or wrapped as <c>{"items": [...]}</c>), or an undefined element.</summary>
    private static JsonElement ItemArray(JsonElement element)
    {
        if (element.ValueKind == JsonValueKind.Object) element = Json.Get(element, "items");
        return element.ValueKind == JsonValueKind.Array ? element : default;
    }
}
