using System.Text.Json;
using IsmsServerless.Alerts;

namespace IsmsServerless.Functions.Slack;

/// <summary>
/// Turns one SQS message body into the Slack message to post. The body is an SNS notification envelope whose
/// <c>Message</c> is the Pipe's text (<see cref="AlertMessageFormat"/>); anything else on the topic (a CloudWatch
/// alarm, a hand-published test message, a raw body) is still delivered, as escaped text, keyed by its SNS message id.
/// </summary>
public static class NotificationReader
{
    public static OutgoingMessage Read(string? body, string sqsMessageId)
    {
        body ??= "";
        string text = body;
        string? subject = null;
        var key = "sqs-" + sqsMessageId;
        if (body.TrimStart().StartsWith('{'))
        {
            try
            {
                var envelope = JsonSerializer.Deserialize(body, SlackJsonContext.Default.SnsEnvelope);
                if (envelope is { Type: "Notification", Message: not null })
                {
                    text = envelope.Message;
                    subject = envelope.Subject;
                    if (!string.IsNullOrEmpty(envelope.MessageId)) key = "sns-" + envelope.MessageId;
                }
            }
            catch (JsonException)
            {
                // Not an envelope: deliver the body as text below.
            }
        }
        if (AlertMessageFormat.TryParse(text, out var alert)) return AlertDelivery.MessageFor(alert);
        var title = string.IsNullOrWhiteSpace(subject) ? "ISMS notification" : subject;
        return new OutgoingMessage(key, title, SlackMessageBuilder.ForText(title, text));
    }
}
