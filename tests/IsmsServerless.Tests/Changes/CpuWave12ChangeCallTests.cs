using IsmsServerless.Changes;
using IsmsServerless.Model;
using IsmsServerless.Tests.Support;

namespace IsmsServerless.Tests.Changes;

/// <summary>
/// Issue 20 wave 12: a change call keeps the wire text of its session's creation time from its session key, so the change
/// evidence does not format it again. The text is not part of the call's value and never outlives the time it was made
/// from: a `with` copy that sets another time (or none) gives that time's text.
/// </summary>
public sealed class CpuWave12ChangeCallTests
{
    [Fact]
    public void The_session_creation_text_is_the_wire_text_of_the_calls_time_even_after_a_with_copy_sets_another()
    {
        var calls = ChangeTestData.ThienCalls();
        Assert.NotEmpty(calls);
        foreach (var call in calls)
        {
            Assert.NotNull(call.SessionCreatedAt);
            Assert.Equal(Timestamps.ToWire(call.SessionCreatedAt!.Value), call.SessionCreatedText);
            Assert.EndsWith("|" + call.SessionCreatedText, call.SessionKey, StringComparison.Ordinal);

            var later = call.SessionCreatedAt.Value.AddHours(1);
            var moved = call with { SessionCreatedAt = later };
            Assert.Equal(Timestamps.ToWire(later), moved.SessionCreatedText);
            Assert.Null((call with { SessionCreatedAt = null }).SessionCreatedText);

            // Equality and hashing are the properties' alone: a copy that sets the same time back equals the call.
            var back = moved with { SessionCreatedAt = call.SessionCreatedAt };
            Assert.Equal(call, back);
            Assert.Equal(call.GetHashCode(), back.GetHashCode());
            Assert.Equal(call.ToString(), back.ToString());
            Assert.Equal(call.SessionCreatedText, back.SessionCreatedText);
        }
    }

    [Fact]
    public void A_change_evaluation_carries_the_sessions_creation_time_as_the_ledger_writes_it()
    {
        var input = ChangeTestData.Input(Fixtures.Shared("cloudtrail/eb-api-call-s3-createbucket-assumedrole.json"));
        var call = ChangeCall.From(input, ChangeKind.ManualConsole);
        Assert.Equal("2015-11-23T07:41:28.000Z", call.SessionCreatedText);
        Assert.Equal("session|arn:aws:sts::101010101111:assumed-role/Sandbox_Dev/user|2015-11-23T07:41:28.000Z", call.SessionKey);
    }
}
