using System.Text.Json;
using System.Text.Json.Nodes;
using Regex = System.Text.RegularExpressions.Regex;
using Amazon.CDK.Assertions;
using IsmsServerless.Alerts;
using IsmsServerless.Infra.Constructs;

namespace IsmsServerless.Infra.Tests;

public sealed class AlertingStackTests(StackTemplate stack) : IClassFixture<StackTemplate>
{
    private readonly Template _template = stack.Template;

    private Dictionary<string, JsonElement> Resources(string type, Template? template = null)
    {
        var json = JsonSerializer.Serialize((template ?? _template).FindResources(type));
        return JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(json)!;
    }

    private JsonElement Pipe() => Assert.Single(Resources("AWS::Pipes::Pipe")).Value.GetProperty("Properties");

    /// <summary>A DynamoDB stream record as Pipes hands it to the filter and template (shape: AWS Lambda/Pipes DynamoDB event).</summary>
    private static JsonObject StreamRecord(string eventName, string entityType, Dictionary<string, string>? attributes = null)
    {
        var image = new JsonObject { ["PK"] = new JsonObject { ["S"] = "ALERT#a-1" }, ["entityType"] = new JsonObject { ["S"] = entityType } };
        foreach (var (name, value) in attributes ?? []) image[name] = new JsonObject { ["S"] = value };
        return new JsonObject
        {
            ["eventID"] = "1",
            ["eventName"] = eventName,
            ["eventSource"] = "aws:dynamodb",
            ["awsRegion"] = "eu-west-1",
            ["dynamodb"] = new JsonObject { ["Keys"] = new JsonObject(), ["NewImage"] = image, ["StreamViewType"] = "NEW_AND_OLD_IMAGES" },
        };
    }

    /// <summary>Exact-value EventBridge pattern matching (the only operators our filter uses).</summary>
    private static bool Matches(JsonNode? pattern, JsonNode? value)
    {
        if (pattern is JsonArray options)
            return value is JsonValue scalar && options.Any(o => o!.ToJsonString() == scalar.ToJsonString());
        if (pattern is JsonObject fields)
            return value is JsonObject obj && fields.All(f => Matches(f.Value, obj[f.Key]));
        return false;
    }

    [Fact]
    public void Every_function_that_writes_alerts_is_updated_after_the_pipe_that_renders_them()
    {
        // Slim alert items are readable only through the Pipe's enrichment renderer: CloudFormation must update the Pipe
        // before any writer, so the old template never delivers a slim item (issue 20 wave 8).
        var pipeId = Assert.Single(Resources("AWS::Pipes::Pipe")).Key;
        var functions = Resources("AWS::Lambda::Function");
        string[] writers = ["EventIngestFunction", "SweepFunction", "StatusPageFunction"];
        foreach (var writer in writers)
        {
            var function = Assert.Single(functions, f => f.Value.GetProperty("Properties").GetProperty("Handler").GetString()!
                .EndsWith($".{writer}::HandleAsync", StringComparison.Ordinal));
            Assert.True(function.Value.TryGetProperty("DependsOn", out var dependsOn)
                && dependsOn.EnumerateArray().Any(d => d.GetString() == pipeId), $"{writer} ({function.Key}) does not depend on {pipeId}");
        }
        // The renderer itself and the stream consumers do not wait for the Pipe (the Pipe depends on the renderer).
        var renderer = Assert.Single(functions, f => f.Value.GetProperty("Properties").GetProperty("Handler").GetString()!.EndsWith(".AlertRenderFunction::HandleAsync", StringComparison.Ordinal));
        Assert.False(renderer.Value.TryGetProperty("DependsOn", out var rendererDeps) && rendererDeps.EnumerateArray().Any(d => d.GetString() == pipeId));
    }

