using Amazon.CDK;
using Amazon.CDK.AWS.CloudWatch;
using Amazon.CDK.AWS.CloudWatch.Actions;
using Amazon.CDK.AWS.Lambda;
using Amazon.CDK.AWS.SNS;
using Amazon.CDK.AWS.SQS;
using Amazon.JSII.Runtime.Deputy;
using Constructs;

namespace IsmsServerless.Infra.Constructs;

public sealed class OperationalAlarmsProps
{
    /// <summary>Where alarms (and their recovery) are published: the alert topic.</summary>
    public required ITopic Topic { get; init; }
}

/// <summary>
/// The system watching itself. Every construct that adds a function, a dead-letter queue, a stream consumer, a pipe
/// or a scheduled job registers it here; each gets the alarms it needs, published to the alert topic (alarm and OK).
/// <see cref="AlarmEveryFunction"/> also catches functions nobody registered. Each method is idempotent.
/// </summary>
public sealed class OperationalAlarms : Construct
{
    private readonly SnsAction _action;
    private readonly HashSet<string> _registered = new(StringComparer.Ordinal);

    public OperationalAlarms(Construct scope, string id, OperationalAlarmsProps props) : base(scope, id)
    {
        _action = new SnsAction(props.Topic);
    }

    public List<Alarm> Alarms { get; } = [];

    /// <summary>Errors &gt; 0 and throttles &gt; 0 over 5 minutes. Missing data is fine: an idle function is not failing.</summary>
    public void AddFunction(IFunction function)
    {
        var key = "fn:" + function.Node.Path;
        if (!_registered.Add(key)) return;
        var name = Names.UniqueId(function);
        Add(name + "Errors", function.MetricErrors(Every(Duration.Minutes(5), "Sum")), 0, ComparisonOperator.GREATER_THAN_THRESHOLD, 1,
            TreatMissingData.NOT_BREACHING, $"{function.Node.Path}: invocations failed (unhandled exception, timeout or out of memory)");
        Add(name + "Throttles", function.MetricThrottles(Every(Duration.Minutes(5), "Sum")), 0, ComparisonOperator.GREATER_THAN_THRESHOLD, 1,
            TreatMissingData.NOT_BREACHING, $"{function.Node.Path}: invocations throttled (concurrency limit); events are retried, then dead-lettered");
    }

    /// <summary>Any message in a dead-letter queue means an event or alert was not processed: investigate and redrive.</summary>
    public void AddDeadLetterQueue(IQueue queue)
    {
        if (!_registered.Add("dlq:" + queue.Node.Path)) return;
        Add(Names.UniqueId(queue) + "Depth", queue.MetricApproximateNumberOfMessagesVisible(Every(Duration.Minutes(5), "Maximum")), 0,
            ComparisonOperator.GREATER_THAN_THRESHOLD, 1, TreatMissingData.NOT_BREACHING,
            $"{queue.Node.Path}: messages in the dead-letter queue were not processed; inspect and redrive them");
    }

    /// <summary>Age of the oldest unprocessed stream record (IteratorAge) for a DynamoDB-stream or Kinesis consumer.</summary>
    public void AddStreamConsumer(IFunction function, Duration maximumAge)
    {
        if (!_registered.Add("stream:" + function.Node.Path)) return;
        var metric = function.Metric("IteratorAge", Every(Duration.Minutes(5), "Maximum"));
        Add(Names.UniqueId(function) + "IteratorAge", metric, maximumAge.ToMilliseconds(), ComparisonOperator.GREATER_THAN_THRESHOLD, 1,
            TreatMissingData.NOT_BREACHING, $"{function.Node.Path}: the oldest stream record is older than {maximumAge.ToHumanString()}; the consumer is falling behind or failing");
    }

    /// <summary>EventBridge Pipes execution failures (source read, enrichment or target delivery failed).</summary>
    public void AddPipe(string pipeName, string label)
    {
        if (!_registered.Add("pipe:" + label)) return;
        var dimensions = new Dictionary<string, string> { ["PipeName"] = pipeName };
        foreach (var metricName in new[] { "ExecutionFailed", "TargetStageFailed" })
        {
            var metric = new Metric(new MetricProps
            {
                Namespace = "AWS/EventBridge/Pipes",
                MetricName = metricName,
                DimensionsMap = dimensions,
                Period = Duration.Minutes(5),
                Statistic = "Sum",
            });
            Add(label + metricName, metric, 0, ComparisonOperator.GREATER_THAN_THRESHOLD, 1, TreatMissingData.NOT_BREACHING,
                $"pipe {label}: {metricName} (events were not delivered to the target)");
        }
    }

    /// <summary>
    /// A scheduled function that stops being invoked (schedule disabled or deleted, function deleted): fewer than one
    /// invocation in <paramref name="missedIntervals"/> consecutive intervals. Missing data breaches: no data is the failure.
    /// </summary>
    public void AddScheduledFunction(IFunction function, Duration interval, int missedIntervals)
    {
        if (!_registered.Add("schedule:" + function.Node.Path)) return;
        // CloudWatch evaluates at most one day of periods; long intervals are watched in hourly periods.
        var minutes = Math.Max(1, interval.ToMinutes());
        var totalMinutes = minutes * missedIntervals;
        var periodMinutes = totalMinutes <= 24 * 60 ? minutes : 60;
        var periods = (int)Math.Min(24 * 60 / periodMinutes, Math.Ceiling(totalMinutes / periodMinutes));
        Add(Names.UniqueId(function) + "NotRunning", function.MetricInvocations(Every(Duration.Minutes(periodMinutes), "Sum")), 1,
            ComparisonOperator.LESS_THAN_THRESHOLD, periods, TreatMissingData.BREACHING,
            $"{function.Node.Path}: not invoked for {missedIntervals} scheduled intervals; SLA escalation and heartbeat checks have stopped");
    }

    /// <summary>Registers every Lambda function in <paramref name="scope"/> at synth time, including ones added later by other constructs.</summary>
    public void AlarmEveryFunction(IConstruct scope) => Aspects.Of(scope).Add(new FunctionAlarmAspect(this));

    private static MetricOptions Every(Duration period, string statistic) => new() { Period = period, Statistic = statistic };

    private void Add(string id, IMetric metric, double threshold, ComparisonOperator comparison, int periods, TreatMissingData missing, string description)
    {
        var alarm = new Alarm(this, id, new AlarmProps
        {
            Metric = metric,
            Threshold = threshold,
            ComparisonOperator = comparison,
            EvaluationPeriods = periods,
            DatapointsToAlarm = periods,
            TreatMissingData = missing,
            AlarmDescription = description,
        });
        alarm.AddAlarmAction(_action);
        alarm.AddOkAction(_action);
        Alarms.Add(alarm);
    }

    /// <summary>jsii aspects must derive from <see cref="DeputyBase"/> so the JavaScript side can call back into .NET.</summary>
    private sealed class FunctionAlarmAspect(OperationalAlarms alarms) : DeputyBase, IAspect
    {
        public void Visit(IConstruct node)
        {
            if (node is Function function) alarms.AddFunction(function);
        }
    }
}
