using System.Text.Json;

namespace IsmsServerless.Infra.Tests;

/// <summary>
/// The project's own checks over a synthesized template, for what cdk-nag AwsSolutions does not check. cdk-nag itself
/// (npm, run by the deploy preflight: tests/IsmsServerless.Infra.Tests/Preflight) covers wildcard actions and
/// resources in identity policies (IAM5), managed policies (IAM4), SSL-only queues, topics and buckets
/// (SQS4, SNS3, S10), public buckets (S2), point-in-time recovery (DDB3) and key rotation (KMS5); those checks were
/// retired from here. What stays: no Scan and no NotAction/NotResource, conditioned public principals in resource
/// policies, the stack's own key (not just any encryption), tracing and explicit log groups, log retention, no IAM
/// users, rule targets with retries and dead-letter queues, and alarms for every function and dead-letter queue.
/// Each check returns violations as "LogicalId: problem" lines.
/// </summary>
public sealed class TemplateSecurityChecks
{
    private readonly Dictionary<string, JsonElement> _resources;

    public TemplateSecurityChecks(object templateJson)
    {
        var json = JsonSerializer.Serialize(templateJson);
        using var document = JsonDocument.Parse(json);
        _resources = document.RootElement.GetProperty("Resources").EnumerateObject()
            .ToDictionary(p => p.Name, p => p.Value.Clone(), StringComparer.Ordinal);
    }

    /// <summary>True to require the stack's CMK on queues, topics, tables, log groups and buckets (the central stack).</summary>
    public bool RequireCustomerManagedKey { get; init; } = true;

    /// <summary>True to require alarm actions (the central stack has an alert topic; member forwarders do not).</summary>
    public bool RequireAlarmActions { get; init; } = true;

    public IEnumerable<(string Id, JsonElement Resource)> OfType(string type) =>
        _resources.Where(r => r.Value.TryGetProperty("Type", out var t) && t.GetString() == type).Select(r => (r.Key, r.Value));

    private static JsonElement Props(JsonElement resource) =>
        resource.TryGetProperty("Properties", out var props) ? props : default;

    public IReadOnlyList<string> All() =>
    [
        .. IamWildcards(), .. PublicPrincipals(), .. Encryption(), .. Functions(), .. LogRetention(),
        .. NoIamUsers(), .. RuleTargets(), .. Alarms(),
    ];

    /// <summary>No NotAction/NotResource in an Allow, and no DynamoDB Scan (wildcards are cdk-nag's IAM5).</summary>
    public IEnumerable<string> IamWildcards()
    {
        foreach (var (id, _, statement) in Statements())
        {
            if (Text(statement, "Effect") != "Allow") continue;
            if (statement.TryGetProperty("NotAction", out _) || statement.TryGetProperty("NotResource", out _))
                yield return $"{id}: Allow with NotAction/NotResource";
            // The ledger is read with Get and Query only (design rule: no method scans); GrantReadWriteData-style
            // grants would add Scan, which reads every finding of every account in one call.
            if (Strings(statement, "Action").Any(a => a is "dynamodb:Scan" or "dynamodb:*" or "dynamodb:Sca*"))
                yield return $"{id}: Allow with dynamodb:Scan (grant Get/Query only)";
        }
    }

    /// <summary>Resource policies granting to Principal "*" must be conditioned (organization id, source account).</summary>
    public IEnumerable<string> PublicPrincipals()
    {
        foreach (var (id, _, statement) in Statements())
        {
            if (Text(statement, "Effect") != "Allow" || !statement.TryGetProperty("Principal", out var principal)) continue;
            var open = principal.ValueKind == JsonValueKind.String && principal.GetString() == "*"
                || principal.ValueKind == JsonValueKind.Object && principal.TryGetProperty("AWS", out var aws) && Flatten(aws).Contains("*");
            if (open && !statement.TryGetProperty("Condition", out _)) yield return $"{id}: Allow to Principal '*' without a condition";
        }
    }

