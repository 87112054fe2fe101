using IsmsServerless.Engine;
using IsmsServerless.Inputs;
using IsmsServerless.Ledger;
using IsmsServerless.Model;
using IsmsServerless.Observability;

namespace IsmsServerless.Pipeline;

/// <summary>What the store-backed pipeline did with one payload.</summary>
public sealed record IngestResult(EngineResult Engine, LedgerWriteResult Ledger, int ResourcesGone, int FindingsClosed)
{
    public int Findings => Engine.Evaluations.Count(e => e.Outcome is Outcome.Finding or Outcome.Change);
}

/// <summary>
/// The store-backed path every event takes, in the ingest Lambda and in <c>./isms replay</c>:
/// adapt → enrich (stored state, e.g. baselines) → evaluate → record in the ledger; deleted resources close their
/// findings. Store failures propagate so the Lambda invocation fails and EventBridge retries it (then the DLQ);
/// bad payloads are results, not exceptions.
/// </summary>
public sealed class IngestPipeline(RuleEngine engine, IReadOnlyList<IInputEnricher> enrichers, IFindingLedger ledger, Evidence.IEvidenceStore? evidence = null,
    IReadOnlyList<IRecordedHook>? recorded = null)
{
    public const string Actor = "system:ingest";

    public RuleEngine Engine { get; } = engine;

    public IFindingLedger Ledger { get; } = ledger;

    public async Task<IngestResult> ProcessAsync(ReadOnlyMemory<byte> payload, EvaluationContext context, CancellationToken cancellationToken = default)
    {
        var adapted = Engine.Adapt(payload, context);
        return await ProcessAdaptedAsync(adapted, context, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The pipeline after adaptation: enrich → evaluate → ledger → close gone resources. Payload-less sources (the
    /// configuration snapshot back-fill) adapt their own items and enter here, so they take the same path as events.
    /// </summary>
    public async Task<IngestResult> ProcessAdaptedAsync(EngineResult adapted, EvaluationContext context, CancellationToken cancellationToken = default)
    {
        if (adapted.Rejected || adapted.Inputs.Count == 0) return new IngestResult(adapted, new LedgerWriteResult(), 0, 0);

        var gone = adapted.Inputs.OfType<ResourceGoneInput>().ToList();
        var inputs = new List<RuleInput>(adapted.Inputs.Count);
        foreach (var input in adapted.Inputs)
        {
            if (input is ResourceGoneInput) continue;
            var enriched = input;
            foreach (var enricher in enrichers) enriched = await enricher.EnrichAsync(enriched, context, cancellationToken).ConfigureAwait(false);
            inputs.Add(enriched);
        }
        var evaluated = Engine.EvaluateInputs(adapted with { Inputs = inputs }, context);
        if (inputs.Count == 0 && gone.Count > 0) evaluated = evaluated with { IgnoredReason = null };
        // With an evidence store, a finding created for the first time from a violation holds its evidence failure, and the
        // store writes no result for it (issue 20 wave 10; docs/data-model.md "Passing evidence").
        var written = await Ledger.RecordAsync(evaluated.Evaluations, context, holdEvidence: evidence is not null, cancellationToken).ConfigureAwait(false);
        foreach (var hook in recorded ?? [])
        {
            await hook.RecordedAsync(evaluated.Evaluations, context, cancellationToken).ConfigureAwait(false);
            if (hook is IRecordedInputsHook withInputs) await withInputs.InputsRecordedAsync([.. inputs, .. gone], context, cancellationToken).ConfigureAwait(false);
        }
        // Passing evidence after the ledger: a store failure fails the invocation and the retry re-records both idempotently.
        // Evaluations the ledger found superseded by a newer observation of their identity are not evidence of the
        // current state: the store would otherwise keep whichever result its daily-refresh throttle let through last.
        // The ledger's answer says which evaluations are superseded (skipped, except to let a stored result take over a
        // failure the finding holds) and which findings hold their failure.
        if (evidence is not null)
            await evidence.RecordAsync(evaluated.Evaluations, evaluated.Source ?? evaluated.Adapter ?? "unknown", context, Evidence.EvidenceHolding.Of(written), cancellationToken).ConfigureAwait(false);

        var closed = 0;
        var held = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        foreach (var resource in gone)
        {
            closed += await Ledger.CloseResourceFindingsAsync(resource.ResourceId, Actor, resource.Reason,
                resource.ObservedAt ?? context.Now, held, cancellationToken).ConfigureAwait(false);
        }
        if (evidence is not null)
        {
            foreach (var resource in gone)
                await evidence.ForgetAsync(GoneResults(resource), resource.ObservedAt ?? context.Now, evaluated.Source ?? evaluated.Adapter ?? "unknown", held, cancellationToken).ConfigureAwait(false);
        }
        if (gone.Count > 0) Log.Info("pipeline.resources-gone", ("resources", gone.Count), ("findingsClosed", closed));
        return new IngestResult(evaluated with { Inputs = adapted.Inputs }, written, gone.Count, closed);
    }

    /// <summary>
    /// The rule results a gone resource may have as passing evidence: each rule of its resource type, without a sub-key.
    /// Derived from the deletion alone (never from what is stored), so the same tombstones are written whatever arrived
    /// first. Sub-keyed results (one per CVE or patch) of a deleted resource are not covered.
    /// </summary>
    private List<Evidence.GoneResult> GoneResults(ResourceGoneInput resource) =>
        resource.ResourceType.Length == 0
            ? []
            : Engine.Registry.Rules.Where(r => r.Metadata.ResourceType == resource.ResourceType)
                .Select(r => new Evidence.GoneResult(r.Metadata.Id, FindingIdentity.Compute(r.Metadata.Id, resource.AccountId, resource.Region, resource.ResourceId, ""),
                    resource.ResourceId, resource.ResourceType, ""))
                .ToList();
}
