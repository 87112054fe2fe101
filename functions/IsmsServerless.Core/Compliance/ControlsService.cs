using IsmsServerless.Engine;
using IsmsServerless.Evidence;
using IsmsServerless.Ledger;
using IsmsServerless.Policy;

namespace IsmsServerless.Compliance;

/// <summary>
/// The controls view: a bounded number of store reads whatever the number of resources: one Query for the rules'
/// evidence counters, one for the ledger's counter items (active findings per control), and the duty source.
/// </summary>
public sealed class ControlsService(IEvidenceStore evidence, IFindingLedger ledger, IDutyStateSource duties, RuleRegistry registry, IReadOnlyList<PolicyControl>? controls = null)
{
    public async Task<IReadOnlyList<ControlView>> GetAsync(DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        var summaries = await evidence.GetRuleSummariesAsync(cancellationToken).ConfigureAwait(false);
        var overview = await ledger.GetOverviewAsync(cancellationToken).ConfigureAwait(false);
        var states = await duties.GetStatesAsync(now, cancellationToken).ConfigureAwait(false);
        return ControlCatalog.Coverage(registry, controls)
            .Select(c => ControlStatusCalculator.Compute(c, summaries, states,
                overview.ByControl.TryGetValue(c.Control.Key, out var counts) ? counts.Active : 0, now))
            .ToList();
    }
}