    /// <summary>Queues, topics, tables, log groups and buckets encrypted, with the stack CMK where required.</summary>
    public IEnumerable<string> Encryption()
    {
        foreach (var (id, queue) in OfType("AWS::SQS::Queue"))
        {
            var props = Props(queue);
            var cmk = props.ValueKind == JsonValueKind.Object && props.TryGetProperty("KmsMasterKeyId", out var key) && IsKeyReference(key);
            var managed = props.ValueKind == JsonValueKind.Object && props.TryGetProperty("SqsManagedSseEnabled", out var sse) && sse.ValueKind == JsonValueKind.True;
            if (!cmk && (RequireCustomerManagedKey || !managed)) yield return $"{id}: queue not encrypted with the stack key";
        }
        foreach (var (id, topic) in OfType("AWS::SNS::Topic"))
            if (!(Props(topic).TryGetProperty("KmsMasterKeyId", out var key) && IsKeyReference(key))) yield return $"{id}: topic not encrypted with the stack key";
        foreach (var (id, table) in OfType("AWS::DynamoDB::Table"))
        {
            var props = Props(table);
            if (!(props.TryGetProperty("SSESpecification", out var sse) && sse.TryGetProperty("KMSMasterKeyId", out var key) && IsKeyReference(key)))
                yield return $"{id}: table not encrypted with the stack key";
        }
        foreach (var (id, group) in OfType("AWS::Logs::LogGroup"))
            if (!(Props(group).ValueKind == JsonValueKind.Object && Props(group).TryGetProperty("KmsKeyId", out var key) && IsKeyReference(key)))
                if (RequireCustomerManagedKey) yield return $"{id}: log group not encrypted with the stack key";
        foreach (var (id, bucket) in OfType("AWS::S3::Bucket"))
        {
            var props = Props(bucket);
            var rules = props.ValueKind == JsonValueKind.Object && props.TryGetProperty("BucketEncryption", out var enc)
                ? enc.GetProperty("ServerSideEncryptionConfiguration").EnumerateArray().ToList() : [];
            var kms = rules.Any(r => r.GetProperty("ServerSideEncryptionByDefault").TryGetProperty("KMSMasterKeyID", out var key) && IsKeyReference(key));
            if (rules.Count == 0 || (RequireCustomerManagedKey && !kms)) yield return $"{id}: bucket not encrypted with the stack key";
        }
    }

    /// <summary>Tracing on, an explicit log group (so retention applies), async invokers covered by a DLQ or failure destination.</summary>
    public IEnumerable<string> Functions()
    {
        foreach (var (id, function) in OfType("AWS::Lambda::Function"))
        {
            var props = Props(function);
            if (!(props.TryGetProperty("TracingConfig", out var tracing) && Text(tracing, "Mode") == "Active"))
                yield return $"{id}: function without active tracing";
            if (!(props.TryGetProperty("LoggingConfig", out var logging) && logging.TryGetProperty("LogGroup", out _)))
                yield return $"{id}: function without an explicit log group (its implicit one has no retention or key)";
            var hasDlq = props.TryGetProperty("DeadLetterConfig", out _)
                || OfType("AWS::Lambda::EventInvokeConfig").Any(c => References(Props(c.Resource).GetProperty("FunctionName")).Contains(id)
                    && Props(c.Resource).TryGetProperty("DestinationConfig", out var d) && d.TryGetProperty("OnFailure", out _));
            foreach (var (permissionId, permission) in OfType("AWS::Lambda::Permission"))
            {
                var p = Props(permission);
                if (!References(p.GetProperty("FunctionName")).Contains(id)) continue;
                var principal = Text(p, "Principal");
                // EventBridge targets carry their own DLQ (checked in RuleTargets); SNS and S3 invoke asynchronously.
                if (principal is "sns.amazonaws.com" or "s3.amazonaws.com" && !hasDlq)
                    yield return $"{id}: invoked asynchronously by {principal} ({permissionId}) without a DLQ or on-failure destination";
            }
        }
    }

