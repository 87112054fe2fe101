using System.Text.Json;
using IsmsServerless.Engine;
using IsmsServerless.Events;

namespace IsmsServerless.Ingestion;

/// <summary>
/// A streaming adapter that can also read a whole payload that is not an EventBridge event (issue 20 wave 11: a bare
/// CloudTrail record or a CloudTrail log file) from its bytes, in the one pass <see cref="StreamingRouter"/> makes, instead of
/// from the document <see cref="EventRouter.ClassifyPrepared"/> parses and classifies. The document path stays the reference
/// and the fallback: a read must give the same inputs and rejections, or decline.
/// </summary>
public interface IStreamingRootAdapter : IStreamingDetailAdapter
{
    /// <summary>
    /// Reads the payload's root object (the reader is on its <see cref="JsonTokenType.StartObject"/>; it must be left on the
    /// matching <see cref="JsonTokenType.EndObject"/>) as a payload of <paramref name="header"/>'s kind, into a state for
    /// <see cref="IStreamingDetailAdapter.AdaptRead"/>. Returns false (or throws <see cref="JsonException"/>) unless the
    /// document path would classify the payload as that kind (<c>EventRouter.Classify</c>'s order: an EventBridge envelope,
    /// a Config rule invocation, a log file's <c>Records</c>, a bare record, ...) and read it exactly as read here; nothing
    /// may be observable before it returns. <paramref name="header"/> has no root and no detail; <paramref name="payloadLength"/>
    /// is the payload's size in bytes (a payload that is mostly bodies kept as JSON is cheaper on the document path, which
    /// tokenizes them once: the one pass tokenizes them to find their end, then parses them).
    /// </summary>
    bool TryReadRoot(ref Utf8JsonReader reader, InboundEvent header, int payloadLength, EvaluationContext context, out object? state);

    /// <summary>
    /// The largest EventBridge event whose detail this adapter reads in one pass (<see cref="StreamingRouter"/> declines a
    /// larger one before the detail): past it, the detail is mostly bodies kept as JSON, which the document path tokenizes
    /// once and the one pass twice (to find their end, then to parse them).
    /// </summary>
    int MaxStreamedEventBytes => int.MaxValue;
}
