using System.Text;
using System.Text.Json;
using FsCheck;
using FsCheck.Fluent;
using IsmsServerless.Changes;
using IsmsServerless.Drift;
using IsmsServerless.Engine;
using IsmsServerless.Events;
using IsmsServerless.Inputs;
using IsmsServerless.Model;
using IsmsServerless.Settings;
using Microsoft.Extensions.Time.Testing;
using IsmsServerless.Tests.Engine.Reference;
using IsmsServerless.Tests.Support;

namespace IsmsServerless.Tests.Engine;

/// <summary>
/// Issue 20 (wave 7), per-event CPU and allocations of the CloudTrail path and the findings' output: each piece re-written
/// is compared with what it replaced (main 02fcf04's code, kept verbatim under <c>Reference/</c>) on every fixture and on
/// generated and hostile inputs.
/// </summary>
public sealed class CpuWave7RewriteTests
{
    // ---- BaselineVerdict.JudgeOwned: the finding message in one buffer, diffs in an array, the baseline label reused ----

    private static readonly RuleMetadata Rule = new(
        Id: "drift.test-baseline", Title: "Test", Category: Category.Drift, Severity: Severity.Medium, ResourceType: "AWS::Test::Thing",
        PolicyClause: "clause", Controls: ["A.8.9"], Risk: "risk", Remediation: "fix");

    /// <summary>Every field of an evaluation as text, evidence and diff in their order.</summary>
    internal static string Describe(Evaluation e)
    {
        var text = new StringBuilder();
        text.Append(e.Rule.Id).Append('|').Append(e.Outcome).Append('|').Append(e.ResourceId).Append('|').Append(e.ResourceType).Append('|')
            .Append(e.AccountId).Append('|').Append(e.Region).Append('|').Append(e.SubKey).Append('|').Append(e.Message).Append('|')
            .Append(e.SeverityOverride).Append('|').Append(e.Severity).Append('|').Append(e.ClockStart?.ToString("O")).Append('|')
            .Append(e.ObservedAt?.ToString("O")).Append('|').Append(e.SlaDeferred).Append('|').Append(e.WindowOverride).Append('|')
            .Append(e.Deadlines.Count).Append("|diff:");
        foreach (var d in e.Diff) text.Append(d.Path).Append('=').Append(d.Expected).Append('/').Append(d.Actual ?? "<null>").Append(';');
        text.Append("|evidence:");
        foreach (var pair in e.Evidence) text.Append(pair.Key).Append('=').Append(pair.Value).Append(';');
        return text.ToString();
    }

    private static readonly string Long = new('x', 300);
    private static readonly string VeryLong = string.Concat(Enumerable.Repeat("détail ", 100));

    private static Gen<string?> Text(params string?[] choices) => Gen.Elements(choices);

    private static Gen<BaselineRequirement> Requirements =>
        from id in Text("a.one", "a.two", "a.three", "b." + Long[..50])
        from path in Text("configuration.encrypted", "supplementaryConfiguration.x", "c." + Long, "")
        from expected in Text("true", "enabled", "at least 90 days", Long[..200], "")
        from severity in Gen.Elements(Severity.Low, Severity.Medium, Severity.High, Severity.Critical)
        select new BaselineRequirement(id!, path!, expected!, "clause", ["A.8.9"], severity);

    private static Gen<BaselineViolation> Violations =>
        from requirement in Requirements
        from actual in Text(null, "false", "", "not set", Long, "é\u200b\ud83d\ude00")
        from path in Text(null, "blockDeviceMapping[/dev/sdb].ebs.encrypted", "p." + Long)
        from detail in Text(null, null, "volume /dev/sdb requested with encrypted=false", VeryLong, "")
        select new BaselineViolation(requirement, actual, path, detail);

    private static Gen<(Baseline Baseline, string Subject, List<BaselineViolation> Violations, string? Source, string SubKey)> Verdicts =>
        from version in Text("2026.11.1", "1", "")
        from type in Text("AWS::EC2::Volume", "AWS::S3::Bucket")
        from subject in Text("AWS::EC2::Instance i-0123456789abcdef0", "", Long, "AWS::S3::Bucket " + Long)
        from count in Gen.Choose(0, 24)
        from violations in Gen.ListOf(Violations, count)
        from source in Text(null, "RunInstances by arn:aws:iam::111122223333:root", "", Long)
        from subKey in Text("", "k1")
        select (new Baseline(type!, version!, [.. violations.Select(v => v.Requirement)]), subject!, violations.ToList(), source, subKey!);