    [Fact]
    public void Pipe_reads_the_ledger_stream_and_keeps_only_alert_inserts()
    {
        var pipe = Pipe();
        var source = pipe.GetProperty("SourceParameters");
        var patterns = source.GetProperty("FilterCriteria").GetProperty("Filters").EnumerateArray().Select(f => f.GetProperty("Pattern").GetString()!).ToList();
        var pattern = JsonNode.Parse(Assert.Single(patterns));

        Assert.True(Matches(pattern, StreamRecord("INSERT", "ALERT")));
        Assert.False(Matches(pattern, StreamRecord("MODIFY", "ALERT")), "a rewrite of an outbox item must not alert twice");
        Assert.False(Matches(pattern, StreamRecord("REMOVE", "ALERT")), "TTL deletion must not alert");
        Assert.False(Matches(pattern, StreamRecord("INSERT", "FINDING")));
        Assert.False(Matches(pattern, StreamRecord("INSERT", "DELIVERY")));

        var stream = source.GetProperty("DynamoDBStreamParameters");
        Assert.True(stream.GetProperty("DeadLetterConfig").TryGetProperty("Arn", out _));
        Assert.True(stream.GetProperty("MaximumRetryAttempts").GetInt32() > 0);
        Assert.Contains("StreamArn", pipe.GetProperty("Source").ToString(), StringComparison.Ordinal);
        Assert.Contains("Topic", pipe.GetProperty("Target").ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Pipe_template_renders_a_readable_alert_that_the_slack_notifier_reads_back()
    {
        var template = Pipe().GetProperty("TargetParameters").GetProperty("InputTemplate").GetString()!;
        Assert.Equal(AlertMessageFormat.PipeInputTemplate(), template);
        Assert.False(template.TrimStart().StartsWith('{'), "a text template, so email and SMS read sentences, not JSON");

        // Issue 20 wave 8: the enrichment renders the alert; the template puts the marker before its event's text.
        var alert = new AlertRecord
        {
            AlertId = "alert-42", Kind = "new", FindingId = "f-1", RuleId = "monitoring.root-user-activity",
            Title = "Root user activity", Severity = "CRITICAL", Category = "monitoring", ResourceId = "arn:aws:iam::111122223333:root",
            ResourceType = "AWS::IAM::User", AccountId = "111122223333", Region = "eu-west-1",
            PolicyClause = "PROC-002 4.3: the root account is not used for daily operations", Controls = "[\"ISO27001:2022 A.8.2\",\"SOC2 CC6.1\"]",
            DueAt = "2026-11-30T10:00:00Z", SlaState = "open", Remediation = "Rotate the root credentials and review CloudTrail.",
            Message = "Root signed in from 198.51.100.7", StatusUrl = "https://isms.example.com/findings/f-1", CreatedAt = "2026-11-23T10:00:00Z",
        };
        var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer)) AlertMessageFormat.WriteEnrichedEvent(writer, alert);
        var enriched = JsonNode.Parse(buffer.ToArray());
        // What Pipes does with the enrichment's event: replace each <$.path> with the value at that path.
        var rendered = Regex.Replace(template, @"<\$\.([A-Za-z0-9_.]+)>", m =>
        {
            JsonNode? node = enriched;
            foreach (var part in m.Groups[1].Value.Split('.')) node = node?[part];
            Assert.NotNull(node);
            return node!.GetValue<string>();
        });
        Assert.Equal(AlertMessageFormat.Render(alert), rendered);

        var lines = rendered.Split('\n');
        Assert.Equal("[ISMS] CRITICAL new: Root user activity", lines[0]);
        foreach (var expected in new[] { "Severity: CRITICAL", "Resource: arn:aws:iam::111122223333:root", "Account: 111122223333", "Region: eu-west-1",
                     "Due: 2026-11-30T10:00:00Z", "SLA state: open", "What to do: Rotate the root credentials and review CloudTrail.",
                     "Status page: https://isms.example.com/findings/f-1", "Policy clause: PROC-002 4.3: the root account is not used for daily operations" })
            Assert.Contains(expected, lines);

        Assert.Contains("Raised at: 2026-11-23T10:00:00Z", lines);
        Assert.True(AlertMessageFormat.TryParse(rendered, out var parsed));
        Assert.Equal("alert-42", parsed.AlertId);
        Assert.Equal("2026-11-23T10:00:00Z", parsed.CreatedAt);
        Assert.Equal("arn:aws:iam::111122223333:root", parsed.ResourceId);
        Assert.Equal(alert, parsed);
    }

