using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using IsmsServerless.Engine;
using IsmsServerless.Inputs;
using IsmsServerless.Model;
using IsmsServerless.Observability;
using IsmsServerless.Tests.Robustness;
using IsmsServerless.Tests.Support;

namespace IsmsServerless.Tests.Engine;

/// <summary>
/// Issue 20, wave 12 (the fixed per-event costs): <see cref="RuleEngine.Evaluate"/> builds its result once instead of
/// adapting and then copying, <see cref="RuleRegistry.Evaluate{TInput}"/> hands back a rule's own list when only one rule
/// produced output, and the incident escalation loops by index. Each is checked against what it replaced: the same
/// results and the same log lines, over the corpus and over every combination of rule behaviours.
/// </summary>
[Collection(QuietLogCollection.Name)]
public sealed partial class CpuWave12EngineTests : IDisposable
{
    private static readonly EvaluationContext Context = TestContexts.At("2026-01-15T12:00:00Z");

    private readonly TextWriter _previousLog = Log.Target;

    public CpuWave12EngineTests() => Log.Target = TextWriter.Null;

    public void Dispose() => Log.Target = _previousLog;

    [Fact]
    public void Evaluate_is_evaluate_inputs_of_adapt_over_the_corpus_results_and_log_lines()
    {
        var engine = RuleEngine.CreateDefault();
        var document = new RuleEngine(engine.Registry, engine.Adapters) { ReadsStreamed = false };
        var evaluated = 0;
        foreach (var seed in FuzzCorpus.All)
        {
            foreach (var candidate in new[] { engine, document })
            {
                var (expected, expectedLog) = Logged(() => candidate.EvaluateInputs(candidate.Adapt(seed.Bytes, Context), Context));
                var (actual, actualLog) = Logged(() => candidate.Evaluate(seed.Bytes, Context));
                Assert.True(StreamingEquivalence.Describe(expected) == StreamingEquivalence.Describe(actual),
                    $"{seed.Name}: Evaluate differs\nexpected: {StreamingEquivalence.Describe(expected)}\nactual:   {StreamingEquivalence.Describe(actual)}");
                Assert.Equal(expectedLog, actualLog);
                Assert.Equal(expected.Rejected, actual.Rejected);
                if (actual.Evaluations.Count > 0) evaluated++;
            }
        }
        Assert.True(evaluated > 100, $"only {evaluated} corpus payloads evaluated");
    }

    /// <summary>What a rule does with its input, for <see cref="Dispatch_matches_the_list_it_replaced"/>.</summary>
    public enum Behaviour { EmptyArray, OneFinding, TwoAsList, OneRejected, LazyOne, LazyEmpty, ThrowsAtOnce, LazyThrowsAfterOne }

    public static TheoryData<string> BehaviourSequences()
    {
        var all = Enum.GetValues<Behaviour>();
        var data = new TheoryData<string>();
        var sequences = new List<Behaviour[]> { Array.Empty<Behaviour>() };
        foreach (var a in all)
        {
            sequences.Add([a]);
            foreach (var b in all)
            {
                sequences.Add([a, b]);
                foreach (var c in all) sequences.Add([a, b, c]);
            }
        }
        // Grouped so the theory stays a few dozen cases: each case checks many sequences.
        foreach (var group in sequences.Select((s, i) => (s, i)).GroupBy(x => x.i % 24))
            data.Add(string.Join(" ", group.Select(x => string.Join(",", x.s))));
        return data;
    }

    [Theory]
    [MemberData(nameof(BehaviourSequences))]
    public void Dispatch_matches_the_list_it_replaced(string sequences)
    {
        foreach (var sequence in sequences.Split(' '))
        {
            var behaviours = sequence.Length == 0 ? [] : sequence.Split(',').Select(Enum.Parse<Behaviour>).ToArray();
            var rules = behaviours.Select((b, i) => new ScriptedRule(b, i)).ToArray();
            var registry = new RuleRegistry(rules);
            var input = new ScriptedInput { AccountId = "123456789012", Region = "eu-west-1" };
            var (expected, expectedLog) = Logged(() => Reference(rules, input));
            var (actual, actualLog) = Logged(() => input.Dispatch(registry, Context).ToList());
            Assert.Equal(Describe(expected), Describe(actual));
            Assert.Equal(expectedLog, actualLog);
            // And through the engine's escalation and guard, which take the dispatch's list as it is.
            var escalated = Incidents.IncidentEscalation.Escalate(input.Dispatch(registry, Context).ToList(), registry, Context);
            Assert.Equal(Describe(expected), Describe(escalated));
        }
    }

