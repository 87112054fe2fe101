using Amazon.DynamoDBv2.Model;
using IsmsServerless.CounterProjection;
using IsmsServerless.Evidence;
using IsmsServerless.Ledger;
using IsmsServerless.Model;

namespace IsmsServerless.Tests.Evidence;

/// <summary>
/// The projector's rules for failures held by findings (issue 20 wave 10; docs/data-model.md "Counters from the stream"):
/// the first flagged finding image adds one failure, a result item with <c>hf</c> counts its result minus a fail, and a
/// removed counted result item takes its contribution out. On stream records made here (the end-to-end figures are
/// <c>HeldEvidenceTests</c>').
/// </summary>
public sealed class HeldEvidenceProjectionTests
{
    private const string Rule = "drift.security-group-baseline";
    private const string FindingId = "f-0123456789abcdef0123456789abcdef";

    private static Dictionary<string, AttributeValue> Result(string result, bool takesOver, bool counted = true)
    {
        var item = new Dictionary<string, AttributeValue>
        {
            [LedgerSchema.PartitionKey] = new() { S = DynamoDbEvidenceStore.ResultPartitionPrefix + Rule },
            [LedgerSchema.SortKey] = new() { S = DynamoDbEvidenceStore.ResultSortPrefix + FindingId },
            ["ruleId"] = new() { S = Rule },
            ["result"] = new() { S = result },
        };
        if (counted) item[DynamoDbEvidenceStore.CountedAttribute] = new() { N = "1" };
        if (takesOver) item[DynamoDbEvidenceStore.TakesOverAttribute] = new() { BOOL = true };
        return item;
    }

    private static async Task<string> DeltaAsync(Dictionary<string, AttributeValue>? before, Dictionary<string, AttributeValue>? after)
    {
        var keys = (after ?? before)!;
        var change = new StreamChange("e1", after is null ? "REMOVE" : before is null ? "INSERT" : "MODIFY", "100", null,
            new() { [LedgerSchema.PartitionKey] = keys[LedgerSchema.PartitionKey], [LedgerSchema.SortKey] = keys[LedgerSchema.SortKey] }, after, before);
        var contribution = await new EvidenceCounterSource().ContributionAsync(change, CancellationToken.None);
        Assert.True(contribution.Mine);
        if (contribution.Deltas.Count == 0) return "none";
        var delta = Assert.Single(contribution.Deltas);
        Assert.Equal($"RULE#{Rule}#00", delta.Key[LedgerSchema.SortKey].S);
        return string.Join("/", DynamoDbEvidenceStore.CounterNames.Select(n => delta.Add.GetValueOrDefault(n)));
    }

    [Fact]
    public async Task A_result_that_takes_over_its_findings_failure_counts_its_result_minus_a_fail()
    {
        Assert.Equal("0/1/-1", await DeltaAsync(null, Result("pass", takesOver: true)));
        Assert.Equal("-1/0/-1", await DeltaAsync(null, Result("gone", takesOver: true)));
        Assert.Equal("none", await DeltaAsync(null, Result("fail", takesOver: true)));
        // A stored failure (counted, or written by an earlier version) that takes the finding's failure over leaves it.
        Assert.Equal("-1/0/-1", await DeltaAsync(Result("fail", takesOver: false), Result("fail", takesOver: true)));
        Assert.Equal("-1/0/-1", await DeltaAsync(Result("fail", takesOver: false, counted: false), Result("fail", takesOver: true)));
        Assert.Equal("0/-1/1", await DeltaAsync(Result("pass", takesOver: true), Result("fail", takesOver: true)));
        // Without hf, as before.
        Assert.Equal("1/1/0", await DeltaAsync(null, Result("pass", takesOver: false)));
    }

    [Fact]
    public async Task A_removed_counted_result_takes_its_contribution_out_and_an_earlier_versions_moves_nothing()
    {
        Assert.Equal("0/-1/1", await DeltaAsync(Result("pass", takesOver: true), null));
        Assert.Equal("1/0/1", await DeltaAsync(Result("gone", takesOver: true), null));
        Assert.Equal("-1/-1/0", await DeltaAsync(Result("pass", takesOver: false), null));
        Assert.Equal("none", await DeltaAsync(Result("pass", takesOver: false, counted: false), null));
    }

    private static FindingRecord Finding(bool holds) => new()
    {
        Id = FindingId,
        RuleId = Rule,
        Title = "t",
        Category = Category.Drift,
        Severity = Severity.High,
        Status = FindingStatus.Open,
        ResourceId = "sg-1",
        FirstSeenAt = DateTimeOffset.UnixEpoch,
        LastSeenAt = DateTimeOffset.UnixEpoch,
        HoldsEvidence = holds,
    };

    [Fact]
    public void The_first_flagged_finding_image_adds_one_failure_once_whatever_follows()
    {
        var created = FindingCounterSource.HeldFailure(null, Finding(holds: true));
        Assert.NotNull(created);
        Assert.Equal($"RULE#{Rule}#00", created.Key[LedgerSchema.SortKey].S);
        Assert.Equal(DynamoDbEvidenceStore.SummaryPartition, created.Key[LedgerSchema.PartitionKey].S);
        Assert.Equal("1/0/1", string.Join("/", DynamoDbEvidenceStore.CounterNames.Select(n => created.Add[n])));
        Assert.Null(FindingCounterSource.HeldFailure(Finding(holds: true), Finding(holds: true) with { Status = FindingStatus.Resolved }));
        Assert.Null(FindingCounterSource.HeldFailure(null, Finding(holds: false)));
        Assert.Null(FindingCounterSource.HeldFailure(Finding(holds: false), Finding(holds: false)));
    }
}
