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

    [Theory]
    [InlineData("""{"source": "aws.a", "detail-type": "X", "source": "aws.b", "id": 1, "id": "e-2", "time": "2024-01-01T00:00:00Z", "detail": {}, "detail": {"k": 1}}""")]
    [InlineData("""{"sour\u0063e": "aws.escaped", "detail\u002dtype": "Y", "account": true, "region": 12.5, "time": ["x"], "detail": null}""")]
    [InlineData("""{"Source": "aws.case", "detail-type": "Z", "source": null, "account": "", "region": " ", "time": "2024-01-01T00:00:00.123+02:00"}""")]
    [InlineData("""{"detail-type": "only a type", "id": {"a": 1}}""")]
    public void The_envelope_reads_what_property_lookups_read_duplicates_escapes_and_odd_kinds_included(string json)
    {
        // The router reads the seven envelope fields in one pass over the top level; TryGetProperty (what it did before,
        // field by field) is the reference: the last duplicate wins, escaped names match, other kinds read leniently.
        using var document = System.Text.Json.JsonDocument.Parse(json);
        var root = document.RootElement;
        var isEventBridge = root.TryGetProperty("detail-type", out _) && root.TryGetProperty("source", out _);
        InboundEvent? inbound;
        System.Text.Json.JsonDocument? owned = null;
        try
        {
            inbound = IsmsServerless.Ingestion.EventRouter.Classify(Encoding.UTF8.GetBytes(json), out owned);
        }
        catch (IsmsServerless.Ingestion.EventRejectedException)
        {
            inbound = null;
        }
        using var routerDocument = owned;
        Assert.Equal(isEventBridge, inbound?.Kind == InboundKind.EventBridge);
        if (!isEventBridge) return;
        string? Lenient(string name) => !root.TryGetProperty(name, out var v) ? null : v.ValueKind switch
        {
            System.Text.Json.JsonValueKind.String => IsmsServerless.Model.Present.OrNull(v.GetString()),
            System.Text.Json.JsonValueKind.True => "true",
            System.Text.Json.JsonValueKind.False => "false",
            System.Text.Json.JsonValueKind.Number => v.GetRawText() == "12.5" ? "12.5" : v.GetInt64().ToString(System.Globalization.CultureInfo.InvariantCulture),
            _ => null,
        };
        Assert.Equal(Lenient("id"), inbound!.Id);
        Assert.Equal(Lenient("source"), inbound.Source);
        Assert.Equal(Lenient("detail-type"), inbound.DetailType);
        Assert.Equal(Lenient("account"), inbound.Account);
        Assert.Equal(Lenient("region"), inbound.Region);
        Assert.Equal(IsmsServerless.Model.Timestamps.ParseOrNull(Lenient("time")), inbound.Time);
        var hasDetail = root.TryGetProperty("detail", out var detail);
        Assert.Equal(hasDetail ? detail.ValueKind : System.Text.Json.JsonValueKind.Undefined, inbound.Detail.ValueKind);
        if (hasDetail) Assert.Equal(detail.GetRawText(), inbound.Detail.GetRawText());
    }
}
