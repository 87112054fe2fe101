using IsmsServerless.Obligations;

namespace IsmsServerless.Changes;

/// <summary>
/// The change reviews for the calendar, from the change register's own index (issue 20 wave 7: a <c>change.review</c>
/// obligation has no open/done entry of its own): pending changes, earliest due first, name their current round's
/// obligation; reviewed changes, most recently reviewed first, the round their review attested.
/// </summary>
public sealed class ChangeReviewListing(IChangeRegister register) : IObligationListing
{
    public async Task<IReadOnlyList<string>> OpenIdsAsync(int limit, CancellationToken cancellationToken = default)
    {
        var page = await register.QueryPendingAsync(Math.Clamp(limit, 1, 1000), null, cancellationToken).ConfigureAwait(false);
        return [.. page.Items.Select(r => ChangeReviewObligations.IdOf(r.ChangeId, r.Round))];
    }

    public async Task<IReadOnlyList<string>> DoneIdsAsync(int limit, CancellationToken cancellationToken = default)
    {
        var page = await register.QueryReviewedAsync(Math.Clamp(limit, 1, 1000), null, cancellationToken).ConfigureAwait(false);
        return [.. page.Items.Select(r => ChangeReviewObligations.IdOf(r.ChangeId, r.Round))];
    }
}
