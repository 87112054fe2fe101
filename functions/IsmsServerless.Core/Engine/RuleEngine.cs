using System.Text.Json;
using IsmsServerless.Events;
using IsmsServerless.Ingestion;
using IsmsServerless.Inputs;
using IsmsServerless.Model;
using IsmsServerless.Observability;

namespace IsmsServerless.Engine;

/// <summary>What the engine made of one payload.</summary>
public sealed record EngineResult
{
    /// <summary>The adapter that understood the payload, or null.</summary>
    public string? Adapter { get; init; }

    public InboundKind? Kind { get; init; }
    public string? Source { get; init; }
    public string? DetailType { get; init; }
    public IReadOnlyList<RuleInput> Inputs { get; init; } = [];
    public IReadOnlyList<Evaluation> Evaluations { get; init; } = [];

    /// <summary>Why the payload was rejected; null when it was understood.</summary>
    public string? Error { get; init; }

    /// <summary>Why an understood payload led to no evaluation.</summary>
    public string? IgnoredReason { get; init; }

    public bool Rejected => Error is not null;
}

/// <summary>
/// The one evaluation path: payload → router → adapter → rules. The Lambda handlers, <c>./isms evaluate</c>,
/// <c>./isms replay</c> and the tests all call this, so what is tested is what runs.
/// </summary>
public sealed class RuleEngine(RuleRegistry registry, IReadOnlyList<IEventAdapter> adapters)
{
    public RuleRegistry Registry { get; } = registry;
    public IReadOnlyList<IEventAdapter> Adapters { get; } = adapters;

    /// <summary>
    /// Whether EventBridge events whose adapter streams are read in one pass (<see cref="StreamingRouter"/>); off, every
    /// payload takes the document path (the reference the streamed reads are tested against).
    /// </summary>
    public bool ReadsStreamed { get; init; } = true;

    public static RuleEngine CreateDefault() => new(RuleRegistry.CreateDefault(), DefaultAdapters());

    /// <summary>Every adapter, most specific first.</summary>
    public static IReadOnlyList<IEventAdapter> DefaultAdapters() =>
    [
        new CloudTrailAdapter(),
        new ConfigAdapter(),
        // patch
        new Inspector2Adapter(),
        new SsmComplianceAdapter(),
        new Ec2StateChangeAdapter(),
        // backups and incidents
        new BackupEventAdapter(),
        new GuardDutyAdapter(),
        new GuardDutyCoverageAdapter(),
        new GuardDutyMalwareAdapter(),
        new SecurityHubAdapter(),
    ];

    /// <summary>Evaluates one payload. Never throws for bad input: the result carries the rejection.</summary>
    public EngineResult Evaluate(ReadOnlyMemory<byte> payload, EvaluationContext context)
    {
        // The same result as EvaluateInputs(Adapt(payload, context), context), built once: not an adapted result and then
        // a copy of it with the evaluations.
        if (AdaptCore(payload, context, out var adapted) is { } done) return done;
        if (adapted.Inputs.Count == 0) return adapted.Result();
        var evaluations = EvaluateCore(adapted.Inputs, context);
        return adapted.Result(evaluations, evaluations.Count == 0 ? IgnoredBecause(adapted.Inputs, adapted.Adapter) : null);
    }

    /// <summary>
    /// Parses, classifies and adapts a payload into normalized inputs without evaluating them, so a store-backed
    /// pipeline can enrich the inputs (<see cref="IInputEnricher"/>) before <see cref="EvaluateInputs"/>.
    /// </summary>
    public EngineResult Adapt(ReadOnlyMemory<byte> payload, EvaluationContext context) =>
        AdaptCore(payload, context, out var adapted) ?? adapted.Result();

    /// <summary>An event an adapter made inputs of (none, possibly): what <see cref="EngineResult"/> is built from.</summary>
    private readonly record struct Adaptation(string Adapter, InboundEvent Inbound, IReadOnlyList<RuleInput> Inputs)
    {
        /// <summary>The adapted result (<see cref="Adapt"/>'s).</summary>
        public EngineResult Result() => new()
        {
            Adapter = Adapter,
            Kind = Inbound.Kind,
            Source = Inbound.Source,
            DetailType = Inbound.DetailType,
            Inputs = Inputs,
            IgnoredReason = Inputs.Count == 0 ? $"the {Adapter} event holds nothing to evaluate" : null,
        };

        /// <summary>The evaluated result (<see cref="EvaluateInputs"/> of <see cref="Result()"/>).</summary>
        public EngineResult Result(IReadOnlyList<Evaluation> evaluations, string? ignoredReason) => new()
        {
            Adapter = Adapter,
            Kind = Inbound.Kind,
            Source = Inbound.Source,
            DetailType = Inbound.DetailType,
            Inputs = Inputs,
            Evaluations = evaluations,
            IgnoredReason = ignoredReason,
        };
    }

