using IsmsServerless.Observability;

namespace IsmsServerless.Sweep;

/// <summary>What a whole sweep did; <see cref="Failed"/> lists steps that threw (the others still ran).</summary>
public sealed record SweepReport(IReadOnlyList<SweepStepResult> Steps, IReadOnlyList<string> Failed)
{
    public bool Succeeded => Failed.Count == 0;
}

/// <summary>Runs the sweep steps in order; one step failing is logged and does not stop the rest.</summary>
public sealed class SweepRunner(IReadOnlyList<ISweepStep> steps)
{
    public IReadOnlyList<ISweepStep> Steps { get; } = steps;

    public async Task<SweepReport> RunAsync(SweepContext context, CancellationToken cancellationToken = default)
    {
        var results = new List<SweepStepResult>();
        var failed = new List<string>();
        foreach (var step in Steps)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                var result = await step.RunAsync(context, cancellationToken).ConfigureAwait(false);
                results.Add(result);
                Log.Info("sweep.step", ("step", step.Name), ("examined", result.Examined), ("findings", result.Findings),
                    ("resolved", result.Resolved), ("notes", string.Join("; ", result.Notes)));
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // A failing step (e.g. a throttled dependency) must not starve SLA escalation or the others.
                failed.Add(step.Name);
                Log.Error("sweep.step-failed", ex, ("step", step.Name));
            }
        }
        return new SweepReport(results, failed);
    }
}
