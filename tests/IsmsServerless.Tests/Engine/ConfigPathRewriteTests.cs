using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using IsmsServerless.Drift;
using IsmsServerless.Events;
using IsmsServerless.Engine;
using IsmsServerless.Ingestion;
using IsmsServerless.Inputs;
using IsmsServerless.Model;
using IsmsServerless.Rules.Drift;
using IsmsServerless.Rules.Patch;
using IsmsServerless.Tests.Support;
using IsmsServerless.Tests.Robustness;

namespace IsmsServerless.Tests.Engine;

/// <summary>
/// Issue 20 (wave 5), the Config / SSM / Inspector path: each piece re-written for CPU or allocations is compared with
/// what it replaced (kept here, verbatim, as the reference) on real payloads and generated or hostile inputs.
/// </summary>
public sealed class ConfigPathRewriteTests
{
    // ---- Json.UnescapedUtf8: direct unescape vs the reader's CopyString -------------------------------------------------


    private static void AssertUnescapesLikeTheReader(JsonElement value)
    {
        byte[]? expected = null;
        Exception? expectedError = null;
        try
        {
            var buffer = Json.UnescapedUtf8ByReader(value, out var length);
            expected = buffer.AsSpan(0, length).ToArray();
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
        catch (Exception ex)
        {
            expectedError = ex;
        }
        if (expectedError is not null)
        {
            var error = Assert.ThrowsAny<Exception>(() => Json.UnescapedUtf8(value, out _));
            Assert.Equal(expectedError.GetType(), error.GetType());
            return;
        }
        var actual = Json.UnescapedUtf8(value, out var actualLength);
        Assert.Equal(expected, actual.AsSpan(0, actualLength).ToArray());
        System.Buffers.ArrayPool<byte>.Shared.Return(actual);
    }

    [Fact]
    public void Unescape_matches_the_reader_on_every_string_of_every_fixture()
    {
        var checkedStrings = 0;
        foreach (var file in Directory.EnumerateFiles(Fixtures.SharedRoot, "*.json", SearchOption.AllDirectories))
        {
            JsonDocument document;
            try
            {
                document = JsonDocument.Parse(File.ReadAllBytes(file), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            }
            catch (JsonException)
            {
                continue; // the corpus holds deliberately broken payloads
            }
            using (document)
            {
                foreach (var value in FuzzCorpus.Strings(document.RootElement))
                {
                    AssertUnescapesLikeTheReader(value);
                    checkedStrings++;
                }
            }
        }
        Assert.True(checkedStrings > 1000, $"only {checkedStrings} strings checked");
    }

    [Theory]
    [InlineData("""{"s":""}""")]
    [InlineData("""{"s":"plain"}""")]
    [InlineData("""{"s":"\"\\\/\b\f\n\r\t"}""")]
    [InlineData("""{"s":"a\u00e9b\u00E9c\u0000d\u001fe\u2028f\uFFFF"}""")]
    [InlineData("""{"s":"pair \ud83d\ude00 end"}""")]
    [InlineData("""{"s":"lone high \ud800 end"}""")]
    [InlineData("""{"s":"lone low \udc00 end"}""")]
    [InlineData("""{"s":"high then plain \ud800\u0041"}""")]
    [InlineData("""{"s":"\\u0041 is not an escape"}""")]
    [InlineData("""{"s":"ends with escape \\"}""")]
    [InlineData("""{"s":"ends with \u0041"}""")]
    [InlineData("""{"s":"{\"configurationItem\":{\"configuration\":{\"a\":\"b\\\\c\"}}}"}""")]
    public void Unescape_matches_the_reader_on_every_escape_kind(string json)
    {
        using var document = JsonDocument.Parse(json);
        AssertUnescapesLikeTheReader(document.RootElement.GetProperty("s"));
    }

    [Fact]
    public void Unescape_matches_the_reader_on_generated_text_in_every_encoder()
    {
        var random = new Random(20);
        var alphabet = "abc \"\\/\b\f\n\r\t\u0000\u001f\u007f<>&'+é€\u2028\u2029\uFFFD\uD83D\uDE00日本".ToCharArray();
        JsonSerializerOptions[] encoders = [new() { Encoder = JavaScriptEncoder.Default }, new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }];
        for (var i = 0; i < 3000; i++)
        {
            var text = new StringBuilder();
            var length = random.Next(0, 80);
            for (var j = 0; j < length; j++) text.Append(alphabet[random.Next(alphabet.Length)]);
            foreach (var encoder in encoders)
            {
                var json = JsonSerializer.Serialize(new Dictionary<string, string> { ["s"] = text.ToString() }, encoder);
                using var document = JsonDocument.Parse(json);
                AssertUnescapesLikeTheReader(document.RootElement.GetProperty("s"));
            }
        }
    }

    // ---- ConfigAdapter.RegionFromArn: span walk vs Split ----------------------------------------------------------------

    private static string? RegionFromArnBySplit(string? arn)
    {
        var parts = arn?.Split(':');
        return parts is { Length: > 3 } && parts[3].Length > 0 ? parts[3] : null;
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("arn")]
    [InlineData("arn:aws")]
    [InlineData("arn:aws:config")]
    [InlineData("arn:aws:config:")]
    [InlineData("arn:aws:config::")]
    [InlineData("arn:aws:config:us-east-1")]
    [InlineData("arn:aws:config:us-east-1:")]
    [InlineData("arn:aws:config:us-east-1:123456789012:config-rule/config-rule-abc")]
    [InlineData("arn:aws:iam::123456789012:role/x")]
    [InlineData(":::eu-west-1")]
    [InlineData("::::")]
    [InlineData("arn:aws:s3:::bucket:with:colons")]
    [InlineData("arn:aws-cn:config:cn-north-1:1:r")]
    public void Region_from_arn_matches_split(string? arn) =>
        Assert.Equal(RegionFromArnBySplit(arn), ConfigAdapter.RegionFromArn(arn));

    [Fact]
    public void Region_from_arn_matches_split_on_generated_text()
    {
        var random = new Random(4);
        var alphabet = "::a-1 é".ToCharArray();
        for (var i = 0; i < 20_000; i++)
        {
            var text = new string([.. Enumerable.Range(0, random.Next(0, 14)).Select(_ => alphabet[random.Next(alphabet.Length)])]);
            Assert.Equal(RegionFromArnBySplit(text), ConfigAdapter.RegionFromArn(text));
        }
    }

    // ---- RuleEngine.IgnoredBecause: loop vs LINQ ------------------------------------------------------------------------

    private static string IgnoredBecauseByLinq(EngineResult adapted)
    {
        var types = adapted.Inputs.OfType<ConfigItemInput>().Select(i => i.ResourceType).Distinct(StringComparer.Ordinal).ToList();
        return types.Count > 0 && types.Count == adapted.Inputs.Count(i => i is ConfigItemInput)
            ? $"no rule applies to this {adapted.Adapter} event: no baseline covers resource type {string.Join(", ", types.Take(5))}"
            : $"no rule applies to this {adapted.Adapter} event";
    }

    private static ConfigItemInput Item(string type) => new() { ResourceType = type, ResourceId = "r", AccountId = "1", Region = "r" };

    private static ResourceGoneInput Other() => new ResourceGoneInput { ResourceId = "x", ResourceType = "t", AccountId = "1", Region = "r", Reason = "gone" };

    public static TheoryData<string[]> InputShapes() => new()
    {
        Array.Empty<string>(),
        new[] { "-" },
        new[] { "AWS::EC2::Instance" },
        new[] { "AWS::EC2::Instance", "-" },
        new[] { "-", "AWS::EC2::Instance" },
        new[] { "AWS::EC2::Instance", "AWS::EC2::Instance" },
        new[] { "AWS::EC2::Instance", "aws::ec2::instance" },
        new[] { "A", "B", "C", "D", "E", "F", "G" },
        new[] { "A", "B", "A", "C" },
        new[] { "A", "-", "B", "-", "C" },
    };

    [Theory]
    [MemberData(nameof(InputShapes))]
    public void Ignored_reason_matches_linq(string[] shape)
    {
        var adapted = new EngineResult { Adapter = "config", Inputs = [.. shape.Select(s => s == "-" ? (RuleInput)Other() : Item(s))] };
        Assert.Equal(IgnoredBecauseByLinq(adapted), RuleEngine.IgnoredBecause(adapted));
    }

    // ---- SsmComplianceAdapter.ComplianceStatus: char walk vs Trim/ToUpperInvariant/Replace ------------------------------

    private static bool? ComplianceStatusByStrings(string? text) =>
        (text ?? "").Trim().ToUpperInvariant().Replace("_", "", StringComparison.Ordinal).Replace("-", "", StringComparison.Ordinal) switch
        {
            "COMPLIANT" => true,
            "NONCOMPLIANT" => false,
            _ => null,
        };

    [Fact]
    public void Compliance_status_matches_the_string_pipeline()
    {
        var seeds = new[] { null, "", " ", "compliant", "COMPLIANT", "non_compliant", "NON_COMPLIANT", "non-compliant", "Non-Compliant ",
            "\tcompliant\n", "compliant_", "_c_o_m_p_l_i_a_n_t_", "noncompliant", "NONCOMPLIANTX", "complian", "compliantt", "in_compliance",
            "\u00A0compliant\u2003", "complıant", "ſompliant", "non‐compliant", "COMPLIANT\u0000" };
        foreach (var seed in seeds) Assert.Equal(ComplianceStatusByStrings(seed), SsmComplianceAdapter.ComplianceStatus(seed));
        // Every UTF-16 code unit in every position of both words (case mappings such as ı → I and ſ → S included).
        foreach (var word in new[] { "compliant", "non_compliant" })
        {
            for (var c = 0; c <= 0xFFFF; c += c < 0x3000 ? 1 : 7)
            {
                var position = c % (word.Length + 1);
                var replaced = position < word.Length ? word[..position] + (char)c + word[(position + 1)..] : word + (char)c;
                Assert.Equal(ComplianceStatusByStrings(replaced), SsmComplianceAdapter.ComplianceStatus(replaced));
            }
        }
    }

    // ---- BaselineVerdict.Judge / JudgeOwned: loops vs LINQ ---------------------------------------------------------------

    /// <summary>BaselineVerdict.Judge as it was before issue 20 wave 5 (LINQ, evidence copied).</summary>
    private static Evaluation JudgeByLinq(RuleMetadata rule, Baseline baseline, string resourceKey, string resourceType, string accountId, string region,
        string subject, IReadOnlyList<BaselineViolation> violations, DateTimeOffset? observedAt, Dictionary<string, string> evidence, string subKey = "", string? source = null)
    {
        var allEvidence = new Dictionary<string, string>(evidence.Count + 2, StringComparer.Ordinal);
        foreach (var pair in evidence) allEvidence.Add(pair.Key, pair.Value);
        allEvidence["baseline"] = $"{baseline.ResourceType}@{baseline.Version}";
        if (violations.Count == 0)
        {
            return new Evaluation
            {
                Rule = rule, Outcome = Outcome.Compliant, ResourceId = resourceKey, ResourceType = resourceType, AccountId = accountId, Region = region,
                SubKey = subKey, Message = $"{BaselineVerdict.Clip(subject)} meets the {baseline.ResourceType} baseline {baseline.Version}",
                ObservedAt = observedAt, Evidence = allEvidence,
            };
        }
        allEvidence["unmetRequirements"] = string.Join(",", violations.Select(v => v.Requirement.Id).Distinct());
        var worst = violations.Max(v => v.Requirement.Severity);
        var details = violations.Select(v => BaselineVerdict.Clip(v.Detail ?? $"{v.Requirement.Id}: {(v.Path ?? v.Requirement.Path)} is {BaselineVerdict.Clip(v.Actual) ?? "not set"}, expected {v.Requirement.Expected}", BaselineVerdict.MaxDetailLength));
        return new Evaluation
        {
            Rule = rule, Outcome = Outcome.Finding, ResourceId = resourceKey, ResourceType = resourceType, AccountId = accountId, Region = region,
            SubKey = subKey, SeverityOverride = worst,
            Message = $"{BaselineVerdict.Clip(subject)} drifts from the {baseline.ResourceType} baseline {baseline.Version}{(source is null ? "" : " (" + source + ")")}: "
                + string.Join("; ", details.Take(10)) + (violations.Count > 10 ? $"; and {violations.Count - 10} more" : ""),
            ClockStart = observedAt, ObservedAt = observedAt,
            Diff = violations.Select(v => v.ToDiff() with { Path = BaselineVerdict.Clip(v.Path ?? v.Requirement.Path)!, Actual = BaselineVerdict.Clip(v.Actual) }).Take(ConfigurationDiff.MaxDiffs).ToList(),
            Evidence = allEvidence,
        };
    }

    /// <summary>Every field, the evidence in its order and the diff line by line.</summary>
    internal static void AssertSameEvaluation(Evaluation expected, Evaluation actual)
    {
        Assert.Equal(expected.Evidence.ToList(), actual.Evidence.ToList());
        Assert.Equal(expected.Diff, actual.Diff);
        var empty = new Dictionary<string, string>();
        Assert.Equal(expected with { Evidence = empty, Diff = [] }, actual with { Evidence = empty, Diff = [] });
    }

    [Fact]
    public void Baseline_verdict_matches_linq_on_generated_violations()
    {
        var random = new Random(5);
        var rule = new SqsQueueEncryptionRule();
        var severities = Enum.GetValues<Severity>();
        var requirements = Enumerable.Range(0, 8).Select(i => new BaselineRequirement($"req.{i % 5}", $"configuration.path{i}", $"expected {i}", "clause", ["A.8.24"], severities[i % severities.Length])).ToArray();
        var baseline = new Baseline("AWS::SQS::Queue", "2026.11.1", requirements);
        for (var i = 0; i < 2000; i++)
        {
            var count = i % 7 == 0 ? random.Next(11, 70) : random.Next(0, 4);
            var violations = Enumerable.Range(0, count).Select(_ => new BaselineViolation(
                requirements[random.Next(requirements.Length)],
                random.Next(4) switch { 0 => null, 1 => new string('x', random.Next(200, 700)), _ => "actual" },
                random.Next(3) == 0 ? "configuration.other" : null,
                random.Next(4) == 0 ? new string('d', random.Next(1, 900)) : null)).ToList();
            var evidence = new Dictionary<string, string>(12, StringComparer.Ordinal) { ["trigger"] = "t", ["resourceId"] = "q" };
            var source = random.Next(2) == 0 ? null : "cloudtrail";
            var subject = random.Next(5) == 0 ? new string('s', 400) : "AWS::SQS::Queue q";
            var at = random.Next(3) == 0 ? (DateTimeOffset?)null : DateTimeOffset.UnixEpoch.AddSeconds(i);
            var expected = JudgeByLinq(rule.Metadata, baseline, "key", "AWS::SQS::Queue", "1", "r", subject, violations, at, evidence, "sub", source);
            AssertSameEvaluation(expected, BaselineVerdict.Judge(rule.Metadata, baseline, "key", "AWS::SQS::Queue", "1", "r", subject, violations, at, evidence, "sub", source));
            AssertSameEvaluation(expected, BaselineVerdict.JudgeOwned(rule.Metadata, baseline, "key", "AWS::SQS::Queue", "1", "r", subject, violations, at, new Dictionary<string, string>(evidence, StringComparer.Ordinal), "sub", source));
        }
    }

    [Fact]
    public void Config_item_baseline_rules_match_the_linq_verdict_on_every_config_fixture()
    {
        var engine = RuleEngine.CreateDefault();
        var context = TestContexts.At("2026-01-15T12:00:00Z");
        var judged = 0;
        var roots = Fixtures.ExternalPresent ? new[] { Fixtures.SharedRoot, Fixtures.ExternalRoot } : [Fixtures.SharedRoot];
        foreach (var file in roots.SelectMany(root => Directory.EnumerateFiles(root, "*.json", SearchOption.AllDirectories)))
        {
            var result = engine.Adapt(File.ReadAllBytes(file), context);
            foreach (var original in result.Inputs.OfType<ConfigItemInput>())
            {
                // Every baseline rule on every item, the item's type swapped to the rule's (most then violate it).
                foreach (var rule in engine.Registry.Rules.OfType<ConfigItemBaselineRule>())
                foreach (var item in rule.ResourceTypes.Select(type => original with { ResourceType = type }))
                {
                    foreach (var evaluation in rule.Evaluate(item, context))
                    {
                        var violations = ViolationsOf(rule, item);
                        var expected = JudgeByLinq(rule.Metadata, rule.Baseline, item.ResourceKey, item.ResourceType, item.AccountId, item.Region,
                            BaselineVerdict.Subject(item), violations, item.CaptureTime, item.Evidence());
                        AssertSameEvaluation(expected, evaluation);
                        judged++;
                    }
                }
            }
        }
        Assert.True(judged >= 50, $"only {judged} Config baseline verdicts in the corpus");
    }

    private static IReadOnlyList<BaselineViolation> ViolationsOf(ConfigItemBaselineRule rule, ConfigItemInput item)
    {
        var check = typeof(ConfigItemBaselineRule).GetMethod("Check", System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic)!;
        return [.. (IEnumerable<BaselineViolation>)check.Invoke(rule, [item])!];
    }

    // ---- InstancePatchComplianceRule: array and sized evidence vs the iterator --------------------------------------------

    private static IEnumerable<Evaluation> InstancePatchComplianceByIterator(RuleMetadata metadata, InstancePatchComplianceInput input)
    {
        var severity = PatchPolicy.FromVendor(input.SeverityText) ?? Severity.Medium;
        var baseline = string.IsNullOrEmpty(input.BaselineId) ? "its baseline" : $"baseline {input.BaselineId}";
        var evidence = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["origin"] = input.Origin,
            ["ssmSeverity"] = input.SeverityText ?? "",
        };
        if (input.BaselineId is { } id) evidence["baselineId"] = id;
        foreach (var (name, value) in input.Counts) evidence[name] = value;
        if (input.SourceEventId is { } eventId) evidence["eventId"] = eventId;
        yield return new Evaluation
        {
            Rule = metadata,
            Outcome = input.Compliant ? Outcome.Compliant : Outcome.Finding,
            ResourceId = input.InstanceId,
            ResourceType = PatchPolicy.ManagedNodeType(input.InstanceId),
            AccountId = input.AccountId,
            Region = input.Region,
            Message = input.Compliant
                ? $"Systems Manager reports {input.InstanceId} patch-compliant with {baseline}"
                : $"Systems Manager reports {input.InstanceId} NON_COMPLIANT with {baseline} ({severity.ToWire()} patches missing)",
            SeverityOverride = severity,
            ClockStart = input.NonCompliantSince,
            ObservedAt = input.ObservedAt,
            Evidence = evidence,
        };
    }

