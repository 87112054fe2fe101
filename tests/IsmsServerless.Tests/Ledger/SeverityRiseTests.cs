using System.Globalization;
using IsmsServerless.Ledger;
using IsmsServerless.Model;
using IsmsServerless.Tests.Support;
using static IsmsServerless.Tests.Ledger.LedgerTestKit;

namespace IsmsServerless.Tests.Ledger;

/// <summary>An acknowledged finding whose severity rises is a new risk: it reopens and alerts once (real ledger, DynamoDB Local).</summary>
[Collection(DynamoDbCollection.Name)]
public sealed class SeverityRiseTests(DynamoDbLocalFixture dynamo)
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.Parse("2026-02-28T12:00:00Z", CultureInfo.InvariantCulture);

    [Fact]
    public async Task An_acknowledged_high_finding_that_becomes_critical_reopens_and_alerts_once()
    {
        var kit = await CreateAsync(dynamo);
        var high = Finding(PatchRule, "sg-1433", T0) with { SeverityOverride = Severity.High };
        await kit.Ledger.RecordAsync([high], kit.Context);
        await kit.Ledger.AcknowledgeAsync(high.FindingId, "cto@example.com", "1433 behind the VPN soon", kit.Now);

        // Still HIGH: stays acknowledged, no alert.
        var same = await kit.Ledger.RecordAsync([Finding(PatchRule, "sg-1433", T0.AddMinutes(1)) with { SeverityOverride = Severity.High }], kit.Context);
        Assert.Empty(same.AlertIds);
        Assert.Equal(FindingStatus.Acknowledged, (await kit.Ledger.GetAsync(high.FindingId))!.Status);

        var critical = Finding(PatchRule, "sg-1433", T0.AddMinutes(2)) with { SeverityOverride = Severity.Critical };
        var rise = await kit.Ledger.RecordAsync([critical], kit.Context);
        Assert.Single(rise.AlertIds);
        var after = (await kit.Ledger.GetAsync(high.FindingId))!;
        Assert.Equal((FindingStatus.Open, Severity.Critical), (after.Status, after.Severity));
        Assert.Contains(await kit.Ledger.GetHistoryAsync(high.FindingId), h => h.Action == "reopened" && h.Reason.Contains("severity rose HIGH → CRITICAL", StringComparison.Ordinal));

        // Redelivery and a later CRITICAL observation: no second alert.
        Assert.Empty((await kit.Ledger.RecordAsync([critical], kit.Context)).AlertIds);
        Assert.Empty((await kit.Ledger.RecordAsync([critical with { ObservedAt = T0.AddMinutes(3), ClockStart = T0.AddMinutes(3) }], kit.Context)).AlertIds);

        // A fall while acknowledged does not reopen.
        await kit.Ledger.AcknowledgeAsync(high.FindingId, "cto@example.com", "accepted at critical", kit.Now);
        var fall = await kit.Ledger.RecordAsync([Finding(PatchRule, "sg-1433", T0.AddMinutes(4)) with { SeverityOverride = Severity.Medium }], kit.Context);
        Assert.Empty(fall.AlertIds);
        Assert.Equal(FindingStatus.Acknowledged, (await kit.Ledger.GetAsync(high.FindingId))!.Status);
    }
}