    /// <summary>
    /// <see cref="Adapt"/>'s work: a finished result (a rejection, no adapter), or null and the adaptation to build one from.
    /// </summary>
    private EngineResult? AdaptCore(ReadOnlyMemory<byte> payload, EvaluationContext context, out Adaptation adapted)
    {
        adapted = default;
        // Strings repeated within this event are read once (EventStrings); nothing is shared with earlier events.
        Events.EventStrings.BeginEvent();
        InboundEvent inbound;
        JsonDocument? document = null;
        try
        {
            payload = EventRouter.Prepare(payload);
            // An EventBridge event whose adapter reads its detail from the bytes: one pass, no document (StreamingRouter).
            // Anything that pass does not read exactly as below declines, and takes the document path.
            if (ReadsStreamed && StreamingRouter.TryRead(payload.Span, Adapters, context, out var streamed))
                return Adapted(streamed.Adapter, streamed.Header, context, streamed, out adapted);
            inbound = EventRouter.ClassifyPrepared(payload, out document);
        }
        catch (EventRejectedException ex)
        {
            return Reject(ex.Message, null, null);
        }
        using (document)
        {
            IEventAdapter? adapter = null;
            foreach (var candidate in Adapters)
            {
                if (candidate.CanAdapt(inbound)) { adapter = candidate; break; }
            }
            if (adapter is null)
            {
                return new EngineResult
                {
                    Kind = inbound.Kind,
                    Source = inbound.Source,
                    DetailType = inbound.DetailType,
                    IgnoredReason = $"no adapter for {inbound.Kind} source '{inbound.Source}' detail-type '{inbound.DetailType}'",
                };
            }
            // Inputs must not hold JsonElements of this document: it is disposed on return. Bound records are
            // safe (JsonElementBinder clones JsonElement members: a byte copy, not a parse).
            return Adapted(adapter, inbound, context, null, out adapted);
        }
    }

    /// <summary>
    /// The adapter's inputs for a classified event (from the document, or from a streamed read's state): null and the
    /// adaptation, or the rejection.
    /// </summary>
    private static EngineResult? Adapted(IEventAdapter adapter, InboundEvent inbound, EvaluationContext context, StreamingRouter.Read? streamed, out Adaptation adapted)
    {
        adapted = default;
        try
        {
            var inputs = streamed is { } read ? read.Adapter.AdaptRead(read.State, inbound, context) : adapter.Adapt(inbound, context);
            adapted = new Adaptation(adapter.Name, inbound, inputs);
            return null;
        }
        catch (EventRejectedException ex)
        {
            return Reject(ex.Message, inbound, adapter.Name);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or KeyNotFoundException or FormatException or ArgumentException or IndexOutOfRangeException)
        {
            // An adapter tripping over a shape it did not expect is still bad input, not a crash.
            Log.Warn("adapter.unexpected-shape", ("adapter", adapter.Name), ("error", ex.Message));
            return Reject($"{adapter.Name}: unexpected payload shape: {ex.Message}", inbound, adapter.Name);
        }
    }

    /// <summary>Runs the rules over adapted (and possibly enriched) inputs.</summary>
    public EngineResult EvaluateInputs(EngineResult adapted, EvaluationContext context)
    {
        if (adapted.Rejected || adapted.Inputs.Count == 0) return adapted;
        var escalated = EvaluateCore(adapted.Inputs, context);
        return adapted with
        {
            Evaluations = escalated,
            IgnoredReason = escalated.Count == 0 ? IgnoredBecause(adapted) : null,
        };
    }

