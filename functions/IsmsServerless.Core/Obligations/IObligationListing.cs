namespace IsmsServerless.Obligations;

/// <summary>
/// Obligations listed by an index of their own area instead of the open/done index (<see cref="ObligationSpec.StateIndexed"/>
/// false): the change register lists change reviews (issue 20 wave 7). The calendar (<see cref="AttestationService.ListAsync"/>)
/// reads their ids here and the obligations by id.
/// </summary>
public interface IObligationListing
{
    /// <summary>Ids of open obligations, earliest due first, at most <paramref name="limit"/>.</summary>
    Task<IReadOnlyList<string>> OpenIdsAsync(int limit, CancellationToken cancellationToken = default);

    /// <summary>Ids of recently done obligations, most recent first, at most <paramref name="limit"/>.</summary>
    Task<IReadOnlyList<string>> DoneIdsAsync(int limit, CancellationToken cancellationToken = default);
}
