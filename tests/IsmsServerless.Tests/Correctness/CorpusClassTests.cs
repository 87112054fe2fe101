using System.Text.Json;
using System.Text.Json.Nodes;
using IsmsServerless.Cli;
using IsmsServerless.Changes;
using IsmsServerless.Engine;
using IsmsServerless.Inputs;
using IsmsServerless.Model;
using IsmsServerless.Settings;
using IsmsServerless.Tests.Support;

namespace IsmsServerless.Tests.Correctness;

/// <summary>
/// Classes of wrong answers found by running public detection-rule test data and attack-simulation logs through the
/// engine (issue 14, corpus part). Each payload is saved under Fixtures/ with its source and licence (SOURCES.md); each
/// test failed before its fix.
/// </summary>
public sealed class CorpusClassTests
{
    private static readonly RuleEngine Engine = RuleEngine.CreateDefault();
    private static readonly EvaluationContext Context = TestContexts.At("2026-01-15T12:00:00Z");

    private static JsonObject Record(string path) => JsonNode.Parse(Fixtures.Local(path))!.AsObject();

    private static CloudTrailInput Input(JsonObject record) =>
        Assert.IsType<CloudTrailInput>(Assert.Single(Engine.Adapt(EventBridgeEnvelope.Wrap(record.ToJsonString()), Context).Inputs));

    private static IReadOnlyList<Evaluation> Evaluate(JsonObject record) =>
        Engine.Evaluate(EventBridgeEnvelope.Wrap(record.ToJsonString()), Context).Evaluations;

    // ---- class: a service's own console host in userAgent (console.ec2.amazonaws.com) is a person in the console ----

    [Fact]
    public void A_service_console_user_agent_is_a_manual_console_change()
    {
        // Panther's "AWS Console - Ingress SG Authorization": userAgent console.ec2.amazonaws.com, role TestAdmin/alan.
        var record = Record("drift/raw-ec2-authorize-sg-ingress-not-world-console-panther.json");
        Assert.Equal(ChangeKind.ManualConsole, ChangeClassifier.Classify(Input(record), IsmsSettings.Default));
        var change = Assert.Single(Evaluate(record), e => e.Outcome == Outcome.Change);
        Assert.Equal("change.manual-console-change", change.Rule.Id);
    }

    [Theory]
    [InlineData("console.ec2.amazonaws.com", true)]
    [InlineData("console.amazonaws.com", true)]
    [InlineData(" console.rds.amazonaws.com ", true)]
    [InlineData("console.aws.amazon.com", true)]
    [InlineData("ec2.amazonaws.com", false)]
    [InlineData("aws-cli/2.0 console.ec2.amazonaws.com", false)]
    [InlineData("console", false)]
    public void Console_hosts(string value, bool console) => Assert.Equal(console, CloudTrailInput.IsConsoleHost(value));

    [Fact]
    public void A_service_console_in_invoked_by_is_a_person_not_a_service()
    {
        var record = Record("drift/raw-ec2-authorize-sg-ingress-not-world-console-panther.json");
        record["userIdentity"]!["invokedBy"] = "console.ec2.amazonaws.com";
        var input = Input(record);
        Assert.False(input.IsAwsService);
        Assert.True(input.InvokedByConsole);
    }

    // ---- class: placeholder event ids ("1", "XXXXXXXXXXX") shared by distinct calls merged them into one ----

    private static readonly string[] PantherConsoleSession =
    [
        "changes/raw-iam-attachrolepolicy-console-admin-panther.json",
        "changes/raw-iam-attachrolepolicy-console-readonly-panther.json",
        "changes/raw-iam-deletegrouppolicy-console-panther.json",
    ];

