using IsmsServerless.Engine;
using IsmsServerless.Events;
using IsmsServerless.Inputs;

namespace IsmsServerless.Ingestion;

/// <summary>
/// Turns one source's payload into normalized inputs (Cloud Custodian's "mode"). Adapters never evaluate.
/// They throw <see cref="EventRejectedException"/> for payloads that claim to be theirs but are unusable.
/// </summary>
public interface IEventAdapter
{
    /// <summary>Short name for logs and the CLI, e.g. <c>cloudtrail</c>.</summary>
    string Name { get; }

    /// <summary>
    /// Whether this adapter reads the event: decided from <see cref="InboundEvent.Kind"/>, <see cref="InboundEvent.Source"/> and
    /// <see cref="InboundEvent.DetailType"/> alone (<see cref="StreamingRouter"/> decides before the rest of the envelope is read).
    /// </summary>
    bool CanAdapt(InboundEvent inbound);

    IReadOnlyList<RuleInput> Adapt(InboundEvent inbound, EvaluationContext context);
}

/// <summary>A payload we recognise but cannot use; the message says why, for the log and the CLI's <c>error</c>.</summary>
public sealed class EventRejectedException(string message, Exception? inner = null) : Exception(message, inner);
