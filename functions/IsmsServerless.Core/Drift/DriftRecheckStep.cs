using IsmsServerless.Engine;
using IsmsServerless.Model;
using IsmsServerless.Sweep;

namespace IsmsServerless.Drift;

/// <summary>
/// The sweep's periodic full re-check: every known resource's stored latest configuration is judged again against the
/// baselines in code and its approved snapshot. Catches what events alone cannot: a baseline tightened in a release, an
/// approval revoked by a newer one, a lost event. Reads with Query on the drift index (never Scan), needs no Config API.
/// </summary>
public sealed class DriftRecheckStep(RuleRegistry? registry = null) : ISweepStep
{
    public const int PageSize = 100;

    private readonly RuleRegistry _registry = registry ?? RuleRegistry.CreateDefault();

    public string Name => "drift-recheck";

    public async Task<SweepStepResult> RunAsync(SweepContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var store = new DriftStore(context.Dynamo, context.TableName);
        int examined = 0, findings = 0, resolved = 0;
        Dictionary<string, Amazon.DynamoDBv2.Model.AttributeValue>? cursor = null;
        do
        {
            var (items, next) = await store.QueryLatestAsync(cursor, PageSize, cancellationToken).ConfigureAwait(false);
            var evaluations = new List<Evaluation>();
            foreach (var stored in items)
            {
                var baseline = await store.GetBaselineAsync(stored.ResourceKey, cancellationToken).ConfigureAwait(false);
                evaluations.AddRange(stored.ToInput(baseline).Dispatch(_registry, context.Evaluation)
                    .Where(e => e.Outcome is Outcome.Finding or Outcome.Compliant));
                examined++;
            }
            if (evaluations.Count > 0)
            {
                var written = await context.RecordAsync(evaluations, Name, cancellationToken).ConfigureAwait(false);
                findings += evaluations.Count(e => e.Outcome == Outcome.Finding);
                resolved += written.Resolved;
            }
            cursor = next;
        }
        while (cursor is not null);
        return new SweepStepResult(Name, examined, findings, resolved, [$"{examined} stored configuration(s) re-checked"]);
    }
}
