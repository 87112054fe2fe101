using System.Text.Json;
using Amazon.CDK.Assertions;

namespace IsmsServerless.Infra.Tests;

/// <summary>
/// Issue 20 (counters from the stream) in the template: the projector function on the ledger stream, only finding
/// records let through, one batch per shard, no bisection, partial batch responses, an encrypted failure destination
/// with an alarm, and a role that may write only the counter and marker partitions.
/// </summary>
public sealed class CounterProjectionTests(StackTemplate stack) : IClassFixture<StackTemplate>
{
    private static Dictionary<string, object> Props(params (string Key, object Value)[] pairs) => pairs.ToDictionary(p => p.Key, p => p.Value);

    private JsonElement Mapping()
    {
        var mappings = JsonSerializer.SerializeToElement(stack.Template.FindResources("AWS::Lambda::EventSourceMapping"));
        var projector = mappings.EnumerateObject().Where(m => m.Name.StartsWith("CounterProjection", StringComparison.Ordinal)).ToList();
        return Assert.Single(projector).Value.GetProperty("Properties");
    }

    [Fact]
    public void The_projector_reads_the_ledger_stream_one_batch_per_shard_without_bisection_and_reports_partial_failures()
    {
        stack.Template.HasResourceProperties("AWS::Lambda::Function", Props(
            ("Handler", "IsmsServerless.Functions::IsmsServerless.Functions.CounterProjectorFunction::HandleAsync"),
            ("Runtime", "dotnet10")));
        var mapping = Mapping();
        Assert.Contains("Ledger", mapping.GetProperty("EventSourceArn").GetRawText(), StringComparison.Ordinal);
        Assert.Contains("StreamArn", mapping.GetProperty("EventSourceArn").GetRawText(), StringComparison.Ordinal);
        Assert.Equal("TRIM_HORIZON", mapping.GetProperty("StartingPosition").GetString());
        Assert.Equal(1, mapping.GetProperty("ParallelizationFactor").GetInt32());
        Assert.False(mapping.GetProperty("BisectBatchOnFunctionError").GetBoolean());
        Assert.Equal(["ReportBatchItemFailures"], mapping.GetProperty("FunctionResponseTypes").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(-1, mapping.GetProperty("MaximumRetryAttempts").GetInt32());
        Assert.Equal(1000, mapping.GetProperty("BatchSize").GetInt32());
        Assert.True(mapping.GetProperty("MaximumBatchingWindowInSeconds").GetInt32() is > 0 and <= 5);
    }

    [Fact]
    public void Only_finding_and_evidence_result_records_invoke_it()
    {
        var filters = Mapping().GetProperty("FilterCriteria").GetProperty("Filters").EnumerateArray().ToList();
        Assert.Equal(2, filters.Count);
        using var finding = JsonDocument.Parse(filters[0].GetProperty("Pattern").GetString()!);
        var keys = finding.RootElement.GetProperty("dynamodb").GetProperty("Keys");
        Assert.Equal("FINDING#", keys.GetProperty("PK").GetProperty("S")[0].GetProperty("prefix").GetString());
        Assert.Equal("META", keys.GetProperty("SK").GetProperty("S")[0].GetString());
        using var evidence = JsonDocument.Parse(filters[1].GetProperty("Pattern").GetString()!);
        var evidenceKeys = evidence.RootElement.GetProperty("dynamodb").GetProperty("Keys");
        Assert.Equal("EVIDENCE#", evidenceKeys.GetProperty("PK").GetProperty("S")[0].GetProperty("prefix").GetString());
        Assert.Equal("RES#", evidenceKeys.GetProperty("SK").GetProperty("S")[0].GetProperty("prefix").GetString());
    }

    [Fact]
    public void Failed_batches_go_to_an_encrypted_queue_with_an_alarm()
    {
        var destination = Mapping().GetProperty("DestinationConfig").GetProperty("OnFailure").GetProperty("Destination").GetRawText();
        var queues = JsonSerializer.SerializeToElement(stack.Template.FindResources("AWS::SQS::Queue"));
        var queue = Assert.Single(queues.EnumerateObject(), q => destination.Contains(q.Name, StringComparison.Ordinal));
        Assert.True(queue.Value.GetProperty("Properties").TryGetProperty("KmsMasterKeyId", out _));
        var alarms = JsonSerializer.Serialize(stack.Template.FindResources("AWS::CloudWatch::Alarm"));
        Assert.Contains(queue.Name, alarms, StringComparison.Ordinal);
        Assert.Contains("IteratorAge", alarms, StringComparison.Ordinal);
    }

    [Fact]
    public void Its_role_writes_only_the_counter_and_marker_partitions_and_reads_no_finding()
    {
        var policies = JsonSerializer.SerializeToElement(stack.Template.FindResources("AWS::IAM::Policy"));
        var policy = Assert.Single(policies.EnumerateObject(), p => p.Name.StartsWith("CounterProjectionFunction", StringComparison.Ordinal));
        var statements = policy.Value.GetProperty("Properties").GetProperty("PolicyDocument").GetProperty("Statement").EnumerateArray().ToList();
        var actions = statements.SelectMany(s => s.GetProperty("Action").ValueKind == JsonValueKind.Array
            ? s.GetProperty("Action").EnumerateArray().Select(a => a.GetString()!) : [s.GetProperty("Action").GetString()!]).ToList();
        Assert.DoesNotContain(actions, a => a is "dynamodb:Query" or "dynamodb:Scan" or "dynamodb:DeleteItem" or "dynamodb:BatchWriteItem" or "dynamodb:BatchGetItem");
        foreach (var statement in statements.Where(s => s.GetProperty("Action").GetRawText().Contains("dynamodb:PutItem", StringComparison.Ordinal)
                     || s.GetProperty("Action").GetRawText().Contains("dynamodb:UpdateItem", StringComparison.Ordinal)
                     || s.GetProperty("Action").GetRawText().Contains("dynamodb:GetItem", StringComparison.Ordinal)))
        {
            var leading = statement.GetProperty("Condition").GetProperty("ForAllValues:StringLike").GetProperty("dynamodb:LeadingKeys")
                .EnumerateArray().Select(k => k.GetString()).ToList();
            Assert.DoesNotContain(leading, k => k!.StartsWith("FINDING", StringComparison.Ordinal) || k == "*");
        }
        var writes = Assert.Single(statements, s => s.TryGetProperty("Sid", out var sid) && sid.GetString() == "WriteCountersAndMarkersOnly");
        Assert.Equal(["STATS", "EVIDENCE", "PROJECTION#*"], writes.GetProperty("Condition").GetProperty("ForAllValues:StringLike").GetProperty("dynamodb:LeadingKeys")
            .EnumerateArray().Select(k => k.GetString()));
        Assert.Contains("dynamodb:GetRecords", actions);
        Assert.Contains("sqs:SendMessage", actions);
        Assert.DoesNotContain(actions, a => a.Contains('*', StringComparison.Ordinal));
    }
}
