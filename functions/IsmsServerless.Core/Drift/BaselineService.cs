using IsmsServerless.Engine;
using IsmsServerless.Ledger;
using IsmsServerless.Model;
using IsmsServerless.Observability;

namespace IsmsServerless.Drift;

/// <summary>An approval that cannot be made (unknown resource, missing actor or reason); the message says why.</summary>
public sealed class BaselineApprovalException(string message) : Exception(message);

/// <summary>The latest configuration is not the version the approver named (it changed after they looked).</summary>
public sealed class BaselineStaleException(string currentVersion)
    : Exception($"the configuration changed: the latest version is {currentVersion}")
{
    public string CurrentVersion { get; } = currentVersion;
}

/// <summary>What an approval did: the new version and the findings it resolved.</summary>
public sealed record BaselineApproval(ApprovedBaseline Baseline, LedgerWriteResult Ledger);

/// <summary>
/// Approving a resource's current configuration as its baseline, and reading approved versions. Used by
/// <c>./isms baseline</c> and the status page. With a ledger, an approval immediately re-judges the resource against
/// the new snapshot, so the drift finding it accepts resolves at once instead of at the next sweep.
/// </summary>
public sealed class BaselineService(DriftStore store, IFindingLedger? ledger = null, RuleRegistry? registry = null)
{
    public const int MaxActorLength = 256;
    public const int MaxReasonLength = 2000;

    private readonly RuleRegistry _registry = registry ?? RuleRegistry.CreateDefault();

    public DriftStore Store { get; } = store;

    /// <summary>
    /// Approves the latest stored configuration of <paramref name="resourceId"/> (a resource key/ARN, or a Config resource
    /// id such as <c>sg-0123</c>) as the next baseline version.
    /// </summary>
    public async Task<ApprovedBaseline> ApproveAsync(string resourceId, string actor, string reason, DateTimeOffset at, CancellationToken cancellationToken = default) =>
        (await ApproveAndRecordAsync(resourceId, actor, reason, new EvaluationContext(Settings.IsmsSettings.Default, new FixedTimeProvider(at)), cancellationToken).ConfigureAwait(false)).Baseline;

    /// <summary>As <see cref="ApproveAsync"/>, with the settings and clock the re-judgement runs under.</summary>
    public Task<BaselineApproval> ApproveAndRecordAsync(string resourceId, string actor, string reason, EvaluationContext context, CancellationToken cancellationToken = default) =>
        ApproveAndRecordAsync(resourceId, actor, reason, context, null, cancellationToken);

    /// <summary>As above, refusing a latest configuration other than the one the approver saw.</summary>
    /// <param name="expectedVersion">When given, the <see cref="ConfigurationVersion"/> the approver saw: a different latest
    /// configuration throws <see cref="BaselineStaleException"/> instead of being approved unseen.</param>
    public async Task<BaselineApproval> ApproveAndRecordAsync(string resourceId, string actor, string reason, EvaluationContext context, string? expectedVersion,
        CancellationToken cancellationToken = default)
    {
        actor = actor?.Trim() ?? "";
        reason = reason?.Trim() ?? "";
        if (actor.Length == 0) throw new BaselineApprovalException("an approval needs an actor (who approves)");
        if (reason.Length == 0) throw new BaselineApprovalException("an approval needs a reason");
        if (actor.Length > MaxActorLength) throw new BaselineApprovalException($"actor is longer than {MaxActorLength} characters");
        if (reason.Length > MaxReasonLength) throw new BaselineApprovalException($"reason is longer than {MaxReasonLength} characters");

        var key = await ResolveAsync(resourceId, cancellationToken).ConfigureAwait(false);
        var latest = await Store.GetLatestAsync(key, cancellationToken).ConfigureAwait(false)
            ?? throw new BaselineApprovalException($"no configuration has been recorded for '{Shorten(resourceId)}'; a baseline can only approve a configuration the stack has seen");
        if (expectedVersion is not null && ConfigurationVersion.Of(latest) is var current && !string.Equals(current, expectedVersion, StringComparison.Ordinal))
            throw new BaselineStaleException(current);
        var baseline = await Store.AddBaselineAsync(latest, actor, reason, context.Now, cancellationToken).ConfigureAwait(false);
        Log.Info("drift.baseline-approved", ("resourceKey", key), ("version", baseline.Version), ("actor", actor));

        var written = new LedgerWriteResult();
        if (ledger is not null)
        {
            // The approval is a new judgement made now: its compliant verdicts are observed at approval time, so they
            // resolve a drift finding observed at the same capture time (which the source-time tie rule keeps open).
            var evaluations = latest.ToInput(baseline).Dispatch(_registry, context)
                .Where(e => e.Outcome is Outcome.Finding or Outcome.Compliant)
                .Select(e => e.Outcome == Outcome.Compliant && (e.ObservedAt is null || e.ObservedAt < context.Now) ? e with { ObservedAt = context.Now } : e)
                .ToList();
            written = await ledger.RecordAsync(evaluations, context, cancellationToken).ConfigureAwait(false);
        }
        return new BaselineApproval(baseline, written);
    }

    public async Task<ApprovedBaseline?> GetAsync(string resourceId, CancellationToken cancellationToken = default) =>
        await Store.GetBaselineAsync(await ResolveAsync(resourceId, cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);

    public async Task<IReadOnlyList<ApprovedBaseline>> ListVersionsAsync(string resourceId, CancellationToken cancellationToken = default) =>
        await Store.ListBaselinesAsync(await ResolveAsync(resourceId, cancellationToken).ConfigureAwait(false), cancellationToken: cancellationToken).ConfigureAwait(false);

    public async Task<StoredConfiguration?> GetLatestAsync(string resourceId, CancellationToken cancellationToken = default) =>
        await Store.GetLatestAsync(await ResolveAsync(resourceId, cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);

    /// <summary>A resource key as given, or the one key recorded for a Config resource id.</summary>
    public async Task<string> ResolveAsync(string resourceId, CancellationToken cancellationToken = default)
    {
        resourceId = resourceId?.Trim() ?? "";
        if (resourceId.Length == 0) throw new BaselineApprovalException("a resource id is required");
        if (resourceId.Length > ResourceKeys.MaxLength) throw new BaselineApprovalException($"resource id is longer than {ResourceKeys.MaxLength} characters");
        if (resourceId.StartsWith("arn:", StringComparison.Ordinal) || resourceId.Contains("::", StringComparison.Ordinal)) return resourceId;
        var keys = await Store.FindKeysByResourceIdAsync(resourceId, cancellationToken).ConfigureAwait(false);
        return keys.Count switch
        {
            0 => resourceId,
            1 => keys[0],
            _ => throw new BaselineApprovalException($"'{Shorten(resourceId)}' names {keys.Count} resources ({string.Join(", ", keys.Take(3).Select(Shorten))}); give the ARN"),
        };
    }

    private static string Shorten(string text) => text.Length <= 120 ? text : text[..120] + "…";
}
