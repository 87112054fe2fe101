using System.Globalization;
using System.Text.Json;
using Amazon.DynamoDBv2;
using Amazon.Runtime;
using Amazon.SimpleSystemsManagement;
using Amazon.SQS;
using Amazon.SQS.Model;
using IsmsServerless.Alerts;
using IsmsServerless.Functions.Slack;
using IsmsServerless.Observability;

namespace IsmsServerless.Functions;

/// <summary>
/// Consumes the Slack queue (SNS → SQS → here) and posts each alert to the incoming webhook.
/// Handler: <c>IsmsServerless.Functions::IsmsServerless.Functions.SlackNotifierFunction::HandleAsync</c>.
/// Returns a partial batch response: delivered and already-delivered messages are acknowledged; transient failures
/// go back to the queue (and, after maxReceiveCount, to its DLQ); permanent Slack rejections are moved to the DLQ
/// at once, since retrying the same payload cannot succeed.
/// </summary>
public sealed class SlackNotifierFunction
{
    private static readonly Lazy<SlackServices> LazyServices = new(SlackServices.FromEnvironment);

    private readonly Func<SlackServices> _services;

    public SlackNotifierFunction() => _services = () => LazyServices.Value;

    /// <summary>For tests: the same handler over explicit services.</summary>
    internal SlackNotifierFunction(SlackServices services) => _services = () => services;

    public async Task<Stream> HandleAsync(Stream input)
    {
        var payload = await FunctionHost.ReadAllAsync(input).ConfigureAwait(false);
        var response = new SqsBatchResponse();
        SqsEvent? sqsEvent;
        try
        {
            sqsEvent = JsonSerializer.Deserialize(payload, SlackJsonContext.Default.SqsEvent);
        }
        catch (JsonException ex)
        {
            // Lambda's SQS poller always sends this shape; anything else was a manual invoke. Nothing to retry.
            Log.Error("slack.event_rejected", ex, ("bytes", payload.Length));
            return Serialize(response);
        }
        var records = sqsEvent?.Records ?? [];
        var services = _services();
        var started = services.Clock.GetTimestamp();
        AlertDelivery? delivery = null;
        try
        {
            delivery = await services.CreateDeliveryAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is AmazonServiceException or AmazonClientException or InvalidOperationException or HttpRequestException)
        {
            Log.Error("slack.webhook_unavailable", ex, ("parameter", services.ParameterName));
        }
        foreach (var record in records)
        {
            var id = record.MessageId ?? "";
            if (delivery is null || services.Clock.GetElapsedTime(started) > services.Budget)
            {
                // No webhook, or out of time before Lambda's timeout: hand the rest back to SQS untouched.
                response.BatchItemFailures.Add(new SqsBatchItemFailure { ItemIdentifier = id });
                continue;
            }
            try
            {
                var message = NotificationReader.Read(record.Body, id);
                var report = await delivery.DeliverAsync(message, CancellationToken.None).ConfigureAwait(false);
                Log.Info("slack.message", ("sqsMessageId", id), ("key", report.Key), ("status", report.Status.ToString()),
                    ("receiveCount", record.Attributes?.GetValueOrDefault("ApproximateReceiveCount")));
                var acknowledged = report.Status switch
                {
                    DeliveryStatus.Delivered or DeliveryStatus.AlreadyDelivered => true,
                    DeliveryStatus.Permanent => await services.DeadLetterAsync(record, report).ConfigureAwait(false),
                    _ => false,
                };
                if (!acknowledged) response.BatchItemFailures.Add(new SqsBatchItemFailure { ItemIdentifier = id });
            }
            catch (Exception ex) when (ex is AmazonServiceException or AmazonClientException or HttpRequestException or IOException or OperationCanceledException)
            {
                Log.Error("slack.message_failed", ex, ("sqsMessageId", id));
                response.BatchItemFailures.Add(new SqsBatchItemFailure { ItemIdentifier = id });
            }
        }
        return Serialize(response);
    }

