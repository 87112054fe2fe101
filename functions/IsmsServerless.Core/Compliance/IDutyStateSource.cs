namespace IsmsServerless.Compliance;

/// <summary>A duty's state as the obligation mechanism reports it: <c>open</c> | <c>due</c> | <c>overdue</c> | <c>done</c>.</summary>
public sealed record DutyState(string Id, string State, DateTimeOffset? DueAt = null);

/// <summary>
/// The seam between control status and the obligation mechanism (issue 16b: <c>Obligations/</c>, <c>IsmsSettings.Duties</c>).
/// Returns duty id → state. Until 16b's store is wired here, <see cref="NoDutyStates"/> reports nothing and a control
/// evidenced only by duties shows <c>manual</c>: the honest answer when no one records the duty yet.
/// </summary>
public interface IDutyStateSource
{
    Task<IReadOnlyDictionary<string, DutyState>> GetStatesAsync(DateTimeOffset now, CancellationToken cancellationToken = default);
}

/// <summary>The default: no duty states (duty-evidenced controls report <c>manual</c>).</summary>
public sealed class NoDutyStates : IDutyStateSource
{
    public static NoDutyStates Instance { get; } = new();

    public Task<IReadOnlyDictionary<string, DutyState>> GetStatesAsync(DateTimeOffset now, CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyDictionary<string, DutyState>>(new Dictionary<string, DutyState>());
}