    [Fact]
    public void Pipe_enrichment_is_the_renderer_which_may_read_only_rule_texts_from_the_table()
    {
        var pipe = Pipe();
        var rendererRef = pipe.GetProperty("Enrichment").GetProperty("Fn::GetAtt")[0].GetString()!;
        var function = Resources("AWS::Lambda::Function")[rendererRef].GetProperty("Properties");
        Assert.Equal("IsmsServerless.Functions::IsmsServerless.Functions.AlertRenderFunction::HandleAsync", function.GetProperty("Handler").GetString());
        Assert.Equal("Active", function.GetProperty("TracingConfig").GetProperty("Mode").GetString());
        var roleRef = function.GetProperty("Role").GetProperty("Fn::GetAtt")[0].GetString()!;
        var statements = Resources("AWS::IAM::Policy").Values
            .Where(p => p.GetProperty("Properties").GetProperty("Roles").EnumerateArray().Any(r => r.GetProperty("Ref").GetString() == roleRef))
            .SelectMany(p => p.GetProperty("Properties").GetProperty("PolicyDocument").GetProperty("Statement").EnumerateArray())
            .ToList();
        static IEnumerable<string> Actions(JsonElement s) => s.GetProperty("Action").ValueKind == JsonValueKind.Array
            ? s.GetProperty("Action").EnumerateArray().Select(a => a.GetString()!)
            : [s.GetProperty("Action").GetString()!];
        var dynamo = statements.Where(s => Actions(s).Any(a => a.StartsWith("dynamodb:", StringComparison.Ordinal))).ToList();
        // One statement: GetItem, on the table (no index), on RULETEXT# partitions only. No write, no Query, no Scan.
        var read = Assert.Single(dynamo);
        Assert.Equal(["dynamodb:GetItem"], Actions(read));
        Assert.Equal(JsonValueKind.Object, read.GetProperty("Resource").ValueKind);
        Assert.Equal(Alerting.RuleTextsKeyPattern, read.GetProperty("Condition").GetProperty("ForAllValues:StringLike").GetProperty("dynamodb:LeadingKeys")[0].GetString());
        Assert.Equal("RULETEXT#*", Alerting.RuleTextsKeyPattern);
        var kms = Assert.Single(statements, s => Actions(s).Any(a => a.StartsWith("kms:", StringComparison.Ordinal)));
        Assert.Equal(["kms:Decrypt"], Actions(kms));
        Assert.DoesNotContain(statements, s => Actions(s).Any(a => a.StartsWith("sns:", StringComparison.Ordinal) || a.StartsWith("sqs:", StringComparison.Ordinal)));
        // It has the same error and throttle alarms as every function (OperationalAlarms.AlarmEveryFunction).
        var alarmed = Resources("AWS::CloudWatch::Alarm").Values
            .Where(a => a.GetProperty("Properties").TryGetProperty("Dimensions", out var d)
                && d.EnumerateArray().Any(x => x.GetProperty("Name").GetString() == "FunctionName" && x.GetProperty("Value").ToString().Contains(rendererRef, StringComparison.Ordinal)))
            .ToList();
        Assert.NotEmpty(alarmed);
    }

    [Fact]
    public void Pipe_role_reads_the_stream_publishes_to_the_topic_and_nothing_else()
    {
        var roleRef = Pipe().GetProperty("RoleArn").GetProperty("Fn::GetAtt")[0].GetString()!;
        var policies = Resources("AWS::IAM::Policy").Values
            .Where(p => p.GetProperty("Properties").GetProperty("Roles").EnumerateArray().Any(r => r.GetProperty("Ref").GetString() == roleRef))
            .SelectMany(p => p.GetProperty("Properties").GetProperty("PolicyDocument").GetProperty("Statement").EnumerateArray())
            .ToList();
        var actions = policies.SelectMany(s => s.GetProperty("Action").ValueKind == JsonValueKind.Array
            ? s.GetProperty("Action").EnumerateArray().Select(a => a.GetString()!)
            : [s.GetProperty("Action").GetString()!]).ToHashSet();
        Assert.Equal(new HashSet<string> { "dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:ListStreams",
            "sns:Publish", "sqs:SendMessage", "kms:Decrypt", "kms:GenerateDataKey", "lambda:InvokeFunction" }, actions);
        // It may invoke the renderer (the enrichment) and no other function.
        var invoke = Assert.Single(policies, s => s.GetProperty("Action").ToString() == "lambda:InvokeFunction");
        Assert.Equal(Pipe().GetProperty("Enrichment").ToString(), invoke.GetProperty("Resource").ToString());
        // Only ListStreams, which has no resource-level permission, may name "*".
        Assert.All(policies.Where(s => s.GetProperty("Resource").ToString() == "*"), s => Assert.Equal("dynamodb:ListStreams", s.GetProperty("Action").GetString()));
    }

