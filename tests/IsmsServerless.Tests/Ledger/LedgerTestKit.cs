using Amazon.DynamoDBv2.Model;
using IsmsServerless.Engine;
using IsmsServerless.Ledger;
using IsmsServerless.Model;
using IsmsServerless.Settings;
using IsmsServerless.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace IsmsServerless.Tests.Ledger;

/// <summary>A fresh table, a ledger on it, a fake clock, and evaluations shaped like the rules' own.</summary>
internal sealed class LedgerTestKit
{
    public static readonly RuleMetadata PatchRule = new(
        "patch.test-critical-patch-missing", "Critical patch missing", Category.Patch, Severity.Critical, "AWS::EC2::Instance",
        "PROC-002 §5: critical patches within 7 days", [Controls.IsoVulnerabilities, "SOC2 CC7.1"], "Exploitable hosts", "Patch it")
    {
        Sla = TimeSpan.FromDays(8),
    };

    public static readonly RuleMetadata MonitoringRule = new(
        "monitoring.test-no-sla", "Informational sign-in", Category.Monitoring, Severity.Low, "AWS::::Account",
        "Qwestly OSP: monitoring", ["SOC2 CC7.2"], "Visibility", "Review")
    {
        HasSla = false,
    };

    private LedgerTestKit(DynamoDbLocalFixture dynamo, string table, FakeTimeProvider clock, IsmsSettings settings)
    {
        Dynamo = dynamo;
        Table = table;
        Clock = clock;
        Settings = settings;
        Ledger = new DynamoDbFindingLedger(dynamo.Client, table, settings);
        Context = new EvaluationContext(settings, clock);
    }

    public DynamoDbLocalFixture Dynamo { get; }
    public string Table { get; }
    public FakeTimeProvider Clock { get; }
    public IsmsSettings Settings { get; }
    public DynamoDbFindingLedger Ledger { get; }
    public EvaluationContext Context { get; }

    public DateTimeOffset Now => Clock.GetUtcNow();

    public static async Task<LedgerTestKit> CreateAsync(DynamoDbLocalFixture dynamo, string now = "2026-03-01T00:00:00Z")
    {
        var table = await dynamo.NewTableAsync();
        return new LedgerTestKit(dynamo, table, TestContexts.ClockAt(now), IsmsSettings.Default);
    }

    public static Evaluation Finding(RuleMetadata rule, string resourceId, DateTimeOffset observedAt, string subKey = "", Outcome outcome = Outcome.Finding) => new()
    {
        Rule = rule,
        Outcome = outcome,
        ResourceId = resourceId,
        ResourceType = rule.ResourceType,
        AccountId = "123456789012",
        Region = "eu-west-1",
        SubKey = subKey,
        Message = $"{rule.Title} on {resourceId}",
        ClockStart = observedAt,
        ObservedAt = observedAt,
        Evidence = new Dictionary<string, string> { ["eventId"] = "e-" + observedAt.ToUnixTimeSeconds() },
    };

    public static Evaluation Compliant(RuleMetadata rule, string resourceId, DateTimeOffset observedAt, string subKey = "") =>
        Finding(rule, resourceId, observedAt, subKey, Outcome.Compliant);

    public Task<IReadOnlyList<IsmsServerless.Alerts.AlertRecord>> AlertsTodayAsync() => Ledger.QueryAlertsAsync(DateOnly.FromDateTime(Now.UtcDateTime));

    /// <summary>Every alert in the outbox between two days (tests advance the clock over several days).</summary>
    public async Task<List<IsmsServerless.Alerts.AlertRecord>> AlertsAsync(DateTimeOffset from, DateTimeOffset to)
    {
        var all = new List<IsmsServerless.Alerts.AlertRecord>();
        for (var day = DateOnly.FromDateTime(from.UtcDateTime); day <= DateOnly.FromDateTime(to.UtcDateTime); day = day.AddDays(1))
            all.AddRange(await Ledger.QueryAlertsAsync(day));
        return all;
    }

    /// <summary>Applies every stream record written so far to the counters (the local projector; no sleeps).</summary>
    public Task DrainAsync() => StreamDrain.DrainAsync(Dynamo.Client, Table);

    public async Task<Dictionary<string, AttributeValue>> RawFindingAsync(string id) =>
        (await Dynamo.Client.GetItemAsync(new GetItemRequest
        {
            TableName = Table,
            Key = new() { ["PK"] = new AttributeValue { S = "FINDING#" + id }, ["SK"] = new AttributeValue { S = "META" } },
            ConsistentRead = true,
        })).Item;
}