    public IEnumerable<string> LogRetention()
    {
        foreach (var (id, group) in OfType("AWS::Logs::LogGroup"))
            if (!(Props(group).ValueKind == JsonValueKind.Object && Props(group).TryGetProperty("RetentionInDays", out _)))
                yield return $"{id}: log group without retention";
    }

    public IEnumerable<string> NoIamUsers()
    {
        foreach (var (id, _) in OfType("AWS::IAM::User").Concat(OfType("AWS::IAM::AccessKey")))
            yield return $"{id}: IAM users and access keys are long-lived credentials; use roles";
    }

    /// <summary>Every EventBridge rule target retries and dead-letters.</summary>
    public IEnumerable<string> RuleTargets()
    {
        foreach (var (id, rule) in OfType("AWS::Events::Rule"))
        {
            if (!Props(rule).TryGetProperty("Targets", out var targets)) continue;
            foreach (var target in targets.EnumerateArray())
            {
                if (!target.TryGetProperty("DeadLetterConfig", out _)) yield return $"{id}: rule target {Text(target, "Id")} without a dead-letter queue";
                // Event bus targets (the member forwarders) take no RetryPolicy in CDK 2.160; EventBridge's default
                // (24 hours, 185 attempts) applies, then the dead-letter queue.
                var toEventBus = JsonSerializer.Serialize(target.GetProperty("Arn")).Contains(":event-bus/", StringComparison.Ordinal);
                if (!toEventBus && !target.TryGetProperty("RetryPolicy", out _)) yield return $"{id}: rule target {Text(target, "Id")} without a retry policy";
            }
        }
    }

    /// <summary>Errors and throttles alarms for every function, a depth alarm for every dead-letter queue, actions on every alarm.</summary>
    public IEnumerable<string> Alarms()
    {
        var alarms = OfType("AWS::CloudWatch::Alarm").Select(a => Props(a.Resource)).ToList();
        bool Watched(string metric, string dimension, string id) => alarms.Any(a => Text(a, "MetricName") == metric
            && a.TryGetProperty("Dimensions", out var dims) && dims.EnumerateArray().Any(d => Text(d, "Name") == dimension
                && References(d.GetProperty("Value")).Contains(id)));
        foreach (var (id, _) in OfType("AWS::Lambda::Function"))
        {
            if (!Watched("Errors", "FunctionName", id)) yield return $"{id}: function without an Errors alarm";
            if (!Watched("Throttles", "FunctionName", id)) yield return $"{id}: function without a Throttles alarm";
        }
        foreach (var id in DeadLetterQueues())
            if (!Watched("ApproximateNumberOfMessagesVisible", "QueueName", id)) yield return $"{id}: dead-letter queue without a depth alarm";
        if (!RequireAlarmActions) yield break;
        foreach (var (id, alarm) in OfType("AWS::CloudWatch::Alarm"))
            if (!(Props(alarm).TryGetProperty("AlarmActions", out var actions) && actions.GetArrayLength() > 0))
                yield return $"{id}: alarm without an action (nobody would hear it)";
    }

