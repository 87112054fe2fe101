using System.Text.Json;
using IsmsServerless.Cli;
using IsmsServerless.Cli.Local;
using IsmsServerless.Compliance;
using IsmsServerless.Engine;
using IsmsServerless.Policy;
using IsmsServerless.Tests.Support;
using Xunit.Abstractions;

namespace IsmsServerless.Tests.Compliance;

/// <summary>The contract: replay real events, then <c>./isms controls --format json</c> and <c>./isms export</c>.</summary>
[Collection(DynamoDbCollection.Name)]
public sealed class ControlAssuranceEndToEndTests(DynamoDbLocalFixture dynamo, ITestOutputHelper output)
{
    private static readonly DateTimeOffset Now = new(2026, 1, 15, 12, 0, 0, TimeSpan.Zero);

    private async Task<string> ReplayedTableAsync()
    {
        var table = await dynamo.NewTableAsync();
        var context = new EvaluationContext(PolicyDocument.Embedded.Settings, new FixedTimeProvider(Now));
        var code = await ReplayCommand.RunAsync([Path.Combine(RepositoryRoot.Find(), "samples", "events")], context, dynamo.Client, table, TextWriter.Null, TextWriter.Null);
        Assert.Equal(0, code);
        return table;
    }

    [Fact]
    public async Task After_a_replay_of_real_events_controls_whose_rules_saw_compliant_resources_report_passing()
    {
        var table = await ReplayedTableAsync();
        var views = await ControlsCommand.ReadAsync(dynamo.Client, table, Now);
        var lines = views.Select(ControlsCommand.Line).ToList();
        Assert.Equal(PolicyDocument.Embedded.Controls.Count, lines.Count);
        foreach (var line in lines)
        {
            using var doc = JsonDocument.Parse(line);
            var o = doc.RootElement;
            foreach (var field in new[] { "id", "framework", "title", "clauses", "status", "rules", "evaluated", "passing", "failing", "lastEvaluatedAt", "duties" })
                Assert.True(o.TryGetProperty(field, out _), $"{field} missing in {line}");
            Assert.Contains(o.GetProperty("framework").GetString(), new[] { "ISO27001:2022", "SOC2" });
            Assert.Contains(o.GetProperty("status").GetString(), new[] { "pass", "fail", "stale", "due", "overdue", "manual", "not-applicable" });
            Assert.Equal(o.GetProperty("evaluated").GetInt64(), o.GetProperty("passing").GetInt64() + o.GetProperty("failing").GetInt64());
        }
        var passing = views.Where(v => v.Passing > 0).ToList();
        output.WriteLine(string.Join("\n", views.Select(v => $"{v.Control.Key} {v.Status} {v.Evaluated}/{v.Passing}/{v.Failing}")));
        Assert.NotEmpty(passing);
        // Which rules saw compliant resources is in the store: each such rule's controls report passing > 0.
        var store = new IsmsServerless.Evidence.DynamoDbEvidenceStore(dynamo.Client, table, "x");
        var summaries = await store.GetRuleSummariesAsync();
        var compliantRules = summaries.Values.Where(s => s.Passing > 0).Select(s => s.RuleId).ToHashSet();
        Assert.NotEmpty(compliantRules);
        foreach (var v in views.Where(v => v.Rules.Any(compliantRules.Contains) && v.Status != ControlStatuses.NotApplicable))
            Assert.True(v.Passing > 0, v.Control.Key);
        Assert.Contains(views, v => v.Status == ControlStatuses.Fail && v.Failing > 0);
        Assert.Contains(views, v => v.Status == ControlStatuses.Manual);
        Assert.Contains(views, v => v.Status == ControlStatuses.NotApplicable);
    }

