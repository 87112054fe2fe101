using System.Text.Json;
using FsCheck;
using FsCheck.Fluent;
using IsmsServerless.Engine;
using IsmsServerless.Ingestion;
using IsmsServerless.Model;
using IsmsServerless.Observability;
using IsmsServerless.Output;
using IsmsServerless.Tests.Support;

namespace IsmsServerless.Tests.Robustness;

/// <summary>
/// Property tests over every event parser: thousands of mutations of real payloads (<see cref="EventMutator"/>) must each end
/// in a clear rejection or in evaluations, never an exception, and whatever comes out must encode to one line of valid JSON.
/// Runs over <see cref="RuleEngine.DefaultAdapters"/>, so adapters added later are fuzzed without editing this file.
/// </summary>
[Collection(QuietLogCollection.Name)]
public sealed class AdapterFuzzTests : IDisposable
{
    /// <summary>Generated inputs per parser (the issue asks for at least 10k).</summary>
    public const int CasesPerParser = 10_000;

    private static readonly EvaluationContext Context = TestContexts.At("2026-01-15T12:00:00Z");

    private readonly TextWriter _previousLog = Log.Target;

    public AdapterFuzzTests()
    {
        // Thousands of rejections are logged as warnings; the assertions look at the results, not at stderr.
        Log.Target = TextWriter.Null;
    }

    public void Dispose() => Log.Target = _previousLog;

    public static TheoryData<string> Adapters => [.. RuleEngine.DefaultAdapters().Select(a => a.Name)];

    public sealed record FuzzCase(FuzzCorpus.Seed Seed, Mutation[] Mutations, int RandomSeed)
    {
        // What FsCheck prints for a failing case: enough to rebuild the payload with EventMutator.Apply.
        public override string ToString() => $"{Seed.Name} mutated by {string.Join('+', Mutations)} with seed {RandomSeed}";

        /// <summary>The line that keeps this case as a regression in <see cref="Fuzzer_found_cases_stay_fixed"/>.</summary>
        public string RegressionLine => $"[InlineData(\"{Seed.Name}\", \"{string.Join(',', Mutations)}\", {RandomSeed})]";
    }

    /// <summary>
    /// Replays FsCheck's own run: set <c>ISMS_FUZZ_REPLAY</c> to the two numbers FsCheck prints after "Falsifiable, after N
    /// tests (k shrinks)" (<c>seed,gamma</c>) and the same sequence of cases runs again.
    /// </summary>
    public const string ReplayVariable = "ISMS_FUZZ_REPLAY";

    [Theory]
    [MemberData(nameof(Adapters))]
    public void Adapter_never_throws_on_mutated_real_payloads(string adapterName)
    {
        var adapter = RuleEngine.DefaultAdapters().Single(a => a.Name == adapterName);
        var seeds = FuzzCorpus.AcceptedBy(adapter);
        Assert.True(seeds.Count > 0, $"no fixture under ../shared/fixtures/events or Fixtures/ is accepted by the '{adapterName}' adapter; add a real payload for it");
        // Only this adapter, so every mutation that still routes reaches its code rather than another adapter's.
        var engine = new RuleEngine(RuleRegistry.CreateDefault(), [adapter]);
        var outcomes = RunProperty(engine, seeds);
        Assert.True(outcomes.Total >= CasesPerParser);
        // The mutations must not all be rejected at the door: some must still reach the adapter and the rules.
        Assert.True(outcomes.Adapted > CasesPerParser / 20, $"only {outcomes.Adapted} of {outcomes.Total} mutated payloads reached the '{adapterName}' adapter");
        Assert.True(outcomes.Rejected > 0, $"no mutation of a '{adapterName}' payload was rejected; the mutator is not damaging anything");
    }

    [Fact]
    public void Router_with_every_adapter_never_throws_on_mutations_of_any_fixture()
    {
        var outcomes = RunProperty(RuleEngine.CreateDefault(), FuzzCorpus.All);
        Assert.True(outcomes.Total >= CasesPerParser);
    }

    [Fact]
    public void Every_unmutated_seed_evaluates_without_throwing()
    {
        var engine = RuleEngine.CreateDefault();
        Assert.NotEmpty(FuzzCorpus.All);
        foreach (var seed in FuzzCorpus.All) CheckOne(engine, new FuzzCase(seed, [], 0), new Outcomes());
    }

