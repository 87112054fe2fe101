using System.Text.Json;
using IsmsServerless.Alerts;
using IsmsServerless.CounterProjection;
using IsmsServerless.Ledger;
using IsmsServerless.Observability;

namespace IsmsServerless.Functions;

/// <summary>
/// The alert Pipe's enrichment step (issue 20 wave 8; infra <c>Alerting</c>): EventBridge Pipes invokes it synchronously
/// with the filtered batch of ledger stream records (a JSON array; each record's <c>dynamodb.NewImage</c> is an alert
/// outbox INSERT) and sends each element of the returned array to the topic through the target's input template
/// (<see cref="AlertMessageFormat.PipeInputTemplate"/>). One event per record, in order: the alert rendered by
/// <see cref="AlertMessageFormat.Render"/> from the item (<see cref="AlertReader"/>: every layout; the rule texts from the
/// registry or their <c>RULETEXT</c> item). A record no alert can be read from still yields a one-line text naming its key
/// (logged), so nothing is lost silently; a store error throws, and the Pipe retries the batch (bisecting it, then its
/// dead-letter queue). Handler: <c>IsmsServerless.Functions::IsmsServerless.Functions.AlertRenderFunction::HandleAsync</c>.
/// </summary>
public sealed class AlertRenderFunction
{
    // One per handler instance (Lambda keeps one per sandbox): its reader caches rule texts read from the table.
    private AlertReader? _reader;

    private readonly Func<AlertReader> _createReader;

    public AlertRenderFunction() => _createReader = () => new AlertReader(FunctionHost.Dynamo, FunctionHost.TableName);

    /// <summary>For tests: the same handler over an explicit reader (table).</summary>
    internal AlertRenderFunction(AlertReader reader) => _createReader = () => reader;

    private AlertReader Reader => _reader ??= _createReader();

    public async Task<Stream> HandleAsync(Stream input)
    {
        var bytes = await FunctionHost.ReadAllAsync(input).ConfigureAwait(false);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(bytes);
        }
        catch (JsonException ex)
        {
            // The Pipe only sends record arrays; anything else was a manual invoke, with nothing to render or retry.
            Log.Error("alerts.render-event-rejected", ex, ("bytes", bytes.Length));
            return new MemoryStream("[]"u8.ToArray());
        }
        using (document)
        {
            var root = document.RootElement;
            // Pipes sends the batch as a bare array; a Lambda-style {"Records":[...]} event is read the same way.
            var records = root.ValueKind == JsonValueKind.Array ? root
                : root.ValueKind == JsonValueKind.Object && root.TryGetProperty("Records", out var list) && list.ValueKind == JsonValueKind.Array ? list
                : (JsonElement?)null;
            if (records is null)
            {
                Log.Error("alerts.render-event-rejected", null, ("problem", "not an array of stream records"), ("bytes", bytes.Length));
                return new MemoryStream("[]"u8.ToArray());
            }
            var output = new MemoryStream();
            await using (var writer = new Utf8JsonWriter(output))
            {
                writer.WriteStartArray();
                var rendered = 0;
                foreach (var element in records.Value.EnumerateArray())
                    if (await RenderAsync(element, writer).ConfigureAwait(false)) rendered++;
                writer.WriteEndArray();
                Log.Info("alerts.rendered", ("records", records.Value.GetArrayLength()), ("rendered", rendered));
            }
            output.Position = 0;
            return output;
        }
    }

    /// <summary>Writes the record's event; false when it was written as unreadable or skipped (not an alert INSERT).</summary>
    private async Task<bool> RenderAsync(JsonElement element, Utf8JsonWriter writer)
    {
        if (!StreamRecordJson.TryReadRecord(element, null, out var change, out var problem))
        {
            Log.Error("alerts.render-record-rejected", null, ("problem", problem));
            AlertMessageFormat.WriteUnreadableEvent(writer, "(no key)", problem);
            return false;
        }
        var image = change.NewImage;
        var key = (image ?? change.Keys)?.GetValueOrDefault(LedgerSchema.PartitionKey)?.S ?? "(no key)";
        if (change.Problem is null && image is not null && (change.EventName != "INSERT" || image.GetValueOrDefault(LedgerSchema.EntityType)?.S != AlertReader.Entity))
        {
            // The Pipe's filter passes alert INSERTs only: anything else is not an alert to send.
            Log.Warn("alerts.render-record-skipped", ("eventId", change.EventId), ("eventName", change.EventName), ("key", key));
            return false;
        }
        if (change.Problem is not null || image is null)
        {
            problem = change.Problem ?? "no NewImage";
            Log.Error("alerts.render-record-rejected", null, ("eventId", change.EventId), ("key", key), ("problem", problem));
            AlertMessageFormat.WriteUnreadableEvent(writer, key, problem);
            return false;
        }
        var (ok, alert, readProblem) = await Reader.ReadAsync(image, CancellationToken.None).ConfigureAwait(false);
        if (!ok)
        {
            Log.Error("alerts.render-record-rejected", null, ("eventId", change.EventId), ("key", key), ("problem", readProblem));
            AlertMessageFormat.WriteUnreadableEvent(writer, key, readProblem);
            return false;
        }
        AlertMessageFormat.WriteEnrichedEvent(writer, alert);
        return true;
    }
}