    [Fact]
    public void Instance_patch_compliance_matches_the_iterator()
    {
        var rule = new InstancePatchComplianceRule();
        var context = TestContexts.At("2026-01-15T12:00:00Z");
        foreach (var compliant in new[] { true, false })
        foreach (var baselineId in new[] { null, "", "pb-0123456789abcdef0" })
        foreach (var severity in new[] { null, "CRITICAL", "unspecified", "low" })
        foreach (var eventId in new[] { null, "e-1" })
        foreach (var instanceId in new[] { "i-0123456789abcdef0", "mi-0123456789abcdef0" })
        foreach (var counts in new[] { new Dictionary<string, string>(), new Dictionary<string, string> { ["missingCount"] = "3", ["failedCount"] = "1" } })
        {
            var input = new InstancePatchComplianceInput
            {
                AccountId = "123456789012", Region = "eu-west-1", InstanceId = instanceId, Compliant = compliant, SeverityText = severity,
                BaselineId = baselineId, Origin = "ssm-event", SourceEventId = eventId, Counts = counts,
                ObservedAt = DateTimeOffset.UnixEpoch, NonCompliantSince = compliant ? null : DateTimeOffset.UnixEpoch,
            };
            var expected = InstancePatchComplianceByIterator(rule.Metadata, input).ToList();
            var actual = rule.Evaluate(input, context).ToList();
            Assert.Equal(expected.Count, actual.Count);
            for (var i = 0; i < expected.Count; i++) AssertSameEvaluation(expected[i], actual[i]);
        }
    }
    // ---- Inspector2Adapter lists and InspectorVulnerabilityRule: loops, one join, an array vs LINQ and the iterator -------

