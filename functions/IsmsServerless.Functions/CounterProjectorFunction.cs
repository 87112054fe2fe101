using System.Text;
using System.Text.Json;
using IsmsServerless.CounterProjection;
using IsmsServerless.Observability;

namespace IsmsServerless.Functions;

/// <summary>
/// Target of the ledger table's DynamoDB stream (event source mapping; infra <c>CounterProjection</c>): maintains the rule
/// counters from finding item records (<see cref="CounterProjector"/>, docs/data-model.md "Counters from the stream").
/// Handler: <c>IsmsServerless.Functions::IsmsServerless.Functions.CounterProjectorFunction::HandleAsync</c>. Thin: the
/// event's records are read by the same JSON reader the local drain uses, applied by the same projector, and a store error
/// is answered with a partial batch response (<c>batchItemFailures</c>: the first record not applied, a sub-range start,
/// so Lambda retries from exactly there). A record that cannot be read is logged and skipped, never retried forever.
/// </summary>
public sealed class CounterProjectorFunction
{
    // One per handler instance (Lambda keeps one per sandbox): its reader caches rule texts across invocations.
    private CounterProjector? _projector;

    private CounterProjector Projector => _projector ??=
        new CounterProjector(FunctionHost.Dynamo, FunctionHost.TableName, [new FindingCounterSource(FunctionHost.Dynamo, FunctionHost.TableName), new EvidenceCounterSource()], FunctionHost.Clock);

    public async Task<Stream> HandleAsync(Stream input)
    {
        var bytes = await FunctionHost.ReadAllAsync(input).ConfigureAwait(false);
        List<StreamChange> records;
        try
        {
            using var document = JsonDocument.Parse(bytes);
            (records, var problems) = StreamRecordJson.ReadEvent(document.RootElement);
            foreach (var problem in problems) Log.Warn("projector.malformed-record", ("problem", problem));
        }
        catch (JsonException ex)
        {
            // Not JSON at all: nothing can be applied or retried usefully; Lambda only sends stream batches here.
            Log.Error("projector.malformed-event", ex, ("bytes", bytes.Length));
            return Answer(null);
        }
        var result = await Projector.ApplyAsync(records).ConfigureAwait(false);
        Log.Info("projector.batch", ("records", result.Records), ("applied", result.Applied), ("alreadyApplied", result.AlreadyApplied),
            ("skipped", result.Skipped), ("writes", result.Writes), ("failedAt", result.FailedAt));
        return Answer(result.FailedAt);
    }

    /// <summary>The partial batch response: empty (all done), or the sequence number to retry from.</summary>
    internal static MemoryStream Answer(string? failedAt) => new(Encoding.UTF8.GetBytes(failedAt is null
        ? "{\"batchItemFailures\":[]}"
        : "{\"batchItemFailures\":[{\"itemIdentifier\":" + JsonSerializer.Serialize(failedAt, ProjectorJson.Default.String) + "}]}"));
}

[System.Text.Json.Serialization.JsonSerializable(typeof(string))]
internal sealed partial class ProjectorJson : System.Text.Json.Serialization.JsonSerializerContext;