    private static Dictionary<string, string> Evidence() => new(StringComparer.Ordinal) { ["eventName"] = "RunInstances", ["actor"] = "root" };

    [Fact]
    public void Baseline_verdicts_match_the_previous_code_on_generated_violations()
    {
        var observed = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);
        Prop.ForAll(Verdicts.ToArbitrary(), v =>
        {
            var expected = Describe(BaselineVerdict02fcf04.JudgeOwned(Rule, v.Baseline, "arn:k", "AWS::EC2::Instance", "111122223333", "eu-west-1",
                v.Subject, v.Violations, observed, Evidence(), v.SubKey, v.Source));
            var actual = Describe(BaselineVerdict.JudgeOwned(Rule, v.Baseline, "arn:k", "AWS::EC2::Instance", "111122223333", "eu-west-1",
                v.Subject, v.Violations, observed, Evidence(), v.SubKey, v.Source));
            Assert.Equal(expected, actual);
            // Judge (the copying entry point) goes through the same code.
            Assert.Equal(expected, Describe(BaselineVerdict.Judge(Rule, v.Baseline, "arn:k", "AWS::EC2::Instance", "111122223333", "eu-west-1",
                v.Subject, v.Violations, observed, Evidence(), v.SubKey, v.Source)));
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(3000));
    }