    [Fact]
    public void Distinct_admin_actions_sharing_a_placeholder_event_id_are_distinct_findings_and_duplicates_still_fold()
    {
        // Panther's two AttachRolePolicy tests, both eventID "1": AdministratorAccess (HIGH) and ReadOnlyAccess (MEDIUM)
        // on the same role. One finding id for both let the MEDIUM overwrite the HIGH, depending on arrival order.
        Evaluation Admin(string file) => Assert.Single(Evaluate(Record(file)), e => e.Rule.Id == "monitoring.iam-admin-action");
        var admin = Admin(PantherConsoleSession[0]);
        var readOnly = Admin(PantherConsoleSession[1]);
        Assert.Equal(Severity.High, admin.Severity);
        Assert.Equal(Severity.Medium, readOnly.Severity);
        Assert.NotEqual(admin.FindingId, readOnly.FindingId);
        Assert.Equal(admin.FindingId, Admin(PantherConsoleSession[0]).FindingId); // a re-delivery is the same finding
        Assert.StartsWith("1~", admin.SubKey, StringComparison.Ordinal);
        Assert.Equal("1", admin.Evidence["eventId"]); // the evidence keeps the id as CloudTrail wrote it
    }

    [Fact]
    public void A_real_guid_event_id_is_the_call_id_unchanged()
    {
        var record = Record("drift/raw-ec2-authorize-sg-ingress-simple-slash0-stratus.json");
        Assert.Equal("9fd68588-ecbf-4528-a345-199fa6bb0821", Input(record).CallId);
        record.Remove("eventID");
        Assert.StartsWith("synthetic-", Input(record).CallId, StringComparison.Ordinal);
    }

    [Fact]
    public void A_console_session_whose_calls_share_a_placeholder_event_id_keeps_every_call()
    {
        var dir = Directory.CreateTempSubdirectory("isms-corpus-");
        try
        {
            var files = PantherConsoleSession.Select(f =>
            {
                var path = Path.Combine(dir.FullName, Path.GetFileName(f));
                File.WriteAllBytes(path, EventBridgeEnvelope.Wrap(Fixtures.Local(f)));
                return path;
            }).ToList();
            files.Add(files[0]); // and a duplicate delivery of the first
            var output = new StringWriter();
            Assert.Equal(0, EvaluateCommand.Run(files, TestContexts.At("2019-01-01T06:00:00Z"), Engine, output));
            var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();
            var session = Assert.Single(lines, l => l.GetProperty("outcome").GetString() == "change" && !l.TryGetProperty("joinedChange", out _));
            Assert.Contains("3 call(s)", session.GetProperty("message").GetString(), StringComparison.Ordinal);
            // Two distinct admin actions (the duplicate folds into the first), not one.
            Assert.Equal(2, lines.Where(l => l.GetProperty("ruleId").GetString() == "monitoring.iam-admin-action")
                .Select(l => l.GetProperty("findingId").GetString()).Distinct().Count());
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    // ---- class: a bare JSON array of CloudTrail records (Stratus Red Team detonation logs, exports) was rejected whole ----

    [Fact]
    public void A_bare_array_of_cloudtrail_records_is_evaluated_record_by_record()
    {
        var result = Engine.Evaluate(Fixtures.Local("correctness/array-iam-create-admin-user-stratus.json"), Context);
        Assert.False(result.Rejected, result.Error);
        var admin = result.Evaluations.Where(e => e.Rule.Id == "monitoring.iam-admin-action").ToList();
        Assert.Equal(3, admin.Count); // AttachUserPolicy, CreateAccessKey, CreateUser
        Assert.Contains(admin, e => e.Severity == Severity.High && e.Evidence["policyArn"] == "arn:aws:iam::aws:policy/AdministratorAccess");
        Assert.All(admin, e => Assert.Equal("arn:aws:iam::229654561268:user/malicious-iam-user", e.ResourceId));
        Assert.Contains(result.Evaluations, e => e.Rule.Id == "drift.iam-user-baseline" && e.Outcome == Outcome.Finding);

        var federation = Engine.Adapt(Fixtures.Local("correctness/array-sts-getfederationtoken-stratus.json"), Context);
        Assert.Equal(["IAMUser", "FederatedUser"], federation.Inputs.Cast<CloudTrailInput>().Select(i => i.IdentityType));
    }
}
