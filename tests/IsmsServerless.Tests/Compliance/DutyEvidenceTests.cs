using System.Globalization;
using System.Text.Json;
using IsmsServerless.Cli;
using IsmsServerless.Compliance;
using IsmsServerless.Obligations;
using IsmsServerless.Policy;
using IsmsServerless.Settings;
using IsmsServerless.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace IsmsServerless.Tests.Compliance;

/// <summary>
/// Control status and the audit export read duty states and attestations from the one obligation store: a duty that
/// goes overdue makes its controls overdue; attesting it makes them pass and puts the attestation (with the policy
/// version the obligation was opened under) in the export.
/// </summary>
[Collection(DynamoDbCollection.Name)]
public sealed class DutyEvidenceTests(DynamoDbLocalFixture dynamo)
{
    private static DateTimeOffset At(string text) => DateTimeOffset.Parse(text, CultureInfo.InvariantCulture);

    [Fact]
    public async Task An_overdue_duty_makes_its_controls_overdue_and_its_attestation_makes_them_pass_and_reach_the_export()
    {
        var table = await dynamo.NewTableAsync("dutyev");
        var settings = IsmsSettings.Default;
        var clock = new FakeTimeProvider(At("2026-12-20T09:00:00Z"));
        var store = new DynamoObligationStore(dynamo.Client, table, settings);
        var service = new AttestationService(store, settings, clock, "123456789012", "eu-west-1");
        await service.Scheduler.EnsureOpenAsync(clock.GetUtcNow());

        // 11 days before the quarter's end: access review (reminder 14 days before) is due, not yet overdue.
        var due = await ControlsCommand.ReadAsync(dynamo.Client, table, clock.GetUtcNow());
        Assert.Equal((ControlStatuses.Due, "duty access-review is due"), Status(due, "ISO27001:2022 A.5.18"));

        clock.SetUtcNow(At("2027-01-02T09:00:00Z"));
        var overdue = await ControlsCommand.ReadAsync(dynamo.Client, table, clock.GetUtcNow());
        Assert.Equal((ControlStatuses.Overdue, "duty access-review is overdue"), Status(overdue, "ISO27001:2022 A.5.18"));
        Assert.Equal(ControlStatuses.Overdue, Status(overdue, "SOC2 CC6.3").Status);
        var a518 = overdue.Single(v => v.Control.Key == "ISO27001:2022 A.5.18");
        Assert.Equal(At("2026-12-31T23:59:59.999Z"), Assert.Single(a518.Duties).DueAt);

        var attested = await service.AttestAsync(new AttestRequest("access-review", "adam@example.com", "", ["https://wiki.example/ar-q4"], "all kept"));
        Assert.Equal(PolicyDocument.Embedded.Version, attested.Spec.PolicyVersion);
        var after = await ControlsCommand.ReadAsync(dynamo.Client, table, clock.GetUtcNow());
        // The next quarter is open (not due): every duty of the duty-only A.5.18 is open or done.
        Assert.Equal(ControlStatuses.Pass, Status(after, "ISO27001:2022 A.5.18").Status);
        Assert.Equal("open", after.Single(v => v.Control.Key == "ISO27001:2022 A.5.18").Duties.Single().State);

        var json = await ExportCommand.RunAsync(dynamo.Client, table, At("2027-01-01T00:00:00Z"), At("2027-01-31T00:00:00Z"), "json", clock.GetUtcNow());
        using var doc = JsonDocument.Parse(json);
        var attestation = Assert.Single(doc.RootElement.GetProperty("attestations").EnumerateArray());
        Assert.Equal("access-review", attestation.GetProperty("dutyId").GetString());
        Assert.Equal("adam@example.com", attestation.GetProperty("by").GetString());
        Assert.Equal(PolicyDocument.Embedded.Version, attestation.GetProperty("policyVersion").GetString());
        Assert.Equal("https://wiki.example/ar-q4", attestation.GetProperty("evidence")[0].GetString());

        // Outside the period: not exported.
        var before = await ExportCommand.RunAsync(dynamo.Client, table, At("2026-10-01T00:00:00Z"), At("2026-12-31T00:00:00Z"), "json", clock.GetUtcNow());
        using var empty = JsonDocument.Parse(before);
        Assert.Equal(0, empty.RootElement.GetProperty("attestations").GetArrayLength());
    }

    [Fact]
    public async Task Obligations_opened_without_a_version_carry_the_policy_version_in_force()
    {
        var table = await dynamo.NewTableAsync("dutyver");
        var store = new DynamoObligationStore(dynamo.Client, table, IsmsSettings.Default);
        var now = At("2026-12-01T00:00:00Z");
        var opened = await store.OpenAsync(new ObligationSpec
        {
            Kind = "incident.review", Subject = "inc-1", Title = "Post-incident review", OpensAt = now, DueAt = now.AddDays(7),
        }, now);
        Assert.Equal(PolicyDocument.Embedded.Version, (await store.GetAsync(opened.Obligation.Id))!.Spec.PolicyVersion);
        Assert.Equal(PolicyDocument.Embedded.Version, DutyScheduler.PolicyVersionOf(IsmsSettings.Default));
    }

    private static (string Status, string Reason) Status(IReadOnlyList<ControlView> views, string key)
    {
        var view = views.Single(v => v.Control.Key == key);
        return (view.Status, view.Reason);
    }
}