    [Fact]
    public void Baseline_verdicts_match_the_previous_code_at_the_clipping_edges()
    {
        // Sentences exactly at, one under and one over the 600-character cut, with and without a detail.
        var observed = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);
        var checkedCount = 0;
        for (var expectedLength = 540; expectedLength <= 600; expectedLength++)
        {
            var requirement = new BaselineRequirement("r.id", "configuration.x", new string('e', expectedLength - 60), "clause", ["A.8.9"], Severity.High);
            foreach (var actual in new string?[] { null, "false", new string('a', 40), new string('a', 41), new string('a', 42), new string('a', 256), new string('a', 257) })
            {
                foreach (var detail in new string?[] { null, new string('d', 599), new string('d', 600), new string('d', 601) })
                {
                    var baseline = new Baseline("AWS::T::T", "v1", [requirement]);
                    List<BaselineViolation> violations = [new(requirement, actual, null, detail), new(requirement, actual, "p", null)];
                    var expected = Describe(BaselineVerdict02fcf04.JudgeOwned(Rule, baseline, "k", "T", "a", "r", "s", violations, observed, Evidence()));
                    Assert.Equal(expected, Describe(BaselineVerdict.JudgeOwned(Rule, baseline, "k", "T", "a", "r", "s", violations, observed, Evidence())));
                    checkedCount++;
                }
            }
        }
        Assert.True(checkedCount > 1000);
    }

    [Fact]
    public void The_baseline_label_follows_the_baseline_it_is_asked_for()
    {
        // The label is reused for the same baseline instance only: a `with` copy (another version) and another baseline alternate.
        var requirement = new BaselineRequirement("r", "p", "e", "c", ["A.8.9"], Severity.Low);
        var first = new Baseline("AWS::A::A", "1", [requirement]);
        var copy = first with { Version = "2" };
        var other = new Baseline("AWS::B::B", "1", [requirement]);
        foreach (var baseline in new[] { first, first, copy, first, other, copy, copy, other, first })
        {
            var evaluation = BaselineVerdict.JudgeOwned(Rule, baseline, "k", "T", "a", "r", "s", [], null, Evidence());
            Assert.Equal($"{baseline.ResourceType}@{baseline.Version}", evaluation.Evidence["baseline"]);
        }
    }

    [Fact]
    public void Baseline_requirement_lookup_matches_First()
    {
        var baselines = typeof(BaselineVerdict).Assembly.GetTypes()
            .Select(t => t.GetProperty("Baseline", System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static))
            .Where(p => p?.PropertyType == typeof(Baseline))
            .Select(p => (Baseline)p!.GetValue(null)!)
            .ToList();
        Assert.True(baselines.Count >= 10, $"only {baselines.Count} rule baselines found");
        var duplicate = new BaselineRequirement("dup", "p1", "e", "c", [], Severity.Low);
        baselines.Add(new Baseline("AWS::D::D", "1", [duplicate, duplicate with { Path = "p2" }]));
        foreach (var baseline in baselines)
        {
            foreach (var id in baseline.Requirements.Select(r => r.Id).Append("no.such.requirement").Append(""))
            {
                var expected = Record.Exception(() => BaselineVerdict02fcf04.Requirement(baseline, id));
                var actual = Record.Exception(() => baseline[id]);
                Assert.Equal(expected?.GetType(), actual?.GetType());
                Assert.Equal(expected?.Message, actual?.Message);
                if (expected is null) Assert.Same(BaselineVerdict02fcf04.Requirement(baseline, id), baseline[id]);
            }
        }
    }

    // ---- Json.Path: segments read in place instead of Split('.') ------------------------------------------------------

    private static string Show(JsonElement element) => element.ValueKind == JsonValueKind.Undefined ? "undefined" : element.ValueKind + ":" + element.GetRawText();

    private static IEnumerable<JsonElement> Objects(JsonElement element)
    {
        if (element.ValueKind == JsonValueKind.Object)
        {
            yield return element;
            foreach (var property in element.EnumerateObject())
                foreach (var inner in Objects(property.Value)) yield return inner;
        }
        else if (element.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in element.EnumerateArray())
                foreach (var inner in Objects(item)) yield return inner;
        }
    }

    private static IEnumerable<string> PathsOf(JsonElement element)
    {
        yield return "";
        yield return ".";
        yield return "..";
        foreach (var property in element.EnumerateObject())
        {
            var name = property.Name;
            yield return name;
            yield return name.ToUpperInvariant();
            yield return name + ".";
            yield return "." + name;
            yield return name + "..x";
            if (property.Value.ValueKind == JsonValueKind.Object)
            {
                foreach (var inner in property.Value.EnumerateObject().Take(8))
                {
                    yield return name + "." + inner.Name;
                    yield return name.ToLowerInvariant() + "." + inner.Name.ToUpperInvariant();
                    yield return name + "." + inner.Name + ".missing";
                }
            }
        }
    }

    [Fact]
    public void Json_path_matches_the_split_walk_on_every_object_of_every_fixture()
    {
        var compared = 0;
        foreach (var file in Directory.EnumerateFiles(Fixtures.SharedRoot, "*.json", SearchOption.AllDirectories))
        {
            JsonDocument document;
            try { document = JsonDocument.Parse(File.ReadAllBytes(file), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true }); }
            catch (JsonException) { continue; }
            using (document)
            {
                foreach (var element in Objects(document.RootElement).Take(400))
                {
                    foreach (var path in PathsOf(element))
                    {
                        Assert.Equal(Show(BaselineVerdict02fcf04.Path(element, path)), Show(Json.Path(element, path)));
                        compared++;
                    }
                }
            }
        }
        Assert.True(compared > 10_000, $"only {compared} paths compared");
    }

    [Fact]
    public void Json_path_matches_the_split_walk_on_escaped_duplicated_and_non_ascii_names()
    {
        string[] documents =
        [
            """{"ebs":{"encrypted":false},"EBS":{"encrypted":true}}""",
            """{"Ebs":{"Encrypted":"false"}}""",
            """{"\u0065bs":{"encrypted":1}}""",
            """{"e\u0062s":{"encrypt\u0065d":null},"ebs":{"encrypted":true}}""",
            """{"ſtatus":{"x":1},"STATUS":{"x":2}}""",
            """{"":{"":{"":3}},"a":{"":4}}""",
            """{"a.b":{"c":1},"a":{"b":{"c":2}}}""",
            """{"é":{"É":5},"\u00e9":{"x":6}}""",
            """{"ebs":[{"encrypted":false}],"n":1}""",
            """{"ebs":"text","k":{"k":{"k":{"k":7}}}}""",
        ];
        string[] paths = ["ebs.encrypted", "EBS.ENCRYPTED", "ebs", "ebs.", ".ebs", "..", "", "ſtatus.x", "status.x", "STATUS.X", "a.b.c", "a.b", "a.",
            ".", "é.É", "É.é", "é.x", "ebs.encrypted.deeper", "k.k.k.k", "K.K.K.K", "k.k.k.k.k", "n.x"];
        foreach (var text in documents)
        {
            using var document = JsonDocument.Parse(text);
            foreach (var path in paths)
                Assert.Equal(Show(BaselineVerdict02fcf04.Path(document.RootElement, path)), Show(Json.Path(document.RootElement, path)));
        }
    }

    // ---- The sign-in and root rules answer with an array, not an iterator ----------------------------------------------

    private static readonly EvaluationContext Context = new(IsmsSettings.Default,
        new FakeTimeProvider(DateTimeOffset.Parse("2026-01-15T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture)));

    private static IEnumerable<CloudTrailInput> CloudTrailInputs(byte[] payload) =>
        RuleEngine.CreateDefault().Adapt(payload, Context).Inputs.OfType<CloudTrailInput>();

    /// <summary>Every CloudTrail record of the corpus (and the external one when present) and generated sign-ins and root calls.</summary>
    private static List<CloudTrailInput> SignInAndRootInputs()
    {
        var inputs = new List<CloudTrailInput>();
        var roots = new List<string> { Fixtures.SharedRoot };
        if (Fixtures.ExternalPresent) roots.Add(Fixtures.ExternalRoot);
        foreach (var root in roots)
            foreach (var file in Directory.EnumerateFiles(root, "*.json", SearchOption.AllDirectories))
                inputs.AddRange(CloudTrailInputs(File.ReadAllBytes(file)));
        var random = new Random(2077);
        string Pick(params string[] options) => options[random.Next(options.Length)];
        for (var i = 0; i < 3000; i++)
        {
            var type = Pick("\"type\":\"IAMUser\",", "\"type\":\"Root\",", "\"type\":\"AssumedRole\",", "\"type\":\"\",", "");
            var user = Pick("\"userName\":\"alice\",", "\"userName\":\"\",", "");
            var arn = Pick("\"arn\":\"arn:aws:iam::111122223333:user/alice\",", "\"arn\":\"\",", "\"arn\":\" \",", "");
            var name = Pick("ConsoleLogin", "ConsoleLogin", "CreateBucket", "GetObject");
            var login = Pick("{\"ConsoleLogin\":\"Success\"}", "{\"ConsoleLogin\":\"Success\"}", "{\"ConsoleLogin\":\"Success\"}", "{\"ConsoleLogin\":\"Failure\"}", "{\"ConsoleLogin\":1}", "{}", "null", "\"Success\"");
            var mfa = Pick("{\"MFAUsed\":\"Yes\"}", "{\"MFAUsed\":\"No\"}", "{\"MFAUsed\":true}", "{}", "null");
            var ip = Pick("\"sourceIPAddress\":\"203.0.113.9\",", "");
            var error = Pick("", "", "\"errorCode\":\"AccessDenied\",", "\"errorMessage\":\"Failed authentication\",", "\"errorCode\":\"\",");
            var id = Pick("\"eventID\":\"3a1b2c3d-0000-4000-8000-00000000000" + (i % 10) + "\",", "\"eventID\":\"1\",", "");
            var payload = "{\"eventVersion\":\"1.08\",\"userIdentity\":{" + type + user + arn + "\"accountId\":\"111122223333\",\"principalId\":\"AIDA" + i + "\"},"
                + "\"eventTime\":\"2026-01-02T03:04:05Z\",\"eventSource\":\"signin.amazonaws.com\",\"eventName\":\"" + name + "\"," + ip + error + id
                + "\"awsRegion\":\"us-east-1\",\"responseElements\":" + login + ",\"additionalEventData\":" + mfa + ",\"recipientAccountId\":\"111122223333\"}";
            inputs.AddRange(CloudTrailInputs(Encoding.UTF8.GetBytes(payload)));
        }
        return inputs;
    }

    [Fact]
    public void Sign_in_and_root_rules_match_the_previous_ones_on_every_record_and_generated_calls()
    {
        var pairs = new (IRule<CloudTrailInput> Current, IRule<CloudTrailInput> Reference)[]
        {
            (new IsmsServerless.Rules.Monitoring.ConsoleLoginWithoutMfaRule(), new ConsoleLoginWithoutMfaRule02fcf04()),
            (new IsmsServerless.Rules.Monitoring.RootUserActivityRule(), new RootUserActivityRule02fcf04()),
        };
        var answered = new int[pairs.Length];
        foreach (var input in SignInAndRootInputs())
        {
            for (var i = 0; i < pairs.Length; i++)
            {
                var expected = pairs[i].Reference.Evaluate(input, Context).Select(Describe).ToList();
                Assert.Equal(expected, pairs[i].Current.Evaluate(input, Context).Select(Describe).ToList());
                answered[i] += expected.Count;
            }
        }
        Assert.All(answered, count => Assert.True(count > 200, $"only {count} evaluations compared"));
    }

    // ---- ChangeCall: the service name replaced once per event source ----------------------------------------------------

    [Fact]
    public void Service_names_equal_Replace_for_any_source_in_any_order()
    {
        string[] sources = ["s3.amazonaws.com", "ec2.amazonaws.com", "amazonaws.com", ".amazonaws.com", "a.amazonaws.comb.amazonaws.com", "",
            "S3.AMAZONAWS.COM", "s3.amazonaws.com.evil", "x.amazonaws.com.amazonaws.com", "s3\u002eamazonaws.com", "é.amazonaws.com"];
        var random = new Random(7);
        for (var i = 0; i < 5000; i++)
        {
            // The same text as another instance, the same instance again, or a new one: the answer depends on the text only.
            var source = random.Next(3) switch
            {
                0 => sources[random.Next(sources.Length)],
                1 => new string(sources[random.Next(sources.Length)].AsSpan()),
                _ => new string('a', random.Next(0, 5)) + sources[random.Next(sources.Length)] + new string('b', random.Next(0, 3)),
            };
            Assert.Equal(source.Replace(".amazonaws.com", "", StringComparison.Ordinal), ChangeCall.ServiceOf(source));
        }
    }

    // ---- Record binding: one shared detached null for null bodies ------------------------------------------------------

    [Fact]
    public void Null_bodies_bind_to_one_detached_null_with_the_same_kind_and_text()
    {
        var first = CloudTrailInputs(Encoding.UTF8.GetBytes(
            """{"eventVersion":"1.08","userIdentity":{"type":"Root","accountId":"111122223333"},"eventTime":"2026-01-02T03:04:05Z","eventSource":"s3.amazonaws.com","eventName":"ListBuckets","awsRegion":"us-east-1","requestParameters":null,"responseElements":null,"additionalEventData":{"x":null}}""")).Single();
        var second = CloudTrailInputs(Encoding.UTF8.GetBytes(
            """{"eventVersion":"1.08","userIdentity":{"type":"Root","accountId":"111122223333"},"eventTime":"2026-01-02T03:04:05Z","eventSource":"s3.amazonaws.com","eventName":"ListBuckets","awsRegion":"us-east-1","requestParameters":  null  ,"responseElements":{"a":null}}""")).Single();
        foreach (var body in new[] { first.Record.RequestParameters, first.Record.ResponseElements, second.Record.RequestParameters })
        {
            Assert.Equal(JsonValueKind.Null, body.ValueKind);
            Assert.Equal("null", body.GetRawText());
        }
        Assert.Equal("""{"x":null}""", first.Record.AdditionalEventData.GetRawText());
        Assert.Equal("""{"a":null}""", second.Record.ResponseElements.GetRawText());
        Assert.Equal(JsonValueKind.Undefined, second.Record.AdditionalEventData.ValueKind);
        // Read from several threads at once (the shared element's document is read-only).
        Parallel.For(0, 64, _ => Assert.Equal("null", CloudTrailInputs(Encoding.UTF8.GetBytes(
            """{"eventVersion":"1.08","userIdentity":{"type":"Root","accountId":"111122223333"},"eventTime":"2026-01-02T03:04:05Z","eventSource":"s3.amazonaws.com","eventName":"ListBuckets","awsRegion":"us-east-1","requestParameters":null}""")).Single().Record.RequestParameters.GetRawText()));
    }
}