    private static List<InspectorResource> UsableResourcesByLinq(IReadOnlyList<InspectorResource?>? listed) =>
        (listed ?? []).Where(r => r is not null && !string.IsNullOrWhiteSpace(r.Id)).Select(r => r!).ToList();

    private static List<string> PackageLinesByLinq(IReadOnlyList<InspectorVulnerablePackage?>? listed, Func<InspectorVulnerablePackage, string> describe)
    {
        var packages = (listed ?? []).Where(p => p is not null).Select(p => describe(p!)).ToList();
        if (packages.Count > Inspector2Adapter.MaxPackagesListed)
            packages = [.. packages.Take(Inspector2Adapter.MaxPackagesListed), $"… and {packages.Count - Inspector2Adapter.MaxPackagesListed} more"];
        return packages;
    }

    [Fact]
    public void Inspector_resource_and_package_lists_match_linq()
    {
        var random = new Random(2);
        // The adapter's own Describe, reached through a one-package list (so the reference formats exactly as it does).
        static string Describe(InspectorVulnerablePackage p) => Inspector2Adapter.PackageLines([p])[0];
        string?[] texts = [null, "", " ", "openssl", "1.0.2k", "24.el7_9", new string('v', 200)];
        for (var i = 0; i < 3000; i++)
        {
            List<InspectorResource?>? resources = random.Next(6) == 0 ? null
                : [.. Enumerable.Range(0, random.Next(0, 5)).Select(_ => random.Next(4) == 0 ? null : new InspectorResource { Id = texts[random.Next(texts.Length)], Type = "AWS_EC2_INSTANCE" })];
            Assert.Equal(UsableResourcesByLinq(resources), Inspector2Adapter.UsableResources(resources));
            var count = i % 5 == 0 ? random.Next(18, 45) : random.Next(0, 4);
            List<InspectorVulnerablePackage?>? packages = random.Next(6) == 0 ? null
                : [.. Enumerable.Range(0, count).Select(_ => random.Next(5) == 0 ? null : new InspectorVulnerablePackage
                {
                    Name = texts[random.Next(texts.Length)], Version = texts[random.Next(texts.Length)],
                    Release = texts[random.Next(texts.Length)], FixedInVersion = texts[random.Next(texts.Length)],
                })];
            Assert.Equal(PackageLinesByLinq(packages, Describe), Inspector2Adapter.PackageLines(packages));
        }
    }

