using System.Globalization;
using Amazon.DynamoDBv2.Model;
using IsmsServerless.Engine;
using IsmsServerless.Ledger;
using IsmsServerless.Model;
using IsmsServerless.Obligations;
using IsmsServerless.Settings;
using IsmsServerless.Sweep;
using IsmsServerless.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace IsmsServerless.Tests.Obligations;

/// <summary>
/// Recurring duties end to end on DynamoDB Local with a FakeTimeProvider: the sweep opens each period, reminds once,
/// raises one overdue finding (with the duty's controls, through the ledger and its outbox) that attestation resolves,
/// catches up after being down, and four-eyes compares people.
/// </summary>
[Collection(DynamoDbCollection.Name)]
public sealed class DutySweepTests(DynamoDbLocalFixture dynamo)
{
    private const string Account = "123456789012";
    private const string Region = "eu-west-1";
    private const string Author = "dominick@qwestly.example";
    private static readonly RuleRegistry Registry = RuleRegistry.CreateDefault();

    private static DateTimeOffset At(string text) => DateTimeOffset.Parse(text, CultureInfo.InvariantCulture);

    private static IsmsSettings WithDuties(params DutyDefinition[] duties) => new() { Duties = duties };

    private static DutyDefinition AccessReview() => new()
    {
        Id = "access-review", Title = "Quarterly access review", Controls = ["ISO27001:2022 A.5.18", "SOC2 CC6.2"],
        PolicyClause = "Qwestly Operations Security Policy, SOC 2 Basics: \"Regular access reviews (quarterly)\"",
        OwnerRole = "cto", Cadence = "quarterly", FirstDue = "2026-12-31", FourEyes = true, Author = Author,
        EvidenceExpected = "the campaign",
    };

    private static DutyDefinition FaultLogReview() => IsmsSettings.Default.Duties.Single(d => d.Id == "fault-log-review");

    private sealed class Harness(DynamoDbLocalFixture dynamo, string table, IsmsSettings settings, FakeTimeProvider clock)
    {
        public string Table => table;
        public FakeTimeProvider Clock => clock;
        public DynamoObligationStore Store { get; } = new(dynamo.Client, table, settings);
        public DynamoDbFindingLedger Ledger { get; } = new(dynamo.Client, table, settings);
        public AttestationService Attestations => new(Store, settings, clock, Account, Region);

        public async Task<(SweepStepResult Duties, SweepStepResult Obligations)> SweepAsync()
        {
            var context = new SweepContext(dynamo.Client, table, Ledger, new EvaluationContext(settings, clock));
            var duties = await new DutyScheduleStep(() => Account, () => Region).RunAsync(context, default);
            var obligations = await new ObligationSweepStep(Registry).RunAsync(context, default);
            return (duties, obligations);
        }

        public async Task<bool> AlertExistsAsync(string alertId) =>
            (await dynamo.Client.GetItemAsync(new GetItemRequest
            {
                TableName = table,
                Key = new() { ["PK"] = new() { S = "ALERT#" + alertId }, ["SK"] = new() { S = "ALERT" } },
                ConsistentRead = true,
            })).Item is { Count: > 0 };

        public Task<FindingRecord?> OverdueFindingAsync(string dutyId, string period) =>
            Ledger.GetAsync(FindingIdentity.Compute("duty.obligation-overdue", Account, Region, dutyId, $"duty.{dutyId}|{period}"));
    }

    private async Task<Harness> HarnessAsync(IsmsSettings settings, string now) =>
        new(dynamo, await dynamo.NewTableAsync("duty"), settings, new FakeTimeProvider(At(now)));

