using System.Text;
using IsmsServerless.Model;
using IsmsServerless.Observability;

namespace IsmsServerless.Functions;

/// <summary>
/// Target of the EventBridge rules (CloudTrail, Config, Inspector, SSM compliance).
/// Handler: <c>IsmsServerless.Functions::IsmsServerless.Functions.EventIngestFunction::HandleAsync</c>.
/// Takes and returns <see cref="Stream"/>, so the managed runtime needs no serializer package.
/// </summary>
public sealed class EventIngestFunction
{
    public async Task<Stream> HandleAsync(Stream input)
    {
        var payload = await FunctionHost.ReadAllAsync(input).ConfigureAwait(false);
        var context = FunctionHost.NewContext();
        var result = FunctionHost.Engine.Evaluate(payload, context);
        var findings = result.Evaluations.Count(e => e.Outcome == Outcome.Finding);
        Log.Info("event.evaluated", ("adapter", result.Adapter), ("source", result.Source), ("detailType", result.DetailType),
            ("evaluations", result.Evaluations.Count), ("findings", findings), ("rejected", result.Rejected), ("error", result.Error));
        // Rejections are logged and acknowledged: retrying a payload we cannot parse would only fill the DLQ with it.
        var summary = $"{{\"evaluations\":{result.Evaluations.Count},\"findings\":{findings},\"rejected\":{(result.Rejected ? "true" : "false")}}}";
        return new MemoryStream(Encoding.UTF8.GetBytes(summary));
    }
}