    [Fact]
    public void Slack_queue_is_encrypted_dead_letters_after_retries_and_feeds_the_notifier_with_partial_batch_failures()
    {
        var queues = Resources("AWS::SQS::Queue");
        Assert.All(queues.Values, q => Assert.True(q.GetProperty("Properties").TryGetProperty("KmsMasterKeyId", out _)));
        var withRedrive = queues.Values.Where(q => q.GetProperty("Properties").TryGetProperty("RedrivePolicy", out _)).ToList();
        var slackQueue = Assert.Single(withRedrive, q => q.GetProperty("Properties").GetProperty("RedrivePolicy").GetProperty("maxReceiveCount").GetInt32() == Alerting.SlackMaxReceiveCount);
        Assert.True(slackQueue.GetProperty("Properties").GetProperty("VisibilityTimeout").GetInt32() >= 6 * 120);

        _template.HasResourceProperties("AWS::Lambda::EventSourceMapping", new Dictionary<string, object>
        {
            ["FunctionResponseTypes"] = new[] { "ReportBatchItemFailures" },
            ["ScalingConfig"] = new Dictionary<string, object> { ["MaximumConcurrency"] = Alerting.SlackConsumerConcurrency },
        });
        _template.HasResourceProperties("AWS::SNS::Subscription", new Dictionary<string, object>
        {
            ["Protocol"] = "sqs",
            ["RawMessageDelivery"] = false,
        });
        _template.HasResourceProperties("AWS::Lambda::Function", new Dictionary<string, object>
        {
            ["Handler"] = "IsmsServerless.Functions::IsmsServerless.Functions.SlackNotifierFunction::HandleAsync",
            ["Environment"] = new Dictionary<string, object>
            {
                ["Variables"] = Match.ObjectLike(new Dictionary<string, object>
                {
                    ["SLACK_WEBHOOK_PARAMETER"] = "/isms/slack/webhook-url",
                    ["SLACK_RATE_PER_SECOND"] = "0.5",
                }),
            },
        });
    }

    [Fact]
    public void Dead_letter_queue_depth_alarms_go_to_the_alert_topic()
    {
        // Other alarms (function errors, throttles, schedules) share the template: select the queue-depth ones by metric.
        var depthAlarms = Resources("AWS::CloudWatch::Alarm").Values
            .Select(a => a.GetProperty("Properties"))
            .Where(p => p.GetProperty("Namespace").GetString() == "AWS/SQS"
                && p.GetProperty("MetricName").GetString() == "ApproximateNumberOfMessagesVisible")
            .ToList();
        foreach (var props in depthAlarms)
        {
            // One visible message is enough to alarm (written as > 0 or >= 1).
            var comparison = props.GetProperty("ComparisonOperator").GetString();
            var threshold = props.GetProperty("Threshold").GetDouble();
            Assert.True((comparison, threshold) is ("GreaterThanThreshold", 0) or ("GreaterThanOrEqualToThreshold", 1), $"{comparison} {threshold}");
            Assert.Contains("Topic", props.GetProperty("AlarmActions").ToString(), StringComparison.Ordinal);
        }
        // Exactly one depth alarm per alerting dead-letter queue, never two for the same queue.
        var alarmedQueues = depthAlarms
            .Select(p => Assert.Single(p.GetProperty("Dimensions").EnumerateArray()).GetProperty("Value").GetProperty("Fn::GetAtt")[0].GetString()!)
            .ToList();
        Assert.Equal(alarmedQueues.Count, alarmedQueues.Distinct().Count());
        foreach (var dlq in new[] { "AlertingSlackDeadLetters", "AlertingPipeDeadLetters" })
            Assert.Single(alarmedQueues, q => q.StartsWith(dlq, StringComparison.Ordinal));
    }

