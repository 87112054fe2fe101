using System.Globalization;
using System.Text.Json;
using IsmsServerless.Changes;
using IsmsServerless.Cli;
using IsmsServerless.Engine;
using IsmsServerless.Ledger;
using IsmsServerless.Obligations;
using IsmsServerless.Settings;
using IsmsServerless.Sweep;
using IsmsServerless.Tests.Changes;
using IsmsServerless.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace IsmsServerless.Tests.Obligations;

/// <summary><c>./isms duties</c> and <c>./isms attest</c> on DynamoDB Local, and the change review as a <c>change.review</c> obligation.</summary>
[Collection(DynamoDbCollection.Name)]
public sealed class ObligationCommandsTests(DynamoDbLocalFixture dynamo)
{
    private static readonly FakeTimeProvider Clock = new(DateTimeOffset.Parse("2026-12-20T09:00:00Z", CultureInfo.InvariantCulture));

    private static List<JsonElement> JsonLines(StringWriter output) =>
        output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();

    [Fact]
    public async Task Duties_prints_one_json_line_per_duty_with_id_control_owner_due_and_state()
    {
        var table = await dynamo.NewTableAsync("cli-duties");
        var output = new StringWriter();
        Assert.Equal(0, await DutiesCommand.RunAsync(dynamo.Client, table, IsmsSettings.Default, Clock, json: true, output));
        var lines = JsonLines(output);
        Assert.Equal(IsmsSettings.Default.Duties.Count, lines.Count);
        var access = lines.Single(l => l.GetProperty("subject").GetString() == "access-review");
        Assert.Equal(("ISO27001:2022 A.5.18", "cto", "2026-12-31T23:59:59.999Z", "due"),
            (access.GetProperty("control").GetString(), access.GetProperty("owner").GetString(), access.GetProperty("dueAt").GetString(), access.GetProperty("state").GetString()));
        Assert.StartsWith("obl-", access.GetProperty("id").GetString(), StringComparison.Ordinal);
        var proc = lines.Single(l => l.GetProperty("subject").GetString() == "proc-002-review");
        Assert.Equal(("2027-01-09T23:59:59.999Z", "due"), (proc.GetProperty("dueAt").GetString(), proc.GetProperty("state").GetString())); // past its 30-day reminder
        var advisories = lines.Single(l => l.GetProperty("subject").GetString() == "advisory-review");
        Assert.Equal(("2026-12-31T23:59:59.999Z", "open"), (advisories.GetProperty("dueAt").GetString(), advisories.GetProperty("state").GetString())); // 7-day window not yet open
        Assert.All(lines, l => Assert.Contains(l.GetProperty("state").GetString(), new[] { "open", "due", "overdue", "done" }));

        var text = new StringWriter();
        Assert.Equal(0, await DutiesCommand.RunAsync(dynamo.Client, table, IsmsSettings.Default, Clock, json: false, text));
        Assert.Contains("Quarterly access review", text.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Attest_closes_the_open_period_and_refuses_bad_evidence_with_exit_1()
    {
        var table = await dynamo.NewTableAsync("cli-attest");
        var output = new StringWriter();
        var errors = new StringWriter();
        Assert.Equal(1, await AttestCommand.RunAsync(dynamo.Client, table, IsmsSettings.Default, Clock,
            new AttestRequest("restore-test", "ops@qwestly.example", "", ["http://runbook.example/restore"]), output, errors));
        Assert.Contains("https://", errors.ToString(), StringComparison.Ordinal);
        Assert.Equal(0, await AttestCommand.RunAsync(dynamo.Client, table, IsmsSettings.Default, Clock,
            new AttestRequest("restore-test", "ops@qwestly.example", "", ["https://runbook.example/restore/2026-q4"], "restored orders-db in 47 min"), output, errors));
        var attested = Assert.Single(JsonLines(output));
        Assert.Equal(("done", "ops@qwestly.example"), (attested.GetProperty("state").GetString(), attested.GetProperty("attestation").GetProperty("by").GetString()));
        // The next quarter opened at once.
        var list = new StringWriter();
        await DutiesCommand.RunAsync(dynamo.Client, table, IsmsSettings.Default, Clock, json: true, list);
        var restore = JsonLines(list).Where(l => l.GetProperty("subject").GetString() == "restore-test")
            .Select(l => (l.GetProperty("period").GetString(), l.GetProperty("state").GetString())).OrderBy(p => p.Item1).ToArray();
        Assert.Equal([("2026-12-31", "done"), ("2027-03-31", "open")], restore);
    }

    [Fact]
    public async Task A_change_is_a_change_review_obligation_that_its_review_attests_and_attest_refuses()
    {
        var table = await dynamo.NewTableAsync("cli-change");
        var settings = IsmsSettings.Default;
        var register = new DynamoChangeRegister(dynamo.Client, table, settings);
        var calls = ChangeTestData.ThienCalls();
        foreach (var call in calls.Reverse()) await register.RecordAsync(call); // out of order
        foreach (var call in calls) await register.RecordAsync(call); // redelivered
        var store = new DynamoObligationStore(dynamo.Client, table, settings);
        var obligation = (await store.GetAsync(ChangeReviewObligations.IdOf(calls[0].ChangeId)))!;
        Assert.Equal(("change.review", calls[0].ChangeId, ChangeTestData.ThienFirstCall.AddHours(24)), (obligation.Kind, obligation.Subject, obligation.DueAt));
        Assert.True(obligation.Spec.FourEyes);
        Assert.Equal((await register.GetAsync(calls[0].ChangeId))!.Principal, obligation.Spec.Author);
        // One obligation for the change whatever the order and redeliveries. Change reviews have no by-kind (GSI1),
        // by-subject (GSI2) or open/done (GSI3) entry (issue 20): the change register lists them, and the calendar with it.
        Assert.DoesNotContain((await store.QueryOpenAsync(50)).Items, o => o.Kind == "change.review");
        Assert.Empty((await store.QueryKindAsync("change.review", 10)).Items);
        var calendar = new StringWriter();
        await DutiesCommand.RunAsync(dynamo.Client, table, settings, new FakeTimeProvider(ChangeTestData.ThienFirstCall.AddHours(2)), json: true, calendar);
        Assert.Single(JsonLines(calendar), l => l.GetProperty("id").GetString() == obligation.Id && l.GetProperty("state").GetString() == "open");

        var clock = new FakeTimeProvider(ChangeTestData.ThienFirstCall.AddHours(2));
        var errors = new StringWriter();
        Assert.Equal(1, await AttestCommand.RunAsync(dynamo.Client, table, settings, clock,
            new AttestRequest(obligation.Id, "alice", "", ["https://jira.example/browse/OPS-1"]), new StringWriter(), errors));
        Assert.Contains("./isms review", errors.ToString(), StringComparison.Ordinal);

        var service = new ChangeReviewService(register, new DynamoDbFindingLedger(dynamo.Client, table, settings), RuleRegistry.CreateDefault(), settings, clock);
        await service.ReviewAsync(new ReviewRequest(calls[0].ChangeId, "alice", "approved", "https://jira.example/browse/OPS-1", "expected"));
        var done = (await store.GetAsync(obligation.Id))!;
        Assert.Equal(("alice", "system:change-review"), (done.Attestation!.By, done.Attestation.Subject));
        Assert.Equal(["https://jira.example/browse/OPS-1"], done.Attestation.Evidence.ToArray());
        Assert.Equal("approved: expected", done.Attestation.Note);
        // Done, in the calendar from the register's reviewed index (no open/done entry of its own).
        Assert.DoesNotContain((await store.QueryDoneAsync(50)).Items, o => o.Kind == "change.review");
        calendar = new StringWriter();
        await DutiesCommand.RunAsync(dynamo.Client, table, settings, clock, json: true, calendar);
        Assert.Single(JsonLines(calendar), l => l.GetProperty("id").GetString() == obligation.Id && l.GetProperty("state").GetString() == "done");
        // The review's obligation is done; a console change must still reach code (issue 19): only that one stays due.
        var due = await store.QueryTimersDueAsync(ChangeTestData.ThienFirstCall.AddDays(30), 10);
        Assert.Equal([ChangeCodeUpdateObligations.Kind], due.Select(o => o.Kind).ToArray());
        errors = new StringWriter();
        Assert.Equal(1, await AttestCommand.RunAsync(dynamo.Client, table, settings, clock,
            new AttestRequest(due[0].Id, "bob", "", ["https://github.com/qwestly/infra/pull/1"]), new StringWriter(), errors));
        Assert.Contains("./isms reconcile", errors.ToString(), StringComparison.Ordinal);
    }
}