    /// <summary>The rules' evaluations of the inputs (at least one), escalated and guarded.</summary>
    private IReadOnlyList<Evaluation> EvaluateCore(IReadOnlyList<RuleInput> inputs, EvaluationContext context)
    {
        IReadOnlyList<Evaluation> evaluations;
        if (inputs.Count == 1)
        {
            // One input (most events): its rules' list is the result, not copied into a second list.
            var only = inputs[0].Dispatch(Registry, context);
            evaluations = only as IReadOnlyList<Evaluation> ?? [.. only];
        }
        else
        {
            // By index (foreach over the interface boxed an enumerator), and a list of our own only once two inputs produce
            // evaluations: the one input's list that has any is the result as it is (a log file's records mostly have none).
            IReadOnlyList<Evaluation>? first = null;
            List<Evaluation>? all = null;
            for (var i = 0; i < inputs.Count; i++)
            {
                var produced = inputs[i].Dispatch(Registry, context);
                if (all is null && produced is IReadOnlyList<Evaluation> list)
                {
                    if (list.Count == 0) continue;
                    if (first is null)
                    {
                        first = list;
                        continue;
                    }
                }
                all ??= first is null ? [] : [.. first];
                all.AddRange(produced);
            }
            evaluations = all ?? first ?? [];
        }
        // This system's own critical findings (root activity, logging stopped) open incidents as well.
        return KeyedOnSomething(Incidents.IncidentEscalation.Escalate(evaluations, Registry, context));
    }

    /// <summary>
    /// The last guard of "never an empty id": a finding keyed on a blank resource, account or region names nothing and
    /// would merge unrelated findings in the ledger. Adapters and rules read blank fields as absent
    /// (<see cref="Present"/>), so this only fires on a rule bug: the evaluation becomes a rejection saying so (the
    /// ledger records no rejection), and the error is logged.
    /// </summary>
    private static IReadOnlyList<Evaluation> KeyedOnSomething(IReadOnlyList<Evaluation> evaluations)
    {
        List<Evaluation>? repaired = null;
        for (var i = 0; i < evaluations.Count; i++)
        {
            var e = evaluations[i];
            var blank = e.Outcome == Outcome.Rejected ? null
                : Present.IsBlank(e.ResourceId) ? "resource id" : Present.IsBlank(e.AccountId) ? "account id" : Present.IsBlank(e.Region) ? "region" : null;
            if (blank is null)
            {
                repaired?.Add(e);
                continue;
            }
            repaired ??= [.. evaluations.Take(i)];
            Log.Error("rule.blank-identity", null, ("ruleId", e.Rule.Id), ("field", blank), ("outcome", e.Outcome.ToWire()));
            repaired.Add(e with
            {
                Outcome = Outcome.Rejected,
                ResourceId = Present.OrNull(e.ResourceId) ?? RuleRegistry.UnknownResource,
                Message = $"rule {e.Rule.Id} produced a {e.Outcome.ToWire()} with a blank {blank}; not recorded",
            });
        }
        return repaired ?? evaluations;
    }

    /// <summary>Why nothing was evaluated; for Config items, the resource types no rule covers.</summary>
    internal static string IgnoredBecause(EngineResult adapted) => IgnoredBecause(adapted.Inputs, adapted.Adapter);

    private static string IgnoredBecause(IReadOnlyList<RuleInput> inputs, string? adapter)
    {
        // The same text as IgnoredBecauseByLinq, without LINQ iterators, a hash set and a list on every event that
        // leads to no evaluation (a Config item of a type no baseline covers, an Inspector finding the rules skip).
        var items = 0;
        // The first item's type is held alone: a list only from a second item on (one item is the usual event).
        string? firstType = null;
        List<string>? types = null;
        for (var i = 0; i < inputs.Count; i++)
        {
            if (inputs[i] is not ConfigItemInput item) continue;
            if (++items == 1)
            {
                firstType = item.ResourceType;
                continue;
            }
            types ??= [firstType!];
            // A repeated type means fewer distinct types than items: the plain text, whatever follows.
            if (ContainsOrdinal(types, item.ResourceType)) return $"no rule applies to this {adapter} event";
            types.Add(item.ResourceType);
        }
        if (items == 0 || types is not null && types.Count != items) return $"no rule applies to this {adapter} event";
        return $"no rule applies to this {adapter} event: no baseline covers resource type {(types is null ? firstType : string.Join(", ", types.Take(5)))}";

        static bool ContainsOrdinal(List<string> list, string value)
        {
            foreach (var s in list)
            {
                if (string.Equals(s, value, StringComparison.Ordinal)) return true;
            }
            return false;
        }
    }

    private static EngineResult Reject(string error, InboundEvent? inbound, string? adapter)
    {
        Log.Warn("event.rejected", ("error", error), ("adapter", adapter), ("source", inbound?.Source), ("detailType", inbound?.DetailType));
        return new EngineResult { Adapter = adapter, Kind = inbound?.Kind, Source = inbound?.Source, DetailType = inbound?.DetailType, Error = error };
    }
}
