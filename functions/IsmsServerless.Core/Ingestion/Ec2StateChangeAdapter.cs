using IsmsServerless.Engine;
using IsmsServerless.Events;
using IsmsServerless.Inputs;

namespace IsmsServerless.Ingestion;

/// <summary>
/// EventBridge "EC2 Instance State-change Notification" (source <c>aws.ec2</c>). Only <c>terminated</c> matters: the
/// instance is gone, so every finding on it (missing patches, vulnerabilities, scan silence) is closed by the
/// store-backed pipeline through <see cref="ResourceGoneInput"/>. Other states (stopped, running, …) yield nothing:
/// a stopped instance still carries its missing patches when it starts again.
/// </summary>
public sealed class Ec2StateChangeAdapter : IEventAdapter
{
    public const string Source = "aws.ec2";
    public const string DetailType = "EC2 Instance State-change Notification";

    public string Name => "ec2-state";

    public bool CanAdapt(InboundEvent inbound) =>
        inbound.Kind == InboundKind.EventBridge && inbound.Source == Source && inbound.DetailType == DetailType;

    public IReadOnlyList<RuleInput> Adapt(InboundEvent inbound, EvaluationContext context)
    {
        var detail = DetailReader.Read(inbound, EventJsonContext.Default.Ec2StateChangeDetail);
        var instanceId = detail.InstanceId?.Trim();
        if (!DetailReader.IsManagedInstanceId(instanceId) || !instanceId!.StartsWith("i-", StringComparison.Ordinal))
            throw new EventRejectedException($"EC2 state-change event names no instance id ('{DetailReader.Shorten(detail.InstanceId)}')");
        if (!string.Equals(detail.State?.Trim(), "terminated", StringComparison.Ordinal)) return [];
        return
        [
            new ResourceGoneInput
            {
                AccountId = inbound.Account ?? "unknown",
                Region = inbound.Region ?? "unknown",
                ObservedAt = inbound.Time,
                SourceEventId = inbound.Id,
                ResourceId = instanceId,
                ResourceType = "AWS::EC2::Instance",
                Reason = "EC2 instance terminated",
            },
        ];
    }
}
