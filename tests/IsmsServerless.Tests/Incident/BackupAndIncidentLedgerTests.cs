using IsmsServerless.Engine;
using IsmsServerless.Ledger;
using IsmsServerless.Model;
using IsmsServerless.Pipeline;
using IsmsServerless.Settings;
using IsmsServerless.Sweep;
using IsmsServerless.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace IsmsServerless.Tests.Incident;

/// <summary>
/// Backup and incident evaluations into the real DynamoDB ledger (DynamoDB Local): the end state does not depend on the
/// delivery order, several findings of one cause are one incident, and a sweep that was down across the incident's
/// first deadline escalates it when it returns.
/// </summary>
[Collection(DynamoDbCollection.Name)]
public sealed class BackupAndIncidentLedgerTests(DynamoDbLocalFixture dynamo)
{
    private async Task<(IngestPipeline Pipeline, DynamoDbFindingLedger Ledger, FakeTimeProvider Clock, string Table)> NewAsync(string now)
    {
        var table = await dynamo.NewTableAsync();
        var ledger = new DynamoDbFindingLedger(dynamo.Client, table, IsmsSettings.Default);
        return (new IngestPipeline(RuleEngine.CreateDefault(), [], ledger), ledger, TestContexts.ClockAt(now), table);
    }

    private static EvaluationContext Context(FakeTimeProvider clock) => new(IsmsSettings.Default, clock);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_failed_backup_and_a_later_success_end_resolved_in_either_delivery_order(bool successFirst)
    {
        var (pipeline, ledger, clock, _) = await NewAsync("2020-08-01T00:00:00Z");
        // The documented FAILED job (2020-07-29) comes after the documented COMPLETED job (2020-07-15) in source time:
        // the newest word is the failure, so the finding must end open whatever the delivery order.
        var failed = Fixtures.Local("backup/eb-backup-job-failed-docs.json");
        var completed = Fixtures.Local("backup/eb-backup-job-completed-docs.json");
        foreach (var payload in successFirst ? new[] { completed, failed } : [failed, completed])
        {
            await pipeline.ProcessAsync(payload, Context(clock));
            clock.Advance(TimeSpan.FromMinutes(5));
        }
        var id = Assert.Single(RuleEngine.CreateDefault().Evaluate(failed, Context(clock)).Evaluations).FindingId;
        var record = await ledger.GetAsync(id);
        Assert.NotNull(record);
        Assert.Equal(FindingStatus.Open, record!.Status);
        Assert.Equal(Category.Backup, record.Category);

        // A success newer than the failure (2020-07-30) resolves it.
        var newer = System.Text.Json.Nodes.JsonNode.Parse(completed)!;
        newer["time"] = "2020-07-30T21:41:17Z";
        await pipeline.ProcessAsync(System.Text.Encoding.UTF8.GetBytes(newer.ToJsonString()), Context(clock));
        Assert.Equal(FindingStatus.Resolved, (await ledger.GetAsync(id))!.Status);
    }

    public static TheoryData<int[]> Orders() => new() { new[] { 0, 1, 2 }, new[] { 2, 1, 0 }, new[] { 1, 2, 0 } };

    [Theory]
    [MemberData(nameof(Orders))]
    public async Task Three_GuardDuty_findings_on_one_instance_replayed_in_any_order_are_one_incident(int[] order)
    {
        var (pipeline, ledger, clock, _) = await NewAsync("2017-11-01T23:00:00Z");
        var files = new[] { "eb-guardduty-sshbruteforce-sev8-derived.json", "eb-guardduty-bitcoin-dns-sev8-derived.json", "eb-guardduty-c2-dns-sev8-derived.json" };
        var ids = new HashSet<string>();
        foreach (var i in order)
        {
            var result = await pipeline.ProcessAsync(Fixtures.Local("incident/" + files[i]), Context(clock));
            ids.Add(Assert.Single(result.Engine.Evaluations).FindingId);
        }
        var id = Assert.Single(ids);
        var incidents = await ledger.QueryByResourceAsync("i-0d6c314027f74dc82", 10);
        var record = Assert.Single(incidents.Items);
        Assert.Equal(id, record.Id);
        Assert.Equal(Category.Incident, record.Category);
        Assert.Equal(FindingStatus.Open, record.Status);
        Assert.StartsWith("inc-", record.Evidence["incidentId"], StringComparison.Ordinal);
        // The clocks run from the earliest signal (the brute force at 22:05), whichever arrived first.
        var earliest = DateTimeOffset.Parse("2017-11-01T22:05:00Z", System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(earliest, record.ClockStartedAt);
        Assert.Equal(earliest.AddHours(1), record.DueAt);
        Assert.Equal("2017-11-01T23:05:00.000Z", record.Evidence["clock.acknowledge"]);
        Assert.Equal("2017-11-08T22:05:00.000Z", record.Evidence["clock.review"]);
    }

    [Fact]
    public async Task A_sweep_down_across_the_acknowledge_deadline_escalates_the_incident_when_it_returns()
    {
        var (pipeline, ledger, clock, table) = await NewAsync("2017-11-01T22:06:00Z");
        var result = await pipeline.ProcessAsync(Fixtures.Local("incident/eb-guardduty-sshbruteforce-sev8-derived.json"), Context(clock));
        var id = Assert.Single(result.Engine.Evaluations).FindingId;
        var opened = (await ledger.GetAsync(id))!;
        Assert.Equal(DateTimeOffset.Parse("2017-11-01T23:05:00Z", System.Globalization.CultureInfo.InvariantCulture), opened.DueAt);
        Assert.Equal(SlaState.Open, opened.SlaState);

        // No sweep ran for 30 hours: the acknowledge (23:05) and document (next day 22:05) deadlines passed unseen.
        clock.Advance(TimeSpan.FromHours(30));
        var step = await new LedgerTimersStep().RunAsync(new SweepContext(dynamo.Client, table, ledger, Context(clock)), CancellationToken.None);
        Assert.True(step.Findings >= 1);
        var after = (await ledger.GetAsync(id))!;
        Assert.Equal(SlaState.Breached, after.SlaState);
        var missed = Incidents.IncidentClocks.MissedAt(Incidents.IncidentClocks.For(after.ClockStartedAt!.Value, IsmsSettings.Default.Incidents), clock.GetUtcNow());
        Assert.Equal(["acknowledge", "document"], missed.Select(c => c.Name));
    }
}