    /// <summary>Queues used as a dead-letter queue anywhere: rule targets, redrive policies, function DLQs, failure destinations, pipes.</summary>
    public IReadOnlySet<string> DeadLetterQueues()
    {
        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (_, rule) in OfType("AWS::Events::Rule"))
            if (Props(rule).TryGetProperty("Targets", out var targets))
                foreach (var target in targets.EnumerateArray())
                    if (target.TryGetProperty("DeadLetterConfig", out var dlq)) ids.UnionWith(References(dlq));
        foreach (var (_, queue) in OfType("AWS::SQS::Queue"))
            if (Props(queue).ValueKind == JsonValueKind.Object && Props(queue).TryGetProperty("RedrivePolicy", out var redrive)) ids.UnionWith(References(redrive));
        foreach (var (_, function) in OfType("AWS::Lambda::Function"))
            if (Props(function).TryGetProperty("DeadLetterConfig", out var dlq)) ids.UnionWith(References(dlq));
        foreach (var (_, config) in OfType("AWS::Lambda::EventInvokeConfig"))
            if (Props(config).TryGetProperty("DestinationConfig", out var destination) && destination.TryGetProperty("OnFailure", out var failure)) ids.UnionWith(References(failure));
        foreach (var (_, mapping) in OfType("AWS::Lambda::EventSourceMapping"))
            if (Props(mapping).TryGetProperty("DestinationConfig", out var destination)) ids.UnionWith(References(destination));
        foreach (var (_, pipe) in OfType("AWS::Pipes::Pipe"))
            if (Props(pipe).TryGetProperty("SourceParameters", out var source)) ids.UnionWith(References(source));
        ids.IntersectWith(OfType("AWS::SQS::Queue").Select(q => q.Id));
        return ids;
    }

    /// <summary>Every policy statement in the template with its resource id and type.</summary>
    private IEnumerable<(string Id, string Type, JsonElement Statement)> Statements()
    {
        foreach (var (id, resource) in _resources)
        {
            var type = resource.GetProperty("Type").GetString()!;
            var props = Props(resource);
            if (props.ValueKind != JsonValueKind.Object) continue;
            var documents = new List<JsonElement>();
            if (props.TryGetProperty("PolicyDocument", out var document)) documents.Add(document);
            if (props.TryGetProperty("KeyPolicy", out var keyPolicy)) documents.Add(keyPolicy);
            if (type == "AWS::IAM::Role" && props.TryGetProperty("Policies", out var inline))
                documents.AddRange(inline.EnumerateArray().Select(p => p.GetProperty("PolicyDocument")));
            foreach (var doc in documents)
            {
                if (!doc.TryGetProperty("Statement", out var statements)) continue;
                foreach (var statement in statements.ValueKind == JsonValueKind.Array ? statements.EnumerateArray().ToList() : [statements])
                    yield return (id, type, statement);
            }
            if (type == "AWS::Events::EventBusPolicy" && props.TryGetProperty("Statement", out var busStatement))
                yield return (id, type, busStatement);
        }
    }

    private bool IsKeyReference(JsonElement value) =>
        References(value).Any(r => _resources.TryGetValue(r, out var resource) && resource.GetProperty("Type").GetString() == "AWS::KMS::Key");

    private static string? Text(JsonElement element, string property) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static List<string> Strings(JsonElement element, string property)
    {
        if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty(property, out var value)) return [];
        return Flatten(value);
    }

    /// <summary>Literal strings in a value (a string or an array of strings); intrinsic functions are not literals.</summary>
    private static List<string> Flatten(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => [value.GetString()!],
        JsonValueKind.Array => value.EnumerateArray().SelectMany(Flatten).ToList(),
        _ => [],
    };

    /// <summary>Logical ids referenced anywhere inside a value (Ref and Fn::GetAtt).</summary>
    private static HashSet<string> References(JsonElement value)
    {
        var ids = new HashSet<string>(StringComparer.Ordinal);
        void Walk(JsonElement e)
        {
            switch (e.ValueKind)
            {
                case JsonValueKind.Object:
                    foreach (var p in e.EnumerateObject())
                    {
                        if (p.Name == "Ref" && p.Value.ValueKind == JsonValueKind.String) ids.Add(p.Value.GetString()!);
                        else if (p.Name == "Fn::GetAtt" && p.Value.ValueKind == JsonValueKind.Array) ids.Add(p.Value[0].GetString()!);
                        else Walk(p.Value);
                    }
                    break;
                case JsonValueKind.Array:
                    foreach (var item in e.EnumerateArray()) Walk(item);
                    break;
            }
        }
        Walk(value);
        return ids;
    }
}