    [Fact]
    public async Task The_audit_export_carries_controls_evidence_findings_and_the_policy_version_in_every_format()
    {
        var table = await ReplayedTableAsync();
        var from = Now.AddYears(-20);
        var to = Now.AddDays(1);
        var json = await ExportCommand.RunAsync(dynamo.Client, table, from, to, "json", Now);
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        Assert.Equal(PolicyDocument.Embedded.Version, root.GetProperty("policyVersion").GetString());
        Assert.Contains(PolicyDocument.Embedded.Version, root.GetProperty("policyVersions").EnumerateArray().Select(v => v.GetString()));
        Assert.Equal(PolicyDocument.Embedded.Controls.Count, root.GetProperty("controls").GetArrayLength());
        Assert.True(root.GetProperty("findings").GetArrayLength() > 0);
        Assert.True(root.GetProperty("evidence").GetArrayLength() > 0);
        Assert.Contains(root.GetProperty("statementOfApplicability").EnumerateArray(), c => c.GetProperty("id").GetString() == "CC6.4");
        foreach (var section in new[] { "changeReviews", "waivers", "baselineApprovals", "attestations" })
            Assert.Equal(JsonValueKind.Array, root.GetProperty(section).ValueKind);

        var csv = await ExportCommand.RunAsync(dynamo.Client, table, from, to, "csv", Now);
        var rows = csv.Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(string.Join(',', AuditPackageWriter.CsvColumns), rows[0]);
        Assert.Contains(rows, r => r.StartsWith("policy,", StringComparison.Ordinal));
        Assert.Contains(rows, r => r.StartsWith("control,A.8.8,", StringComparison.Ordinal));
        Assert.Contains(rows, r => r.StartsWith("finding,", StringComparison.Ordinal));
        Assert.Contains(rows, r => r.StartsWith("evidence,", StringComparison.Ordinal));
    }

    [OcsfSchemaFact]
    public async Task The_ocsf_export_is_valid_OCSF_1_8_compliance_and_detection_findings()
    {
        var validator = OcsfValidator.TryLoad(out var reason) ?? throw new InvalidOperationException(reason);
        var table = await ReplayedTableAsync();
        var ocsf = await ExportCommand.RunAsync(dynamo.Client, table, Now.AddYears(-20), Now.AddDays(1), "ocsf", Now);
        var events = ocsf.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Contains(events, e => e.GetProperty("class_uid").GetInt32() == 2003);
        Assert.Contains(events, e => e.GetProperty("class_uid").GetInt32() == 2004);
        var failures = events.SelectMany(e => validator.Validate(e).Select(err => $"{e.GetProperty("metadata").GetProperty("uid")}: {err}")).ToList();
        Assert.True(failures.Count == 0, string.Join("\n", failures.Take(20)));
        foreach (var e in events.Where(e => e.GetProperty("class_uid").GetInt32() == 2003))
        {
            var compliance = e.GetProperty("compliance");
            Assert.NotEmpty(compliance.GetProperty("standards").EnumerateArray());
            Assert.False(string.IsNullOrEmpty(compliance.GetProperty("control").GetString()));
            Assert.Contains(compliance.GetProperty("status_id").GetInt32(), new[] { 1, 2, 3 });
        }
    }

    [OcsfSchemaFact]
    public void The_ocsf_validator_rejects_what_OCSF_forbids()
    {
        var validator = OcsfValidator.TryLoad(out var reason) ?? throw new InvalidOperationException(reason);
        // A Compliance Finding without compliance, with a bad enum and a wrongly typed time.
        using var doc = JsonDocument.Parse("""{"class_uid":2003,"category_uid":2,"activity_id":7,"type_uid":200307,"severity_id":1,"time":"yesterday","metadata":{"version":"1.8.0","product":{"name":"x"}},"finding_info":{"uid":"f"},"bogus":1}""");
        var errors = validator.Validate(doc.RootElement);
        Assert.Contains(errors, e => e.Contains("'compliance' is missing", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("activity_id: 7 is not one of", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains(".time: String is not a timestamp_t", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("'bogus' is not an attribute", StringComparison.Ordinal));
    }
}