    /// <summary>InspectorVulnerabilityRule.Evaluate as it was before issue 20 wave 5 (iterator, list joined twice, evidence regrown).</summary>
    private static IEnumerable<Evaluation> InspectorByIterator(RuleMetadata metadata, InspectorFindingInput input, EvaluationContext context)
    {
        if (input.FindingType != "PACKAGE_VULNERABILITY") yield break;
        var vulnerability = input.VulnerabilityId ?? input.FindingArn;
        var severity = PatchPolicy.FromVendor(input.SeverityText);
        var (clockStart, clockSource) = InspectorVulnerabilityRule.ClockStart(input, context.Settings.PatchClockStart);
        var evidence = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["inspectorStatus"] = input.Status,
            ["inspectorSeverity"] = input.SeverityText,
            ["fixAvailable"] = input.FixAvailable ?? "absent",
            ["clockStartSource"] = clockSource,
            ["inspectorResourceType"] = input.InspectorResourceType,
        };
        if (input.FindingArn.Length > 0) evidence["findingArn"] = input.FindingArn;
        if (input.VulnerabilityId is { } id) evidence["vulnerabilityId"] = id;
        if (input.FirstObservedAtText is { } first) evidence["firstObservedAt"] = first;
        if (input.VendorCreatedAtText is { } vendor) evidence["vendorCreatedAt"] = vendor;
        if (InspectorVulnerabilityRule.CveAgeDays(input) is { } age) evidence["cveAgeDays"] = age.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (input.InspectorScore is { } score) evidence["inspectorScore"] = score;
        if (input.ExploitAvailable is { } exploit) evidence["exploitAvailable"] = exploit;
        if (input.Packages.Count > 0) evidence["packages"] = string.Join("; ", input.Packages);
        if (input.SourceEventId is { } eventId) evidence["eventId"] = eventId;
        var where = $"{vulnerability} on {input.ResourceId}";
        string FindingMessage()
        {
            var packages = input.Packages.Count == 0 ? "" : ": " + string.Join("; ", input.Packages);
            var fix = input.FixAvailable switch
            {
                "YES" => "a fix is available",
                "PARTIAL" => "a fix is available for some packages",
                "NO" => "no fix is available yet: mitigate, or record a waiver",
                _ => "fix availability not reported",
            };
            var status = input.Status is "ACTIVE" ? "" : $" (Inspector status '{(input.Status.Length == 0 ? "absent" : input.Status)}', treated as active)";
            var ageText = InspectorVulnerabilityRule.CveAgeDays(input) is { } days ? $"; published {days} day{(days == 1 ? "" : "s")} before it was first observed here" : "";
            return $"{(severity ?? Severity.High).ToWire()} vulnerability {where}{packages}; {fix}{status}{ageText}";
        }
        var (outcome, message) = input.Status switch
        {
            "CLOSED" => (Outcome.Compliant, $"Inspector closed {where}: the vulnerable package is no longer present"),
            "SUPPRESSED" => (Outcome.Ignored, $"Inspector suppressed {where}; a suppression rule is not remediation, so an open finding stays open until patched or waived in the ISMS"),
            _ => (Outcome.Finding, FindingMessage()),
        };
        yield return new Evaluation
        {
            Rule = metadata, Outcome = outcome, ResourceId = input.ResourceId, ResourceType = input.ResourceType, AccountId = input.AccountId,
            Region = input.Region, SubKey = vulnerability, Message = message, SeverityOverride = severity, ClockStart = clockStart,
            SlaDeferred = outcome == Outcome.Finding && clockSource == InspectorVulnerabilityRule.NoFixYet, ObservedAt = input.ObservedAt, Evidence = evidence,
        };
    }

    [Fact]
    public void Inspector_vulnerability_rule_matches_the_iterator()
    {
        var rule = new InspectorVulnerabilityRule();
        var random = new Random(7);
        var contexts = new[] { TestContexts.At("2026-01-15T12:00:00Z"), TestContexts.At("2026-01-15T12:00:00Z", new IsmsServerless.Settings.IsmsSettings { PatchClockStart = IsmsServerless.Settings.PatchClockStarts.VendorPublished }) };
        string[] statuses = ["ACTIVE", "CLOSED", "SUPPRESSED", "", "OTHER"];
        string?[] fixes = [null, "YES", "NO", "PARTIAL", "MAYBE"];
        var compared = 0;
        for (var i = 0; i < 2000; i++)
        {
            var input = new InspectorFindingInput
            {
                AccountId = "123456789012", Region = "us-east-1", FindingArn = random.Next(4) == 0 ? "" : "arn:aws:inspector2:us-east-1:123456789012:finding/abc",
                FindingType = random.Next(5) == 0 ? "NETWORK_REACHABILITY" : "PACKAGE_VULNERABILITY", Status = statuses[random.Next(statuses.Length)],
                SeverityText = random.Next(3) == 0 ? "" : "HIGH", VulnerabilityId = random.Next(3) == 0 ? null : "CVE-2024-1234",
                FixAvailable = fixes[random.Next(fixes.Length)], ExploitAvailable = random.Next(2) == 0 ? null : "YES", InspectorScore = random.Next(2) == 0 ? null : "7.5",
                ResourceId = "i-0123456789abcdef0", InspectorResourceType = "AWS_EC2_INSTANCE",
                FirstObservedAt = random.Next(3) == 0 ? null : DateTimeOffset.UnixEpoch.AddDays(20_000), FirstObservedAtText = random.Next(3) == 0 ? null : "2024-10-04T10:00:00Z",
                VendorCreatedAt = random.Next(3) == 0 ? null : DateTimeOffset.UnixEpoch.AddDays(19_990 + random.Next(0, 2)), VendorCreatedAtText = random.Next(3) == 0 ? null : "2024-09-24T00:00:00Z",
                EventTime = random.Next(3) == 0 ? null : DateTimeOffset.UnixEpoch.AddDays(20_001), SourceEventId = random.Next(2) == 0 ? null : "e-1",
                ObservedAt = DateTimeOffset.UnixEpoch.AddDays(20_001),
                Packages = random.Next(3) == 0 ? [] : [.. Enumerable.Range(0, random.Next(1, 4)).Select(n => n == 0 && random.Next(4) == 0 ? "" : $"openssl 1.0.{n} (fixed in 1.0.{n + 1})")],
            };
            var context = contexts[random.Next(contexts.Length)];
            var expected = InspectorByIterator(rule.Metadata, input, context).ToList();
            var actual = rule.Evaluate(input, context).ToList();
            Assert.Equal(expected.Count, actual.Count);
            for (var j = 0; j < expected.Count; j++) AssertSameEvaluation(expected[j], actual[j]);
            compared += expected.Count;
        }
        Assert.True(compared > 1000);
    }
    // ---- Keys for the three Config item rules that had none (continuous backup, backup selection, anti-malware agent) ----

    [Fact]
    public void Newly_keyed_config_rules_judge_no_item_of_another_type_even_when_enabled()
    {
        // Settings that switch every one of them on (an anti-malware agent required, backup scope as default, RPO 1 h).
        var settings = new IsmsServerless.Settings.IsmsSettings { AntiMalware = new IsmsServerless.Settings.AntiMalwareSettings { RequiredApplications = ["CrowdStrike Falcon"] } };
        var context = TestContexts.At("2026-01-15T12:00:00Z", settings);
        var registry = RuleRegistry.CreateDefault();
        IRule<ConfigItemInput>[] rules = [.. registry.Rules.OfType<IRule<ConfigItemInput>>()
            .Where(r => r is IsmsServerless.Rules.Backup.ContinuousBackupRule or IsmsServerless.Rules.Backup.SelectionScopeRule or IsmsServerless.Rules.Monitoring.AntiMalwareAgentRule)];
        Assert.Equal(3, rules.Length);
        var allKeys = registry.Rules.OfType<IKeyedRule<ConfigItemInput>>().SelectMany(r => r.DispatchKeys).Append("AWS::Example::Thing").Distinct(StringComparer.Ordinal).ToList();
        var engine = RuleEngine.CreateDefault();
        var roots = Fixtures.ExternalPresent ? new[] { Fixtures.SharedRoot, Fixtures.ExternalRoot } : [Fixtures.SharedRoot];
        var judgedOwnType = 0;
        var checkedItems = 0;
        foreach (var file in roots.SelectMany(root => Directory.EnumerateFiles(root, "*.json", SearchOption.AllDirectories)))
        {
            foreach (var item in engine.Adapt(File.ReadAllBytes(file), context).Inputs.OfType<ConfigItemInput>())
            {
                foreach (var rule in rules)
                {
                    var keys = ((IKeyedRule<ConfigItemInput>)rule).DispatchKeys;
                    foreach (var key in allKeys)
                    {
                        var evaluations = rule.Evaluate(item with { ResourceType = key }, context).ToList();
                        if (keys.Contains(key, StringComparer.Ordinal)) judgedOwnType += evaluations.Count;
                        else Assert.Empty(evaluations);
                        checkedItems++;
                    }
                }
            }
        }
        Assert.True(checkedItems > 100, $"only {checkedItems} items checked");
        Assert.True(judgedOwnType > 0, "the enabled rules judged nothing even on their own types: the test would prove nothing");
    }
    // ---- PatchPolicy.FromVendor: char walk vs Trim().ToUpperInvariant() --------------------------------------------------

    private static Severity? FromVendorByStrings(string? text) => text?.Trim().ToUpperInvariant() switch
    {
        "CRITICAL" => Severity.Critical,
        "HIGH" or "IMPORTANT" => Severity.High,
        "MEDIUM" or "MODERATE" => Severity.Medium,
        "LOW" => Severity.Low,
        "INFORMATIONAL" or "INFO" or "NONE" or "UNTRIAGED" => Severity.Informational,
        _ => null,
    };

    [Fact]
    public void Vendor_severity_matches_the_string_pipeline()
    {
        string?[] words = [null, "", " ", "critical", "CRITICAL", " Critical\t", "high", "Important", "medium", "MODERATE", "low", "informational",
            "info", "None", "untriaged", "UNSPECIFIED", "crit", "criticall", "\u00A0low\u2003", "ınfo", "ſome", "lOw"];
        foreach (var word in words) Assert.Equal(FromVendorByStrings(word), PatchPolicy.FromVendor(word));
        // Every UTF-16 code unit in every position of every word (case mappings such as ı → I and ſ → S included).
        foreach (var word in new[] { "critical", "high", "important", "medium", "moderate", "low", "informational", "info", "none", "untriaged" })
        {
            for (var c = 0; c <= 0xFFFF; c += c < 0x3000 ? 1 : 11)
            {
                var position = c % (word.Length + 1);
                var replaced = position < word.Length ? word[..position] + (char)c + word[(position + 1)..] : (char)c + word;
                Assert.Equal(FromVendorByStrings(replaced), PatchPolicy.FromVendor(replaced));
            }
        }
    }
}
