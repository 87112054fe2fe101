using IsmsServerless.Alerts;
using IsmsServerless.Ledger;

namespace IsmsServerless.Obligations;

/// <summary>How <see cref="IObligationStore.OpenAsync"/> ended.</summary>
public enum OpenStatus
{
    Created,

    /// <summary>It existed and the new spec moved its due time earlier (an earlier call of a change arrived late).</summary>
    Rescheduled,

    /// <summary>It existed; nothing changed (a redelivery, a second sweep, a concurrent opener that lost the race).</summary>
    Existing,
}

public sealed record OpenResult(OpenStatus Status, Obligation Obligation);

/// <summary>
/// The obligations store: the API other areas (backups, incidents, access reviews, approvals) call to create and close
/// what is due. Implemented on the ledger table by <see cref="DynamoObligationStore"/>.
/// </summary>
public interface IObligationStore
{
    /// <summary>
    /// Opens the obligation <paramref name="spec"/> describes, or returns the existing one with the same id. Idempotent
    /// and order-independent: of several opens of one id, the earliest due time wins; an attested obligation never changes.
    /// </summary>
    Task<OpenResult> OpenAsync(ObligationSpec spec, DateTimeOffset now, CancellationToken cancellationToken = default);

    Task<Obligation?> GetAsync(string obligationId, CancellationToken cancellationToken = default);

    /// <summary>The occurrence of (kind, subject) with the latest due time, or null. Kinds opened with <see cref="ObligationSpec.SubjectIndexed"/> false are not found here.</summary>
    Task<Obligation?> LatestForSubjectAsync(string kind, string subject, CancellationToken cancellationToken = default);

    /// <summary>Obligations whose next timer is at or before <paramref name="at"/> (GSI4, re-read consistently).</summary>
    Task<IReadOnlyList<Obligation>> QueryTimersDueAsync(DateTimeOffset at, int limit, CancellationToken cancellationToken = default);

    /// <summary>Not yet attested, earliest due first.</summary>
    Task<Page<Obligation>> QueryOpenAsync(int limit, string? cursor = null, CancellationToken cancellationToken = default);

    /// <summary>Attested, most recently attested first.</summary>
    Task<Page<Obligation>> QueryDoneAsync(int limit, string? cursor = null, CancellationToken cancellationToken = default);

    /// <summary>The obligations of <paramref name="ids"/> that exist, in the ids' order (eventually consistent: for listings).</summary>
    Task<IReadOnlyList<Obligation>> GetManyAsync(IReadOnlyList<string> ids, CancellationToken cancellationToken = default);

    /// <summary>Every obligation of one kind, earliest due first. Kinds opened with <see cref="ObligationSpec.KindIndexed"/> false are not listed.</summary>
    Task<Page<Obligation>> QueryKindAsync(string kind, int limit, string? cursor = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// The earliest-due OPEN obligation of <paramref name="kind"/>, reading at most <paramref name="maxScanned"/> open
    /// obligations (the open partition, earliest due first). <c>Complete</c> is false when the bound was reached without
    /// a match: the answer is then unknown, and callers must fail safe.
    /// </summary>
    Task<OpenOfKind> FirstOpenOfKindAsync(string kind, int maxScanned = 1000, CancellationToken cancellationToken = default);

    /// <summary>Writes <paramref name="updated"/> if the stored version is still <c>updated.Version - 1</c>, with an optional outbox alert in the same transaction.</summary>
    Task<bool> TryUpdateAsync(Obligation updated, AlertRecord? alert = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Stores the attestation (once: attestations are immutable evidence). No validation here: callers go through
    /// <see cref="AttestationService"/> (people) or attest from their own validated record (a change review).
    /// Throws <see cref="ObligationException"/> when not found or already attested.
    /// </summary>
    Task<Obligation> AttestAsync(string obligationId, Attestation attestation, CancellationToken cancellationToken = default);
}

/// <summary>What <see cref="IObligationStore.FirstOpenOfKindAsync"/> found: the earliest-due open obligation (or null), and whether the scan was complete.</summary>
public sealed record OpenOfKind(Obligation? First, bool Complete);

public enum ObligationError { NotFound, Invalid, AlreadyDone, FourEyes, NotAttestable, Conflict }

/// <summary>A refused obligation operation, with a reason the person can act on.</summary>
public sealed class ObligationException(ObligationError error, string message) : Exception(message)
{
    public ObligationError Error { get; } = error;
}
