using IsmsServerless.Engine;
using IsmsServerless.Events;
using IsmsServerless.Inputs;

namespace IsmsServerless.Ingestion;

/// <summary>
/// EventBridge "GuardDuty Runtime Protection Unhealthy" / "... Healthy" events (source <c>aws.guardduty</c>) → one
/// <see cref="RuntimeCoverageInput"/>. The status is the detail-type's; the resource is read per
/// <c>resourceDetails.resourceType</c> (EC2 instance id, ECS or EKS cluster name). Any other resource type, or no
/// usable resource id, is rejected with the reason.
/// </summary>
public sealed class GuardDutyCoverageAdapter : IEventAdapter
{
    public const string UnhealthyDetailType = "GuardDuty Runtime Protection Unhealthy";
    public const string HealthyDetailType = "GuardDuty Runtime Protection Healthy";

    public string Name => "guardduty-coverage";

    public bool CanAdapt(InboundEvent inbound) =>
        inbound.Kind == InboundKind.EventBridge && inbound.Source == GuardDutyAdapter.Source
        && inbound.DetailType is UnhealthyDetailType or HealthyDetailType;

    public IReadOnlyList<RuleInput> Adapt(InboundEvent inbound, EvaluationContext context)
    {
        var detail = inbound.Detail;
        if (detail.ValueKind != System.Text.Json.JsonValueKind.Object) throw new EventRejectedException($"'{inbound.DetailType}' event has no detail object");
        var resource = JsonRead.Child(detail, "resourceDetails");
        var type = JsonRead.Text(resource, "resourceType");
        var id = type switch
        {
            "EC2" => JsonRead.Text(JsonRead.Child(resource, "ec2InstanceDetails"), "instanceId"),
            "ECS" => JsonRead.Text(JsonRead.Child(resource, "ecsClusterDetails"), "clusterName"),
            "EKS" => JsonRead.Text(JsonRead.Child(resource, "eksClusterDetails"), "clusterName"),
            null => throw new EventRejectedException("GuardDuty runtime coverage event has no resourceDetails.resourceType"),
            _ => throw new EventRejectedException($"GuardDuty runtime coverage for resource type '{DetailReader.Shorten(type)}' is not understood (expected EC2, ECS or EKS)"),
        };
        if (id is null || !DetailReader.IsUsableResourceId(id))
            throw new EventRejectedException($"GuardDuty runtime coverage event for {type} has no usable instance id or cluster name");
        var account = DetailReader.FirstNonEmpty(JsonRead.Text(detail, "resourceAccountId"), inbound.Account) ?? "unknown";
        return
        [
            new RuntimeCoverageInput
            {
                AccountId = account,
                Region = DetailReader.FirstNonEmpty(inbound.Region) ?? "unknown",
                ObservedAt = inbound.Time,
                SourceEventId = inbound.Id,
                CoveredType = type,
                ResourceId = id,
                Healthy = inbound.DetailType == HealthyDetailType,
                PreviousStatus = JsonRead.Text(detail, "previousStatus") is { } previous ? DetailReader.Shorten(previous, 40) : null,
                Issue = JsonRead.Text(detail, "issue") is { Length: > 0 } issue ? DetailReader.Shorten(issue, 500) : null,
            },
        ];
    }
}
