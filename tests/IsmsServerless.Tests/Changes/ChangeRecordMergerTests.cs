using FsCheck;
using FsCheck.Fluent;
using IsmsServerless.Changes;

namespace IsmsServerless.Tests.Changes;

public sealed class ChangeRecordMergerTests
{
    [Fact]
    public void Five_real_calls_make_one_record_with_first_and_last_time_and_every_api()
    {
        var calls = ChangeTestData.ThienCalls();
        var record = calls.Skip(1).Aggregate(ChangeRecordMerger.Start(calls[0]), ChangeRecordMerger.Merge);
        Assert.Equal(5, record.CallCount);
        Assert.Equal(ChangeTestData.ThienFirstCall, record.FirstCallAt);
        Assert.Equal(ChangeTestData.ThienLastCall, record.LastCallAt);
        Assert.Equal(["iam:DeletePolicy", "iam:DeleteRole", "iam:DeleteRolePolicy", "iam:DetachRolePolicy", "iam:PutRolePolicy"], record.ApiNames);
        Assert.Equal(ChangeKind.ManualConsole, record.Kind);
        Assert.Equal("thien", record.Principal);
        Assert.Contains("iam:roleName/practicum_test_role1", record.Resources);
    }

    [Fact]
    public void Any_arrival_order_gives_the_same_record()
    {
        var calls = ChangeTestData.ThienCalls();
        var expected = Fold(calls);
        Prop.ForAll(Gen.Shuffle(calls.ToArray()).ToArbitrary(), order =>
        {
            var actual = Fold(order);
            return actual.FirstCallAt == expected.FirstCallAt && actual.LastCallAt == expected.LastCallAt
                && actual.CallCount == expected.CallCount && actual.Calls.SequenceEqual(expected.Calls)
                && actual.ApiNames.SequenceEqual(expected.ApiNames) && actual.Resources.SequenceEqual(expected.Resources)
                && actual.Region == expected.Region && actual.Kind == expected.Kind;
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Lists_stay_bounded_and_keep_the_earliest_calls()
    {
        var template = ChangeTestData.ThienCalls()[0];
        var many = Enumerable.Range(0, ChangeRecord.MaxCalls + 30)
            .Select(i => template with
            {
                EventId = $"e-{i:D4}",
                EventTime = template.EventTime.AddSeconds(i),
                Resources = [$"arn:aws:s3:::bucket-{i:D4}"],
            }).Reverse().ToList();
        var record = Fold(many);
        Assert.Equal(ChangeRecord.MaxCalls + 30, record.CallCount);
        Assert.Equal(ChangeRecord.MaxCalls, record.Calls.Count);
        Assert.Equal("e-0000", record.Calls[0].EventId);
        Assert.Equal(ChangeRecord.MaxResources, record.Resources.Count);
        Assert.True(record.ResourcesTruncated);
    }

    [Fact]
    public void A_call_of_another_session_is_refused()
    {
        var calls = ChangeTestData.ThienCalls();
        var other = calls[0] with { ChangeId = "chg-000000000000000000000000" };
        Assert.Throws<ArgumentException>(() => ChangeRecordMerger.Merge(ChangeRecordMerger.Start(calls[1]), other));
    }

    private static ChangeRecord Fold(IEnumerable<ChangeCall> calls)
    {
        var list = calls.ToList();
        return list.Skip(1).Aggregate(ChangeRecordMerger.Start(list[0]), ChangeRecordMerger.Merge);
    }
}