    private static MemoryStream Serialize(SqsBatchResponse response) =>
        new(JsonSerializer.SerializeToUtf8Bytes(response, SlackJsonContext.Default.SqsBatchResponse));
}

/// <summary>Per-process services of the Slack notifier, built once.</summary>
internal sealed class SlackServices
{
    private static readonly HttpClient SharedHttp = new() { Timeout = Timeout.InfiniteTimeSpan };

    public required Func<CancellationToken, Task<Uri>> Webhook { get; init; }
    public required string ParameterName { get; init; }
    public DeliveryRecords? Records { get; init; }
    public IAmazonSQS? Sqs { get; init; }
    public string? DeadLetterQueueUrl { get; init; }
    public HttpClient Http { get; init; } = SharedHttp;
    public TimeProvider Clock { get; init; } = TimeProvider.System;
    public SlackNotifierOptions Options { get; init; } = new();

    /// <summary>Time to spend on a batch before returning the rest to SQS, well inside the function timeout.</summary>
    public TimeSpan Budget { get; init; } = TimeSpan.FromSeconds(90);

    private SlackNotifier? _notifier;
    private Uri? _notifierUri;

    public async Task<AlertDelivery> CreateDeliveryAsync(CancellationToken cancellationToken)
    {
        var uri = await Webhook(cancellationToken).ConfigureAwait(false);
        // One notifier (one token bucket) per webhook per process, so the rate limit holds across invocations.
        if (_notifier is null || _notifierUri != uri)
        {
            _notifier = new SlackNotifier(Http, uri, Clock, Options);
            _notifierUri = uri;
        }
        return new AlertDelivery(_notifier, Records);
    }

    /// <summary>Moves a permanently rejected message to the DLQ with the reason; false when that failed (SQS then retries it).</summary>
    public async Task<bool> DeadLetterAsync(SqsMessage record, DeliveryReport report)
    {
        if (Sqs is null || string.IsNullOrEmpty(DeadLetterQueueUrl)) return false;
        try
        {
            await Sqs.SendMessageAsync(new SendMessageRequest
            {
                QueueUrl = DeadLetterQueueUrl,
                MessageBody = record.Body ?? "",
                MessageAttributes = new Dictionary<string, MessageAttributeValue>
                {
                    ["failure"] = new() { DataType = "String", StringValue = "slack-permanent: " + report.Detail },
                    ["deliveryKey"] = new() { DataType = "String", StringValue = report.Key },
                },
            }).ConfigureAwait(false);
            Log.Error("slack.dead_lettered", null, ("key", report.Key), ("reason", report.Detail));
            return true;
        }
        catch (AmazonSQSException ex)
        {
            Log.Error("slack.dead_letter_failed", ex, ("key", report.Key));
            return false;
        }
    }

    public static SlackServices FromEnvironment()
    {
        var parameter = FunctionHost.RequiredEnvironment("SLACK_WEBHOOK_PARAMETER");
        var source = new WebhookSource(new AmazonSimpleSystemsManagementClient(), parameter);
        var rate = double.TryParse(Environment.GetEnvironmentVariable("SLACK_RATE_PER_SECOND"), NumberStyles.Float, CultureInfo.InvariantCulture, out var r) && r > 0 ? r : 1;
        return new SlackServices
        {
            Webhook = source.GetAsync,
            ParameterName = parameter,
            Records = new DeliveryRecords(new AmazonDynamoDBClient(), FunctionHost.RequiredEnvironment("TABLE_NAME"), FunctionHost.Clock),
            Sqs = new AmazonSQSClient(),
            DeadLetterQueueUrl = FunctionHost.RequiredEnvironment("SLACK_DEAD_LETTER_QUEUE_URL"),
            Options = new SlackNotifierOptions { RatePerSecond = rate },
            Clock = FunctionHost.Clock,
        };
    }
}
