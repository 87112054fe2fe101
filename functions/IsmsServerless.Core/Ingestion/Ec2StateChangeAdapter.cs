using System.Text.Json;
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
public sealed class Ec2StateChangeAdapter : IStreamingDetailAdapter
{
    public const string Source = "aws.ec2";
    public const string DetailType = "EC2 Instance State-change Notification";

    public string Name => "ec2-state";

    public bool CanAdapt(InboundEvent inbound) =>
        inbound.Kind == InboundKind.EventBridge && inbound.Source == Source && inbound.DetailType == DetailType;

    public IReadOnlyList<RuleInput> Adapt(InboundEvent inbound, EvaluationContext context) =>
        Adapt(inbound, DetailReader.Read(inbound, EventJsonContext.Default.Ec2StateChangeDetail));

    /// <summary>The record's JSON names, in declaration order (the binder matches them ignoring case).</summary>
    internal static readonly byte[][] DetailNames = StreamedDetail.Names("instance-id", "state");

    /// <summary>
    /// The detail's <c>instance-id</c> and <c>state</c> read from the bytes into the record the binder makes (names ignoring
    /// ASCII case, a later duplicate winning, values read leniently: <see cref="StreamedDetail"/>).
    /// </summary>
    public bool TryReadDetail(ref Utf8JsonReader reader, InboundEvent header, EvaluationContext context, out object? state)
    {
        state = null;
        string? instanceId = null, instanceState = null;
        while (true)
        {
            if (!reader.Read()) return false;
            if (reader.TokenType == JsonTokenType.EndObject) break;
            var name = reader.ValueSpan;
            var field = !reader.ValueIsEscaped && name.SequenceEqual("instance-id"u8) ? 0
                : !reader.ValueIsEscaped && name.SequenceEqual("state"u8) ? 1
                : StreamedDetail.IndexIgnoringCase(ref reader, name, DetailNames);
            if (!reader.Read()) return false;
            switch (field)
            {
                case 0: instanceId = StreamedDetail.Lenient(ref reader); break;
                case 1: instanceState = StreamedDetail.Lenient(ref reader); break;
                default: reader.Skip(); break;
            }
        }
        state = new Ec2StateChangeDetail { InstanceId = instanceId, State = instanceState };
        return true;
    }

    public IReadOnlyList<RuleInput> AdaptRead(object? state, InboundEvent header, EvaluationContext context) =>
        Adapt(header, (Ec2StateChangeDetail)state!);

    private static IReadOnlyList<RuleInput> Adapt(InboundEvent inbound, Ec2StateChangeDetail detail)
    {
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
