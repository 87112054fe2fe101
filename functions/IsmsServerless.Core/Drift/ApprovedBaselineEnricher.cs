using IsmsServerless.Engine;
using IsmsServerless.Inputs;

namespace IsmsServerless.Drift;

/// <summary>
/// The drift area's step in the store-backed pipeline. For each configuration item it records the item as the
/// resource's latest configuration (what the sweep re-checks without calling Config) and attaches the approved snapshot
/// in force, so <see cref="Rules.Drift.ApprovedSnapshotDriftRule"/> can judge it purely. Oversized summaries are
/// neither stored nor enriched: there is no configuration to compare. A deleted resource (<see cref="ConfigResourceRemovedInput"/>)
/// is forgotten, so the sweep stops re-judging it; its approved snapshots stay as history.
/// </summary>
public sealed class ApprovedBaselineEnricher(DriftStore store) : IInputEnricher
{
    public async ValueTask<RuleInput> EnrichAsync(RuleInput input, EvaluationContext context, CancellationToken cancellationToken)
    {
        if (input is ConfigResourceRemovedInput removed)
        {
            await store.ForgetAsync(removed.ResourceKey, removed.ObservedAt ?? context.Now, context.Settings.ResolvedRetentionDays, context.Now, cancellationToken).ConfigureAwait(false);
            return input;
        }
        if (input is not ConfigItemInput { HasConfiguration: true } item) return input;
        if (item.Trigger != ConfigItemTrigger.StoredConfiguration)
            await store.PutLatestAsync(item, context.Now, cancellationToken).ConfigureAwait(false);
        var baseline = await store.GetBaselineAsync(item.ResourceKey, cancellationToken).ConfigureAwait(false);
        return baseline is null ? item : item with { ApprovedBaseline = baseline };
    }
}
