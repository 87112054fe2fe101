using System.Text;
using IsmsServerless.Engine;
using IsmsServerless.Events;
using IsmsServerless.Tests.Support;

namespace IsmsServerless.Tests.Engine;

public sealed class EventRouterTests
{
    private readonly RuleEngine _engine = RuleEngine.CreateDefault();

    [Theory]
    [InlineData("", "payload is empty")]
    [InlineData("{", "not valid JSON")]
    [InlineData("[1,2,3]", "not a CloudTrail record")]
    [InlineData("[]", "empty JSON array")]
    [InlineData("[{\"eventVersion\":\"1.08\",\"eventName\":\"X\",\"eventSource\":\"s3.amazonaws.com\",\"eventTime\":\"2024-01-01T00:00:00Z\"},7]", "[1] is not a CloudTrail record object")]
    [InlineData("\"just a string\"", "not an object")]
    [InlineData("{\"hello\":\"world\"}", "not an EventBridge event")]
    [InlineData("{\"Records\":[{\"eventSource\":\"aws:sqs\",\"body\":\"x\"}]}", "not CloudTrail records")]
    [InlineData("{\"detail-type\":\"AWS API Call via CloudTrail\",\"source\":\"aws.s3\",\"detail\":\"oops\"}", "no detail object")]
    [InlineData("{\"detail-type\":\"AWS API Call via CloudTrail\",\"source\":\"aws.s3\",\"detail\":{\"eventName\":\"CreateBucket\"}}", "lacks eventName or eventSource")]
    [InlineData("{\"detail-type\":\"AWS API Call via CloudTrail\",\"source\":\"aws.s3\",\"detail\":{\"eventName\":\"X\",\"eventSource\":\"s3.amazonaws.com\",\"eventTime\":\"yesterday\"}}", "no valid eventTime")]
    [InlineData("{\"detail-type\":\"AWS API Call via CloudTrail\",\"source\":\"aws.s3\",\"detail\":{\"eventName\":\"X\",\"eventSource\":\"s3\",\"eventTime\":\"2024-01-01T00:00:00Z\",\"userIdentity\":[1]}}", "not a valid CloudTrail record")]
    public void Bad_payloads_are_rejected_with_a_reason(string payload, string expected)
    {
        var result = _engine.Evaluate(Encoding.UTF8.GetBytes(payload), TestContexts.At("2026-01-01T00:00:00Z"));
        Assert.True(result.Rejected);
        Assert.Contains(expected, result.Error, StringComparison.Ordinal);
        Assert.Empty(result.Evaluations);
    }

    [Fact]
    public void Oversized_payload_is_rejected_before_parsing()
    {
        var payload = new byte[IsmsServerless.Ingestion.EventRouter.MaxPayloadBytes + 1];
        var result = _engine.Evaluate(payload, TestContexts.At("2026-01-01T00:00:00Z"));
        Assert.Contains("more than", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Deeply_nested_payload_is_rejected_not_a_stack_overflow()
    {
        var payload = new string('[', 100_000) + new string(']', 100_000);
        var result = _engine.Evaluate(Encoding.UTF8.GetBytes(payload), TestContexts.At("2026-01-01T00:00:00Z"));
        Assert.Contains("not valid JSON", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Byte_order_mark_is_tolerated()
    {
        var body = Fixtures.Shared("cloudtrail/eb-api-call-s3-createbucket-root.json");
        var withBom = new byte[] { 0xEF, 0xBB, 0xBF }.Concat(body).ToArray();
        var result = _engine.Evaluate(withBom, TestContexts.At("2026-01-01T00:00:00Z"));
        Assert.False(result.Rejected, result.Error);
        Assert.Equal(InboundKind.EventBridge, result.Kind);
    }

    [Fact]
    public void Unknown_eventbridge_source_is_ignored_with_a_reason()
    {
        var result = _engine.Evaluate(Fixtures.Shared("scheduled/custodian-scheduled-event.json"), TestContexts.At("2026-01-01T00:00:00Z"));
        Assert.False(result.Rejected);
        Assert.Empty(result.Evaluations);
        Assert.NotNull(result.IgnoredReason);
    }

    [Theory]
    [InlineData("cloudtrail/eb-api-call-s3-createbucket-docs.json", InboundKind.EventBridge, 1)]
    [InlineData("cloudtrail/raw-rds-createdbinstance.json", InboundKind.CloudTrailRecord, 1)]
    [InlineData("cloudtrail/raw-logfile-trailscraper-assumerole.json", InboundKind.CloudTrailLogFile, 2)]
    [InlineData("cloudtrail/raw-logfile-iam-createuser.json", InboundKind.CloudTrailLogFile, 1)]
    public void CloudTrail_shapes_are_classified(string fixture, InboundKind kind, int inputs)
    {
        var result = _engine.Evaluate(Fixtures.Shared(fixture), TestContexts.At("2026-01-01T00:00:00Z"));
        Assert.False(result.Rejected, result.Error);
        Assert.Equal(kind, result.Kind);
        Assert.Equal(inputs, result.Inputs.Count);
    }
}