    [Fact]
    public void Several_inputs_evaluations_are_their_dispatches_in_order()
    {
        var rules = new[] { new ScriptedRule(Behaviour.OneFinding, 0), new ScriptedRule(Behaviour.TwoAsList, 1), new ScriptedRule(Behaviour.LazyOne, 2), new ScriptedRule(Behaviour.OneRejected, 3) };
        var engine = new RuleEngine(new RuleRegistry(rules), []);
        var compared = 0;
        for (var count = 2; count <= 3; count++)
        {
            foreach (var masks in Masks(count, 16))
            {
                var inputs = masks.Select(m => new ScriptedInput { AccountId = "123456789012", Region = "eu-west-1", Active = m }).ToArray();
                var expected = inputs.SelectMany(input => Reference(rules, input)).ToList();
                var result = engine.EvaluateInputs(new EngineResult { Adapter = "scripted", Inputs = inputs }, Context);
                Assert.Equal(Describe(expected), Describe(result.Evaluations));
                Assert.Equal(expected.Count == 0 ? "no rule applies to this scripted event" : null, result.IgnoredReason);
                compared++;
            }
        }
        Assert.Equal(16 * 16 + 16 * 16 * 16, compared);

        static IEnumerable<int[]> Masks(int count, int values) =>
            count == 0 ? [[]] : Masks(count - 1, values).SelectMany(rest => Enumerable.Range(0, values).Select(m => (int[])[m, .. rest]));
    }

    [Fact]
    public void Registries_that_take_turns_each_dispatch_to_their_own_rules()
    {
        var one = new RuleRegistry([new ScriptedRule(Behaviour.OneFinding, 0)]);
        var two = new RuleRegistry([new ScriptedRule(Behaviour.TwoAsList, 1)]);
        var none = new RuleRegistry([]);
        var input = new ScriptedInput { AccountId = "123456789012", Region = "eu-west-1" };
        for (var turn = 0; turn < 5; turn++)
        {
            Assert.Equal(["one (0)"], input.Dispatch(one, Context).Select(e => e.Message));
            Assert.Equal(["first (1)", "second (1)"], input.Dispatch(two, Context).Select(e => e.Message));
            Assert.Equal(["first (1)", "second (1)"], input.Dispatch(two, Context).Select(e => e.Message));
            Assert.Empty(input.Dispatch(none, Context));
        }
    }

