using System.Text;
using IsmsServerless.Observability;
using IsmsServerless.Sweep;

namespace IsmsServerless.Functions;

/// <summary>
/// Target of the scheduled EventBridge rule: runs every sweep step (SLA escalation and waiver expiry first).
/// Handler: <c>IsmsServerless.Functions::IsmsServerless.Functions.SweepFunction::HandleAsync</c>. The scheduled
/// event's content carries nothing the sweep needs (its "now" is the clock), so it is read and ignored.
/// </summary>
public sealed class SweepFunction
{
    public async Task<Stream> HandleAsync(Stream input)
    {
        _ = await FunctionHost.ReadAllAsync(input).ConfigureAwait(false);
        var context = new SweepContext(FunctionHost.Dynamo, FunctionHost.TableName, FunctionHost.Ledger, await FunctionHost.NewContextAsync().ConfigureAwait(false))
        {
            Evidence = new Evidence.DynamoDbEvidenceStore(FunctionHost.Dynamo, FunctionHost.TableName, FunctionHost.PolicyVersion),
        };
        var report = await FunctionHost.Sweep.RunAsync(context).ConfigureAwait(false);
        Log.Info("sweep.done", ("steps", report.Steps.Count), ("failed", string.Join(",", report.Failed)));
        // A failed step fails the invocation so the schedule's retry and the error metric surface it.
        if (!report.Succeeded) throw new InvalidOperationException("sweep steps failed: " + string.Join(", ", report.Failed));
        var summary = string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"{{\"steps\":{report.Steps.Count},\"findings\":{report.Steps.Sum(s => s.Findings)},\"resolved\":{report.Steps.Sum(s => s.Resolved)}}}");
        return new MemoryStream(Encoding.UTF8.GetBytes(summary));
    }
}
