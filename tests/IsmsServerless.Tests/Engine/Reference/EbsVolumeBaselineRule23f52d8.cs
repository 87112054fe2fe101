using IsmsServerless.Drift;
using IsmsServerless.Engine;
using IsmsServerless.Inputs;
using IsmsServerless.Model;

using IsmsServerless.Rules.Drift;

namespace IsmsServerless.Tests.Engine.Reference;

/// <summary>
/// EBS volumes are encrypted. Config's volume item is authoritative. CreateVolume's response says whether the new volume
/// is encrypted (account-level encryption by default included). RunInstances names no volume ids, so an explicitly
/// unencrypted block device mapping is raised on the instance; it resolves when the instance is terminated.
/// </summary>
/// <remarks>Main 23f52d8's rule, verbatim but for its name and namespace: the reference for <see cref="CpuWave6RewriteTests"/>.</remarks>
public sealed class EbsVolumeBaselineRule23f52d8 : IRule<ConfigItemInput>, IRule<CloudTrailInput>, IKeyedRule<CloudTrailInput>, IKeyedRule<ConfigItemInput>
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
            yield return BaselineVerdict.Judge(Metadata, Baseline, ResourceKeys.Volume(input.Region, input.AccountId, volumeId), ResourceTypeName,
                input.AccountId, input.Region, BaselineVerdict.Subject(ResourceTypeName, volumeId),
                [new BaselineViolation(Baseline["ebs.encrypted"], "false")], input.ObservedAt, input.Evidence(), source: $"CreateVolume by {input.Actor}");
        }
        else if (input.EventName == "RunInstances")
        {
            var unencrypted = Json.Items(Json.Get(input.Record.RequestParameters, "blockDeviceMapping"))
                .Where(m => Json.Bool(Json.Path(m, "ebs.encrypted")) == false)
                .Select(m => new BaselineViolation(Baseline["ebs.encrypted"], "false",
                    $"blockDeviceMapping[{BaselineVerdict.Clip(Json.Text(m, "deviceName")) ?? "?"}].ebs.encrypted",
                    $"volume {BaselineVerdict.Clip(Json.Text(m, "deviceName")) ?? "?"} requested with encrypted=false (encrypted anyway if EBS encryption by default is on; the volume's Config item confirms)"))
                .ToList();
            if (unencrypted.Count == 0) yield break;
            foreach (var instance in Json.Items(Json.Get(input.Record.ResponseElements, "instancesSet")))
            {
                if (Json.Text(instance, "instanceId") is not { } instanceId || !ResourceKeys.Plausible(instanceId)) continue;
                yield return BaselineVerdict.Judge(Metadata, Baseline, $"arn:aws:ec2:{input.Region}:{input.AccountId}:instance/{instanceId}", "AWS::EC2::Instance",
                    input.AccountId, input.Region, BaselineVerdict.Subject("AWS::EC2::Instance", instanceId), unencrypted, input.ObservedAt, input.Evidence(),
                    source: $"RunInstances by {input.Actor}");
            }
        }
    }
}
