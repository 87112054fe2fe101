using IsmsServerless.Obligations;

namespace IsmsServerless.StatusPage;

/// <summary>The duties calendar and its attest action, as the status page reads and writes them.</summary>
public interface IDutyCalendar
{
    /// <summary>Open obligations (earliest due first) then the most recently attested, with their state now.</summary>
    Task<IReadOnlyList<DutyLine>> ListAsync(int limit, CancellationToken cancellationToken);

    /// <summary>Attests as <paramref name="by"/> (the signed-in user) with the token's <paramref name="subject"/>.</summary>
    Task<ReviewResult> AttestAsync(string target, string by, string subject, IReadOnlyList<string> evidence, string? note, CancellationToken cancellationToken);
}

/// <summary>The calendar over <see cref="AttestationService"/> (four-eyes, https evidence, immutable attestations).</summary>
public sealed class ObligationDutyCalendar(AttestationService service) : IDutyCalendar
{
    // Read-only: the sweep opens the periods (two Queries, bounded by the limit).
    public Task<IReadOnlyList<DutyLine>> ListAsync(int limit, CancellationToken cancellationToken) => service.ListAsync(limit, 50, cancellationToken);

    public async Task<ReviewResult> AttestAsync(string target, string by, string subject, IReadOnlyList<string> evidence, string? note, CancellationToken cancellationToken)
    {
        try
        {
            await service.AttestAsync(new AttestRequest(target, by, subject, evidence, note), cancellationToken).ConfigureAwait(false);
            return ReviewResult.Ok;
        }
        catch (ObligationException ex)
        {
            return new ReviewResult(false, ex.Message, ex.Error switch
            {
                ObligationError.NotFound => RefusalKind.NotFound,
                ObligationError.Invalid => RefusalKind.Invalid,
                _ => RefusalKind.Conflict,
            });
        }
    }
}
