using System.Text.Json;
using System.Text.Json.Nodes;
using IsmsServerless.Alerts;
using IsmsServerless.Functions.Slack;
using IsmsServerless.Tests.Support;

namespace IsmsServerless.Tests.Alerts;

/// <summary>What the Slack Lambda makes of real SQS bodies (SNS envelopes as SQS carries them).</summary>
public sealed class NotificationReaderTests
{
    private static JsonNode SqsRecord() =>
        JsonNode.Parse(File.ReadAllText(Fixtures.SharedPath("sns/sqs-wrapped-sns-notification.json")))!["Records"]![0]!;

    [Fact]
    public void A_foreign_notification_is_delivered_as_escaped_text_keyed_by_its_sns_message_id()
    {
        var record = SqsRecord();
        var message = NotificationReader.Read(record["body"]!.GetValue<string>(), record["messageId"]!.GetValue<string>());
        Assert.Equal("sns-d88d4479-6ec0-54fe-b63f-1cf9df4bb16e", message.Key);
        Assert.Contains("hello world", message.PayloadJson, StringComparison.Ordinal);
    }

    [Fact]
    public void A_cloudwatch_alarm_on_the_topic_reaches_slack_with_its_subject()
    {
        // The alarm notification from the shared Lambda SNS fixture, re-wrapped the way SNS→SQS delivers it.
        var sns = JsonNode.Parse(File.ReadAllText(Fixtures.SharedPath("sns/lambda-sns-cloudwatch-alarm.json")))!["Records"]![0]!["Sns"]!;
        var message = NotificationReader.Read(sns.ToJsonString(), "sqs-1");
        Assert.Equal("sns-95df01b4-ee98-5cb9-9903-4c221d41eb5e", message.Key);
        var payload = JsonDocument.Parse(message.PayloadJson).RootElement;
        Assert.Equal("TestInvoke", payload.GetProperty("blocks")[0].GetProperty("text").GetProperty("text").GetString());
        Assert.Contains("AlarmName", payload.GetProperty("blocks")[1].GetProperty("text").GetProperty("text").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Our_alert_inside_the_envelope_is_read_back_and_keyed_by_alert_id()
    {
        var record = SqsRecord();
        var body = JsonNode.Parse(record["body"]!.GetValue<string>())!;
        body["Message"] = AlertMessageFormat.Render(AlertSamples.RootActivity("alert-77"));
        var message = NotificationReader.Read(body.ToJsonString(), "sqs-1");
        Assert.Equal("alert-77", message.Key);
        Assert.Contains("Root user activity", message.PayloadJson, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("{not json")]
    [InlineData("{\"Type\":\"SubscriptionConfirmation\",\"Message\":\"confirm\"}")]
    public void Odd_bodies_are_still_delivered_as_text(string body)
    {
        var message = NotificationReader.Read(body, "sqs-5");
        Assert.Equal("sqs-sqs-5", message.Key);
        using var _ = JsonDocument.Parse(message.PayloadJson);
    }
}
