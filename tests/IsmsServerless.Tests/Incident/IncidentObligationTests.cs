using System.Globalization;
using IsmsServerless.Cli;
using IsmsServerless.Engine;
using IsmsServerless.Incidents;
using IsmsServerless.Ledger;
using IsmsServerless.Model;
using IsmsServerless.Obligations;
using IsmsServerless.Pipeline;
using IsmsServerless.Settings;
using IsmsServerless.Sweep;
using IsmsServerless.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace IsmsServerless.Tests.Incident;

/// <summary>
/// The incident record on the obligation mechanism, on DynamoDB Local: one incident per cause with three obligations
/// (acknowledge 1 h, document 24 h, review 7 d) opened when the incident finding is recorded, the earliest signal's
/// clocks winning in any delivery order; each missed clock a finding from the sweep (also one that was down across the
/// deadlines); closing them with <c>./isms incident</c>, four-eyes on the review.
/// </summary>
[Collection(DynamoDbCollection.Name)]
public sealed class IncidentObligationTests(DynamoDbLocalFixture dynamo)
{
    private static readonly string[] Files = ["eb-guardduty-sshbruteforce-sev8-derived.json", "eb-guardduty-bitcoin-dns-sev8-derived.json", "eb-guardduty-c2-dns-sev8-derived.json"];
    private static readonly DateTimeOffset Earliest = DateTimeOffset.Parse("2017-11-01T22:05:00Z", CultureInfo.InvariantCulture);
    private const string Instance = "i-0d6c314027f74dc82";

    private sealed record Kit(IngestPipeline Pipeline, DynamoDbFindingLedger Ledger, DynamoObligationStore Store, FakeTimeProvider Clock, string Table);

    private async Task<Kit> NewAsync(string now)
    {
        var table = await dynamo.NewTableAsync("incident-obl");
        var settings = IsmsSettings.Default;
        var ledger = new DynamoDbFindingLedger(dynamo.Client, table, settings);
        var pipeline = new IngestPipeline(RuleEngine.CreateDefault(), [], ledger, null, RecordedHooks.Default(dynamo.Client, table, settings));
        return new Kit(pipeline, ledger, new DynamoObligationStore(dynamo.Client, table, settings), TestContexts.ClockAt(now), table);
    }

    private static EvaluationContext Context(FakeTimeProvider clock) => new(IsmsSettings.Default, clock);

    private static async Task<string> IngestAsync(Kit kit, string file)
    {
        var result = await kit.Pipeline.ProcessAsync(Fixtures.Local("incident/" + file), Context(kit.Clock));
        return Assert.Single(result.Engine.Evaluations).Evidence["incidentId"];
    }

    private Task<SweepStepResult> SweepAsync(Kit kit) =>
        new ObligationSweepStep(RuleRegistry.CreateDefault()).RunAsync(new SweepContext(dynamo.Client, kit.Table, kit.Ledger, Context(kit.Clock)), CancellationToken.None);

    public static TheoryData<int[]> Orders() => new() { new[] { 0, 1, 2 }, new[] { 2, 1, 0 }, new[] { 1, 2, 0 }, new[] { 2, 0, 1, 0 } };

    [Theory]
    [MemberData(nameof(Orders))]
    public async Task Three_GuardDuty_findings_in_any_order_open_one_incident_with_three_clocks_from_the_earliest_signal(int[] order)
    {
        var kit = await NewAsync("2017-11-01T23:00:00Z");
        var ids = new HashSet<string>();
        foreach (var i in order) ids.Add(await IngestAsync(kit, Files[i]));
        var incidentId = Assert.Single(ids);

        var clocks = await IncidentObligations.ClocksAsync(kit.Store, incidentId);
        Assert.Equal(
            [(IncidentObligations.AcknowledgeKind, Earliest.AddHours(1)), (IncidentObligations.DocumentKind, Earliest.AddHours(24)), (IncidentObligations.ReviewKind, Earliest.AddDays(7))],
            clocks.Select(c => (c.Kind, c.DueAt)));
        Assert.All(clocks, c => Assert.Equal(incidentId, c.Subject));
        Assert.All(clocks, c => Assert.Contains(Controls.IsoIncidentResponse, c.Spec.Controls));
        Assert.All(clocks, c => Assert.False(c.Done));
        // Exactly three obligations of the incident kinds in the table: no per-signal duplicates.
        var all = new List<Obligation>();
        foreach (var kind in IncidentObligations.Kinds) all.AddRange((await kit.Store.QueryKindAsync(kind, 50)).Items);
        Assert.Equal(3, all.Count);
    }

