using System.Text.Json;
using IsmsServerless.Engine;
using IsmsServerless.Events;
using IsmsServerless.Inputs;

namespace IsmsServerless.Ingestion;

/// <summary>
/// An adapter that can also read its EventBridge <c>detail</c> straight from the payload's bytes, in the pass that reads the
/// envelope (<see cref="StreamingRouter"/>), instead of from a parsed <see cref="JsonDocument"/>. The document path
/// (<see cref="IEventAdapter.Adapt"/>) stays the reference and the fallback: a streamed read must give the same inputs and
/// the same rejections, or decline.
/// </summary>
public interface IStreamingDetailAdapter : IEventAdapter
{
    /// <summary>
    /// Whether the adapter reads the envelope's <c>resources</c> from <see cref="InboundEvent.Root"/>: the header's root is
    /// then an object holding only them (empty without them). Otherwise the header has no root.
    /// </summary>
    bool ReadsEnvelopeResources => false;

    /// <summary>
    /// Reads the detail object the reader is on (its <see cref="JsonTokenType.StartObject"/>) into a state of the adapter's
    /// own, leaving the reader on the object's <see cref="JsonTokenType.EndObject"/>. Returns false (or throws
    /// <see cref="JsonException"/>) for anything it does not read exactly as <see cref="IEventAdapter.Adapt"/> would: the
    /// payload then takes the document path. Nothing may be observable before it returns (no log, no shared state other
    /// than <see cref="EventStrings"/>' per-event table). <paramref name="header"/> is the envelope without
    /// <see cref="InboundEvent.Detail"/> (and <see cref="InboundEvent.Root"/>: see <see cref="ReadsEnvelopeResources"/>); the rest of the payload has not been read.
    /// </summary>
    bool TryReadDetail(ref Utf8JsonReader reader, InboundEvent header, EvaluationContext context, out object? state);

    /// <summary>
    /// <see cref="TryReadDetail"/> with the bytes the reader reads (<paramref name="text"/>: its token positions index them),
    /// for an adapter that keeps parts of the detail as JSON: it may find a value's end by a scan of the bytes and replace the
    /// reader by one over the same bytes that resumes there (in the state the reader had), instead of tokenizing the value
    /// twice (<see cref="JsonElement.ParseValue"/> skips it, then parses it). By default the same as <see cref="TryReadDetail"/>.
    /// </summary>
    bool TryReadDetailFrom(ref Utf8JsonReader reader, ReadOnlySpan<byte> text, InboundEvent header, EvaluationContext context, out object? state) =>
        TryReadDetail(ref reader, header, context, out state);

    /// <summary>
    /// The inputs from what <see cref="TryReadDetail"/> read, once the whole payload is known to be valid JSON with that
    /// envelope: the same inputs, and the same exceptions, as <see cref="IEventAdapter.Adapt"/> gives for the document.
    /// </summary>
    IReadOnlyList<RuleInput> AdaptRead(object? state, InboundEvent header, EvaluationContext context);
}