    [Fact]
    public void Mutator_is_deterministic_for_a_seed()
    {
        var original = Fixtures.Shared("cloudtrail/eb-console-signin-root-success-nomfa.json");
        Mutation[] mutations = [Mutation.HostileString, Mutation.DeleteField, Mutation.FlipBytes];
        Assert.Equal(EventMutator.Apply(original, mutations, 42), EventMutator.Apply(original, mutations, 42));
        Assert.NotEqual(original, EventMutator.Apply(original, mutations, 42));
    }

    /// <summary>Cases the fuzzer found, kept as regressions (fixture, mutations and seed reproduce the exact payload).</summary>
    [Theory]
    // Router: invalid UTF-8 inside an EventBridge envelope string threw from JsonElement.GetString.
    [InlineData("cloudtrail/eb-api-call-s3-createbucket-docs.json", "FlipBytes,HostileString", 1114993608)]
    // ConsoleLoginWithoutMfa: "arn": "" gave a finding with an empty resource id.
    [InlineData("cloudtrail/raw-logfile-consolelogin-iamuser-success-nomfa.json", "HostileString,SwapType", 1769851390)]
    // EC2 state change: a lone UTF-16 surrogate escape ("\ud8xx") in the envelope threw from the router's string reads.
    [InlineData("local:patch/eb-ec2-state-change-terminated.json", "FlipBytes,DuplicateKey", 48364659)]
    // The lone-surrogate repair read past the end of a payload ending in "\u" (found by the fuzzer as soon as it existed).
    [InlineData("local:incident/eb-guardduty-recon-userpermissions-sev5-awscli-derived.json", "Truncate,RandomJson", 1417966301)]
    public void Fuzzer_found_cases_stay_fixed(string seedName, string mutations, int seed)
    {
        // A seed as the fuzzer names it ("local:patch/x.json", "shared:cloudtrail/y.json#$.detail"), or a fixtures/events path.
        var known = FuzzCorpus.All.FirstOrDefault(s => s.Name == seedName);
        var seedBytes = known?.Bytes ?? Fixtures.Shared(seedName);
        var parsed = mutations.Split(',').Select(Enum.Parse<Mutation>).ToArray();
        CheckOne(RuleEngine.CreateDefault(), new FuzzCase(new FuzzCorpus.Seed(seedName, seedBytes), parsed, seed), new Outcomes());
    }

