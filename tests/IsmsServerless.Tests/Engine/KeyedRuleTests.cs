using System.Text;
using System.Text.Json.Nodes;
using IsmsServerless.Engine;
using IsmsServerless.Inputs;
using IsmsServerless.Observability;
using IsmsServerless.Tests.Robustness;
using IsmsServerless.Tests.Support;

namespace IsmsServerless.Tests.Engine;

/// <summary>
/// Keyed dispatch (<see cref="IKeyedRule{TInput}"/>) is a shortcut, never a change of scope: every keyed rule, given
/// every real CloudTrail record with its <c>eventSource</c> replaced by each other key any rule declares (and by an
/// unknown one), judges nothing; and the engine's outcomes on every payload of the corpus are the same with keyed
/// dispatch on and off.
/// </summary>
[Collection(QuietLogCollection.Name)]
public sealed class KeyedRuleTests : IDisposable
{
    private static readonly EvaluationContext Context = TestContexts.At("2026-01-15T12:00:00Z");

    private readonly TextWriter _previousLog = Log.Target;

    public KeyedRuleTests() => Log.Target = TextWriter.Null;

    public void Dispose() => Log.Target = _previousLog;

    [Fact]
    public void A_keyed_rule_judges_nothing_from_any_other_event_source()
    {
        var registry = RuleRegistry.CreateDefault();
        var keyed = registry.Rules.OfType<IKeyedRule<CloudTrailInput>>().ToList();
        Assert.True(keyed.Count >= 10, $"only {keyed.Count} keyed CloudTrail rules");
        var allKeys = keyed.SelectMany(r => r.DispatchKeys).Append("example.amazonaws.com").Distinct(StringComparer.Ordinal).ToList();
        var engine = new RuleEngine(registry, [new Ingestion.CloudTrailAdapter()]);
        var checkedInputs = 0;
        foreach (var record in CloudTrailRecords())
        {
            foreach (var key in allKeys)
            {
                record["eventSource"] = key;
                var result = engine.Adapt(Encoding.UTF8.GetBytes(record.ToJsonString()), Context);
                foreach (var input in result.Inputs.OfType<CloudTrailInput>())
                {
                    checkedInputs++;
                    foreach (var rule in keyed.Where(r => !r.DispatchKeys.Contains(key)))
                    {
                        var evaluations = ((IRule<CloudTrailInput>)rule).Evaluate(input, Context).ToList();
                        if (evaluations.Count > 0)
                            Assert.Fail($"{((IRule)rule).Metadata.Id} (keys {string.Join(",", rule.DispatchKeys)}) judged a {key} call: {evaluations[0].Message}");
                    }
                }
            }
        }
        Assert.True(checkedInputs > 100, $"only {checkedInputs} CloudTrail inputs checked");
    }

    [Fact]
    public void A_keyed_baseline_rule_judges_no_configuration_item_of_another_resource_type()
    {
        var registry = RuleRegistry.CreateDefault();
        var keyed = registry.Rules.OfType<IKeyedRule<ConfigItemInput>>().ToList();
        Assert.True(keyed.Count >= 20, $"only {keyed.Count} keyed Config item rules");
        var allKeys = keyed.SelectMany(r => r.DispatchKeys).Append("AWS::Example::Thing").Distinct(StringComparer.Ordinal).ToList();
        var engine = RuleEngine.CreateDefault();
        var checkedInputs = 0;
        foreach (var seed in FuzzCorpus.All)
        {
            foreach (var input in engine.Adapt(seed.Bytes, Context).Inputs.OfType<ConfigItemInput>())
            {
                foreach (var key in allKeys)
                {
                    // The item as if it were of another type (its configuration unchanged): only rules keyed on that type may judge it.
                    var swapped = input with { ResourceType = key };
                    checkedInputs++;
                    foreach (var rule in keyed.Where(r => !r.DispatchKeys.Contains(key, StringComparer.Ordinal)))
                    {
                        var evaluations = ((IRule<ConfigItemInput>)rule).Evaluate(swapped, Context).ToList();
                        if (evaluations.Count > 0)
                            Assert.Fail($"{((IRule)rule).Metadata.Id} (keys {string.Join(",", rule.DispatchKeys)}) judged a {key} item: {evaluations[0].Message}");
                    }
                }
            }
        }
        Assert.True(checkedInputs > 100, $"only {checkedInputs} Config item inputs checked");
    }

    [Fact]
    public void Keyed_dispatch_changes_no_outcome_on_any_payload_of_the_corpus()
    {
        var keyedEngine = RuleEngine.CreateDefault();
        var allEngine = new RuleEngine(new RuleRegistry(RuleRegistry.DefaultRules()) { KeyedDispatch = false }, RuleEngine.DefaultAdapters());
        var compared = 0;
        foreach (var seed in FuzzCorpus.All)
        {
            var keyed = keyedEngine.Evaluate(seed.Bytes, Context);
            var all = allEngine.Evaluate(seed.Bytes, Context);
            Assert.Equal(all.Error, keyed.Error);
            Assert.Equal(Describe(all), Describe(keyed));
            compared += all.Evaluations.Count;
        }
        Assert.True(compared > 50, $"only {compared} evaluations compared");
    }

    private static List<string> Describe(EngineResult result) =>
        [.. result.Evaluations.Select(e => $"{e.Rule.Id}|{e.Outcome}|{e.FindingId}|{e.Message}|{string.Join(",", e.Evidence.OrderBy(p => p.Key).Select(p => p.Key + "=" + p.Value))}")];

    /// <summary>Every CloudTrail record in the corpus, one object each (log files split into their records).</summary>
    private static IEnumerable<JsonObject> CloudTrailRecords() => FuzzCorpus.CloudTrailRecords(s => !s.Name.Contains('#', StringComparison.Ordinal));
}