    [Fact]
    public async Task A_quarter_opens_reminds_once_goes_overdue_once_and_attestation_resolves_it_and_opens_the_next()
    {
        var h = await HarnessAsync(WithDuties(AccessReview()), "2026-11-26T10:00:00Z");
        var (opened, first) = await h.SweepAsync();
        Assert.Equal("opened access-review 2026-12-31 (due 2026-12-31T23:59:59.999Z)", Assert.Single(opened.Notes));
        Assert.Equal(0, first.Examined);
        var id = Obligation.IdFor("duty.access-review", "access-review", "2026-12-31");
        Assert.Equal(ObligationState.Open, Assert.Single(await h.Attestations.ListAsync()).State);
        Assert.Empty((await h.SweepAsync()).Duties.Notes); // a second sweep opens nothing

        h.Clock.SetUtcNow(At("2026-12-18T00:00:00Z"));
        var remind = (await h.SweepAsync()).Obligations;
        Assert.StartsWith("reminder 1 for access-review", Assert.Single(remind.Notes), StringComparison.Ordinal);
        Assert.True(await h.AlertExistsAsync(id + "-reminder-1"));
        Assert.Equal(0, (await h.SweepAsync()).Obligations.Examined); // sent once
        Assert.Equal(ObligationState.Due, (await h.Store.GetAsync(id))!.StoredState);

        h.Clock.SetUtcNow(At("2026-12-31T23:59:59.999Z")); // the due instant itself is still in time
        Assert.Equal(0, (await h.SweepAsync()).Obligations.Findings);
        Assert.Null(await h.OverdueFindingAsync("access-review", "2026-12-31"));

        h.Clock.SetUtcNow(At("2027-01-01T00:00:00Z"));
        var (nextOpened, overdue) = await h.SweepAsync();
        Assert.Equal(1, overdue.Findings);
        Assert.Contains(nextOpened.Notes, n => n.StartsWith("opened access-review 2027-03-31", StringComparison.Ordinal));
        var finding = (await h.OverdueFindingAsync("access-review", "2026-12-31"))!;
        Assert.Equal((FindingStatus.Open, Category.Duty, Severity.Medium), (finding.Status, finding.Category, finding.Severity));
        Assert.Equal(["ISO27001:2022 A.5.18", "SOC2 CC6.2"], finding.Controls.ToArray());
        Assert.Contains("Regular access reviews", finding.PolicyClause, StringComparison.Ordinal);
        Assert.Contains(await h.Ledger.QueryAlertsAsync(new DateOnly(2027, 1, 1)), a => a.FindingId == finding.Id && a.Kind == "new");
        Assert.Equal(ObligationState.Overdue, (await h.Store.GetAsync(id))!.StoredState);
        Assert.Equal(0, (await h.SweepAsync()).Obligations.Findings); // raised once

        h.Clock.SetUtcNow(At("2027-01-02T09:00:00Z"));
        var fourEyes = await Assert.ThrowsAsync<ObligationException>(() =>
            h.Attestations.AttestAsync(new AttestRequest("access-review", "Dominick@Qwestly.example", "", ["https://wiki.example/ar-q4"])));
        Assert.Equal(ObligationError.FourEyes, fourEyes.Error);
        var attested = await h.Attestations.AttestAsync(new AttestRequest("access-review", "adam@qwestly.example", "", ["https://wiki.example/ar-q4"], "all 9 principals kept"));
        Assert.Equal(id, attested.Id); // the duty id names its earliest open period
        Assert.Equal(("adam@qwestly.example", "cli:adam@qwestly.example"), (attested.Attestation!.By, attested.Attestation.Subject));

        var resolved = (await h.SweepAsync()).Obligations;
        Assert.Equal(1, resolved.Resolved);
        Assert.Equal(FindingStatus.Resolved, (await h.OverdueFindingAsync("access-review", "2026-12-31"))!.Status);
        Assert.Equal(0, (await h.SweepAsync()).Obligations.Examined);
        var lines = await h.Attestations.ListAsync();
        Assert.Equal([("2027-03-31", ObligationState.Open), ("2026-12-31", ObligationState.Done)], lines.Select(l => (l.Obligation.Spec.Period, l.State)).ToArray());
    }

    [Fact]
    public async Task A_sweep_that_was_down_across_the_deadline_raises_only_the_overdue_finding()
    {
        var h = await HarnessAsync(WithDuties(AccessReview()), "2026-11-26T10:00:00Z");
        await h.SweepAsync();
        var id = Obligation.IdFor("duty.access-review", "access-review", "2026-12-31");
        h.Clock.SetUtcNow(At("2027-01-03T08:00:00Z"));
        var (_, late) = await h.SweepAsync();
        Assert.Equal(1, late.Findings);
        Assert.False(await h.AlertExistsAsync(id + "-reminder-1"));
        Assert.False(await h.AlertExistsAsync(id + "-reminder-2"));
        Assert.Equal(FindingStatus.Open, (await h.OverdueFindingAsync("access-review", "2026-12-31"))!.Status);
    }