    private static Outcomes RunProperty(RuleEngine engine, IReadOnlyList<FuzzCorpus.Seed> seeds)
    {
        var outcomes = new Outcomes();
        var cases =
            from seedIndex in Gen.Choose(0, seeds.Count - 1)
            from count in Gen.Choose(1, 3)
            from mutations in Gen.ArrayOf(Gen.Elements(EventMutator.All), count)
            from randomSeed in Gen.Choose(0, int.MaxValue)
            select new FuzzCase(seeds[seedIndex], mutations, randomSeed);
        var property = Prop.ForAll(Arb.From(cases), (FuzzCase c) => CheckOne(engine, c, outcomes));
        var config = Config.QuickThrowOnFailure.WithMaxTest(CasesPerParser).WithQuietOnSuccess(true);
        if (Environment.GetEnvironmentVariable(ReplayVariable) is { Length: > 0 } replay)
        {
            var parts = replay.Split(',', StringSplitOptions.TrimEntries);
            var rnd = new Rnd(ulong.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture), ulong.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture));
            config = config.WithReplay(new Replay(rnd, Microsoft.FSharp.Core.FSharpOption<int>.None));
        }
        Check.One(config, property);
        return outcomes;
    }

    private static void CheckOne(RuleEngine engine, FuzzCase fuzzCase, Outcomes outcomes)
    {
        var payload = EventMutator.Apply(fuzzCase.Seed.Bytes, fuzzCase.Mutations, fuzzCase.RandomSeed);
        EngineResult result;
        try
        {
            result = engine.Evaluate(payload, Context);
        }
        catch (Exception ex)
        {
            throw Failure(fuzzCase, payload, $"RuleEngine.Evaluate threw {ex}", ex);
        }
        outcomes.Total++;
        if (result.Adapter is not null) outcomes.Adapted++;
        if (result.Rejected)
        {
            outcomes.Rejected++;
            if (string.IsNullOrWhiteSpace(result.Error)) throw Failure(fuzzCase, payload, "rejection without an error");
            if (result.Evaluations.Count > 0) throw Failure(fuzzCase, payload, "a rejected payload still produced evaluations");
        }
        else if (result.Evaluations.Count == 0 && string.IsNullOrWhiteSpace(result.IgnoredReason))
        {
            throw Failure(fuzzCase, payload, "neither evaluations nor a reason");
        }
        foreach (var evaluation in result.Evaluations)
        {
            // A rule that throws, or that keys a finding on nothing, is a bug the engine turns into a rejected evaluation.
            // A rule's deliberate rejection of a shape it cannot judge says so (and why) and is not a bug.
            if (evaluation.Outcome == IsmsServerless.Model.Outcome.Rejected)
            {
                if (evaluation.Evidence.GetValueOrDefault(IsmsServerless.Engine.RuleRegistry.InputRejectedEvidence) == "true" && !string.IsNullOrWhiteSpace(evaluation.Message)) continue;
                throw Failure(fuzzCase, payload, $"rule '{evaluation.Rule.Id}' failed: {evaluation.Message}");
            }
            if (Present.IsBlank(evaluation.ResourceId) || Present.IsBlank(evaluation.AccountId) || Present.IsBlank(evaluation.Region) || string.IsNullOrEmpty(evaluation.Rule.Id))
                throw Failure(fuzzCase, payload, $"evaluation of rule '{evaluation.Rule.Id}' with a blank resource id, account or region ({JsonSerializer.Serialize(evaluation.ResourceId)}, {JsonSerializer.Serialize(evaluation.AccountId)}, {JsonSerializer.Serialize(evaluation.Region)})");
            _ = evaluation.FindingId;
        }
        // Attacker-controlled text ends up in the CLI's JSON Lines (and the same records feed the ledger and alerts):
        // every line must stay one line of valid JSON, whatever the payload held.
        string? broken = null;
        try
        {
            foreach (var line in OutcomeLine.From("fuzz.json", result, Context))
            {
                var json = JsonSerializer.Serialize(line, OutputJsonContext.Default.OutcomeLine);
                if (json.Contains('\n', StringComparison.Ordinal) || json.Contains('\r', StringComparison.Ordinal)) broken = "output line spans lines";
                using var reparsed = JsonDocument.Parse(json);
            }
        }
        catch (Exception ex)
        {
            throw Failure(fuzzCase, payload, $"output encoding failed: {ex}", ex);
        }
        if (broken is not null) throw Failure(fuzzCase, payload, broken);
    }

    /// <summary>
    /// A failure that reproduces on its own: the case (fixture, mutations, seed), the line that keeps it as a regression,
    /// an excerpt of the mutated payload in the message, and the whole payload saved under <c>test-artifacts/fuzz/</c>
    /// (CI keeps that folder), so a failure seen once in CI is never lost.
    /// </summary>
    private static InvalidOperationException Failure(FuzzCase fuzzCase, byte[] payload, string reason, Exception? inner = null)
    {
        string saved;
        try
        {
            var folder = Path.Combine(IsmsServerless.Cli.Local.RepositoryRoot.Find(), "test-artifacts", "fuzz");
            Directory.CreateDirectory(folder);
            var name = string.Concat(fuzzCase.Seed.Name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' ? c : '_'));
            saved = Path.Combine(folder, $"{(name.Length > 80 ? name[^80..] : name)}-{string.Join('+', fuzzCase.Mutations)}-{fuzzCase.RandomSeed}.json");
            File.WriteAllBytes(saved, payload);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            saved = $"(not saved: {ex.Message})";
        }
        var excerpt = System.Text.Unicode.Utf8.IsValid(payload)
            ? JsonSerializer.Serialize(System.Text.Encoding.UTF8.GetString(payload, 0, Math.Min(payload.Length, 1500)))
            : "base64:" + Convert.ToBase64String(payload, 0, Math.Min(payload.Length, 1100));
        return new InvalidOperationException(
            $"{reason}\n  case: {fuzzCase}\n  keep it: {fuzzCase.RegressionLine} on {nameof(Fuzzer_found_cases_stay_fixed)}\n" +
            $"  payload ({payload.Length} bytes) saved to {saved}\n  payload excerpt: {excerpt}", inner);
    }

    private sealed class Outcomes
    {
        public int Total;
        public int Adapted;
        public int Rejected;
    }
}

/// <summary>Tests that silence the process-wide log run alone, after the parallel ones, so no other test loses its log.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class QuietLogCollection
{
    public const string Name = "Quiet log (runs alone)";
}