    [Fact]
    public async Task A_below_threshold_finding_opens_no_incident_obligations()
    {
        var kit = await NewAsync("2017-11-01T23:00:00Z");
        var evaluation = new Evaluation
        {
            Rule = RuleRegistry.CreateDefault().Find(IncidentEscalation.IncidentRuleId)!.Metadata,
            Outcome = Outcome.Compliant,
            ResourceId = Instance,
            Message = "not an incident",
            Evidence = new Dictionary<string, string> { ["incidentId"] = "inc-000000000000000000000000" },
            ClockStart = Earliest,
        };
        Assert.Empty(IncidentObligations.SpecsFor(evaluation, IsmsSettings.Default));
        Assert.Empty(IncidentObligations.SpecsFor(evaluation with { Outcome = Outcome.Finding, Evidence = new Dictionary<string, string> { ["incidentId"] = "inc-<script>" } }, IsmsSettings.Default));
        Assert.Equal(3, IncidentObligations.SpecsFor(evaluation with { Outcome = Outcome.Finding }, IsmsSettings.Default).Count);
        Assert.Equal(0, await IncidentObligations.OpenAsync([evaluation], kit.Store, IsmsSettings.Default, kit.Clock.GetUtcNow()));
    }

    [Fact]
    public async Task The_sweep_raises_one_finding_per_missed_clock_as_each_deadline_passes()
    {
        var kit = await NewAsync("2017-11-01T22:06:00Z");
        var incidentId = await IngestAsync(kit, Files[0]);

        // 22:36: half-way through the acknowledge clock: a reminder, no finding.
        kit.Clock.SetUtcNow(Earliest.AddMinutes(31));
        var reminder = await SweepAsync(kit);
        Assert.Equal(0, reminder.Findings);
        Assert.Contains(reminder.Notes, n => n.Contains("reminder", StringComparison.Ordinal) && n.Contains(incidentId, StringComparison.Ordinal));

        // Past 1 h: the acknowledge clock is missed.
        kit.Clock.SetUtcNow(Earliest.AddHours(1).AddMinutes(1));
        Assert.Equal(1, (await SweepAsync(kit)).Findings);
        Assert.Equal(["incident.acknowledge|"], await OverdueSubKeysAsync(kit, incidentId));
        // Again: nothing new (idempotent).
        Assert.Equal(0, (await SweepAsync(kit)).Findings);

        // Past 24 h and 7 days.
        kit.Clock.SetUtcNow(Earliest.AddHours(24).AddMinutes(1));
        await SweepAsync(kit);
        kit.Clock.SetUtcNow(Earliest.AddDays(7).AddMinutes(1));
        await SweepAsync(kit);
        Assert.Equal(["incident.acknowledge|", "incident.document|", "incident.review|"], await OverdueSubKeysAsync(kit, incidentId));
        var ack = (await kit.Ledger.QueryByResourceAsync(incidentId, 10)).Items.Single(f => f.Evidence["kind"] == IncidentObligations.AcknowledgeKind);
        Assert.Equal(Severity.Critical, ack.Severity);
        Assert.Contains(Controls.IsoIncidentResponse, ack.Controls);
    }

    [Fact]
    public async Task A_sweep_down_across_all_three_deadlines_raises_all_three_when_it_returns()
    {
        var kit = await NewAsync("2017-11-01T22:06:00Z");
        var incidentId = await IngestAsync(kit, Files[1]);
        kit.Clock.SetUtcNow(Earliest.AddDays(8));
        var result = await SweepAsync(kit);
        Assert.Equal(3, result.Findings);
        Assert.DoesNotContain(result.Notes, n => n.Contains("reminder", StringComparison.Ordinal)); // no stale reminders
        Assert.Equal(["incident.acknowledge|", "incident.document|", "incident.review|"], await OverdueSubKeysAsync(kit, incidentId));
        Assert.All(await IncidentObligations.ClocksAsync(kit.Store, incidentId), c => Assert.Equal(ObligationState.Overdue, c.StoredState));
    }