    [Fact]
    public void A_lone_rule_s_list_is_the_dispatch_result_and_an_empty_dispatch_is_empty()
    {
        var one = new ScriptedRule(Behaviour.TwoAsList, 0);
        var input = new ScriptedInput { AccountId = "123456789012", Region = "eu-west-1" };
        var result = input.Dispatch(new RuleRegistry([one, new ScriptedRule(Behaviour.EmptyArray, 1)]), Context);
        Assert.Equal(2, Assert.IsAssignableFrom<IReadOnlyList<Evaluation>>(result).Count);
        Assert.Empty(input.Dispatch(new RuleRegistry([new ScriptedRule(Behaviour.LazyEmpty, 0)]), Context));
        Assert.Empty(input.Dispatch(new RuleRegistry([]), Context));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void EvidenceDictionary_reads_and_enumerates_as_an_ordinal_dictionary(int seed)
    {
        var random = new Random(seed);
        string[] keys = ["eventId", "origin", "ssmSeverity", "baselineId", "EventId", "eventid", "", "évent", "a\u0000b", "packages"];
        for (var round = 0; round < 200; round++)
        {
            var capacity = random.Next(0, 6);
            var expected = new Dictionary<string, string>(capacity, StringComparer.Ordinal);
            var actual = new EvidenceDictionary(capacity);
            for (var op = random.Next(0, 30); op > 0; op--)
            {
                var key = keys[random.Next(keys.Length)];
                var value = random.Next(4) == 0 ? null! : "v" + random.Next(100);
                if (random.Next(3) == 0)
                {
                    var expectedThrew = Threw(() => expected.Add(key, value));
                    Assert.Equal(expectedThrew, Threw(() => actual.Add(key, value)));
                }
                else
                {
                    expected[key] = value;
                    actual[key] = value;
                }
                Assert.Equal(expected.Count, actual.Count);
            }
            Assert.Equal(expected.ToList(), actual.ToList());
            Assert.Equal(expected.ToList(), ((IEnumerable<KeyValuePair<string, string>>)actual).ToList());
            Assert.Equal(expected.Keys, actual.Keys);
            Assert.Equal(expected.Values, actual.Values);
            // What the ledger and the escalation make of evidence: a copy into a dictionary, and a lookup.
            Assert.Equal(expected.ToList(), new Dictionary<string, string>((IReadOnlyDictionary<string, string>)actual, StringComparer.Ordinal).ToList());
            foreach (var key in keys.Append("absent"))
            {
                Assert.Equal(expected.ContainsKey(key), actual.ContainsKey(key));
                Assert.Equal(expected.TryGetValue(key, out var e), actual.TryGetValue(key, out var a));
                Assert.Equal(e, a);
                Assert.Equal(expected.GetValueOrDefault(key), ((IReadOnlyDictionary<string, string>)actual).GetValueOrDefault(key));
                if (expected.TryGetValue(key, out var value)) Assert.Equal(value, actual[key]);
                else Assert.Throws<KeyNotFoundException>(() => actual[key]);
            }
        }
        Assert.Throws<ArgumentNullException>(() => new EvidenceDictionary(1)[null!] = "x");
        Assert.Throws<ArgumentNullException>(() => new EvidenceDictionary(1).ContainsKey(null!));
        Assert.Throws<ArgumentOutOfRangeException>(() => new EvidenceDictionary(-1));

        static bool Threw(Action add)
        {
            try
            {
                add();
                return false;
            }
            catch (ArgumentException)
            {
                return true;
            }
        }
    }

    [Fact]
    public void EvidenceDictionary_enumeration_fails_when_a_line_is_added_meanwhile()
    {
        var map = new EvidenceDictionary(2) { ["a"] = "1", ["b"] = "2" };
        Assert.Throws<InvalidOperationException>(() =>
        {
            foreach (var _ in map) map["c"] = "3";
        });
    }

    [Fact]
    public void Surrogate_escape_test_matches_the_byte_by_byte_one_at_every_offset()
    {
        // Every length up to a few vectors, the pattern (and its parts: a lone backslash, \u without d) at every offset,
        // before and after other backslashes.
        string[] pieces = ["\\ud", "\\uD", "\\u", "\\", "\\\\ud", "u", "d", "\\x"];
        var checkedCases = 0;
        for (var length = 0; length <= 70; length++)
        {
            foreach (var piece in pieces)
            {
                for (var at = 0; at + piece.Length <= length; at++)
                {
                    foreach (var prefix in new[] { "", "\\n" })
                    {
                        var text = new StringBuilder(new string('a', length));
                        text.Remove(at, piece.Length).Insert(at, piece);
                        if (prefix.Length > 0 && at >= prefix.Length + 1) text.Remove(0, prefix.Length).Insert(0, prefix);
                        var payload = Encoding.ASCII.GetBytes(text.ToString());
                        var naive = false;
                        for (var i = 0; i + 2 < payload.Length; i++) naive |= payload[i] == '\\' && payload[i + 1] == 'u' && (payload[i + 2] | 0x20) == 'd';
                        Assert.True(naive == Ingestion.LoneSurrogates.MayHoldSurrogateEscape(payload), text.ToString());
                        checkedCases++;
                    }
                }
            }
        }
        Assert.True(checkedCases > 10_000);
    }

    [Fact]
    public void A_known_constant_read_is_the_lenient_read_of_the_same_value()
    {
        string[][] lists = [Ingestion.StreamedFinding.KnownTypes, Ingestion.StreamedFinding.KnownStatuses, Ingestion.StreamedFinding.KnownSeverities,
            Ingestion.StreamedFinding.KnownAvailability, Ingestion.StreamedFinding.KnownResourceTypes, Ingestion.SsmComplianceAdapter.KnownSeverities];
        var values = new List<string> { "\"\"", "\" \"", "null", "true", "false", "12", "1.5e3", "{\"a\":1}", "[\"HIGH\"]", "\"\\u0048IGH\"", "\"HIGH \"", "\" HIGH\"", "\"HIG\"", "\"HIGHER\"", "\"h\u00efgh\"" };
        foreach (var constant in lists.SelectMany(l => l))
        {
            Assert.True(Ascii.IsValid(constant) && constant.Length > 0 && constant[0] is > ' ' and <= '~', constant);
            values.Add($"\"{constant}\"");
            values.Add($"\"{constant.ToLowerInvariant()}\"");
            values.Add($"\"{constant.ToUpperInvariant()}\"");
            values.Add($"\"{constant[..^1]}\"");
            values.Add($"\"{constant}\\n\"");
        }
        foreach (var list in lists)
        {
            foreach (var value in values)
            {
                var json = Encoding.UTF8.GetBytes($"{{\"v\":{value},\"after\":1}}");
                var expected = Read(json, null);
                var actual = Read(json, list);
                Assert.Equal(expected, actual);
            }
        }

        static (string? Text, JsonTokenType Next) Read(byte[] json, string[]? known)
        {
            var reader = new Utf8JsonReader(json);
            reader.Read();
            reader.Read();
            reader.Read();
            var text = known is null ? Ingestion.StreamedDetail.Lenient(ref reader) : Ingestion.StreamedDetail.Lenient(ref reader, known);
            reader.Read();
            return (text, reader.TokenType);
        }
    }

    /// <summary>RuleRegistry.Evaluate as it was before wave 12: one list, every rule's output added to it.</summary>
    private static List<Evaluation> Reference(IEnumerable<IRule<ScriptedInput>> rules, ScriptedInput input)
    {
        var results = new List<Evaluation>();
        foreach (var rule in rules)
        {
            try
            {
                var before = results.Count;
                results.AddRange(rule.Evaluate(input, Context));
                for (var i = before; i < results.Count; i++)
                {
                    if (results[i].Outcome == Outcome.Rejected)
                        Log.Warn("rule.rejected-input", ("ruleId", rule.Metadata.Id), ("input", nameof(ScriptedInput)), ("error", results[i].Message));
                }
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                Log.Error("rule.failed", ex, ("ruleId", rule.Metadata.Id), ("input", nameof(ScriptedInput)));
                results.Add(new Evaluation
                {
                    Rule = rule.Metadata,
                    Outcome = Outcome.Rejected,
                    ResourceId = RuleRegistry.UnknownResource,
                    AccountId = input.AccountId,
                    Region = input.Region,
                    Message = $"rule {rule.Metadata.Id} failed: {ex.GetType().Name}",
                });
            }
        }
        return results;
    }

    private static (T Result, string Log) Logged<T>(Func<T> run)
    {
        var previous = Log.Target;
        var writer = new StringWriter();
        Log.Target = writer;
        try
        {
            var result = run();
            // Timestamps and stack traces differ between two runs of the same code; the rest is compared.
            return (result, StackTrace().Replace(Timestamp().Replace(writer.ToString(), ""), ""));
        }
        finally
        {
            Log.Target = previous;
        }
    }

    [GeneratedRegex("\"timestamp\":\"[^\"]*\"")]
    private static partial Regex Timestamp();

    [GeneratedRegex("\"stackTrace\":\"(?:[^\"\\\\]|\\\\.)*\"")]
    private static partial Regex StackTrace();

    private static string Describe(IEnumerable<Evaluation> evaluations) =>
        string.Join("\n", evaluations.Select(e => $"{e.Rule.Id}|{e.Outcome}|{e.ResourceId}|{e.AccountId}|{e.Region}|{e.Message}"));

    public sealed record ScriptedInput : RuleInput
    {
        /// <summary>The rules (by index, as bits) that produce their output for this input; the others return nothing.</summary>
        public int Active { get; init; } = -1;

        public override IEnumerable<Evaluation> Dispatch(RuleRegistry registry, EvaluationContext context) => registry.Evaluate(this, context);
    }

    private sealed class ScriptedRule(Behaviour behaviour, int index) : IRule<ScriptedInput>
    {
        public RuleMetadata Metadata { get; } = new($"test.scripted-{index}", "Scripted rule", Category.Monitoring, Severity.Low,
            "AWS::Test::Thing", "PROC-002", ["ISO27001:2022 A.8.16"], "none", "none");

        public IEnumerable<Evaluation> Evaluate(ScriptedInput input, EvaluationContext context) => (input.Active & (1 << index)) == 0 ? [] : behaviour switch
        {
            Behaviour.EmptyArray => [],
            Behaviour.OneFinding => [Make(Outcome.Finding, "one")],
            Behaviour.TwoAsList => new List<Evaluation> { Make(Outcome.Finding, "first"), Make(Outcome.Compliant, "second") },
            Behaviour.OneRejected => [Make(Outcome.Rejected, "cannot judge")],
            Behaviour.LazyOne => Lazy(Make(Outcome.Finding, "lazy"), false),
            Behaviour.LazyEmpty => Lazy(null, false),
            Behaviour.ThrowsAtOnce => throw new InvalidOperationException("at once"),
            Behaviour.LazyThrowsAfterOne => Lazy(Make(Outcome.Finding, "before the throw"), true),
            _ => throw new ArgumentOutOfRangeException(nameof(input)),
        };

        private Evaluation Make(Outcome outcome, string message) => new()
        {
            Rule = Metadata,
            Outcome = outcome,
            ResourceId = $"thing-{index}",
            AccountId = "123456789012",
            Region = "eu-west-1",
            Message = $"{message} ({index})",
        };

        private static IEnumerable<Evaluation> Lazy(Evaluation? item, bool thenThrow)
        {
            if (item is not null) yield return item;
            if (thenThrow) throw new FormatException("midway");
        }
    }
}
