using IsmsServerless.Identity;
using IsmsServerless.Ledger;
using IsmsServerless.Observability;

namespace IsmsServerless.Review;

public enum FindingActionError { NotFound, Invalid, FourEyes, UnmappedActor }

/// <summary>An acknowledgement, waiver or approval refused, with a reason fit to show the person.</summary>
public sealed class FindingActionException(FindingActionError error, string message) : Exception(message)
{
    public FindingActionError Error { get; } = error;
}

/// <summary>
/// Acknowledge, waive, and the four-eyes check before a baseline approval: the ONE path the status page and the CLI
/// (<c>./isms ack</c>, <c>./isms waive</c>, <c>./isms baseline approve</c>) take. People come from
/// <see cref="IdentityResolver"/>: the actor is resolved to a person (refused when <c>people</c> is configured and the
/// actor maps to none), and the person whose change produced a finding (its evidence's <c>principal</c> or
/// <c>actor</c>, break-glass prefix stripped) may not acknowledge, waive or approve it away.
/// </summary>
public sealed class FindingActions(IFindingLedger ledger, IdentityResolver identities)
{
    public const int MaxReasonLength = 2000;

    /// <summary>The person (or the name as given, when <c>people</c> is empty) an actor's name stands for.</summary>
    public ResolvedIdentity Actor(string name)
    {
        var trimmed = name?.Trim() ?? "";
        if (trimmed.Length is 0 or > 256 || trimmed.Any(char.IsControl))
            throw new FindingActionException(FindingActionError.Invalid, "the actor must be a name of 1-256 printable characters");
        var who = identities.ResolveName(trimmed);
        if (!who.Mapped && identities.People.Count > 0)
            throw new FindingActionException(FindingActionError.UnmappedActor, $"'{trimmed}' maps to no person in settings.people; actions are recorded against people");
        return who;
    }

    /// <summary>Null when <paramref name="who"/> may act on <paramref name="finding"/>; else the four-eyes refusal.</summary>
    public string? SelfActionRefusal(FindingRecord finding, ResolvedIdentity who, string action)
    {
        ArgumentNullException.ThrowIfNull(finding);
        var author = finding.Evidence.TryGetValue("principal", out var principal) && principal.Length > 0 ? principal
            : finding.Evidence.TryGetValue("actor", out var actor) && actor.Length > 0 ? actor : null;
        if (author is null || !identities.SamePerson(identities.ResolveName(author), who)) return null;
        Log.Warn("finding.self-action", ("finding", finding.Id), ("actor", who.Display), ("action", action));
        return $"four-eyes: your change produced this finding ({author}); someone else must {action} it";
    }

    public async Task<FindingRecord> GetAsync(string findingId, CancellationToken cancellationToken) =>
        await ledger.GetAsync(findingId, cancellationToken).ConfigureAwait(false)
        ?? throw new FindingActionException(FindingActionError.NotFound, $"no finding '{Shorten(findingId)}'");

    public async Task<FindingRecord> AcknowledgeAsync(string findingId, ResolvedIdentity who, string recordedActor, string reason, DateTimeOffset at, CancellationToken cancellationToken)
    {
        var why = Reason(reason);
        var finding = await GetAsync(findingId, cancellationToken).ConfigureAwait(false);
        if (SelfActionRefusal(finding, who, "acknowledge") is { } refusal) throw new FindingActionException(FindingActionError.FourEyes, refusal);
        return await ledger.AcknowledgeAsync(findingId, recordedActor, why, at, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A time-boxed risk acceptance: at most a year, never in the past, on one of the finding's controls.</summary>
    public async Task<FindingRecord> WaiveAsync(string findingId, ResolvedIdentity who, string recordedActor, string? owner, string reason, string? control,
        DateTimeOffset expiresAt, DateTimeOffset at, CancellationToken cancellationToken)
    {
        var why = Reason(reason);
        if (expiresAt <= at || expiresAt > at.AddDays(366))
            throw new FindingActionException(FindingActionError.Invalid, "the waiver must expire in the future and within a year");
        var finding = await GetAsync(findingId, cancellationToken).ConfigureAwait(false);
        if (SelfActionRefusal(finding, who, "waive") is { } refusal) throw new FindingActionException(FindingActionError.FourEyes, refusal);
        var waived = string.IsNullOrWhiteSpace(control) ? (finding.Controls.Count > 0 ? finding.Controls[0] : "") : control.Trim();
        if (finding.Controls.Count > 0 && !finding.Controls.Contains(waived, StringComparer.Ordinal))
            throw new FindingActionException(FindingActionError.Invalid, "the waiver's control must be one of the finding's controls");
        return await ledger.GrantWaiverAsync(findingId, new Waiver(string.IsNullOrWhiteSpace(owner) ? recordedActor : owner.Trim(), why, waived, expiresAt, recordedActor, at), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Before a baseline approval by resource (the CLI's form): refuses when any open finding on the resource was produced
    /// by the approver's own change.
    /// </summary>
    public async Task CheckBaselineApprovalAsync(string resourceId, ResolvedIdentity who, CancellationToken cancellationToken)
    {
        var page = await ledger.QueryByResourceAsync(resourceId, 50, null, cancellationToken).ConfigureAwait(false);
        foreach (var finding in page.Items.Where(f => f.Status != FindingStatus.Resolved))
        {
            if (SelfActionRefusal(finding, who, "approve") is { } refusal) throw new FindingActionException(FindingActionError.FourEyes, refusal);
        }
    }

    private static string Reason(string? reason)
    {
        var text = reason?.Trim() ?? "";
        if (text.Length is 0 or > MaxReasonLength) throw new FindingActionException(FindingActionError.Invalid, $"a reason (1-{MaxReasonLength} characters) is required");
        return text;
    }

    private static string Shorten(string? text) => text is null ? "" : text.Length <= 60 ? text : text[..60] + "…";
}
