using Amazon.DynamoDBv2.Model;
using IsmsServerless.Ledger;
using IsmsServerless.Model;

namespace IsmsServerless.Tests.Ledger;

/// <summary>
/// The finding item's <c>owedAlerts</c> (issue 20, docs/data-model.md "The alert outbox"): what a repair rebuilds an alert
/// from, so it must read back exactly, in its compact form too; a malformed one makes the finding malformed (never
/// overwritten) rather than silently dropping an alert owed.
/// </summary>
public sealed class OutboxMarkerTests
{
    private static readonly DateTimeOffset FirstSeen = DateTimeOffset.Parse("2026-03-01T10:00:00.123Z", System.Globalization.CultureInfo.InvariantCulture);

    private static FindingRecord Finding(IReadOnlyList<OwedAlert>? owed) => new()
    {
        Id = "f-outbox",
        RuleId = "patch.test",
        Title = "t",
        Category = Category.Patch,
        Severity = Severity.High,
        Status = FindingStatus.Open,
        ResourceId = "i-1",
        FirstSeenAt = FirstSeen,
        LastSeenAt = FirstSeen,
        Message = "the finding's message",
        Version = 1,
        OwedAlerts = owed,
    };

    [Fact]
    public void A_new_findings_alert_is_stored_as_its_kind_alone_and_reads_back_whole()
    {
        var owed = new OwedAlert(OutboxMarker.NewAlertId("f-outbox"), "new", LedgerKeys.Instant(FirstSeen), null);
        var item = LedgerItems.FindingItem(Finding([owed]), null);
        var entry = Assert.Single(item[OutboxMarker.Attribute].L).M;
        Assert.Equal(["kind"], entry.Keys);
        Assert.True(LedgerItems.TryReadFinding(item, out var read, out var problem), problem);
        Assert.Equal([owed], read.OwedAlerts);
    }

    [Fact]
    public void Alerts_that_differ_from_the_finding_keep_their_id_time_and_message()
    {
        var owed = new[]
        {
            new OwedAlert(OutboxMarker.NewAlertId("f-outbox"), "new", "2026-03-02T00:00:00.000Z", null),
            new OwedAlert("a-0123456789abcdef0123456789abcdef", "reopened", "2026-03-02T00:00:00.000Z", "recurred: again"),
        };
        var item = LedgerItems.FindingItem(Finding(owed), null);
        Assert.Equal(2, item[OutboxMarker.Attribute].L.Count);
        Assert.Equal(["at", "kind"], item[OutboxMarker.Attribute].L[0].M.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(["at", "id", "kind", "message"], item[OutboxMarker.Attribute].L[1].M.Keys.Order(StringComparer.Ordinal));
        Assert.True(LedgerItems.TryReadFinding(item, out var read, out var problem), problem);
        Assert.Equal(owed, read.OwedAlerts);
    }

    [Fact]
    public void An_owed_line_reads_back_and_rebuilds_the_created_line_from_the_finding()
    {
        var head = LedgerKeys.HistoryAt(ObservationPoint.Of(FirstSeen.AddMinutes(-7), Verdict.Violation))[LedgerKeys.HistoryPrefix.Length..];
        var finding = Finding(null) with { TimelineHead = head, OwedLine = OutboxMarker.OwedCreated, FirstViolationAt = FirstSeen.AddMinutes(-7), ViolationRuns = 1 };
        var item = LedgerItems.FindingItem(finding, null);
        Assert.Equal("created", item[OutboxMarker.LineAttribute].S);
        Assert.True(LedgerItems.TryReadFinding(item, out var read, out var problem), problem);
        Assert.Equal("created", read.OwedLine);
        var line = OutboxMarker.LineItem(read, 1095)!;
        Assert.Equal(LedgerKeys.HistoryPrefix + head, line[LedgerSchema.SortKey].S);
        Assert.True(LedgerItems.TryReadHistory(line, out var entry, out problem), problem);
        Assert.Equal(new HistoryEntry(0, FirstSeen, "rule:patch.test", "created", null, "open", null, null, "the finding's message"), entry);
        // A compliant head, or none (a finding written before the timeline), names no line.
        Assert.Null(OutboxMarker.LineItem(read with { TimelineHead = head[..^1] + "0" }, 1095));
        Assert.Null(OutboxMarker.LineItem(read with { TimelineHead = null }, 1095));
    }

    [Fact]
    public void An_owed_line_other_than_created_makes_the_finding_malformed_and_older_items_owe_none()
    {
        var item = LedgerItems.FindingItem(Finding(null), null);
        Assert.True(LedgerItems.TryReadFinding(item, out var old, out _));
        Assert.Null(old.OwedLine);
        item[OutboxMarker.LineAttribute] = new AttributeValue { S = "reopened" };
        Assert.False(LedgerItems.TryReadFinding(item, out _, out var problem));
        Assert.Contains(OutboxMarker.LineAttribute, problem, StringComparison.Ordinal);
    }

    [Fact]
    public void No_alert_owed_writes_no_attribute()
    {
        var item = LedgerItems.FindingItem(Finding(null), null);
        Assert.False(item.ContainsKey(OutboxMarker.Attribute));
        Assert.True(LedgerItems.TryReadFinding(item, out var read, out _));
        Assert.Null(read.OwedAlerts);
    }

    [Theory]
    [InlineData("not a list")]
    [InlineData("entry without kind")]
    [InlineData("bad time")]
    public void A_malformed_list_makes_the_finding_malformed(string damage)
    {
        var item = LedgerItems.FindingItem(Finding(null), null);
        item[OutboxMarker.Attribute] = damage switch
        {
            "not a list" => new AttributeValue { S = "new" },
            "entry without kind" => new AttributeValue { L = [new AttributeValue { M = new() { ["id"] = new() { S = "a-1" } } }] },
            _ => new AttributeValue { L = [new AttributeValue { M = new() { ["kind"] = new() { S = "new" }, ["at"] = new() { S = "yesterday" } } }] },
        };
        Assert.False(LedgerItems.TryReadFinding(item, out _, out var problem));
        Assert.Contains(OutboxMarker.Attribute, problem, StringComparison.Ordinal);
    }
}