    [Fact]
    public async Task Incident_commands_close_the_clocks_refuse_bad_input_and_hold_four_eyes_on_the_review()
    {
        var kit = await NewAsync("2017-11-01T22:06:00Z");
        var incidentId = await IngestAsync(kit, Files[2]);
        var settings = IsmsSettings.Default;

        async Task<(int Code, string Out, string Err)> Run(IncidentAction action, string id, string by, string? note, params string[] evidence)
        {
            var output = new StringWriter();
            var errors = new StringWriter();
            var code = await IncidentCommand.RunAsync(dynamo.Client, kit.Table, settings, kit.Clock, action, id, by, note, evidence, output, errors);
            return (code, output.ToString(), errors.ToString());
        }

        Assert.Contains("not an incident id", (await Run(IncidentAction.Acknowledge, "inc-\u202enope", "ana@qwestly.example", "x")).Err, StringComparison.Ordinal);
        Assert.Contains("NotFound", (await Run(IncidentAction.Acknowledge, "inc-000000000000000000000000", "ana@qwestly.example", "x")).Err, StringComparison.Ordinal);
        Assert.Contains("--note is required", (await Run(IncidentAction.Acknowledge, incidentId, "ana@qwestly.example", null)).Err, StringComparison.Ordinal);

        // Late acknowledgement (after the 1 h clock was missed and the sweep raised it): the sweep then resolves the finding.
        kit.Clock.SetUtcNow(Earliest.AddHours(2));
        await SweepAsync(kit);
        var ack = await Run(IncidentAction.Acknowledge, incidentId, "ana@qwestly.example", "one instance mining; contained by SG; #sec notified");
        Assert.Equal(0, ack.Code);
        Assert.Contains("\"state\":\"done\"", ack.Out, StringComparison.Ordinal);
        Assert.Equal(1, (await Run(IncidentAction.Acknowledge, incidentId, "bo@qwestly.example", "again")).Code);
        await SweepAsync(kit);
        var overdue = (await kit.Ledger.QueryByResourceAsync(incidentId, 10)).Items.Single(f => f.Evidence["kind"] == IncidentObligations.AcknowledgeKind);
        Assert.Equal(FindingStatus.Resolved, overdue.Status);

        Assert.Contains("not documented yet", (await Run(IncidentAction.Review, incidentId, "bo@qwestly.example", "learned", "https://wiki.example/pir/1")).Err, StringComparison.Ordinal);
        Assert.Contains("https://", (await Run(IncidentAction.Document, incidentId, "ana@qwestly.example", "fixed")).Err, StringComparison.Ordinal);
        Assert.Contains("https://", (await Run(IncidentAction.Document, incidentId, "ana@qwestly.example", "fixed", "javascript:alert(1)")).Err, StringComparison.Ordinal);
        Assert.Equal(0, (await Run(IncidentAction.Document, incidentId, "ana@qwestly.example", "rebuilt from AMI; SG tightened", "https://tickets.example/SEC-12")).Code);
        // Four-eyes compares people: the documenter in another case/width is still the documenter.
        var same = await Run(IncidentAction.Review, incidentId, "ＡＮＡ@Qwestly.example", "learned", "https://wiki.example/pir/1");
        Assert.Equal(1, same.Code);
        Assert.Contains("FourEyes", same.Err, StringComparison.Ordinal);
        var listed = new StringWriter();
        Assert.Equal(0, await IncidentCommand.ListAsync(dynamo.Client, kit.Table, settings, kit.Clock, listed));
        var line = System.Text.Json.Nodes.JsonNode.Parse(Assert.Single(listed.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries)))!;
        Assert.Equal((incidentId, true), (line["incidentId"]!.GetValue<string>(), line["open"]!.GetValue<bool>()));
        Assert.Equal(["acknowledge:done", "document:done", "review:open"],
            line["clocks"]!.AsArray().Select(c => c!["clock"]!.GetValue<string>() + ":" + c["state"]!.GetValue<string>()));
        Assert.Equal(0, (await Run(IncidentAction.Review, incidentId, "bo@qwestly.example", "egress alerting added", "https://wiki.example/pir/1")).Code);

        var clocks = await IncidentObligations.ClocksAsync(kit.Store, incidentId);
        Assert.All(clocks, c => Assert.True(c.Done));
        Assert.Equal(["ana@qwestly.example", "ana@qwestly.example", "bo@qwestly.example"], clocks.Select(c => c.Attestation!.By));
        // Nothing left for the sweep to raise after the later deadlines.
        kit.Clock.SetUtcNow(Earliest.AddDays(8));
        await SweepAsync(kit);
        Assert.Equal(["incident.acknowledge|"], await OverdueSubKeysAsync(kit, incidentId));
    }

    private static async Task<string[]> OverdueSubKeysAsync(Kit kit, string incidentId) =>
        [.. (await kit.Ledger.QueryByResourceAsync(incidentId, 10)).Items.Where(f => f.RuleId == GenericObligationKind.OverdueRuleId)
            .Select(f => f.SubKey).Order(StringComparer.Ordinal)];
}