    [Fact]
    public async Task A_daily_duty_missed_for_three_days_opens_every_missed_day_and_each_goes_overdue_once()
    {
        var h = await HarnessAsync(WithDuties(FaultLogReview()), "2026-11-26T12:00:00Z");
        await h.SweepAsync();
        h.Clock.SetUtcNow(At("2026-11-29T12:00:00Z"));
        var (opened, late) = await h.SweepAsync();
        Assert.Equal(3, opened.Notes.Count); // 27th, 28th, 29th
        Assert.Equal(3, late.Findings); // 26th, 27th, 28th
        foreach (var day in new[] { "2026-11-26", "2026-11-27", "2026-11-28" })
            Assert.Equal(Severity.Low, (await h.OverdueFindingAsync("fault-log-review", day))!.Severity);
        Assert.Null(await h.OverdueFindingAsync("fault-log-review", "2026-11-29"));
        Assert.False(await h.AlertExistsAsync(Obligation.IdFor("duty.fault-log-review", "fault-log-review", "2026-11-27") + "-reminder-1"));
        Assert.Equal(0, (await h.SweepAsync()).Obligations.Findings);

        // Attesting by duty id closes the earliest open day first.
        var attested = await h.Attestations.AttestAsync(new AttestRequest("fault-log-review", "it.director@qwestly.example", "", ["https://logs.example/2026-11-26"]));
        Assert.Equal("2026-11-26", attested.Spec.Period);
    }

    [Fact]
    public async Task Concurrent_sweeps_open_each_period_once()
    {
        var h = await HarnessAsync(WithDuties(AccessReview(), FaultLogReview()), "2026-11-26T12:00:00Z");
        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => h.SweepAsync()));
        var lines = await h.Attestations.ListAsync();
        Assert.Equal(2, lines.Count);
        Assert.Equal(2, lines.Select(l => l.Id).Distinct().Count());
    }

    [Theory]
    [InlineData("DOMINICK@QWESTLY.EXAMPLE")]
    [InlineData(" dominick@qwestly.example ")]
    [InlineData("ｄominick@qwestly.example")]
    [InlineData("domi\u200Bnick@qwestly.example")]
    [InlineData("dominick")]
    public async Task Four_eyes_compares_people_not_strings(string attester)
    {
        var h = await HarnessAsync(WithDuties(AccessReview()), "2026-11-26T10:00:00Z");
        await h.SweepAsync();
        var ex = await Assert.ThrowsAsync<ObligationException>(() =>
            h.Attestations.AttestAsync(new AttestRequest("access-review", attester, "", ["https://wiki.example/ar"])));
        Assert.Equal(ObligationError.FourEyes, ex.Error);
        Assert.Contains("four-eyes", ex.Message, StringComparison.Ordinal);
        Assert.False((await h.Store.GetAsync(Obligation.IdFor("duty.access-review", "access-review", "2026-12-31")))!.Done);
    }

    [Theory]
    [InlineData("access-review", new string[0], "evidence is required")]
    [InlineData("access-review", new[] { "http://wiki.example/x" }, "https://")]
    [InlineData("no-such-duty", new[] { "https://wiki.example/x" }, "no duty")]
    [InlineData("obl-ffffffffffffffffffffffff", new[] { "https://wiki.example/x" }, "no obligation")]
    public async Task Bad_attestations_are_refused_with_a_reason_and_change_nothing(string target, string[] evidence, string reason)
    {
        var h = await HarnessAsync(WithDuties(AccessReview()), "2026-11-26T10:00:00Z");
        await h.SweepAsync();
        var ex = await Assert.ThrowsAsync<ObligationException>(() => h.Attestations.AttestAsync(new AttestRequest(target, "adam@qwestly.example", "", evidence)));
        Assert.Contains(reason, ex.Message, StringComparison.Ordinal);
        Assert.All(await h.Attestations.ListAsync(), l => Assert.NotEqual(ObligationState.Done, l.State));
    }
}
