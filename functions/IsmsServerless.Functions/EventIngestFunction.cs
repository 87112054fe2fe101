using System.Text;
using IsmsServerless.Observability;

namespace IsmsServerless.Functions;

/// <summary>
/// Target of the EventBridge rules (CloudTrail, Config, Inspector, SSM compliance): runs the store-backed pipeline
/// (adapt → enrich → evaluate → ledger). Handler:
/// <c>IsmsServerless.Functions::IsmsServerless.Functions.EventIngestFunction::HandleAsync</c>.
/// Takes and returns <see cref="Stream"/>, so the managed runtime needs no serializer package.
/// </summary>
public sealed class EventIngestFunction
{
    public async Task<Stream> HandleAsync(Stream input)
    {
        var payload = await FunctionHost.ReadAllAsync(input).ConfigureAwait(false);
        var context = await FunctionHost.NewContextAsync().ConfigureAwait(false);
        // Store errors propagate: the invocation fails and EventBridge retries, then dead-letters the event.
        var result = await FunctionHost.Pipeline.ProcessAsync(payload, context).ConfigureAwait(false);
        // The source spoke: reuses the pipeline's parse; at most one small write per source every few minutes; never throws.
        await FunctionHost.Heartbeats.RecordAsync(result.Engine, payload).ConfigureAwait(false);
        var engine = result.Engine;
        var ledger = result.Ledger;
        Log.Info("event.ingested", ("adapter", engine.Adapter), ("source", engine.Source), ("detailType", engine.DetailType),
            ("evaluations", engine.Evaluations.Count), ("findings", result.Findings), ("created", ledger.Created),
            ("updated", ledger.Updated), ("resolved", ledger.Resolved), ("reopened", ledger.Reopened), ("unchanged", ledger.Unchanged),
            ("alerts", ledger.AlertIds.Count), ("findingsClosed", result.FindingsClosed), ("rejected", engine.Rejected), ("error", engine.Error));
        // Rejections are logged and acknowledged: retrying a payload we cannot parse would only fill the DLQ with it.
        var summary = string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"{{\"evaluations\":{engine.Evaluations.Count},\"findings\":{result.Findings},\"created\":{ledger.Created},\"resolved\":{ledger.Resolved + result.FindingsClosed},\"alerts\":{ledger.AlertIds.Count},\"rejected\":{(engine.Rejected ? "true" : "false")}}}");
        return new MemoryStream(Encoding.UTF8.GetBytes(summary));
    }
}