    [Fact]
    public void Alert_pipe_failures_alarm_to_the_alert_topic()
    {
        var pipeId = Assert.Single(Resources("AWS::Pipes::Pipe")).Key;
        var pipeAlarms = Resources("AWS::CloudWatch::Alarm").Values
            .Select(a => a.GetProperty("Properties"))
            .Where(p => p.GetProperty("Namespace").GetString() == "AWS/EventBridge/Pipes")
            .ToList();
        Assert.Equal(["ExecutionFailed", "TargetStageFailed"], pipeAlarms.Select(p => p.GetProperty("MetricName").GetString()).Order());
        foreach (var props in pipeAlarms)
        {
            var dimension = Assert.Single(props.GetProperty("Dimensions").EnumerateArray());
            Assert.Equal("PipeName", dimension.GetProperty("Name").GetString());
            Assert.Equal(pipeId, dimension.GetProperty("Value").GetProperty("Ref").GetString());
            Assert.Contains("Topic", props.GetProperty("AlarmActions").ToString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Notifier_reads_only_its_webhook_parameter_and_the_template_holds_no_webhook()
    {
        var json = JsonSerializer.Serialize(_template.ToJSON());
        Assert.DoesNotContain("hooks.slack.com", json, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("parameter/isms/slack/webhook-url", json, StringComparison.Ordinal);
        foreach (var (_, policy) in Resources("AWS::IAM::Policy"))
        {
            foreach (var statement in policy.GetProperty("Properties").GetProperty("PolicyDocument").GetProperty("Statement").EnumerateArray())
            {
                var action = statement.GetProperty("Action").ToString();
                Assert.DoesNotContain("\"*\"", "\"" + action + "\"", StringComparison.Ordinal);
                Assert.DoesNotContain("ssm:*", action, StringComparison.Ordinal);
                Assert.DoesNotContain("dynamodb:Scan", action, StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public void Key_policies_let_cloudwatch_use_the_data_key_and_sns_only_the_slack_queue_key_for_this_topic()
    {
        var keys = Resources("AWS::KMS::Key").ToDictionary(k => k.Key, k => k.Value.GetProperty("Properties").GetProperty("KeyPolicy").GetProperty("Statement"));
        var dataKey = keys.Single(k => k.Key.StartsWith("DataKey", StringComparison.Ordinal)).Value;
        var statement = Assert.Single(dataKey.EnumerateArray(), s => s.TryGetProperty("Sid", out var sid) && sid.GetString() == "AlertServicesUseKey");
        Assert.Equal("cloudwatch.amazonaws.com", statement.GetProperty("Principal").GetProperty("Service").ToString());
        Assert.Equal("111122223333", statement.GetProperty("Condition").GetProperty("StringEquals").GetProperty("aws:SourceAccount").GetString());
        // The data key encrypts the topic, so it must not name the topic (that was the reference cycle).
        Assert.DoesNotContain("sns.amazonaws.com", dataKey.ToString(), StringComparison.Ordinal);

        var queueKey = keys.Single(k => k.Key.StartsWith("AlertingSlackQueueKey", StringComparison.Ordinal)).Value;
        var sns = Assert.Single(queueKey.EnumerateArray(), s => s.GetProperty("Principal").ToString().Contains("sns.amazonaws.com", StringComparison.Ordinal));
        var topicId = Assert.Single(Resources("AWS::SNS::Topic")).Key;
        Assert.Equal(topicId, sns.GetProperty("Condition").GetProperty("ArnEquals").GetProperty("aws:SourceArn").GetProperty("Ref").GetString());
    }

    [Fact]
    public void Email_and_sms_subscribers_come_from_context()
    {
        var (_, template) = StackTemplate.Synthesize(new Dictionary<string, object>
        {
            ["alertEmails"] = new[] { "secops@example.com", "cto@example.com" },
            ["alertSms"] = new[] { "+447700900123" },
            ["slackWebhookParameter"] = "/acme/isms/slack",
        });
        template.HasResourceProperties("AWS::SNS::Subscription", new Dictionary<string, object> { ["Protocol"] = "email", ["Endpoint"] = "secops@example.com" });
        template.HasResourceProperties("AWS::SNS::Subscription", new Dictionary<string, object> { ["Protocol"] = "email", ["Endpoint"] = "cto@example.com" });
        template.HasResourceProperties("AWS::SNS::Subscription", new Dictionary<string, object> { ["Protocol"] = "sms", ["Endpoint"] = "+447700900123" });
        Assert.Contains("parameter/acme/isms/slack", JsonSerializer.Serialize(template.ToJSON()), StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_alert_context_fails_synth_and_never_echoes_a_webhook_url()
    {
        const string secret = "https://hooks.slack.com/services/T-EXAMPLE/B-EXAMPLE/XXXXSECRET";
        var ex = Assert.Throws<ArgumentException>(() => StackTemplate.Synthesize(new Dictionary<string, object>
        {
            ["alertEmails"] = new[] { "not-an-email" },
            ["alertSms"] = new[] { "07700 900123" },
            ["slackWebhookParameter"] = secret,
        }));
        Assert.Contains("alertEmails: 'not-an-email'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("alertSms: '07700 900123' is not an E.164", ex.Message, StringComparison.Ordinal);
        Assert.Contains("slackWebhookParameter must be the NAME", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("XXXXSECRET", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_sweep_gets_the_webhook_parameter_for_the_daily_digest()
    {
        _template.HasResourceProperties("AWS::Lambda::Function", new Dictionary<string, object>
        {
            ["Handler"] = "IsmsServerless.Functions::IsmsServerless.Functions.SweepFunction::HandleAsync",
            ["Environment"] = new Dictionary<string, object>
            {
                ["Variables"] = Match.ObjectLike(new Dictionary<string, object> { ["SLACK_WEBHOOK_PARAMETER"] = "/isms/slack/webhook-url" }),
            },
        });
    }
}
